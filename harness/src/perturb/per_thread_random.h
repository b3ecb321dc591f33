// One SeededRandom per harness thread number (0..PerturbationStrategy::
// kMaxThreads-1) for a strategy's Decide: each slot is touched only by its
// own thread, padded against false sharing, and seeded so that a run's seed
// gives every thread the same stream on every machine.
#pragma once

#include <array>
#include <cstdint>

#include "host/seeded_random.h"
#include "perturb/strategy.h"

namespace handoff {

class PerThreadRandom {
 public:
  // Thread t's stream starts from Mix64(seed + t).
  void Seed(uint64_t seed) {
    for (int t = 0; t < PerturbationStrategy::kMaxThreads; ++t) slots_[t].random = SeededRandom(Mix64(seed + t));
  }
  SeededRandom& operator[](int thread) { return slots_[thread].random; }

 private:
  struct alignas(64) Slot {
    SeededRandom random{0};
  };
  std::array<Slot, PerturbationStrategy::kMaxThreads> slots_;
};

}  // namespace handoff
