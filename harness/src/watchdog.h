// The watchdog: a plain thread that watches a run's progress. It prints a
// progress line every few seconds on long runs, and when for `hang_seconds`
// no call has returned and the driving thread has not moved on (SetMainPhase,
// until the phase "done"), it builds a dump
// of what every thread is waiting on and hands a `deadlock` failure to
// `on_hang` (which must end the process: a hung target cannot be unwound).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "handoff/target.h"
#include "result.h"
#include "run_log.h"

namespace handoff {

class Watchdog {
 public:
  struct Config {
    const handoff_target* target;
    const Scenario* scenario;
    RunLog* log;
    double hang_seconds;
    bool progress;  // print a progress line to stderr on runs over 3 s
    std::function<void(const Result&)> on_hang;
  };
  explicit Watchdog(Config config);
  ~Watchdog();  // stops the thread
  // What the driving Ruby thread is doing, for the dump; a new phase counts
  // as progress; "done" ends the watch. `what` is static text.
  void SetMainPhase(const char* what) { main_phase_.store(what, std::memory_order_relaxed); }

 private:
  void Watch();
  std::string Dump(double stalled_seconds) const;

  Config config_;
  std::atomic<const char*> main_phase_{"starting"};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace handoff
