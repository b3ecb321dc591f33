#include "run/watchdog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "handoff/supervisor.h"
#include "host/process_threads.h"
#include "perturb/aimed_event.h"
#include "perturb/run_clock.h"
#include "run/quiescence.h"

namespace handoff {

Watchdog::Watchdog(Config config) : config_(std::move(config)) {
  thread_ = std::thread([this] { Watch(); });
}

Watchdog::~Watchdog() {
  {
    MutexLock lock(&mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::IgnoreThreads(std::vector<long> thread_ids) {
  MutexLock lock(&mutex_);
  ignored_threads_ = std::move(thread_ids);
}

std::vector<long> Watchdog::HarnessThreads() {
  MutexLock lock(&mutex_);
  std::vector<long> threads = ignored_threads_;
  threads.push_back(thread_id_.load(std::memory_order_relaxed));
  return threads;
}

void Watchdog::Watch() {
  thread_id_.store(CurrentThreadId(), std::memory_order_relaxed);
  const int64_t start = MonotonicNanos();
  int64_t last_change = start, last_progress_line = start;
  uint64_t last_returned = 0;
  const char* last_phase = nullptr;
  QuiescenceTracker quiescence;
  // A diagnostic (README "Deadlocks in under a second"): the longest quiescent stretch this
  // run had, to see how far a healthy run stays from its window.
  const bool trace = std::getenv("HANDOFF_QUIESCENCE_TRACE") != nullptr;
  double longest_quiet = 0;
  MutexLock lock(&mutex_);
  while (!done_) {
    lock.WaitUntil(&wake_, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    if (done_) break;
    int64_t now = MonotonicNanos();
    uint64_t returned = config_.log->returned.load(std::memory_order_relaxed);
    const char* phase = main_phase_.load(std::memory_order_relaxed);
    // A window held open by an aimed event is the harness's own sleep,
    // bounded: the run goes on when it ends.
    bool progressed = returned != last_returned || phase != last_phase ||
                      std::strcmp(phase, kSettling) == 0 || std::strcmp(phase, kIdleWindow) == 0 ||
                      AimedHoldInProgress() ||
                      config_.log->late_interrupt_waits.load(std::memory_order_relaxed) > 0;
    if (progressed) {
      last_returned = returned;
      last_phase = phase;
      last_change = now;
      Heartbeat();  // the supervisor kills a run that shows no sign of life
    }
    double stalled = (now - last_change) / 1e9;
    if (stalled >= config_.hang_seconds) {
      std::ostringstream why;
      why << std::fixed << std::setprecision(2) << "no call returned for " << stalled
          << " s (--hang-seconds)";
      config_.on_hang(Result::Failure(FailureKind::kDeadlock, Dump(why.str())));
      return;
    }
    // A target may take its time to start (loading a library, a server);
    // quiescence is judged once calls are under way.
    // Nor while the run settles (counted as progress: never quiet), where
    // sampling every thread would only cost the CPU the handle check reads.
    if (config_.quiet_window_seconds > 0 && std::strcmp(phase, kStartingTarget) != 0 &&
        std::strcmp(phase, kSettling) != 0) {
      QuiescenceSample sample = SampleQuiescence(ignored_threads_);
      double quiet = quiescence.Update(sample, now, progressed);
      longest_quiet = std::max(longest_quiet, quiet);
      if (quiet >= config_.quiet_window_seconds) {
        std::ostringstream why;
        why << std::fixed << std::setprecision(2)
            << "stuck: every thread asleep and no CPU used for " << quiet
            << " s (quiescent; a healthy run of this scenario is never so for more than "
            << config_.quiet_window_seconds << " s); detected " << stalled
            << " s after the last call returned or the main thread moved on";
        config_.on_hang(Result::Failure(FailureKind::kDeadlock, Dump(why.str())));
        return;
      }
    }
    if (config_.progress && now - start > 3000000000LL && now - last_progress_line > 2000000000LL) {
      last_progress_line = now;
      double seconds = (now - start) / 1e9;
      std::fprintf(stderr, "handoff-stress: %s: %llu/%llu calls returned (%.0f%%), %.0f calls/s\n",
                   config_.target->name, static_cast<unsigned long long>(returned),
                   static_cast<unsigned long long>(config_.scenario->calls),
                   100.0 * returned / (config_.scenario->calls ? config_.scenario->calls : 1),
                   returned / seconds);
    }
  }
  if (trace) {
    std::fprintf(stderr, "handoff-stress: longest quiescent stretch %.3f s (window %.3f s)\n",
                 longest_quiet, config_.quiet_window_seconds);
  }
}

std::string Watchdog::Dump(const std::string& why) const {
  std::ostringstream out;
  const RunLog& log = *config_.log;
  out << why << "; " << log.returned.load() << "/" << config_.scenario->calls
      << " calls returned\n";
  out << "  ruby main thread: " << main_phase_.load() << "\n";
  int64_t now = MonotonicNanos();
  int shown = 0, waiting = 0;
  for (size_t t = 0; t < log.activity.size(); ++t) {
    uint64_t call = log.activity[t].call_id.load();
    if (call == UINT64_MAX) continue;
    ++waiting;
    if (shown++ < 12) {
      out << "  foreign thread " << t << ": in invoke for call " << call << " for "
          << (now - log.activity[t].since_ns.load()) / 1000000 << " ms ("
          << log.activity[t].returned.load() << " returned before)\n";
    }
  }
  if (waiting > shown) out << "  ... and " << (waiting - shown) << " more foreign threads in invoke\n";
  if (config_.target->describe != nullptr) {
    char state[512] = {0};
    config_.target->describe(state, sizeof(state));
    out << "  target " << config_.target->name << ": " << state << "\n";
  }
  return out.str();
}

}  // namespace handoff
