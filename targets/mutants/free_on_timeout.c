/*
 * Mutant free_on_timeout — request freed on timeout.
 * A waiter whose deadline passes frees its request, though it is still
 * queued or in a handler's hands: the handler then writes the reply into
 * freed memory (grpc #42809). ThreadSanitizer reports the free racing the
 * handler's access to the request (as a data race or a heap-use-after-free,
 * by which came first: both are use_after_free; so is "use of an invalid
 * mutex" when the handler locks the freed request's mutex). A fourth
 * schedule (1 seed in a CI run under gcc's TSan): the freed block is
 * already reused by a new request, and TSan reports the event thread's
 * stale read racing that block's calloc, a report no different from an
 * unsynchronised publication, so it stays data_race and is accepted too.
 * Tested under TSan only: the ASan build does not instrument targets, so
 * there it is a crash.
 */
#define MUTANT_FREE_ON_TIMEOUT 1
#define MUTANT_NAME "free_on_timeout"
#define MUTANT_CLASS "request freed on timeout"
#define MUTANT_MUST_PRODUCE "use_after_free"
#define MUTANT_ALSO_ACCEPTED "data_race"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:3,slow:1 slow_us=3000 deadline_ms=1"
#include "switchable_bridge.c"
