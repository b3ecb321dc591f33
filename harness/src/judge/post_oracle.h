// The post oracle: after a run, judges its fire-and-forget posts (behaviour
// post, scenario.h) from the run log alone, against target.h's rules for
// posts. For each post call, what `post` returned (its CallRecord), how
// often and when (RunLog ticks) its handler started and ended, and what the
// target said at the end (RunLog::posts: flush's result, post_stats):
//   - status: ok (accepted) never after a stop; stopped only once a stop or
//     kill began; full only under a policy that may refuse (drop_newest,
//     fail; block only for a caller holding the GVL, which cannot wait);
//     forked and invalid never; a refused post never runs
//     (unexpected_status);
//   - exactly once: an accepted post runs once (more: duplicate_post), or
//     never and counted dropped, for a reason the policy (drop_oldest) or
//     the lifecycle (a stop or an event-thread kill done after it was
//     posted) allows; a post never started that the counters do not account
//     for, or that nothing allowed to be dropped, or left when flush ran
//     out of time, is lost_post (a kill may end a post taken in hand
//     before its block began: up to one per kill event, counted failed);
//   - order: of one thread's posts that ran, each started after the one it
//     posted before, and after that one's handler ended (out_of_order);
//   - bounded: at each accepted post, the posts accepted before it and not
//     yet started are at most post_capacity plus the posts in flight (a
//     post of each caller thread being accepted, and kPostsInFlightSlack
//     popped but not yet in the handler): else unbounded_queue. Counted
//     from posts that ran only, so a drop never makes a queue look longer;
//   - counted: post_stats' posted is the ok returns, refused the others,
//     dropped the accepted posts never started, failed at least the raising
//     posts that ran, and run + failed + dropped = posted once flush
//     returned 0 (miscounted).
// Measured: post-to-run latency, post's return to its handler's start.
#pragma once

#include <cstdint>
#include <string>

#include "handoff/result.h"
#include "judge/run_log.h"

namespace handoff {

constexpr uint64_t kPostsInFlightSlack = 16;

struct PostCheck {
  uint64_t posts = 0;     // post calls judged
  uint64_t verified = 0;  // of those, right
  double p50_us = 0;      // post return -> handler start, posts that ran (0: none ran)
  double p99_us = 0;
};

// Judges every post of the run (none in the mix: a pass with nothing judged).
Result CheckPosts(const Scenario& scenario, uint64_t seed, const RunLog& log, PostCheck* check);

}  // namespace handoff
