/*
 * Mutant check_ints_with_request — popped request dropped.
 * The event thread checks Ruby interrupts with a just-popped request in
 * hand (what rb_thread_call_without_gvl does after its wait): a Thread#kill
 * there ends the thread and that request is never dispatched or failed
 * (ffi, code reading; Ruby 3.1's behaviour).
 */
#define MUTANT_CHECK_INTS_WITH_REQUEST 1
#define MUTANT_NAME "check_ints_with_request"
#define MUTANT_CLASS "popped request dropped"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=16 calls=2000 mix=return:1 background=2 events=kill@100"
#include "switchable_bridge.c"
