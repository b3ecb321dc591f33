// The function the harness hands targets as handoff_target_host::sync_point:
// numbers the thread that reached a point, asks the run's strategy and does
// what it says (yield, spin or sleep). Counts points, for reports.
#pragma once

#include <cstdint>

#include "perturb/strategy.h"

namespace handoff {

// Installs the strategy for the coming run, which has `foreign_threads`
// foreign threads. REQUIRES: before the target starts; once per process.
void InstallPerturbation(PerturbationStrategy* strategy, int foreign_threads);
// Marks the calling thread as foreign thread `index` (0-based). Other threads
// are numbered on their first point, after the foreign ones.
void SetSyncThreadIndex(int index);
// The hook itself (C linkage-compatible signature).
void HarnessSyncPoint(const char* name);
// Points reached since InstallPerturbation.
uint64_t SyncPointsReached();

}  // namespace handoff
