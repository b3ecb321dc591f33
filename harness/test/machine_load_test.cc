// What the harness measures of a busy machine: other work's share of the
// CPU (other_cpu_load.h) and a thread's wait for a CPU (run_queue_wait.h).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "host/other_cpu_load.h"
#include "run/run_queue_wait.h"

namespace handoff {
namespace {

TEST(OtherCpuLoad, OtherWorkIsTheMachinesBusyTimeLessOurOwn) {
  CpuSample from{1000, 4000, 100};
  CpuSample to{1300, 4400, 150};  // 300 of 400 ticks busy, 50 of them ours
  ASSERT_TRUE(OtherWorkShare(from, to).has_value());
  EXPECT_DOUBLE_EQ(*OtherWorkShare(from, to), 250.0 / 400.0);
  EXPECT_NE(SchedulingNotJudgedReason(from, to).find("other work used 62%"), std::string::npos)
      << SchedulingNotJudgedReason(from, to);
}

TEST(OtherCpuLoad, AQuietMachineIsJudged) {
  CpuSample from{1000, 4000, 100};
  CpuSample to{1060, 4400, 150};  // only our own 50 ticks and 10 others: 2.5%
  EXPECT_EQ(SchedulingNotJudgedReason(from, to), "");
  EXPECT_FALSE(OtherWorkShare(CpuSample{}, to).has_value());  // unreadable: nothing said
  EXPECT_EQ(SchedulingNotJudgedReason(CpuSample{}, to), "");
}

TEST(OtherCpuLoad, ReadsThisMachine) {
  CpuSample s = SampleCpu();
  EXPECT_GE(s.own, 0);
  EXPECT_GE(s.machine_total, s.machine_busy);
}

TEST(RunQueueWait, CountsOnlyWaitingForACpuNotSleeping) {
  RunQueueWait wait;
  int64_t before = wait.Nanos();
  if (before < 0) GTEST_SKIP() << "this kernel keeps no schedstat";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A sleeping thread is not runnable: of the 300 ms, only its wait for a
  // CPU once woken (a few ms on a busy machine) counts.
  EXPECT_LT(wait.Nanos() - before, 250 * 1000000);
  EXPECT_GE(wait.Nanos(), before);
}

}  // namespace
}  // namespace handoff
