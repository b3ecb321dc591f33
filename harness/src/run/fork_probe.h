// The fork event: forks the process (Ruby's Process.fork, with the GVL held)
// while foreign threads are mid-call. In the child, which has only the
// forking thread, the target must work again (after_fork_child, if any) and
// nothing from the parent may be replayed: a probe thread makes
// RunLog::kForkProbeCalls calls and checks their replies, and no parent
// call's handler may run. The child exits 0, or 20 + the failure kind after
// printing what went wrong; the parent turns that into a Result.
#pragma once

#include "handoff/result.h"
#include "run/call.h"

namespace handoff {

// REQUIRES: GVL held, on the driving Ruby thread. Not under ThreadSanitizer
// (its runtime aborts in a forked child that starts threads).
Result RunForkProbe(const CallSite& site, double hang_seconds);

}  // namespace handoff
