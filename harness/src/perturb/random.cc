// `random`: at a quarter of the points, seeded per thread, the thread yields,
// spins a little or sleeps a few microseconds. Widens race windows anywhere,
// without preferring any thread.
#include "perturb/per_thread_random.h"
#include "perturb/strategy.h"

namespace handoff {
namespace {

class RandomPerturbation final : public PerturbationStrategy {
 public:
  const char* name() const override { return "random"; }

  void NewRun(uint64_t seed, int, uint64_t) override { random_.Seed(seed); }

  SyncAction Decide(const char*, int thread, uint64_t) override {
    SeededRandom& random = random_[thread];
    uint64_t roll = random.Below(16);
    if (roll >= 4) return {};
    if (roll < 2) return {SyncAction::Type::kYield, 0};
    if (roll == 2) return {SyncAction::Type::kSpin, static_cast<uint32_t>(random.Between(10, 2000))};
    return {SyncAction::Type::kSleep, static_cast<uint32_t>(random.Between(1, 50))};
  }

 private:
  PerThreadRandom random_;
};

}  // namespace

std::unique_ptr<PerturbationStrategy> MakeRandomPerturbation() {
  return std::make_unique<RandomPerturbation>();
}

}  // namespace handoff
