// `walk`: a random walk over schedules. At each point every runnable thread
// is equally likely to go next, drawn from the seed and the step.
#include "host/seeded_random.h"
#include "perturb/schedule_strategy.h"

namespace handoff {
namespace {

class RandomWalk final : public ScheduleStrategy {
 public:
  const char* name() const override { return "walk"; }
  void NewRun(uint64_t seed, uint64_t) override { seed_ = Mix64(seed ^ 0x3a1c); }
  void ThreadAdded(int) override {}
  size_t Pick(const std::vector<Runnable>& runnable, uint64_t step) override {
    return Mix64(seed_ + step) % runnable.size();
  }

 private:
  uint64_t seed_ = 0;
};

}  // namespace

std::unique_ptr<ScheduleStrategy> MakeRandomWalkSchedule() { return std::make_unique<RandomWalk>(); }

}  // namespace handoff
