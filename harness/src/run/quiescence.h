// Quiescence: telling a run that cannot make progress from one that is only
// slow, without waiting for a timeout (the watchdog's hang_seconds).
//
// A run is quiescent while, sample after sample, every thread of this
// process but the one sampling is asleep (state S in /proc: blocked in the
// kernel, not runnable, not stopped by a signal or a debugger, not in disk
// wait), the process has no child process (a fork probe, a target's helper:
// their progress is not visible here; the sanitizer's idle symbolizer is
// not counted), and the process together used almost
// no CPU. A run whose calls stopped returning and that has stayed quiescent
// for longer than anything the scenario lets a correct target sleep
// (QuietWindowSeconds: slow handlers, deadlines shorter than the hang
// timeout, a floor for timer threads and pollers) is stuck: nothing is left
// that could wake it.
//
// A machine too loaded to run the process shows its threads runnable (R),
// GC and busy loops show CPU, so neither looks quiescent; a livelock is not
// quiescent either and is left to the timeout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "handoff/scenario.h"

namespace handoff {

// The shortest stretch of quiescence with no progress that is a deadlock.
constexpr double kQuietFloorSeconds = 0.4;

// How long a scenario's run may be quiescent without progress and still be
// healthy: kQuietFloorSeconds, or longer for slow handlers (slow_us) and for
// deadlines shorter than the hang timeout (a call that times out returns),
// never more than hang_seconds.
double QuietWindowSeconds(const Scenario& scenario, double hang_seconds);

// One look at this process's threads.
struct QuiescenceSample {
  int threads = 0;         // threads looked at (the caller's own excluded)
  int awake = 0;           // of them, not asleep (R, D, T, t, ...)
  bool has_children = false;
  int64_t cpu_ns = 0;      // CPU time of the process so far, excluded threads' excluded
  std::string first_awake; // "tid 123 (state R)" of one awake thread, for the log
};

// Reads /proc/self/task (each thread's state and child processes) and the
// CPU clocks. Call from the thread that watches: it is excluded, and so are
// the threads in `ignored` (the harness's own GVL load, scenario
// background=N), their CPU too.
QuiescenceSample SampleQuiescence(const std::vector<long>& ignored);

// Folds samples into "quiescent for how long". Feed it a sample and whether
// the run made progress since the last one; it answers how many seconds the
// run has been quiescent with no progress (0: not now).
class QuiescenceTracker {
 public:
  // cpu_budget: CPU per second of wall time the whole process may use and
  // still count as asleep (timer threads, sanitizer background threads,
  // the harness's own polling).
  explicit QuiescenceTracker(double cpu_budget = kDefaultCpuBudget) : cpu_budget_(cpu_budget) {}
  double Update(const QuiescenceSample& sample, int64_t now_ns, bool progressed);

  static constexpr double kDefaultCpuBudget = 0.05;  // 50 ms of CPU per second

 private:
  double cpu_budget_;
  int64_t quiet_since_ns_ = -1;  // -1: not quiet
  int64_t quiet_since_cpu_ns_ = 0;
};

}  // namespace handoff
