#include "driver.h"

#include <ruby.h>
#include <ruby/thread.h>
#include <time.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "call.h"
#include "checker.h"
#include "fork_probe.h"
#include "gvl_check.h"
#include "perturbation/sync_point.h"
#include "ruby_host.h"
#include "run_log.h"
#include "watchdog.h"

namespace handoff {
namespace {

void SleepMicros(long micros) {
  timespec delay{micros / 1000000, (micros % 1000000) * 1000};
  nanosleep(&delay, nullptr);
}

void ForeignThreadBody(const CallSite& site, int thread) {
  SetSyncThreadIndex(thread);
  RunLog& log = *site.log;
  ThreadActivity& activity = log.activity[thread];
  std::vector<CallRecord>& records = log.calls[thread];
  uint64_t first = site.scenario->FirstCallOf(thread);
  std::string buffer;
  for (uint64_t i = 0; i < records.size(); ++i) {
    activity.since_ns.store(MonotonicNanos(), std::memory_order_relaxed);
    activity.call_id.store(first + i, std::memory_order_relaxed);
    MakeCall(site, PlanCall(*site.scenario, site.seed, first + i), &buffer, &records[i]);
    activity.call_id.store(UINT64_MAX, std::memory_order_relaxed);
    activity.returned.fetch_add(1, std::memory_order_relaxed);
    log.returned.fetch_add(1, std::memory_order_release);
  }
}

// Does one lifecycle event with the GVL held; a failed fork probe is a result.
Result DoEvent(const handoff_target* target, const CallSite& site, const Event& event,
               double hang_seconds) {
  std::string error;
  switch (event.type) {
    case EventType::kStop:
      target->stop();
      break;
    case EventType::kKill:
      target->kill_event_thread();
      break;
    case EventType::kCompact:
      if (!EvalRuby("GC.compact", &error)) return Result::HarnessError("GC.compact: " + error);
      break;
    case EventType::kWakeup:
      if (!EvalRuby("Thread.list.each { |t| t.wakeup unless t.equal?(Thread.current) rescue nil }",
                    &error)) {
        return Result::HarnessError("Thread#wakeup: " + error);
      }
      break;
    case EventType::kGcStress:
      // The handlers run under GC.stress while this thread waits without the GVL.
      if (!EvalRuby("GC.stress = true", &error)) return Result::HarnessError("GC.stress: " + error);
      CallWithoutGvl([] { SleepMicros(20000); });
      if (!EvalRuby("GC.stress = false", &error)) return Result::HarnessError("GC.stress: " + error);
      break;
    case EventType::kFork: {
      Result probe = RunForkProbe(site, hang_seconds);
      if (!probe.passed()) return probe;
      break;
    }
  }
  site.log->events_done.fetch_or(EventBit(event.type), std::memory_order_release);
  return Result::Pass();
}

}  // namespace

Result RunScenario(const handoff_target* target, const RunOptions& options, RunStats* stats,
                   const std::function<void(const Result&)>& on_hang) {
  const Scenario& scenario = options.scenario;
  if (scenario.Has(EventType::kKill) && target->kill_event_thread == nullptr) {
    return Result::HarnessError(std::string("target ") + target->name +
                                " cannot kill its event thread (kill_event_thread is NULL); "
                                "drop the kill event");
  }
  // Never freed: a Ruby worker may still reach a point after the run.
  PerturbationStrategy* strategy = MakePerturbation(options.perturbation).release();
  if (strategy == nullptr) return Result::HarnessError("unknown perturbation " + options.perturbation);
  InstallPerturbation(strategy, scenario.threads);
  strategy->NewRun(options.seed, scenario.threads, scenario.calls * 6 + 1);

  RunLog log(scenario);
  CallSite site{target, &scenario, options.seed, &log};
  static handoff_target_host host{HANDOFF_TARGET_ABI_VERSION, 0, &HarnessSyncPoint};
  VALUE handler = DefineHarnessHandler(&site);
  Result event_result = Result::Pass();
  int64_t start_ns = 0;
  {
    Watchdog watchdog({target, &scenario, &log, options.hang_seconds, options.progress, on_hang});
    watchdog.SetMainPhase("starting the target");
    char error[512] = {0};
    if (options.gvl_check) StartGvlCheck(target, on_hang);  // a violation ends the run as on_hang does
    if (target->start(&host, static_cast<uintptr_t>(handler), error, sizeof(error)) != 0) {
      return Result::HarnessError(std::string("target ") + target->name + " did not start: " + error);
    }
    if (options.gvl_check) GvlCheckTargetStarted();
    StartBackground(scenario.background);
    start_ns = MonotonicNanos();
    std::vector<std::thread> threads;
    watchdog.SetMainPhase("starting foreign threads (GVL released)");
    CallWithoutGvl([&] {
      for (int t = 0; t < scenario.threads; ++t) {
        threads.emplace_back(ForeignThreadBody, std::cref(site), t);
      }
    });
    for (const Event& event : scenario.events) {
      watchdog.SetMainPhase("waiting for the next lifecycle event (GVL released)");
      CallWithoutGvl([&] {
        while (log.returned.load(std::memory_order_acquire) <
               std::min(event.after_calls, scenario.calls)) {
          SleepMicros(500);
        }
      });
      watchdog.SetMainPhase(EventTypeName(event.type));
      Result result = DoEvent(target, site, event, options.hang_seconds);
      if (!result.passed() && event_result.passed()) event_result = result;
    }
    watchdog.SetMainPhase("joining foreign threads (GVL released)");
    CallWithoutGvl([&] {
      for (std::thread& thread : threads) thread.join();
    });
    stats->seconds = (MonotonicNanos() - start_ns) / 1e9;
    watchdog.SetMainPhase("stopping the target");
    StopBackground();
    if (!scenario.Has(EventType::kStop)) target->stop();
    watchdog.SetMainPhase("done");
  }
  stats->calls_returned = log.returned.load();
  stats->sync_points = SyncPointsReached();
  CheckStats check;
  Result result = CheckRun(scenario, options.seed, log, &check);
  stats->verified = check.verified;
  return event_result.passed() ? result : event_result;
}

}  // namespace handoff
