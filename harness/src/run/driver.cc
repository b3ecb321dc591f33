#include "run/driver.h"

#include <ruby.h>
#include <ruby/thread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gvl/gvl_check.h"
#include "handoff/embedded_ruby.h"
#include "handoff/run.h"
#include "host/fixed_addresses.h"
#include "host/open_handles.h"
#include "host/other_cpu_load.h"
#include "host/process_threads.h"
#include "host/seeded_random.h"
#include "judge/checker.h"
#include "judge/run_log.h"
#include "perturb/aimed_event.h"
#include "perturb/controlled_scheduler.h"
#include "perturb/run_clock.h"
#include "perturb/sync_interposer.h"
#include "perturb/sync_point.h"
#include "run/background_load.h"
#include "run/call.h"
#include "run/controlled_run.h"
#include "run/fork_probe.h"
#include "run/harness_handler.h"
#include "run/quiescence.h"
#include "run/ruby_caller.h"
#include "run/run_queue_wait.h"
#include "run/watchdog.h"

namespace handoff {
namespace {

// `controlled_id`: its thread under the controlled schedule, or -1.
void ForeignThreadBody(const CallSite& site, int thread, int controlled_id) {
  AttachControlledThread(controlled_id);
  SetSyncThreadIndex(thread);
  site.log->activity[thread].tid.store(CurrentThreadId(), std::memory_order_relaxed);
  std::string buffer;
  std::unique_ptr<RunQueueWait> wait = CallerRunQueueWait(*site.scenario);
  for (uint64_t i = 0; i < site.log->calls[thread].size(); ++i) {
    site.log->gate.Enter();
    CallAndRecord(site, thread, i, &buffer, wait.get());
    site.log->gate.Leave();
  }
  EndControlledThread();
}

// Resident memory of this process, in bytes (0 if unknown).
uint64_t ResidentBytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long pages_total = 0, pages_resident = 0;
  int got = std::fscanf(statm, "%llu %llu", &pages_total, &pages_resident);
  std::fclose(statm);
  return got == 2 ? pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

struct ResidentSample {
  uint64_t returned = 0;  // calls returned when it was taken
  uint64_t bytes = 0;     // ResidentBytes() then (0: unknown)
};

// Bytes of resident memory gained per call returned from `from` to `to`.
double GrowthPerCall(const ResidentSample& from, const ResidentSample& to) {
  return (static_cast<double>(to.bytes) - static_cast<double>(from.bytes)) /
         static_cast<double>(to.returned - from.returned);
}

// A handle_leak failure when the descriptors and threads the run added are
// still there once it has settled. Calls that timed out or were stopped may
// leave their blocks running a while longer (a target with a Ruby thread per
// call may still be starting threads for a backlog of abandoned requests),
// and Ruby 3.1 keeps the native thread of a finished Ruby thread for 3 s in
// case a new one can reuse it (THREAD_CACHE_TIME); on a busy machine all of
// that takes longer. So a count over the allowance is taken again, the GVL
// released, until it falls under the allowance (pass), or the process has
// been still for 4 s plus twice the slowest block (a leak: neither count
// changed and the process used under 5% of a CPU: nothing is finishing), or
// it was still settling after kHandleSettleLimitNs: then the run cannot
// judge it (a note, not a failure).
constexpr int64_t kHandleSettleLimitNs = 60000000000LL;

Result CheckHandlesSettle(const OpenHandles& at_start, const Scenario& scenario, std::string* notes) {
  const int allowance = HandleGrowthAllowance(scenario.threads);
  const int64_t still_for_leak_ns = 4000000000LL + 2000LL * scenario.slow_us;
  const int64_t kWindowNs = 200000000;  // CPU use judged over 200 ms
  const int64_t started = MonotonicNanos();
  OpenHandles previous = CountOpenHandles();
  int64_t last_activity = started, window_start = started, window_cpu = OtherThreadsCpuNanos();
  for (;;) {
    OpenHandles now = CountOpenHandles();
    std::optional<std::string> leak = DescribeHandleLeak(at_start, now, allowance, scenario.calls);
    if (!leak) return Result::Pass();
    int64_t t = MonotonicNanos();
    if (now.file_descriptors != previous.file_descriptors || now.threads != previous.threads) {
      last_activity = t;
    }
    previous = now;
    if (t - window_start >= kWindowNs) {
      int64_t cpu = OtherThreadsCpuNanos();
      if ((cpu - window_cpu) * 20 > t - window_start) last_activity = t;  // over 5% of a CPU
      window_start = t;
      window_cpu = cpu;
    }
    if (t - last_activity >= still_for_leak_ns) return Result::Failure(FailureKind::kHandleLeak, *leak);
    if (t - started >= kHandleSettleLimitNs) {
      *notes += "handle_leak not judged: " + *leak + " - but the process was still settling " +
                std::to_string(kHandleSettleLimitNs / 1000000000) +
                " s after the last call returned (counts changing or CPU in use)\n";
      return Result::Pass();
    }
    CallWithoutGvl([] { SleepMicros(20000); });
  }
}

// An idle@ event: no call starts until none is in flight, one window is
// judged (idle_window.h), then calls go on. `harness_threads`: the
// watchdog's and the background load's; the callers' are added here.
Result IdleWindow(const CallSite& site, std::vector<long> harness_threads, std::string* notes) {
  if (const char* distorted = MeasurementsDistortedBySanitizer()) {
    *notes += std::string("idle_cpu not judged in this build (") + distorted + ")\n";
    return Result::Pass();
  }
  constexpr int64_t kDrainLimitNs = 10000000000LL;
  RunLog& log = *site.log;
  Result result = Result::Pass();
  log.gate.Close();
  CallWithoutGvl([&] {
    const int64_t give_up = MonotonicNanos() + kDrainLimitNs;
    while (!log.gate.Drained() && MonotonicNanos() < give_up) SleepMicros(1000);
    if (!log.gate.Drained()) {
      *notes += "idle_cpu not judged: calls were still in flight 10 s after the gate closed\n";
    } else if (log.abandoned.load(std::memory_order_relaxed) != 0) {
      *notes += "idle_cpu not judged: a call came back timed_out or stopped before the window, "
                "so its block may still be running\n";
    } else {
      for (const ThreadActivity& a : log.activity) harness_threads.push_back(a.tid.load());
      result = JudgeIdleWindow(harness_threads, log.gate, notes);
    }
  });
  log.gate.Open();
  return result;
}

// Does one lifecycle event with the GVL held; a failed fork probe is a result.
Result DoEvent(const handoff_target* target, const CallSite& site, const Event& event,
               double hang_seconds, const std::vector<long>& harness_threads, std::string* notes) {
  std::string error;
  if (event.type == EventType::kStop || event.type == EventType::kKill) {
    int64_t none = 0;
    site.log->stop_began_ns.compare_exchange_strong(none, RunClockNanos(), std::memory_order_relaxed);
  }
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
    case EventType::kMove:
      if (!EvalRuby("HandoffHarness.move_everything", &error)) {
        return Result::HarnessError("moving the heap: " + error);
      }
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
    case EventType::kIdle: {
      if (ControlledScheduleActive()) {
        *notes += "idle_cpu not judged under the controlled schedule (its parked threads use no CPU)\n";
        break;
      }
      Result idle = IdleWindow(site, harness_threads, notes);
      if (!idle.passed()) return idle;
      break;
    }
    case EventType::kCallerRaise:
    case EventType::kCallerKill:
    case EventType::kCallerTimeout:
      break;  // RubyCallers::Interrupt
  }
  site.log->events_done.fetch_or(EventBit(event.type), std::memory_order_release);
  return Result::Pass();
}

}  // namespace

