/*
 * Mutant requeue_killed_post — a post killed in its block runs again.
 * "A killed worker is replaced, and the post it had in hand is retried":
 * the post whose block a Thread#kill ended goes back to the head of the
 * queue and a new event thread runs it again, although it had started
 * (at-least-once where the contract is exactly once).
 */
#define MUTANT_REQUEUE_KILLED_POST 1
#define MUTANT_NAME "requeue_killed_post"
#define MUTANT_CLASS "post run twice after its worker was killed"
#define MUTANT_MUST_PRODUCE "duplicate_post"
#define MUTANT_SCENARIO "threads=4 calls=1200 payload=16..256 reply=0..64 mix=post:1,slow:1 slow_us=2000 events=kill@handler:200,kill@handler:200"
#include "switchable_bridge.c"
