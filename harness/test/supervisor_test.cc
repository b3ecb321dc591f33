// The supervisor turns what happened to a child process into a Result.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "supervisor.h"

namespace handoff {
namespace {

TEST(Supervisor, ReadsTheChildsResult) {
  SupervisedRun run = Supervise(
      [](int fd) {
        RunStats stats;
        stats.verified = 77;
        WriteChildResult(fd, Result::Failure(FailureKind::kWrongReply, "call 3\ngot call 4"), stats);
        return 1;
      },
      30, false);
  EXPECT_EQ(run.result.Verdict(), "wrong_reply");
  EXPECT_EQ(run.result.detail, "call 3\ngot call 4");
  EXPECT_EQ(run.stats.verified, 77u);
}

TEST(Supervisor, ADeathBeforeReportingIsACrash) {
  SupervisedRun run = Supervise([](int) { raise(SIGSEGV); return 0; }, 30, false);
  EXPECT_EQ(run.result.Verdict(), "crash");
  // Plain: "died of signal 11"; under a sanitizer, its SEGV report.
  EXPECT_TRUE(run.result.detail.find("signal 11") != std::string::npos ||
              run.result.detail.find("SEGV") != std::string::npos)
      << run.result.detail;
}

TEST(Supervisor, AChildStillRunningAtTheHardTimeoutIsADeadlock) {
  SupervisedRun run = Supervise([](int) { pause(); return 0; }, 0.5, false);
  EXPECT_EQ(run.result.Verdict(), "deadlock");
}

TEST(Supervisor, ASanitizerReportWinsOverTheChildsOwnResult) {
  SupervisedRun run = Supervise(
      [](int fd) {
        std::fprintf(stderr, "==1==WARNING: ThreadSanitizer: data race (pid=1)\n"
                             "  Write of size 8 at 0x1 by thread T1:\n"
                             "SUMMARY: ThreadSanitizer: data race queue.cc:10 in Push\n");
        WriteChildResult(fd, Result::Pass(), RunStats{});
        return 66;
      },
      30, false);
  EXPECT_EQ(run.result.Verdict(), "data_race");
  EXPECT_NE(run.result.detail.find("SUMMARY: ThreadSanitizer: data race"), std::string::npos);
}

TEST(Supervisor, ClassifiesSanitizerReports) {
  FailureKind kind;
  std::string excerpt;
  EXPECT_FALSE(FindSanitizerReport("all fine\n", &kind, &excerpt));
  ASSERT_TRUE(FindSanitizerReport("WARNING: ThreadSanitizer: heap-use-after-free (pid=2)\n", &kind,
                                  &excerpt));
  EXPECT_EQ(kind, FailureKind::kUseAfterFree);
  ASSERT_TRUE(FindSanitizerReport(
      "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock)\n", &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kDeadlock);
  ASSERT_TRUE(FindSanitizerReport("ERROR: AddressSanitizer: heap-use-after-free on address\n",
                                  &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kUseAfterFree);
}

}  // namespace
}  // namespace handoff
