/*
 * Mutant no_stopped_check — callback after shutdown.
 * A call made after stop is queued anyway; the event thread is gone, so
 * the caller waits forever (rdkafka-ruby #216).
 */
#define MUTANT_NO_STOPPED_CHECK 1
#define MUTANT_NAME "no_stopped_check"
#define MUTANT_CLASS "callback after shutdown"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=8 calls=1000 mix=return:1 events=stop@100"
#include "switchable_bridge.c"
