// The checker: after a run, decides from its RunLog alone whether the target
// behaved. Every call must have returned exactly once with
//   - ok: the reply computed from its own payload (else wrong_reply, or
//     duplicate_reply when the reply belongs to an earlier call of the same
//     thread), and the handler must have run exactly once (handler_not_once);
//   - raised, when its behaviour was to raise, naming this very call (a raise
//     that came back as ok is swallowed_exception);
//   - stopped only when a stop or event-thread kill happened before or during
//     the call (and stopped at once for calls started after a stop);
//   - never timed_out (lost_reply), forked or invalid (unexpected_status).
// Nested (re-entrant) calls are held to the same rules. The first failure
// found is reported, with a count of all failures by kind.
#pragma once

#include "result.h"
#include "run_log.h"

namespace handoff {

struct CheckStats {
  uint64_t verified = 0;  // calls whose reply or status was checked and right
};

Result CheckRun(const Scenario& scenario, uint64_t seed, RunLog& log, CheckStats* stats);

}  // namespace handoff