Result RunScenario(const handoff_target* target, const RunOptions& options, RunStats* stats,
                   const std::function<void(const Result&)>& on_hang) {
  const Scenario& scenario = options.scenario;
  if (std::optional<std::string> reason = WhyNotApplicable(target, scenario)) {
    return Result::NotApplicable(*reason);  // SuperviseRun does not get here with one
  }
  // Never freed: a Ruby worker may still reach a point after the run.
  PerturbationStrategy* strategy = MakePerturbation(options.perturbation).release();
  if (strategy == nullptr) return Result::HarnessError("unknown perturbation " + options.perturbation);
  InstallPerturbation(strategy, scenario.threads);
  strategy->NewRun(options.seed, scenario.threads, scenario.calls * 6 + 1);

  const bool controlled = options.schedule == "controlled";
  if (controlled && !WhyNotControllable(options).empty()) {
    return Result::HarnessError(WhyNotControllable(options));
  }

  RunLog log(scenario, options.seed);
  CallSite site{target, &scenario, options.seed, &log};
  static handoff_target_host host{HANDOFF_TARGET_ABI_VERSION, 0, &HarnessSyncPoint};
  VALUE handler = DefineHarnessHandler(&site);
  Result event_result = Result::Pass();
  Result leak_result = Result::Pass();  // reported when the checker finds nothing else
  Result handle_leak_result = Result::Pass();  // likewise, after leak_result
  int64_t start_ns = 0;
  CpuSample cpu_at_start, cpu_at_end;  // from the first caller's start to the last's return
  {
    // Under the controlled schedule the scheduler finds deadlocks itself.
    double quiet_window = options.quiescence && !controlled
                              ? QuietWindowSeconds(scenario, options.hang_seconds) : 0;
    Watchdog watchdog(
        {target, &scenario, &log, options.hang_seconds, quiet_window, options.progress, on_hang});
    watchdog.SetMainPhase(Watchdog::kStartingTarget);
    char error[512] = {0};
    // A violation ends the run as on_hang does; under the controlled
    // schedule with the schedule's last decisions, as every failure has.
    const bool whole = options.whole_schedule;
    auto on_violation = [on_hang, controlled, whole](const Result& violation) {
      Result with_schedule = violation;
      if (controlled) with_schedule.detail += "\n" + ControlledScheduleTail(whole);
      on_hang(with_schedule);
    };
    if (options.gvl_check) StartGvlCheck(target, on_violation);
    std::string schedule_error;
    if (controlled && !BeginControlledRun(target, options, &log, on_hang, &schedule_error)) {
      return Result::HarnessError("controlled schedule: " + schedule_error);
    }
    if (target->start(&host, static_cast<uintptr_t>(handler), error, sizeof(error)) != 0) {
      return Result::HarnessError(std::string("target ") + target->name + " did not start: " + error);
    }
    if (options.gvl_check) GvlCheckTargetStarted();
    if (controlled) ControlledRunTargetStarted();
    watchdog.IgnoreThreads(StartBackground(scenario.background));
    const OpenHandles handles_at_start = CountOpenHandles();
    cpu_at_start = SampleCpu();
    start_ns = MonotonicNanos();
    std::vector<std::thread> threads;
    std::vector<int> controlled_ids;  // each foreign thread's under the controlled schedule
    watchdog.SetMainPhase("starting caller threads");
    RubyCallers ruby_callers(site);
    CallWithoutGvl([&] {
      for (int t = 0; t < scenario.threads; ++t) {
        if (scenario.KindOf(t) == CallerKind::kForeign) {
          controlled_ids.push_back(ReserveControlledThread("foreign caller " + std::to_string(t)));
          threads.emplace_back(ForeignThreadBody, std::cref(site), t, controlled_ids.back());
        }
      }
    });
    // The harness's counters are relaxed: waiting on them orders nothing
    // between the callers and the event (run_log.h).
    auto wait_for_returned = [&](uint64_t calls) {
      CallWithoutGvl([&] {
        while (log.returned.load(std::memory_order_relaxed) < std::min(calls, scenario.calls)) {
          SleepMicros(500);
        }
      });
    };
    uint64_t event_index = 0;
    for (const Event& event : scenario.events) {
      watchdog.SetMainPhase("waiting for the next lifecycle event (GVL released)");
      if (event.aim == EventAim::kAfterCalls) {
        wait_for_returned(event.after_calls);
      } else {  // in the window it is aimed at, or once every call returned
        ArmAimedEvent(event.aim, event.after_calls);
        CallWithoutGvl([&] {
          while (!AimedEventTriggered() &&
                 log.returned.load(std::memory_order_relaxed) < scenario.calls) {
            SleepMicros(50);
          }
        });
      }
      if (event.aim != EventAim::kAfterCalls && !AimedEventTriggered()) {
        stats->notes += "events=" + EventToText(event) + " never found its aim (" +
                        (event.aim == EventAim::kAtSyncPoint
                             ? "the target reached fewer sync points: built without them?"
                             : "fewer handler runs") +
                        "): it fired after the last call returned\n";
      }
      watchdog.SetMainPhase(event.type == EventType::kIdle ? Watchdog::kIdleWindow
                                                           : EventTypeName(event.type));
      Result result = Result::Pass();
      if (InterruptsACaller(event.type)) {
        // Consecutive caller events take turns among the Ruby callers.
        ruby_callers.Interrupt(event.type, Mix64(options.seed) + event_index++, &stats->notes);
        site.log->events_done.fetch_or(EventBit(event.type), std::memory_order_release);
      } else {
        result = DoEvent(target, site, event, options.hang_seconds, watchdog.HarnessThreads(),
                         &stats->notes);
      }
      AimedEventDone();
      if (!result.passed() && event_result.passed()) event_result = result;
    }
    const char* distorted = MeasurementsDistortedBySanitizer();
    if (distorted != nullptr && (scenario.leak_bytes_per_call != 0 || scenario.max_p99_us != 0)) {
      std::fprintf(stderr, "handoff-stress: max_p99_us and leak_bytes_per_call are measured but not "
                           "judged in this build (%s); use the release build\n", distorted);
    }
    bool check_leak = distorted == nullptr && scenario.leak_bytes_per_call != 0 &&
                      scenario.calls >= kLeakCheckMinCalls && !controlled;
    if (controlled && scenario.leak_bytes_per_call != 0) {
      // Ruby's heap starts big under it (fixed_addresses.h), so collections
      // come seldom and resident memory grows between them.
      stats->notes += "leak_bytes_per_call not judged under the controlled schedule (Ruby's heap starts "
                      "big there, and garbage waits longer for a collection)\n";
    }
    // Resident memory at half and at three quarters of the calls, and at the
    // end: a leak grows it in both last quarters; a one-time growth (an
    // arena, the Ruby heap) in one only.
    ResidentSample at_half, at_three_quarters;
    if (check_leak) {
      watchdog.SetMainPhase("waiting for half the calls (resident memory sample)");
      wait_for_returned(scenario.calls / 2);
      at_half = {log.returned.load(std::memory_order_relaxed), ResidentBytes()};
      watchdog.SetMainPhase("waiting for three quarters of the calls (resident memory sample)");
      wait_for_returned(scenario.calls * 3 / 4);
      at_three_quarters = {log.returned.load(std::memory_order_relaxed), ResidentBytes()};
    }
    watchdog.SetMainPhase("joining caller threads (GVL released)");
    CallWithoutGvl([&] {
      for (size_t i = 0; i < threads.size(); ++i) {
        JoinControlledThread(controlled_ids[i]);
        threads[i].join();
      }
    });
    ruby_callers.Join();
    if (controlled) EndControlledSchedule();  // settling and stopping run under the OS
    stats->seconds = (MonotonicNanos() - start_ns) / 1e9;
    cpu_at_end = SampleCpu();
    ResidentSample at_end;
    if (check_leak) at_end = {log.returned.load(std::memory_order_relaxed), ResidentBytes()};
    if (check_leak && at_half.bytes != 0 && at_three_quarters.bytes != 0 && at_end.bytes != 0 &&
        at_end.returned > at_three_quarters.returned && at_three_quarters.returned > at_half.returned) {
      double third = GrowthPerCall(at_half, at_three_quarters);
      double fourth = GrowthPerCall(at_three_quarters, at_end);
      stats->leak_bytes_per_call = std::min(third, fourth);
      if (stats->leak_bytes_per_call > scenario.leak_bytes_per_call) {
        char detail[300];
        snprintf(detail, sizeof detail,
                 "resident memory grew by %.0f and %.0f bytes per call over the third and the "
                 "fourth quarter of the calls (leak_bytes_per_call=%u allows)",
                 third, fourth, scenario.leak_bytes_per_call);
        leak_result = Result::Failure(FailureKind::kLeak, detail);
      }
    }
    watchdog.SetMainPhase(Watchdog::kSettling);
    handle_leak_result = CheckHandlesSettle(handles_at_start, scenario, &stats->notes);
    watchdog.SetMainPhase("stopping the target");
    StopBackground();
    if (!scenario.Has(EventType::kStop)) target->stop();
    watchdog.SetMainPhase("done");
  }
  stats->calls_returned = log.returned.load();
  stats->sync_points = SyncPointsReached();
  if (controlled) {
    stats->schedule_steps = ControlledSteps();
    stats->schedule_exact = ScheduleExact();
    if (!FixedAddresses()) {
      stats->notes += "the controlled schedule ran with address-space randomisation on (it could not "
                      "be turned off): a replay of this seed may diverge\n";
    }
    if (!ScheduleExact()) {
      stats->notes += "the controlled schedule was not exact: a thread blocked outside the controlled "
                      "operations (or ran 5 s without one) and was let go on uncontrolled\n";
    }
  }
  CheckStats check;
  Scenario judged = scenario;
  if (MeasurementsDistortedBySanitizer() != nullptr) judged.max_p99_us = 0;  // reported only
  if (controlled && judged.max_p99_us != 0) {
    judged.max_p99_us = 0;  // one thread at a time, in logical time: latency means nothing
    stats->notes += "max_p99_us not judged under the controlled schedule (its threads run one at a time)\n";
  }
  Result result = CheckRun(judged, options.seed, log, &check,
                           (target->flags & HANDOFF_TARGET_HAS_DEADLINES) != 0,
                           SchedulingNotJudgedReason(cpu_at_start, cpu_at_end));
  stats->notes += check.notes;
  stats->verified = check.verified;
  stats->replied = check.replied;
  if (stats->calls_returned > 0 && check.replied == 0) {
    stats->notes += "no call came back with a reply (each timed out or was stopped): no reply "
                    "or message was checked\n";
  }
  stats->p50_us = check.p50_us;
  stats->p99_us = check.p99_us;
  Result verdict = !event_result.passed() ? event_result
                   : !result.passed()     ? result
                   : leak_result.passed() ? handle_leak_result
                                          : leak_result;
  if (controlled && !verdict.passed()) verdict.detail += "\n" + ControlledScheduleTail(options.whole_schedule);
  return verdict;
}

}  // namespace handoff
