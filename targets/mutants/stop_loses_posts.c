/*
 * Mutant stop_loses_posts — a stop discards the queued posts uncounted.
 * "Stopping: the queued posts go with it": stop empties the post queue
 * without counting what it throws away as dropped, so posts that were
 * accepted neither run nor show in post_stats (a lost event the
 * application can never learn of).
 */
#define MUTANT_STOP_LOSES_POSTS 1
#define MUTANT_NAME "stop_loses_posts"
#define MUTANT_CLASS "post lost on stop, not counted"
#define MUTANT_MUST_PRODUCE "lost_post"
#define MUTANT_SCENARIO "threads=4 calls=2000 payload=16..256 reply=0..64 mix=post:1,slow:1 slow_us=500 events=stop@1000"
#include "switchable_bridge.c"
