/*
 * Mutant two_post_consumers — two event threads take posts concurrently.
 * "Two event threads drain the queue twice as fast": each pops the next
 * post while the other may still run the one before it, so one thread's
 * posts overlap and finish in another order than posted.
 */
#define MUTANT_TWO_POST_CONSUMERS 1
#define MUTANT_NAME "two_post_consumers"
#define MUTANT_CLASS "posts reordered across two workers"
#define MUTANT_MUST_PRODUCE "out_of_order"
#define MUTANT_SCENARIO "threads=4 calls=2000 payload=16..256 reply=0..64 mix=post:1,slow:1 slow_us=300 events=none"
#include "switchable_bridge.c"
