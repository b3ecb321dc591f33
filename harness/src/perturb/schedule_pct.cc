// `pct`: PCT with depth 3 (Burckhardt et al., "A randomized scheduler with
// probabilistic guarantees of finding bugs", ASPLOS 2010), exact here because
// the threads are controlled: each thread gets a random priority when it is
// created, the highest-priority runnable thread always goes next, and at
// d - 1 = 2 steps drawn from the expected length of the run the running
// thread drops below every other. A bug of depth d is found with probability
// at least 1 / (n k^(d-1)) per run (n threads, k steps). A thread that
// yields drops below every thread that has not yielded since (as Coyote's
// and Fray's PCT do): a spin loop on sched_yield would otherwise keep the
// highest priority and never let the thread it waits for run.
#include "host/seeded_random.h"
#include "perturb/schedule_strategy.h"

namespace handoff {
namespace {

constexpr int kChangePoints = 2;
// Priorities: 1..kChangePoints for the threads dropped at change points,
// below kYieldFloor (and above those) for yielders, the most recent lowest,
// kFirstPriority and up for the rest.
constexpr int64_t kYieldFloor = int64_t{1} << 41;
constexpr int64_t kFirstPriority = int64_t{1} << 42;

class Pct final : public ScheduleStrategy {
 public:
  const char* name() const override { return "pct"; }
  void NewRun(uint64_t seed, uint64_t expected_steps) override {
    random_ = SeededRandom(Mix64(seed ^ 0x5c7));
    for (uint64_t& change : change_steps_) change = random_.Below(expected_steps > 0 ? expected_steps : 1);
    next_low_ = 0;
    yield_floor_ = kYieldFloor;
  }
  void ThreadAdded(int thread) override {
    // Distinct with overwhelming likelihood; a tie goes to the lower number.
    priority_[thread] = kFirstPriority + static_cast<int64_t>(random_.Below(1ull << 40));
  }
  void Yielded(int thread) override { priority_[thread] = --yield_floor_; }
  size_t Pick(const std::vector<Runnable>& runnable, uint64_t step) override {
    for (uint64_t change : change_steps_) {
      if (step == change && last_ >= 0) priority_[last_] = ++next_low_;  // 1..d-1: below all others
    }
    size_t best = 0;
    for (size_t i = 1; i < runnable.size(); ++i) {
      if (priority_[runnable[i].thread] > priority_[runnable[best].thread]) best = i;
    }
    last_ = runnable[best].thread;
    return best;
  }

 private:
  SeededRandom random_{0};
  uint64_t change_steps_[kChangePoints] = {};
  int64_t priority_[kMaxControlledThreads] = {};
  int64_t next_low_ = 0;
  int64_t yield_floor_ = kYieldFloor;
  int last_ = -1;
};

}  // namespace

std::unique_ptr<ScheduleStrategy> MakePctSchedule() { return std::make_unique<Pct>(); }

}  // namespace handoff
