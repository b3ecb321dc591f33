// The controlled schedule (perturb/controlled_scheduler.h) on small
// pthread programs (schedule_fixture.c), each run in its own process by
// controlled_schedule_probe: every strategy finds the lost wakeup as a
// deadlock within 40 seeds, and a seed that finds it replays it 10 times out
// of 10 with a byte-identical report and schedule; the correct hand-over
// passes 100 seeds under every strategy, as do a recursive mutex and a
// futex lock 20; and under ThreadSanitizer the schedule's hand-overs hide
// no race.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "perturb/schedule_strategy.h"

namespace {

struct ProbeRun {
  int status = -1;
  std::string output;
};

ProbeRun Probe(const std::string& program, const std::string& strategy, int seed) {
  std::string command = std::string(HANDOFF_SCHEDULE_PROBE) + " " + HANDOFF_SCHEDULE_FIXTURE + " " +
                        program + " " + strategy + " " + std::to_string(seed) + " 2>&1";
  ProbeRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::vector<std::string> Strategies() {
  std::vector<std::string> names;
  for (const handoff::ScheduleStrategyInfo& s : handoff::ScheduleStrategies()) names.push_back(s.name);
  return names;
}

bool Tsan() { return std::string(HANDOFF_SANITIZER_NAME) == "thread"; }

TEST(ControlledSchedule, EveryStrategyFindsTheLostWakeupAndItsSeedReplaysExactly) {
  for (const std::string& strategy : Strategies()) {
    int found = -1;
    ProbeRun first;
    for (int seed = 1; seed <= 40 && found < 0; ++seed) {
      first = Probe("lost_wakeup", strategy, seed);
      if (first.status == 3) found = seed;
      else ASSERT_EQ(first.status, 0) << first.output;
    }
    ASSERT_GE(found, 1) << strategy << " found no lost wakeup in 40 seeds";
    EXPECT_NE(first.output.find("never signalled"), std::string::npos) << first.output;
    for (int replay = 0; replay < 10; ++replay) {
      ProbeRun again = Probe("lost_wakeup", strategy, found);
      EXPECT_EQ(again.status, 3) << strategy << " seed " << found;
      EXPECT_EQ(again.output, first.output) << strategy << " seed " << found << " replay " << replay;
    }
  }
}

TEST(ControlledSchedule, TheCorrectHandOverPassesAHundredSeedsUnderEveryStrategy) {
  for (const std::string& strategy : Strategies()) {
    for (int seed = 1; seed <= 100; ++seed) {
      ProbeRun run = Probe("handoff", strategy, seed);
      ASSERT_EQ(run.status, 0) << strategy << " seed " << seed << "\n" << run.output;
      ASSERT_EQ(run.output.rfind("result 210\n", 0), 0u) << strategy << " seed " << seed << "\n" << run.output;
    }
  }
}

// A recursive mutex taken twice by its owner is no deadlock; a lock made
// of futex waits and wakes (GLib's, abseil's) is under the schedule too.
TEST(ControlledSchedule, RecursiveMutexesAndFutexLocksPassUnderEveryStrategy) {
  for (const std::string& strategy : Strategies()) {
    for (int seed = 1; seed <= 20; ++seed) {
      ProbeRun recursive = Probe("recursive", strategy, seed);
      ASSERT_EQ(recursive.output.rfind("result 10\n", 0), 0u) << strategy << " seed " << seed << "\n"
                                                              << recursive.output;
      ProbeRun futex = Probe("futex_lock", strategy, seed);
      ASSERT_EQ(futex.output.rfind("result 40\n", 0), 0u) << strategy << " seed " << seed << "\n" << futex.output;
      EXPECT_NE(futex.output.find("futex"), std::string::npos) << "no futex operation in the schedule";
    }
  }
}

TEST(ControlledSchedule, SchedulesDifferAcrossSeeds) {
  std::string a = Probe("handoff", "walk", 1).output, b = Probe("handoff", "walk", 2).output;
  EXPECT_NE(a, b);
}

// The data race is ThreadSanitizer's to report: the schedule must not order
// the two threads' accesses for it.
TEST(ControlledSchedule, ThreadSanitizerStillSeesARace) {
  if (!Tsan()) GTEST_SKIP() << "a ThreadSanitizer build only";
  ProbeRun run = Probe("race", "walk", 1);
  EXPECT_NE(run.output.find("WARNING: ThreadSanitizer: data race"), std::string::npos) << run.output;
}

}  // namespace
