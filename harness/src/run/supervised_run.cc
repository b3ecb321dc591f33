#include "handoff/run.h"

#include <ruby.h>
#include <unistd.h>

#include <cstdio>

#include "handoff/embedded_ruby.h"
#include "perturb/decision_log.h"
#include "run/driver.h"

namespace handoff {
namespace {

[[noreturn]] void ChildRun(int result_fd, const handoff_target* target, const RunOptions& options) {
  RUBY_INIT_STACK;
  StartEmbeddedRuby();
  Heartbeat();
  RunStats stats;
  Result result = RunScenario(target, options, &stats, [result_fd](const Result& hang) {
    WriteChildResult(result_fd, hang, RunStats{});
    std::fflush(nullptr);
    _exit(1);
  });
  WriteChildResult(result_fd, result, stats);
  std::fflush(nullptr);
  _exit(result.passed() ? 0 : 1);  // no ruby_cleanup: a broken target may hang in it
}

}  // namespace

std::optional<std::string> WhyNotApplicable(const handoff_target* target, const Scenario& scenario) {
  if (scenario.Has(EventType::kKill) && target->kill_event_thread == nullptr) {
    return std::string("target ") + target->name +
           " has no event thread to kill (kill_event_thread is NULL), and the scenario has a "
           "kill event";
  }
  if (scenario.mix[static_cast<int>(Behaviour::kPost)] != 0 &&
      (target->flags & HANDOFF_TARGET_HAS_POSTS) == 0) {
    return std::string("target ") + target->name +
           " does not post (no HANDOFF_TARGET_HAS_POSTS: post, flush and post_stats are not set), "
           "and the scenario's mix has post";
  }
  return std::nullopt;
}

SupervisedRun SuperviseRun(const handoff_target* target, const RunOptions& options, bool echo_stderr,
                           const std::function<void(double)>& on_tick) {
  if (std::optional<std::string> reason = WhyNotApplicable(target, options.scenario)) {
    SupervisedRun refused;
    refused.result = Result::Inapplicable(*reason);
    return refused;
  }
  // The child's watchdog beats while calls return and reports a hang itself
  // after hang_seconds; the margin covers its dump and a loaded machine.
  SuperviseOptions supervise;
  supervise.stall_seconds = options.hang_seconds + kSupervisorMarginSeconds;
  supervise.echo_stderr = echo_stderr;
  supervise.on_tick = on_tick;
  DecisionLog* log = DecisionLog::Shared();  // the child records into it (fork shares it)
  if (log != nullptr) log->Clear();
  InstallDecisionLog(log);
  SupervisedRun run = Supervise([&](int fd) -> int { ChildRun(fd, target, options); }, supervise);
  if (!run.result.passed() && !options.replay_target.empty()) {
    run.result = run.result.WithReplay(ReplayCommandLine(options));
  }
  if (log != nullptr && !run.result.passed() && log->recorded() > 0) {
    run.decisions_recorded = log->recorded();
    run.decisions = log->Text();
  }
  return run;
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HANDOFF_BUILT_WITH_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define HANDOFF_BUILT_WITH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HANDOFF_BUILT_WITH_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HANDOFF_BUILT_WITH_ASAN 1
#endif

bool BuiltWithThreadSanitizer() {
#ifdef HANDOFF_BUILT_WITH_TSAN
  return true;
#else
  return false;
#endif
}

bool RubyIsInstrumented() {
#ifdef HANDOFF_RUBY_INSTRUMENTED
  return true;
#else
  return false;
#endif
}

const char* ForkRefusedBySanitizer() {
#if defined(HANDOFF_BUILT_WITH_TSAN)
  return "ThreadSanitizer's runtime aborts in a forked child that starts threads";
#elif defined(HANDOFF_BUILT_WITH_ASAN)
  return "AddressSanitizer's allocator (gcc 12, clang 14) is not locked across fork, so a child "
         "forked while another thread is in malloc hangs";
#else
  return nullptr;
#endif
}

const char* MeasurementsDistortedBySanitizer() {
#if defined(HANDOFF_BUILT_WITH_TSAN)
  return "ThreadSanitizer slows every call and keeps state for every thread that ever ran";
#elif defined(HANDOFF_BUILT_WITH_ASAN)
  return "AddressSanitizer slows every call and holds freed memory in quarantine";
#else
  return nullptr;
#endif
}

}  // namespace handoff
