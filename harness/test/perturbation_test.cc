// The perturbation strategies' contracts (perturb/strategy.h): the same
// seed gives the same decisions, `random` acts at its stated rate (a quarter
// of the points), `pct` gives its threads distinct priorities, `focus` acts
// only at the point names its seed picked, `none` never acts, and the
// strategies' table makes every strategy it lists and nothing else.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "perturb/strategy.h"

namespace handoff {
namespace {

using Decision = std::tuple<int, uint32_t>;  // SyncAction's type and amount

std::vector<Decision> Decisions(const std::string& name, uint64_t seed, int threads, int steps) {
  std::unique_ptr<PerturbationStrategy> strategy = MakePerturbation(name);
  strategy->NewRun(seed, threads, static_cast<uint64_t>(steps));
  std::vector<Decision> out;
  const char* points[] = {"queue.push", "request.wait", "request.complete"};
  for (int step = 0; step < steps; ++step) {
    SyncAction a = strategy->Decide(points[step % 3], step % threads, static_cast<uint64_t>(step));
    out.emplace_back(static_cast<int>(a.type), a.amount);
  }
  return out;
}

int Acted(const std::vector<Decision>& decisions) {
  int acted = 0;
  for (const Decision& d : decisions) acted += std::get<0>(d) != static_cast<int>(SyncAction::Type::kNone);
  return acted;
}

TEST(Perturbation, SameSeedSameDecisions) {
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) {
    EXPECT_EQ(Decisions(s.name, 42, 8, 5000), Decisions(s.name, 42, 8, 5000)) << s.name;
  }
  for (const char* name : {"random", "pct", "focus"}) {
    EXPECT_NE(Decisions(name, 42, 8, 5000), Decisions(name, 43, 8, 5000)) << name;
  }
}

TEST(Perturbation, NoneNeverActs) { EXPECT_EQ(Acted(Decisions("none", 7, 8, 10000)), 0); }

TEST(Perturbation, RandomActsAtAQuarterOfThePoints) {
  const int steps = 200000;
  for (uint64_t seed : {1, 2, 3}) {
    double rate = static_cast<double>(Acted(Decisions("random", seed, 8, steps))) / steps;
    EXPECT_NEAR(rate, 0.25, 0.01) << "seed " << seed;
  }
}

// With distinct priorities exactly one of the run's threads is the highest
// and runs on untouched; every other one is delayed.
TEST(Perturbation, PctThreadsHaveDistinctPriorities) {
  for (int threads : {2, 8, 64, PerturbationStrategy::kMaxThreads}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      std::unique_ptr<PerturbationStrategy> pct = MakePerturbation("pct");
      // Change points fall among 10^12 steps: none among the first `threads`.
      pct->NewRun(seed, threads, 1000000000000ULL);
      int untouched = 0;
      for (int t = 0; t < threads; ++t) {
        untouched += pct->Decide("queue.push", t, static_cast<uint64_t>(t)).type == SyncAction::Type::kNone;
      }
      EXPECT_EQ(untouched, 1) << threads << " threads, seed " << seed;
    }
  }
}

// Per seed, a point name is either picked (sleeps of 20-200 µs at about half
// of its visits) or left alone; over seeds each name is picked about a third
// of the time.
TEST(Perturbation, FocusActsOnlyAtPickedPoints) {
  const char* names[] = {"queue.push", "queue.pop", "request.wait", "request.complete",
                         "worker.wake", "pool.spawn"};
  int picked = 0, seeds = 300;
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    std::unique_ptr<PerturbationStrategy> focus = MakePerturbation("focus");
    focus->NewRun(seed, 4, 1000);
    for (const char* name : names) {
      int acted = 0;
      for (int visit = 0; visit < 400; ++visit) {
        SyncAction a = focus->Decide(name, visit % 4, static_cast<uint64_t>(visit));
        if (a.type == SyncAction::Type::kNone) continue;
        ++acted;
        EXPECT_EQ(a.type, SyncAction::Type::kSleep);
        EXPECT_GE(a.amount, 20u);
        EXPECT_LE(a.amount, 200u);
      }
      EXPECT_TRUE(acted == 0 || (acted > 140 && acted < 260)) << name << " seed " << seed << ": " << acted;
      picked += acted > 0;
    }
  }
  double share = static_cast<double>(picked) / (seeds * 6);
  EXPECT_NEAR(share, 1.0 / 3, 0.05);
}

TEST(Perturbation, TheTableMakesEveryStrategyItListsAndNothingElse) {
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) {
    std::unique_ptr<PerturbationStrategy> made = MakePerturbation(s.name);
    ASSERT_NE(made, nullptr) << s.name;
    EXPECT_STREQ(made->name(), s.name);
    EXPECT_NE(PerturbationNames().find(s.name), std::string::npos);
  }
  EXPECT_STREQ(PerturbationStrategies().front().name, "none");
  EXPECT_EQ(MakePerturbation("fifo"), nullptr);
}

}  // namespace
}  // namespace handoff
