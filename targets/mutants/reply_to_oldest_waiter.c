/*
 * Mutant reply_to_oldest_waiter — reply delivered to the wrong waiter.
 * Replies are matched to waiters by order, not by identity: each finished
 * handler hands its reply to the oldest request still in flight, assuming
 * handlers finish in the order they were dispatched. They do not when one
 * is preempted, waits for the GVL longer, or sleeps: a caller then gets
 * another call's reply. Timing-dependent: with trivial handlers only a
 * reordering by the scheduler shows it: Ruby 3.1's did that with trivial
 * blocks, Ruby 3.3's did not once in 10 runs (ci/matrix), so a few
 * handlers sleep (slow:1 in 21), which reorders them on every Ruby.
 */
#define MUTANT_REPLY_TO_OLDEST_WAITER 1
#define MUTANT_NAME "reply_to_oldest_waiter"
#define MUTANT_CLASS "wrong waiter"
#define MUTANT_MUST_PRODUCE "wrong_reply"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:20,slow:1"
#include "switchable_bridge.c"
