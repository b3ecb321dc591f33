// The perturbation decisions a run acted on (a yield, a spin or a sleep at a
// sync point), kept in memory shared with the supervising process, so they
// survive the run's crash, abort or kill: a failure's report points to them
// next to its replay line. A replay reproduces the same decisions for the
// same (point, thread, step) sequence (strategy.h); this log shows which
// ones the failing run took, to compare with a replay's or to read the
// schedule around the failure.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "perturb/strategy.h"

namespace handoff {

class DecisionLog {
 public:
  static constexpr size_t kCapacity = 4096;  // the last this many acted decisions
  static constexpr size_t kNameBytes = 48;   // a point's name, cut to this

  // The process's log, mapped shared on first use: a child forked after
  // this records into memory the parent reads. nullptr if it cannot be mapped.
  static DecisionLog* Shared();

  // Before a run (parent, no child running): forgets the last run's decisions.
  void Clear();
  // Any thread of the run: lock-free, every field an atomic (a run under
  // ThreadSanitizer must not see the harness race with itself).
  void Record(const char* point, int thread, uint64_t step, const SyncAction& action);
  // After the run: how many decisions were recorded, and the last kCapacity
  // of them as text, one per line in step order ("step thread action point").
  uint64_t recorded() const { return next_.load(std::memory_order_relaxed); }
  std::string Text() const;

 private:
  struct Entry {
    std::atomic<uint64_t> step;
    std::atomic<uint64_t> what;  // thread << 32 | type << 24 | amount (24 bits)
    std::atomic<uint64_t> name[kNameBytes / 8];
  };
  std::atomic<uint64_t> next_;
  Entry entries_[kCapacity];
};

// Where HarnessSyncPoint records what it acts on (sync_point.cc); nullptr: nowhere.
void InstallDecisionLog(DecisionLog* log);

}  // namespace handoff
