// `focus`: each seed picks about a third of the target's sync point names
// (by a hash of the name, so the pick does not depend on the order points
// are reached); at a picked point a thread sleeps 20-200 µs at half of its
// visits, and elsewhere it runs on. Where `random` widens every window a
// little, `focus` widens a few windows a long way: a race whose two sides
// meet only when one side stalls at one particular point.
#include "perturb/per_thread_random.h"
#include "perturb/strategy.h"

namespace handoff {
namespace {

// FNV-1a: the same name hashes the same on every machine.
uint64_t HashName(const char* name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char* c = name; c != nullptr && *c != '\0'; ++c) {
    h = (h ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
  }
  return h;
}

class FocusPerturbation final : public PerturbationStrategy {
 public:
  const char* name() const override { return "focus"; }

  void NewRun(uint64_t seed, int, uint64_t) override {
    seed_ = seed;
    random_.Seed(seed ^ 0xf0c5ull);
  }

  SyncAction Decide(const char* point, int thread, uint64_t) override {
    if (!Picked(point)) return {};
    SeededRandom& random = random_[thread];
    if (random.Below(2) == 0) return {};
    return {SyncAction::Type::kSleep, static_cast<uint32_t>(random.Between(20, 200))};
  }

  bool Picked(const char* point) const { return Mix64(seed_ ^ HashName(point)) % 3 == 0; }

 private:
  uint64_t seed_ = 0;
  PerThreadRandom random_;
};

}  // namespace

std::unique_ptr<PerturbationStrategy> MakeFocusPerturbation() {
  return std::make_unique<FocusPerturbation>();
}

}  // namespace handoff
