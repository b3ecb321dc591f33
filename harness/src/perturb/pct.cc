// `pct`: PCT-style (Burckhardt et al., "A randomized scheduler with
// probabilistic guarantees of finding bugs"), approximated with real threads.
// Each thread gets a seeded priority; kChangePoints seeded steps of the run
// are priority change points where the thread that reaches it drops below
// every other. At a point, the highest-priority threads run on, and lower
// ones are delayed in proportion to how low they are, so a low-priority
// thread tends to lose every race it is in until its priority changes.
// Real threads cannot be held strictly: this biases schedules, it does not
// enumerate them.
#include <array>
#include <atomic>
#include <utility>

#include "host/seeded_random.h"
#include "perturb/strategy.h"

namespace handoff {
namespace {

constexpr int kChangePoints = 3;  // PCT's d - 1

class PctPerturbation final : public PerturbationStrategy {
 public:
  const char* name() const override { return "pct"; }

  void NewRun(uint64_t seed, int foreign_threads, uint64_t expected_points) override {
    SeededRandom random(Mix64(seed ^ 0x9c7));
    // Distinct positive priorities, a seeded permutation of 1..kMaxThreads
    // (two equal ones would both run as the highest); change points hand
    // out negative ones.
    std::array<int64_t, kMaxThreads> order;
    for (int t = 0; t < kMaxThreads; ++t) order[t] = t + 1;
    for (int t = kMaxThreads - 1; t > 0; --t) {
      std::swap(order[t], order[random.Below(static_cast<uint64_t>(t) + 1)]);
    }
    for (int t = 0; t < kMaxThreads; ++t) priority_[t].value.store(order[t], std::memory_order_relaxed);
    for (int i = 0; i < kChangePoints; ++i) {
      change_steps_[i] = random.Below(expected_points > 0 ? expected_points : 1);
    }
    threads_ = foreign_threads;
    next_low_.store(-1, std::memory_order_relaxed);
  }

  SyncAction Decide(const char*, int thread, uint64_t step) override {
    for (uint64_t change : change_steps_) {
      if (step == change) {
        priority_[thread].value.store(next_low_.fetch_sub(1), std::memory_order_relaxed);
      }
    }
    // Rank among the foreign threads (and itself): how many are above it.
    int64_t mine = priority_[thread].value.load(std::memory_order_relaxed);
    int above = 0;
    for (int t = 0; t < threads_; ++t) {
      if (t != thread && priority_[t].value.load(std::memory_order_relaxed) > mine) ++above;
    }
    if (mine < 0) return {SyncAction::Type::kSleep, 100};  // dropped at a change point
    if (above == 0) return {};
    if (above * 4 < threads_) return {SyncAction::Type::kYield, 0};
    return {SyncAction::Type::kSleep, static_cast<uint32_t>(2 + (above * 40) / (threads_ + 1))};
  }

 private:
  struct alignas(64) Priority {
    std::atomic<int64_t> value{0};
  };
  std::array<Priority, kMaxThreads> priority_;
  std::array<uint64_t, kChangePoints> change_steps_{};
  int threads_ = 1;
  std::atomic<int64_t> next_low_{-1};
};

}  // namespace

std::unique_ptr<PerturbationStrategy> MakePctPerturbation() {
  return std::make_unique<PctPerturbation>();
}

}  // namespace handoff
