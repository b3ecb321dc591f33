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
#include "judge/speed_verdict.h"
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
#include "run/speed_phases.h"
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

// Whether every post the target accepted so far has run or been dropped,
// by its own counters (true for a target without posts).
bool PostsSettled(const handoff_target* target) {
  if ((target->flags & HANDOFF_TARGET_HAS_POSTS) == 0) return true;
  handoff_target_post_stats s{};
  target->post_stats(&s);
  return s.run + s.failed + s.dropped >= s.posted;
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
    auto drained = [&] { return log.gate.Drained() && PostsSettled(site.target); };
    while (!drained() && MonotonicNanos() < give_up) SleepMicros(1000);
    if (!drained()) {
      *notes += "idle_cpu not judged: calls or posts were still in flight 10 s after the gate closed\n";
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

// Evaluates the Ruby code of a compact, move, wakeup or gc_stress event.
Result EvalEventRuby(EventType type) {
  std::string error;
  switch (type) {
    case EventType::kCompact:
      if (!EvalRuby("GC.compact", &error)) return Result::HarnessFailure("GC.compact: " + error);
      break;
    case EventType::kMove:
      if (!EvalRuby("HandoffHarness.move_everything", &error)) {
        return Result::HarnessFailure("moving the heap: " + error);
      }
      break;
    case EventType::kWakeup:
      if (!EvalRuby("Thread.list.each { |t| t.wakeup unless t.equal?(Thread.current) rescue nil }",
                    &error)) {
        return Result::HarnessFailure("Thread#wakeup: " + error);
      }
      break;
    case EventType::kGcStress:
      // The handlers run under GC.stress while this thread waits without the GVL.
      if (!EvalRuby("GC.stress = true", &error)) return Result::HarnessFailure("GC.stress: " + error);
      CallWithoutGvl([] { SleepMicros(20000); });
      if (!EvalRuby("GC.stress = false", &error)) return Result::HarnessFailure("GC.stress: " + error);
      break;
    default:
      break;
  }
  return Result::Pass();
}

// An idle@ event: one idle window judged, except under the controlled schedule.
Result DoIdleEvent(const CallSite& site, const std::vector<long>& harness_threads,
                   std::string* notes) {
  if (ControlledScheduleActive()) {
    *notes += "idle_cpu not judged under the controlled schedule (its parked threads use no CPU)\n";
    return Result::Pass();
  }
  return IdleWindow(site, harness_threads, notes);
}

// Does one lifecycle event with the GVL held; a failed fork probe is a result.
Result DoEvent(const handoff_target* target, const CallSite& site, const Event& event,
               double hang_seconds, const std::vector<long>& harness_threads, std::string* notes) {
  if (event.type == EventType::kStop || event.type == EventType::kKill) {
    int64_t none = 0;
    site.log->stop_began_ns.compare_exchange_strong(none, RunClockNanos(), std::memory_order_relaxed);
  }
  Result result = Result::Pass();
  switch (event.type) {
    case EventType::kStop:
      target->stop();
      break;
    case EventType::kKill:
      target->kill_event_thread();
      break;
    case EventType::kCompact:
    case EventType::kMove:
    case EventType::kWakeup:
    case EventType::kGcStress:
      result = EvalEventRuby(event.type);
      break;
    case EventType::kFork:
      result = RunForkProbe(site, hang_seconds);
      break;
    case EventType::kIdle:
      result = DoIdleEvent(site, harness_threads, notes);
      break;
    case EventType::kCallerRaise:
    case EventType::kCallerKill:
    case EventType::kCallerTimeout:
      break;  // RubyCallers::Interrupt
  }
  if (!result.passed()) return result;
  if (event.type == EventType::kStop || event.type == EventType::kKill) {
    site.log->lifecycle_done_tick.store(site.log->PostTick(), std::memory_order_relaxed);
  }
  site.log->events_done.fetch_or(EventBit(event.type), std::memory_order_release);
  return Result::Pass();
}

// Installs the run's perturbation strategy (never freed: a Ruby worker may
// still reach a sync point after the run) and checks the controlled
// schedule can run it.
Result PreparePerturbation(const RunOptions& options) {
  PerturbationStrategy* strategy = MakePerturbation(options.perturbation).release();
  if (strategy == nullptr) return Result::HarnessFailure("unknown perturbation " + options.perturbation);
  InstallPerturbation(strategy, options.scenario.threads);
  strategy->NewRun(options.seed, options.scenario.threads, options.scenario.calls * 6 + 1);
  if (options.schedule == "controlled" && !WhyNotControllable(options).empty()) {
    return Result::HarnessFailure(WhyNotControllable(options));
  }
  return Result::Pass();
}

// Resident memory at half and at three quarters of the calls, and at the
// end: a leak grows it in both last quarters; a one-time growth (an arena,
// the Ruby heap) in one only.
struct ResidentSamples {
  ResidentSample at_half, at_three_quarters, at_end;
};

// One run of a scenario, as the steps RunScenario takes in order. The
// watchdog and the Ruby callers live from StartTarget to StopTarget.
class ScenarioRun {
 public:
  ScenarioRun(const handoff_target* target, const RunOptions& options, RunStats* stats,
              const std::function<void(const Result&)>& on_hang)
      : target_(target), options_(options), scenario_(options.scenario), stats_(stats),
        on_hang_(on_hang), controlled_(options.schedule == "controlled"),
        log_(scenario_, options.seed), site_{target, &scenario_, options.seed, &log_} {}

  Result StartTarget();
  void MeasureSpeedFirst();
  void StartCallers();
  void RunEvents();
  void SampleResidentMemory();
  void JoinCallers();
  void JudgeResidentGrowth();
  void FlushPosts();
  void StopTarget();
  void RecordSchedule();
  Result Judge();

 private:
  void WaitForEvent(const Event& event);
  Result DoOneEvent(const Event& event);
  void WaitForReturned(uint64_t calls);
  void NoteUnjudgedMeasurements();
  std::string WhySpeedNotJudged() const;

  const handoff_target* target_;
  const RunOptions& options_;
  const Scenario& scenario_;
  RunStats* stats_;
  const std::function<void(const Result&)>& on_hang_;
  const bool controlled_;
  RunLog log_;
  CallSite site_;
  std::optional<Watchdog> watchdog_;
  std::optional<RubyCallers> ruby_callers_;
  std::vector<std::thread> threads_;
  std::vector<int> controlled_ids_;  // each foreign thread's under the controlled schedule
  uint64_t caller_event_index_ = 0;
  OpenHandles handles_at_start_;
  CpuSample cpu_at_start_, cpu_at_end_;  // from the first caller's start to the last's return
  int64_t start_ns_ = 0;
  bool check_leak_ = false;
  ResidentSamples resident_;
  Result event_result_ = Result::Pass();
  Result speed_result_ = Result::Pass();        // min_throughput_ratio's, after the checker's
  Result leak_result_ = Result::Pass();         // reported when the checker finds nothing else
  Result handle_leak_result_ = Result::Pass();  // likewise, after leak_result_
};

handoff_target_host g_host{HANDOFF_TARGET_ABI_VERSION, 0, &HarnessSyncPoint};

// Starts the watchdog, the GVL check and the controlled schedule, then the
// target with the harness's handler.
Result ScenarioRun::StartTarget() {
  VALUE handler = DefineHarnessHandler(&site_);
  // Under the controlled schedule the scheduler finds deadlocks itself.
  double quiet_window = options_.quiescence && !controlled_
                            ? QuietWindowSeconds(scenario_, options_.hang_seconds) : 0;
  watchdog_.emplace(Watchdog::Config{target_, &scenario_, &log_, options_.hang_seconds, quiet_window,
                                     options_.progress, on_hang_});
  watchdog_->SetMainPhase(Watchdog::kStartingTarget);
  // A violation ends the run as on_hang does; under the controlled
  // schedule with the schedule's last decisions, as every failure has.
  auto on_violation = [on_hang = on_hang_, controlled = controlled_,
                       whole = options_.whole_schedule](const Result& violation) {
    Result with_schedule = violation;
    if (controlled) with_schedule = with_schedule.WithDetailAdded("\n" + ControlledScheduleTail(whole));
    on_hang(with_schedule);
  };
  if (options_.gvl_check) StartGvlCheck(target_, on_violation);
  std::string schedule_error;
  if (controlled_ && !BeginControlledRun(target_, options_, &log_, on_hang_, &schedule_error)) {
    return Result::HarnessFailure("controlled schedule: " + schedule_error);
  }
  char error[512] = {0};
  if (target_->start(&g_host, static_cast<uintptr_t>(handler), error, sizeof(error)) != 0) {
    return Result::HarnessFailure(std::string("target ") + target_->name + " did not start: " + error);
  }
  if (options_.gvl_check) GvlCheckTargetStarted();
  if (controlled_) ControlledRunTargetStarted();
  return Result::Pass();
}

// Why this run's speed phases are measured but not judged, or "".
std::string ScenarioRun::WhySpeedNotJudged() const {
  if (const char* distorted = MeasurementsDistortedBySanitizer()) {
    return std::string("in this build (") + distorted + ")";
  }
  if (options_.perturbation != "none" && (target_->flags & HANDOFF_TARGET_HAS_SYNC_POINTS) != 0) {
    return "under --perturb " + options_.perturbation + " (it delays the target's synchronisation points)";
  }
  return "";
}

// min_throughput_ratio: the speed phases (speed_phases.h), before any other
// thread of the run competes, judged at once (speed_verdict.h). Measured but
// not judged where the figures say more about the build or the perturbation
// than about the target; not run under the controlled schedule.
void ScenarioRun::MeasureSpeedFirst() {
  const double ratio = scenario_.min_throughput_ratio;
  if (ratio == 0) return;
  if (controlled_) {
    stats_->notes += "too_slow_throughput not judged under the controlled schedule (its threads run "
                     "one at a time)\n";
    return;
  }
  CpuSample before = SampleCpu();
  SpeedMeasurement m;
  CallWithoutGvl([&] {
    m = MeasureSpeed(target_, scenario_.threads,
                     [this](const char* phase) { watchdog_->SetMainPhase(phase); });
  });
  stats_->speed = SpeedSummary(m, ratio);
  const std::string not_judged = WhySpeedNotJudged();
  if (!not_judged.empty()) {
    stats_->notes += "too_slow_throughput not judged " + not_judged + "; measured: " + stats_->speed + "\n";
  }
  // Ratio 0 where it is not judged: only a wrong probe reply still fails.
  speed_result_ = JudgeSpeed(m, not_judged.empty() ? ratio : 0,
                             SchedulingNotJudgedReason(before, SampleCpu()), &stats_->notes);
}

// Starts the background Ruby threads and the Ruby callers, then (GVL
// released) the foreign callers.
void ScenarioRun::StartCallers() {
  watchdog_->IgnoreThreads(StartBackground(scenario_.background));
  handles_at_start_ = CountOpenHandles();
  cpu_at_start_ = SampleCpu();
  start_ns_ = MonotonicNanos();
  watchdog_->SetMainPhase("starting caller threads");
  ruby_callers_.emplace(site_);
  CallWithoutGvl([&] {
    for (int t = 0; t < scenario_.threads; ++t) {
      if (scenario_.KindOf(t) == CallerKind::kForeign) {
        controlled_ids_.push_back(ReserveControlledThread("foreign caller " + std::to_string(t)));
        threads_.emplace_back(ForeignThreadBody, std::cref(site_), t, controlled_ids_.back());
      }
    }
  });
}

// The harness's counters are relaxed: waiting on them orders nothing
// between the callers and the event (run_log.h).
void ScenarioRun::WaitForReturned(uint64_t calls) {
  CallWithoutGvl([&] {
    while (log_.returned.load(std::memory_order_relaxed) < std::min(calls, scenario_.calls)) {
      SleepMicros(500);
    }
  });
}

// Each lifecycle event in order, once it is due; the first that fails is
// the run's event result.
void ScenarioRun::RunEvents() {
  for (const Event& event : scenario_.events) {
    WaitForEvent(event);
    watchdog_->SetMainPhase(event.type == EventType::kIdle ? Watchdog::kIdleWindow
                                                           : EventTypeName(event.type));
    Result result = DoOneEvent(event);
    AimedEventDone();
    if (!result.passed() && event_result_.passed()) event_result_ = result;
  }
}

// Until enough calls returned, or in the window the event is aimed at (or
// once every call returned: then its notes say it never found its aim).
void ScenarioRun::WaitForEvent(const Event& event) {
  watchdog_->SetMainPhase("waiting for the next lifecycle event (GVL released)");
  if (event.aim == EventAim::kAfterCalls) return WaitForReturned(event.after_calls);
  ArmAimedEvent(event.aim, event.after_calls);
  CallWithoutGvl([&] {
    while (!AimedEventTriggered() && log_.returned.load(std::memory_order_relaxed) < scenario_.calls) {
      SleepMicros(50);
    }
  });
  if (AimedEventTriggered()) return;
  stats_->notes += "events=" + EventToText(event) + " never found its aim (" +
                   (event.aim == EventAim::kAtSyncPoint
                        ? "the target reached fewer sync points: built without them?"
                        : "fewer handler runs") +
                   "): it fired after the last call returned\n";
}

Result ScenarioRun::DoOneEvent(const Event& event) {
  if (!InterruptsACaller(event.type)) {
    return DoEvent(target_, site_, event, options_.hang_seconds, watchdog_->HarnessThreads(),
                   &stats_->notes);
  }
  // Consecutive caller events take turns among the Ruby callers.
  ruby_callers_->Interrupt(event.type, Mix64(options_.seed) + caller_event_index_++, &stats_->notes);
  site_.log->events_done.fetch_or(EventBit(event.type), std::memory_order_release);
  return Result::Pass();
}

// Says which limits this run measures but does not judge, and why.
void ScenarioRun::NoteUnjudgedMeasurements() {
  const char* distorted = MeasurementsDistortedBySanitizer();
  if (distorted != nullptr && (scenario_.leak_bytes_per_call != 0 || scenario_.max_p99_us != 0)) {
    std::fprintf(stderr, "handoff-stress: max_p99_us and leak_bytes_per_call are measured but not "
                         "judged in this build (%s); use the release build\n", distorted);
  }
  if (controlled_ && scenario_.leak_bytes_per_call != 0) {
    // Ruby's heap starts big under it (fixed_addresses.h), so collections
    // come seldom and resident memory grows between them.
    stats_->notes += "leak_bytes_per_call not judged under the controlled schedule (Ruby's heap starts "
                     "big there, and garbage waits longer for a collection)\n";
  }
  check_leak_ = distorted == nullptr && scenario_.leak_bytes_per_call != 0 &&
                scenario_.calls >= kLeakCheckMinCalls && !controlled_;
}

// Resident memory at half and three quarters of the calls (leak_bytes_per_call).
void ScenarioRun::SampleResidentMemory() {
  NoteUnjudgedMeasurements();
  if (!check_leak_) return;
  watchdog_->SetMainPhase("waiting for half the calls (resident memory sample)");
  WaitForReturned(scenario_.calls / 2);
  resident_.at_half = {log_.returned.load(std::memory_order_relaxed), ResidentBytes()};
  watchdog_->SetMainPhase("waiting for three quarters of the calls (resident memory sample)");
  WaitForReturned(scenario_.calls * 3 / 4);
  resident_.at_three_quarters = {log_.returned.load(std::memory_order_relaxed), ResidentBytes()};
}

// Joins every caller; settling and stopping then run under the OS schedule.
void ScenarioRun::JoinCallers() {
  watchdog_->SetMainPhase("joining caller threads (GVL released)");
  CallWithoutGvl([&] {
    for (size_t i = 0; i < threads_.size(); ++i) {
      JoinControlledThread(controlled_ids_[i]);
      threads_[i].join();
    }
  });
  ruby_callers_->Join();
  if (controlled_) EndControlledSchedule();
  stats_->seconds = (MonotonicNanos() - start_ns_) / 1e9;
  cpu_at_end_ = SampleCpu();
  if (check_leak_) resident_.at_end = {log_.returned.load(std::memory_order_relaxed), ResidentBytes()};
}

// A leak grows resident memory in both last quarters of the calls.
void ScenarioRun::JudgeResidentGrowth() {
  const ResidentSamples& r = resident_;
  if (!check_leak_ || r.at_half.bytes == 0 || r.at_three_quarters.bytes == 0 || r.at_end.bytes == 0 ||
      r.at_end.returned <= r.at_three_quarters.returned ||
      r.at_three_quarters.returned <= r.at_half.returned) {
    return;
  }
  double third = GrowthPerCall(r.at_half, r.at_three_quarters);
  double fourth = GrowthPerCall(r.at_three_quarters, r.at_end);
  stats_->leak_bytes_per_call = std::min(third, fourth);
  if (stats_->leak_bytes_per_call <= scenario_.leak_bytes_per_call) return;
  char detail[300];
  snprintf(detail, sizeof detail,
           "resident memory grew by %.0f and %.0f bytes per call over the third and the "
           "fourth quarter of the calls (leak_bytes_per_call=%u allows)",
           third, fourth, scenario_.leak_bytes_per_call);
  leak_result_ = Result::Failure(FailureKind::kLeak, detail);
}

// With posts in the mix: once the callers are done, flush (GVL held: the
// target lets its post threads run) and read the post counters, for the
// post oracle (post_oracle.h).
void ScenarioRun::FlushPosts() {
  if (scenario_.mix[static_cast<int>(Behaviour::kPost)] == 0) return;
  PostOutcome& posts = log_.posts;
  posts.asked = true;
  posts.policy = target_->post_policy;
  posts.capacity = target_->post_capacity;
  posts.flush_timeout_ns = static_cast<int64_t>(options_.hang_seconds * 1e9 / 2);
  watchdog_->SetMainPhase("flushing the posts (target->flush)");
  posts.flush_result = target_->flush(posts.flush_timeout_ns);
  target_->post_stats(&posts.stats);
}

// Handles settle, the target stops (unless an event stopped it), and the
// watchdog ends.
void ScenarioRun::StopTarget() {
  watchdog_->SetMainPhase(Watchdog::kSettling);
  handle_leak_result_ = CheckHandlesSettle(handles_at_start_, scenario_, &stats_->notes);
  watchdog_->SetMainPhase("stopping the target");
  StopBackground();
  if (!scenario_.Has(EventType::kStop)) target_->stop();
  watchdog_->SetMainPhase("done");
  ruby_callers_.reset();
  watchdog_.reset();
}

// What the controlled schedule did, and what that leaves a replay.
void ScenarioRun::RecordSchedule() {
  stats_->calls_returned = log_.returned.load();
  stats_->sync_points = SyncPointsReached();
  if (!controlled_) return;
  stats_->schedule_steps = ControlledSteps();
  stats_->schedule_exact = ScheduleExact();
  if (!FixedAddresses()) {
    stats_->notes += "the controlled schedule ran with address-space randomisation on (it could not "
                     "be turned off): a replay of this seed may diverge\n";
  }
  if (!ScheduleExact()) {
    stats_->notes += "the controlled schedule was not exact: a thread blocked outside the controlled "
                     "operations (or ran 5 s without one) and was let go on uncontrolled\n";
  }
}

// The checker's verdict on the log, after an event's failure and before a
// leak's; under the controlled schedule a failure ends with its schedule.
Result ScenarioRun::Judge() {
  CheckStats check;
  Scenario judged = scenario_;
  if (MeasurementsDistortedBySanitizer() != nullptr) judged.max_p99_us = 0;  // reported only
  if (controlled_ && judged.max_p99_us != 0) {
    judged.max_p99_us = 0;  // one thread at a time, in logical time: latency means nothing
    stats_->notes += "max_p99_us not judged under the controlled schedule (its threads run one at a time)\n";
  }
  Result result = CheckRun(judged, options_.seed, log_, &check,
                           (target_->flags & HANDOFF_TARGET_HAS_DEADLINES) != 0,
                           SchedulingNotJudgedReason(cpu_at_start_, cpu_at_end_));
  stats_->notes += check.notes;
  stats_->verified = check.verified;
  stats_->replied = check.replied;
  if (stats_->calls_returned > 0 && check.replied == 0) {
    stats_->notes += "no call came back with a reply (each timed out or was stopped): no reply "
                     "or message was checked\n";
  }
  stats_->p50_us = check.p50_us;
  stats_->p99_us = check.p99_us;
  stats_->post_p50_us = check.post_p50_us;
  stats_->post_p99_us = check.post_p99_us;
  Result verdict = !event_result_.passed() ? event_result_
                   : !result.passed()      ? result
                   : !speed_result_.passed() ? speed_result_
                   : leak_result_.passed() ? handle_leak_result_
                                           : leak_result_;
  if (controlled_ && !verdict.passed()) verdict = verdict.WithDetailAdded("\n" + ControlledScheduleTail(options_.whole_schedule));
  return verdict;
}

}  // namespace

Result RunScenario(const handoff_target* target, const RunOptions& options, RunStats* stats,
                   const std::function<void(const Result&)>& on_hang) {
  if (std::optional<std::string> reason = WhyNotApplicable(target, options.scenario)) {
    return Result::Inapplicable(*reason);  // SuperviseRun does not get here with one
  }
  if (Result prepared = PreparePerturbation(options); !prepared.passed()) return prepared;
  ScenarioRun run(target, options, stats, on_hang);
  if (Result started = run.StartTarget(); !started.passed()) return started;
  run.MeasureSpeedFirst();
  run.StartCallers();
  run.RunEvents();
  run.SampleResidentMemory();
  run.JoinCallers();
  run.JudgeResidentGrowth();
  run.FlushPosts();
  run.StopTarget();
  run.RecordSchedule();
  return run.Judge();
}

}  // namespace handoff
