/*
 * Mutant check_done_before_wait — lost wakeup.
 * The waiter checks `done` once and then waits on the condition variable
 * without re-checking it under the mutex: a completion that lands between
 * the check and the wait is a lost wakeup (old grpc rb_event_thread.c).
 */
#define MUTANT_CHECK_DONE_BEFORE_WAIT 1
#define MUTANT_NAME "check_done_before_wait"
#define MUTANT_CLASS "lost wakeup"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_PERTURB "random"
#define MUTANT_SCENARIO "threads=8 calls=20000 mix=return:1"
#include "switchable_bridge.c"
