// Background Ruby threads for a scenario's `background=N`: Ruby threads
// that compete for the GVL the whole run, as an application's would.
#pragma once

#include <vector>

namespace handoff {

// Starts `count` Ruby threads that compete for the GVL until StopBackground;
// returns their native thread ids, once each has started (the load they
// are is not a sign of the target's progress: watchdog.h). REQUIRES: GVL held.
std::vector<long> StartBackground(int count);
void StopBackground();

}  // namespace handoff
