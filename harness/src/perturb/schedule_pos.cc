// `pos`: partial order sampling (Yuan et al., "Partial Order Aware
// Concurrency Sampling", CAV 2018). Every thread's next operation carries a
// random priority; the runnable thread whose operation has the highest goes
// next, and the operations of other threads on the same object (the ones that
// race with it) draw new priorities. Orders of independent operations are
// not told apart, so each distinct ordering of racing ones is sampled more
// evenly than a random walk samples it.
#include "host/seeded_random.h"
#include "perturb/schedule_strategy.h"

namespace handoff {
namespace {

class Pos final : public ScheduleStrategy {
 public:
  const char* name() const override { return "pos"; }
  void NewRun(uint64_t seed, uint64_t) override {
    random_ = SeededRandom(Mix64(seed ^ 0x905));
  }
  void ThreadAdded(int thread) override { priority_[thread] = random_.Next(); }
  size_t Pick(const std::vector<Runnable>& runnable, uint64_t) override {
    size_t best = 0;
    for (size_t i = 1; i < runnable.size(); ++i) {
      if (priority_[runnable[i].thread] > priority_[runnable[best].thread]) best = i;
    }
    // The racing operations: the others' on the same object.
    if (runnable[best].object != 0) {
      for (const Runnable& r : runnable) {
        if (r.thread != runnable[best].thread && r.object == runnable[best].object) {
          priority_[r.thread] = random_.Next();
        }
      }
    }
    return best;
  }
  // The picked thread's next operation is a new one: a new priority.
  void Picked(int thread, uintptr_t) override { priority_[thread] = random_.Next(); }

 private:
  SeededRandom random_{0};
  uint64_t priority_[kMaxControlledThreads] = {};
};

}  // namespace

std::unique_ptr<ScheduleStrategy> MakePosSchedule() { return std::make_unique<Pos>(); }

}  // namespace handoff
