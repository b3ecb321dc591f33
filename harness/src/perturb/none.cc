// `none`: the points cost one call and do nothing; the OS schedules alone.
#include "perturb/strategy.h"

namespace handoff {
namespace {

class NoPerturbation final : public PerturbationStrategy {
 public:
  const char* name() const override { return "none"; }
  void NewRun(uint64_t, int, uint64_t) override {}
  SyncAction Decide(const char*, int, uint64_t) override { return {}; }
};

}  // namespace

std::unique_ptr<PerturbationStrategy> MakeNoPerturbation() {
  return std::make_unique<NoPerturbation>();
}

}  // namespace handoff
