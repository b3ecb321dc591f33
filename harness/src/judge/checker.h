// The checker: after a run, decides from its RunLog alone whether the target
// behaved. Every call must have returned exactly once with
//   - ok: byte for byte the reply computed from its own payload (else
//     wrong_reply, or duplicate_reply when the reply belongs to an earlier
//     call of the same thread), and the handler must have run exactly once
//     (handler_not_once; for payloads too short to name their call, counted
//     over all of them);
//   - raised, when its behaviour was to raise, carrying the exception's class
//     and its whole message byte for byte (else swallowed_exception; a raise
//     that came back as ok is swallowed_exception too);
//   - stopped only when a stop or event-thread kill happened before or during
//     the call (and stopped at once for calls started after a stop);
//   - timed_out only once its deadline really passed, the handler having run
//     at most once (earlier: lost_reply); never forked or invalid
//     (unexpected_status); never not at all (lost_reply).
// A payload a handler got that no call sent (altered, truncated) is
// wrong_reply, reported first with that evidence. Nested (re-entrant) calls
// are held to the same rules. With max_p99_us, a p99 latency over it is
// too_slow. Posts (behaviour post) are the post oracle's (post_oracle.h),
// reported when the calls pass. The first failure found is reported, with a count of all
// failures by kind. The checks judged against a clock (latency, deadlines,
// fairness) leave out the time a caller waited for a CPU during its call
// (CallRecord::runnable_ns): a busy machine is not the target's fault.
#pragma once

#include <string>

#include "handoff/result.h"
#include "judge/run_log.h"

namespace handoff {

struct CheckStats {
  uint64_t verified = 0;  // calls whose reply or status was checked and right
  uint64_t replied = 0;   // of those, calls that came back ok or raised (content checked)
  // Latency of ok and raised calls (named payloads), invoke to return, less
  // the caller's wait for a CPU when measured (run_queue_wait.h).
  double p50_us = 0;
  double p99_us = 0;
  double post_p50_us = 0;  // post return -> handler start (post_oracle.h)
  double post_p99_us = 0;
  std::string notes;  // checks not judged, one line each
};

// How long past its deadline a call may come back from a target that
// declares it honours deadlines (HANDOFF_TARGET_HAS_DEADLINES): the deadline
// again, and at least 1 s (a loaded machine, a sanitizer build).
int64_t DeadlineSlackNs(uint32_t deadline_ms);

// Judges every call of a run. With `target_honours_deadlines`, a foreign
// thread's call that came back later than its deadline plus
// DeadlineSlackNs is deadline_missed (a Ruby thread's may run the block
// itself, which no deadline interrupts). With `scheduling_not_judged` (the
// machine was busy with other work: SchedulingNotJudgedReason), fairness
// and p99 latency that fail their bounds become notes, not failures.
Result CheckRun(const Scenario& scenario, uint64_t seed, RunLog& log, CheckStats* stats,
                bool target_honours_deadlines = false,
                const std::string& scheduling_not_judged = "");

}  // namespace handoff
