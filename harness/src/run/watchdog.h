// The watchdog: a plain thread that watches a run's progress. It prints a
// progress line every few seconds on long runs, and when no call has
// returned and the driving thread has not moved on (SetMainPhase, until the
// phase "done") for `hang_seconds`, or for `quiet_window_seconds` during
// which the process was quiescent (quiescence.h: every thread asleep,
// almost no CPU), it builds a dump of what every thread is waiting on and
// hands a `deadlock` failure to `on_hang` (which must end the process: a
// hung target cannot be unwound). The dump's first line says which of the
// two it was and how long after the last progress it was detected.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "handoff/result.h"
#include "handoff/target.h"
#include "host/annotated_mutex.h"
#include "judge/run_log.h"

namespace handoff {

class Watchdog {
 public:
  struct Config {
    const handoff_target* target;
    const Scenario* scenario;
    RunLog* log;
    double hang_seconds;
    double quiet_window_seconds;  // 0: no quiescence detection (QuietWindowSeconds)
    bool progress;  // print a progress line to stderr on runs over 3 s
    std::function<void(const Result&)> on_hang;
  };
  // A target loading: not judged for quiescence (--hang-seconds applies).
  // The harness waiting, a bounded time of its own, for the run to settle:
  // not judged at all.
  static constexpr const char* kStartingTarget = "starting the target";
  static constexpr const char* kSettling =
      "waiting for the run's descriptors and threads to settle (GVL released)";
  // The harness holding calls back for an idle window (idle_window.h): a
  // bounded wait of its own, counted as progress.
  static constexpr const char* kIdleWindow =
      "holding calls back for an idle window (GVL released)";
  explicit Watchdog(Config config);
  ~Watchdog();  // stops the thread
  // What the driving Ruby thread is doing, for the dump; a new phase counts
  // as progress; "done" ends the watch. `what` is static text.
  void SetMainPhase(const char* what) { main_phase_.store(what, std::memory_order_relaxed); }
  // Threads whose state and CPU say nothing of the target's progress (the
  // harness's GVL load): quiescence does not look at them.
  void IgnoreThreads(std::vector<long> thread_ids);
  // The watchdog's own thread and the ignored ones: not the target's.
  std::vector<long> HarnessThreads();

 private:
  void Watch();
  std::string Dump(const std::string& why) const;

  Config config_;
  std::atomic<const char*> main_phase_{"starting"};
  Mutex mutex_;
  std::condition_variable wake_;
  bool done_ GUARDED_BY(mutex_) = false;
  std::vector<long> ignored_threads_ GUARDED_BY(mutex_);
  std::atomic<long> thread_id_{0};
  std::thread thread_;
};

}  // namespace handoff
