/*
 * Mutant unbounded_posts — the post queue ignores its capacity.
 * "A post must never wait": post always accepts, so under a slow block the
 * queue grows without bound (memory, and latency, growing with it) while
 * the target declares post_capacity 16 and policy block.
 */
#define MUTANT_UNBOUNDED_POSTS 1
#define MUTANT_NAME "unbounded_posts"
#define MUTANT_CLASS "unbounded post queue under a slow block"
#define MUTANT_MUST_PRODUCE "unbounded_queue"
#define MUTANT_SCENARIO "threads=4 calls=2000 payload=16..256 reply=0..64 mix=post:1,slow:1 slow_us=500 events=none"
#include "switchable_bridge.c"
