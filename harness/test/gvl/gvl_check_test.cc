// The GVL check (harness/src/gvl/gvl_check.h) against a probe object
// (gvl_probe.c): calls keep their arguments through the stubs, a call with
// the GVL goes through, a call without it is reported as gvl_violation with
// the thread's kind and the probe's frame, and the call is not made.
//
// Violations end the process that has them, so each runs as a GoogleTest
// death test in the "threadsafe" style: a fresh process (this executable run
// again, Ruby and the check started from scratch), not a fork of this one.
// A fork of a process with threads (the check's watcher, Ruby's timer
// thread) inherits whatever lock one of them held at that moment; the
// forked children this test used before failed it on busy machines (14 of
// 20 runs under TSan, a child that exited without its report).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <ruby.h>
#include <ruby/thread.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "gvl/gvl_check.h"
#include "handoff/embedded_ruby.h"

namespace handoff {
namespace {

void* g_probe = nullptr;

template <typename F>
F Probe(const char* name) {
  return reinterpret_cast<F>(dlsym(g_probe, name));
}

// A stand-in target: only `invoke` is used, to find the probe object.
handoff_target g_target{};

// The violation's report goes to stderr, where the death test reads it;
// exit status 0 says it was reported (the statement itself never returns).
void OnViolation(const Result& result) {
  std::string text = "REPORT " + result.Verdict() + "\n" + result.detail() + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
  _exit(0);
}

class GvlCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_probe = dlopen(GVL_PROBE_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(g_probe, nullptr) << dlerror();
    // The check finds the target's object through its invoke function.
    g_target.invoke = reinterpret_cast<decltype(g_target.invoke)>(dlsym(g_probe, "gvl_probe_abi"));
    StartGvlCheck(&g_target, OnViolation);
    GvlCheckTargetStarted();
  }
};

TEST_F(GvlCheckTest, InterposesOnTheProbesImports) {
  EXPECT_TRUE(Probe<int (*)()>("gvl_probe_interposed")());
  EXPECT_GT(GvlCheckedFunctions(), 3u);
}

TEST_F(GvlCheckTest, ArgumentsArriveIntactThroughTheStubs) {
  char error[256] = {0};
  EXPECT_EQ(Probe<int (*)(char*, size_t)>("gvl_probe_abi")(error, sizeof(error)), 0) << error;
}

TEST_F(GvlCheckTest, ACallWithTheGvlGoesThrough) {
  VALUE made = reinterpret_cast<VALUE>(Probe<void* (*)(void*)>("gvl_probe_make_string")(nullptr));
  EXPECT_EQ(std::string(RSTRING_PTR(made), RSTRING_LEN(made)), "made");
}

TEST_F(GvlCheckTest, AllowedFunctionsAreNotReported) {
  EXPECT_EXIT(
      {
        int kind = -1;
        std::thread([&] { kind = Probe<int (*)()>("gvl_probe_classify")(); }).join();
        _exit(kind == 0 ? 2 : 4);  // foreign: ruby_native_thread_p() is 0
      },
      ::testing::ExitedWithCode(2), "");  // a report would have exited 0 first
}

TEST_F(GvlCheckTest, AForeignThreadIsReportedBeforeTheCall) {
  EXPECT_EXIT(
      {
        std::thread([] { Probe<void* (*)(void*)>("gvl_probe_make_string")(nullptr); }).join();
        _exit(1);  // not reported
      },
      ::testing::ExitedWithCode(0),
      "REPORT gvl_violation\n"
      "rb_str_new called by the target from a foreign thread[^\n]*\n"
      "  #0 gvl_probe_make_string\\+");
}

TEST_F(GvlCheckTest, ARubyThreadWithoutTheGvlIsReported) {
  EXPECT_EXIT(
      {
        rb_thread_call_without_gvl(Probe<void* (*)(void*)>("gvl_probe_make_string"), nullptr,
                                   nullptr, nullptr);
        _exit(1);  // not reported
      },
      ::testing::ExitedWithCode(0),
      "REPORT gvl_violation\n"
      "rb_str_new called by the target from a Ruby thread that does not hold the GVL"
      "(.|\n)*gvl_probe_make_string");
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  RUBY_INIT_STACK;
  handoff::StartEmbeddedRuby();
  ::testing::InitGoogleTest(&argc, argv);
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executed, never a bare fork
  return RUN_ALL_TESTS();
}
