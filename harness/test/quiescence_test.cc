#include "run/quiescence.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace handoff {
namespace {

constexpr int64_t kMs = 1000000;

TEST(Quiescence, WindowCoversSlowHandlersAndEarlyDeadlines) {
  Scenario scenario;  // return only, deadline 30 s
  EXPECT_DOUBLE_EQ(QuietWindowSeconds(scenario, 20), kQuietFloorSeconds);
  scenario.mix[static_cast<int>(Behaviour::kSlow)] = 1;
  scenario.slow_us = 500000;  // a handler asleep 0.5 s: window 4 x that + floor
  EXPECT_DOUBLE_EQ(QuietWindowSeconds(scenario, 20), 2.0 + kQuietFloorSeconds);
  EXPECT_DOUBLE_EQ(QuietWindowSeconds(scenario, 1.5), 1.5);  // never past the hang timeout
  scenario.mix[static_cast<int>(Behaviour::kSlow)] = 0;
  scenario.deadline_ms = 3000;  // a call times out (returns) before the hang timeout
  EXPECT_DOUBLE_EQ(QuietWindowSeconds(scenario, 20), 3.0 + kQuietFloorSeconds);
  EXPECT_DOUBLE_EQ(QuietWindowSeconds(scenario, 2), kQuietFloorSeconds);  // the timeout comes first
}

QuiescenceSample Asleep(int64_t cpu_ns) {
  QuiescenceSample sample;
  sample.threads = 3;
  sample.cpu_ns = cpu_ns;
  return sample;
}

TEST(Quiescence, TrackerCountsOnlyUnbrokenStretches) {
  QuiescenceTracker tracker(0.05);
  EXPECT_EQ(tracker.Update(Asleep(0), 0, false), 0);
  EXPECT_DOUBLE_EQ(tracker.Update(Asleep(0), 300 * kMs, false), 0.3);
  // Progress, an awake thread, a child process: the stretch starts again.
  EXPECT_EQ(tracker.Update(Asleep(0), 350 * kMs, true), 0);
  EXPECT_EQ(tracker.Update(Asleep(0), 400 * kMs, false), 0);
  QuiescenceSample awake = Asleep(0);
  awake.awake = 1;
  EXPECT_EQ(tracker.Update(awake, 450 * kMs, false), 0);
  QuiescenceSample forked = Asleep(0);
  forked.has_children = true;
  EXPECT_EQ(tracker.Update(forked, 500 * kMs, false), 0);
  EXPECT_EQ(tracker.Update(Asleep(0), 550 * kMs, false), 0);
  EXPECT_DOUBLE_EQ(tracker.Update(Asleep(0), 1050 * kMs, false), 0.5);
}

TEST(Quiescence, TrackerAllowsATrickleOfCpuButNotWork) {
  QuiescenceTracker tracker(0.05);
  tracker.Update(Asleep(0), 0, false);
  // 20 ms of CPU over 1 s (timer ticks): within 5% + 10 ms.
  EXPECT_DOUBLE_EQ(tracker.Update(Asleep(20 * kMs), 1000 * kMs, false), 1.0);
  // Then 200 ms more over the next 100 ms: work, not sleep.
  EXPECT_EQ(tracker.Update(Asleep(220 * kMs), 1100 * kMs, false), 0);
}

TEST(Quiescence, SeesAThreadBlockedForeverAsAsleepAndASpinningOneAsAwake) {
  std::mutex mutex;
  std::condition_variable wake;
  bool go = false;
  std::thread blocked([&] {
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [&] { return go; });
  });
  // Until it has blocked, the new thread may still be runnable.
  QuiescenceSample sample;
  for (int i = 0; i < 200; ++i) {
    sample = SampleQuiescence({});
    if (sample.awake == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(sample.awake, 0) << sample.first_awake;
  EXPECT_GE(sample.threads, 1);
  EXPECT_FALSE(sample.has_children);
  std::atomic<bool> stop{false};
  std::thread spinner([&] {
    while (!stop.load()) {
    }
  });
  // A spinning thread is running or, on a loaded machine, runnable: never asleep.
  for (int i = 0; i < 20; ++i) EXPECT_GE(SampleQuiescence({}).awake, 1);
  stop = true;
  spinner.join();
  {
    std::lock_guard<std::mutex> lock(mutex);
    go = true;
  }
  wake.notify_all();
  blocked.join();
}

TEST(Quiescence, SeesAChildProcess) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  EXPECT_TRUE(SampleQuiescence({}).has_children);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(SampleQuiescence({}).has_children);
}

// TSan keeps its symbolizer running once it has symbolized anything (with a
// TSan libruby: matching a suppression), idle: not the run's progress.
TEST(Quiescence, IgnoresTheSanitizersSymbolizer) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NAME, "llvm-symbolizer");
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  char byte;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  EXPECT_FALSE(SampleQuiescence({}).has_children);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace handoff
