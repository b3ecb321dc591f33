// `random`: at a quarter of the points, seeded per thread, the thread yields,
// spins a little or sleeps a few microseconds. Widens race windows anywhere,
// without preferring any thread.
#include <array>

#include "handoff/seeded_random.h"
#include "perturbation/strategy.h"

namespace handoff {
namespace {

class RandomPerturbation final : public PerturbationStrategy {
 public:
  const char* name() const override { return "random"; }

  void NewRun(uint64_t seed, int, uint64_t) override {
    for (int t = 0; t < kMaxThreads; ++t) per_thread_[t].random = SeededRandom(Mix64(seed + t));
  }

  SyncAction Decide(const char*, int thread, uint64_t) override {
    SeededRandom& random = per_thread_[thread].random;
    uint64_t roll = random.Below(16);
    if (roll >= 4) return {};
    if (roll < 2) return {SyncAction::Type::kYield, 0};
    if (roll == 2) return {SyncAction::Type::kSpin, static_cast<uint32_t>(random.Between(10, 2000))};
    return {SyncAction::Type::kSleep, static_cast<uint32_t>(random.Between(1, 50))};
  }

 private:
  // Each slot is touched only by its own thread (padded against false sharing).
  struct alignas(64) PerThread {
    SeededRandom random{0};
  };
  std::array<PerThread, kMaxThreads> per_thread_;
};

}  // namespace

std::unique_ptr<PerturbationStrategy> MakeRandomPerturbation() {
  return std::make_unique<RandomPerturbation>();
}

}  // namespace handoff
