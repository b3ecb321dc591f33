// The supervisor turns what happened to a child process into a Result.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "handoff/supervisor.h"

namespace handoff {
namespace {

SuperviseOptions Options(double stall_seconds) {
  SuperviseOptions options;
  options.stall_seconds = stall_seconds;
  return options;
}

TEST(Supervisor, ReadsTheChildsResult) {
  SupervisedRun run = Supervise(
      [](int fd) {
        RunStats stats;
        stats.verified = 77;
        WriteChildResult(fd, Result::Failure(FailureKind::kWrongReply, "call 3\ngot call 4"), stats);
        return 1;
      },
      Options(30));
  EXPECT_EQ(run.result.Verdict(), "wrong_reply");
  EXPECT_EQ(run.result.detail(), "call 3\ngot call 4");
  EXPECT_EQ(run.stats.verified, 77u);
}

// A run's stderr reaches the terminal escaped (no raw control or non-ASCII
// bytes) and capped (a flood ends with a line saying how much was left out).
TEST(Supervisor, EchoedStderrIsEscapedAndCapped) {
  SuperviseOptions options = Options(30);
  options.echo_stderr = true;
  testing::internal::CaptureStderr();
  Supervise(
      [](int fd) {
        std::fputs("tab\there \x1b[31m\xff\x01 end\n", stderr);
        std::string flood(300 << 10, 'x');
        std::fputs(flood.c_str(), stderr);
        std::fflush(stderr);
        WriteChildResult(fd, Result::Pass(), RunStats{});
        return 0;
      },
      options);
  std::string echoed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(echoed.rfind("tab\there \\x1b[31m\\xff\\x01 end\n", 0), 0u) << echoed.substr(0, 80);
  EXPECT_NE(echoed.find("more bytes of the run's stderr not shown]"), std::string::npos);
  EXPECT_LT(echoed.size(), size_t{260 << 10});
}

TEST(Supervisor, ADeathBeforeReportingIsACrash) {
  SupervisedRun run = Supervise([](int) { raise(SIGSEGV); return 0; }, Options(30));
  EXPECT_EQ(run.result.Verdict(), "crash");
  // Plain: "died of signal 11"; under a sanitizer, its SEGV report.
  EXPECT_TRUE(run.result.detail().find("signal 11") != std::string::npos ||
              run.result.detail().find("SEGV") != std::string::npos)
      << run.result.detail();
}

TEST(Supervisor, AChildStillRunningAtTheHardTimeoutIsADeadlock) {
  SupervisedRun run = Supervise([](int) { pause(); return 0; }, Options(0.5));
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
      Options(30));
  EXPECT_EQ(run.result.Verdict(), "data_race");
  EXPECT_NE(run.result.detail().find("SUMMARY: ThreadSanitizer: data race"), std::string::npos);
}

// A grandchild that outlives the run, keeps the run's pipes open and ignores
// SIGTERM; with `escape` it also leaves the run's process group (setsid).
// The child reports the grandchild's pid in its report.
int ForkLingeringGrandchild(int fd, bool escape) {
  pid_t grandchild = fork();
  if (grandchild == 0) {
    if (escape) setsid();
    signal(SIGTERM, SIG_IGN);
    for (;;) pause();
  }
  WriteChildResult(fd, Result::Pass(), RunStats{}, std::to_string(grandchild));
  return 0;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

double SecondsOf(const std::function<void()>& body) {
  auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(Supervisor, AGrandchildHoldingThePipesNeitherKeepsItWaitingNorSurvives) {
  for (bool escape : {false, true}) {
    SupervisedRun run;
    double seconds = SecondsOf([&] {
      run = Supervise([escape](int fd) { return ForkLingeringGrandchild(fd, escape); }, Options(30));
    });
    EXPECT_TRUE(run.result.passed()) << run.result.detail();
    EXPECT_LT(seconds, 5) << "escape=" << escape;
    pid_t grandchild = static_cast<pid_t>(std::atoi(run.report.c_str()));
    ASSERT_GT(grandchild, 0);
    EXPECT_TRUE(ProcessGone(grandchild)) << "grandchild " << grandchild << " escape=" << escape;
  }
}

TEST(Supervisor, AStoppedChildIsADeadlockWithinItsStallTime) {
  SupervisedRun run;
  double seconds = SecondsOf([&] {
    run = Supervise(
        [](int) {
          Heartbeat();
          raise(SIGSTOP);
          return 0;
        },
        Options(1));
  });
  EXPECT_EQ(run.result.Verdict(), "deadlock");
  EXPECT_NE(run.result.detail().find("no sign of life"), std::string::npos) << run.result.detail();
  EXPECT_LT(seconds, 4);
}

TEST(Supervisor, HeartbeatsKeepASlowChildAlive) {
  SupervisedRun run = Supervise(
      [](int fd) {
        for (int i = 0; i < 15; ++i) {
          Heartbeat();
          usleep(100000);
        }
        WriteChildResult(fd, Result::Pass(), RunStats{});
        return 0;
      },
      Options(0.6));
  EXPECT_TRUE(run.result.passed()) << run.result.Verdict() << ": " << run.result.detail();
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

// TSan names a free racing with another thread's access a "data race" when
// the access came first: the same lifetime bug as its heap-use-after-free.
TEST(Supervisor, ARaceWithAFreeIsAUseAfterFree) {
  FailureKind kind;
  std::string excerpt;
  const char* race_with_free =
      "WARNING: ThreadSanitizer: data race (pid=3064)\n"
      "  Write of size 8 at 0x7b2400009088 by thread T5:\n"
      "    #0 free <null> (handoff-stress+0x56964)\n"
      "    #1 free_request my_bridge.c:111:3 (libx.so+0x2914)\n"
      "\n"
      "  Previous write of size 8 at 0x7b2400009088 by thread T2:\n"
      "    #0 memcpy <null> (handoff-stress+0x61d9e)\n"
      "\n"
      "SUMMARY: ThreadSanitizer: data race in free\n";
  ASSERT_TRUE(FindSanitizerReport(race_with_free, &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kUseAfterFree);
  const char* race_with_delete =
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Read of size 4 at 0x7b0400000010 by thread T1:\n"
      "    #0 handle x.cc:3 (x+0x1)\n"
      "  Previous write of size 8 at 0x7b0400000010 by main thread:\n"
      "    #0 operator delete(void*) <null> (x+0x2)\n";
  ASSERT_TRUE(FindSanitizerReport(race_with_delete, &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kUseAfterFree);
  // A race whose heap block was allocated by malloc, with no free in either
  // access, stays a data race.
  const char* plain_race =
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Write of size 4 at 0x7b0400000010 by thread T1:\n"
      "    #0 set_done bridge.c:3 (x+0x1)\n"
      "  Previous read of size 4 at 0x7b0400000010 by main thread:\n"
      "    #0 wait_done bridge.c:9 (x+0x2)\n"
      "  Location is heap block of size 40 at 0x7b0400000000 allocated by thread T1:\n"
      "    #0 malloc <null> (x+0x3)\n"
      "    #1 free_list_grow bridge.c:20 (x+0x4)\n";
  ASSERT_TRUE(FindSanitizerReport(plain_race, &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kDataRace);
  // The third schedule of the same bug: the waiter destroyed the request's
  // mutex and freed it, then the handler locks it.
  const char* destroyed_mutex =
      "WARNING: ThreadSanitizer: use of an invalid mutex (e.g. uninitialized or destroyed) "
      "(pid=29945)\n"
      "    #0 pthread_mutex_lock <null> (handoff-stress+0x756ca)\n"
      "    #1 complete my_bridge.c:119:3 (libx.so+0x33df)\n"
      "  Location is heap block of size 144 at 0x7b240000fff0 allocated by thread T8:\n"
      "    #0 calloc <null> (handoff-stress+0x56587)\n";
  ASSERT_TRUE(FindSanitizerReport(destroyed_mutex, &kind, &excerpt));
  EXPECT_EQ(kind, FailureKind::kUseAfterFree);
}

}  // namespace
}  // namespace handoff
