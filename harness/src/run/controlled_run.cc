#include "run/controlled_run.h"

#include <signal.h>
#include <atomic>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <vector>

#include "host/elf_imports.h"
#include "host/target_objects.h"
#include "perturb/controlled_scheduler.h"
#include "perturb/schedule_strategy.h"
#include "perturb/sync_interposer.h"
#include "run/child_record.h"
#include "run/quiescence.h"

namespace handoff {
namespace {

constexpr int kTailLines = 24;

struct ControlledRun {
  ElfW(Addr) target_base = 0;
  std::set<ElfW(Addr)> before_start;  // objects loaded before the target started
  std::set<ElfW(Addr)> done;
};

ControlledRun* g_run = nullptr;
bool g_whole_schedule = false;

extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// The child's last words when it dies before reporting (child_record.h): a
// sanitizer's report ends the process through its death callback, Ruby's
// [BUG] and a failed assertion through abort().
void WriteLastWords() {
  static std::atomic<bool> written{false};
  if (written.exchange(true)) return;
  std::string text = kLastWordsScheduleMarker + ControlledScheduleTail(g_whole_schedule);
  ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

void LastWordsOnAbort(int) {
  WriteLastWords();
  signal(SIGABRT, SIG_DFL);
  raise(SIGABRT);
}

// Interposes on libruby, the target's objects, and what was loaded since
// the run began.
bool InterposeOnNewObjects(std::string* error) {
  std::vector<LoadedObject> objects = LoadedObjects();
  std::set<ElfW(Addr)> target_objects = TargetObjects(objects, g_run->target_base);
  for (const LoadedObject& object : objects) {
    bool cxx = IsCxxRuntime(object);  // std::condition_variable::wait lives there
    bool runtime = cxx || IsLibruby(object);
    bool wanted = runtime || target_objects.count(object.base) ||
                  (!IsRuntime(object) && !g_run->before_start.count(object.base));
    if (!wanted || !g_run->done.insert(object.base).second) continue;
    InterposeChoice choice;
    choice.threads_and_io = !cxx;
    choice.mutexes_are_points = !runtime;
    if (InterposeSyncOps(object, error, choice) < 0) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> ControlledStrategyNames() {
  std::vector<std::string> names;
  for (const ScheduleStrategyInfo& s : ScheduleStrategies()) names.push_back(s.name);
  return names;
}

std::string WhyNotControllable(const RunOptions& options) {
  if (options.scenario.background > 0) {
    return "background= Ruby threads spin with no scheduling point: the controlled schedule cannot "
           "run them one at a time";
  }
  if (options.scenario.Has(EventType::kFork)) return "fork events are not run under the controlled schedule";
  if (options.scenario.Has(EventType::kGcStress)) {
    // Under GC.stress Ruby computes for seconds between scheduling points,
    // and the logical clock that ends its time slices moves only at them:
    // grpc's run took 15 s against 1 s and had a thread let go, and a
    // property's case stalled past --hang-seconds.
    return "gc_stress events are not run under the controlled schedule (its logical clock, which "
           "ends Ruby's time slices, stands still while GC.stress computes)";
  }
  return "";
}

bool BeginControlledRun(const handoff_target* target, const RunOptions& options, const RunLog* log,
                        std::function<void(const Result&)> on_hang, std::string* error) {
  std::unique_ptr<ScheduleStrategy> strategy = MakeScheduleStrategy(options.schedule_strategy);
  if (strategy == nullptr) {
    *error = "unknown schedule strategy " + options.schedule_strategy + " (" + ScheduleStrategyNames() + ")";
    return false;
  }
  g_run = new ControlledRun;
  g_run->target_base = ObjectBaseOf(reinterpret_cast<const void*>(target->invoke));
  for (const LoadedObject& object : LoadedObjects()) g_run->before_start.insert(object.base);
  if (!InterposeOnNewObjects(error)) return false;
  ControlledScheduleOptions schedule;
  schedule.seed = options.seed;
  schedule.strategy = strategy.release();
  schedule.expected_steps = options.scenario.calls * 20 + 1;
  schedule.calls_in_flight = log->gate.in_flight_counter();
  schedule.calls_returned = &log->returned;
  schedule.hang_logical_ns = static_cast<int64_t>(options.hang_seconds * 1e9);
  schedule.quiet_logical_ns =
      options.quiescence ? static_cast<int64_t>(QuietWindowSeconds(options.scenario, options.hang_seconds) * 1e9)
                         : schedule.hang_logical_ns;
  bool whole = options.whole_schedule;
  schedule.on_deadlock = [on_hang, whole](const std::string& threads) {
    on_hang(Result::Failure(FailureKind::kDeadlock,
                            "under the controlled schedule, " + threads + ControlledScheduleTail(whole)));
  };
  BeginControlledSchedule(schedule);
  g_whole_schedule = whole;
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(WriteLastWords);
  signal(SIGABRT, LastWordsOnAbort);
  return true;
}

void ControlledRunTargetStarted() {
  if (g_run == nullptr) return;
  std::string error;
  if (!InterposeOnNewObjects(&error)) {
    std::fprintf(stderr, "handoff-stress: controlled schedule: %s\n", error.c_str());
  }
}

std::string ControlledScheduleTail(bool whole) {
  if (g_run == nullptr) return "";
  std::string tail = kScheduleTailHead + std::to_string(ControlledSteps()) + " decisions" +
                     (ScheduleExact() ? "" : "; not exact: a thread blocked outside the controlled "
                                             "operations and was let go on uncontrolled") +
                     "):\n" + ScheduleText(whole ? -1 : kTailLines);
  return tail;
}

}  // namespace handoff
