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
namespace {

// What the watch has seen so far, from one look to the next.
struct WatchState {
  explicit WatchState(int64_t now) : start(now), last_change(now), last_progress_line(now) {}
  const int64_t start;
  int64_t last_change, last_progress_line;
  uint64_t last_returned = 0;
  const char* last_phase = nullptr;
  QuiescenceTracker quiescence;
  double longest_quiet = 0;  // the longest quiescent stretch so far (HANDOFF_QUIESCENCE_TRACE)
};

// Whether the run moved on since the last look: a call returned, the main
// thread entered a new phase or waits a bounded time of the harness's own.
// If so, notes when, and sends the supervisor a heartbeat.
bool NoteProgress(const Watchdog::Config& config, uint64_t returned, const char* phase,
                  int64_t now, WatchState* state) {
  // A window held open by an aimed event is the harness's own sleep,
  // bounded: the run goes on when it ends.
  bool progressed = returned != state->last_returned || phase != state->last_phase ||
                    std::strcmp(phase, Watchdog::kSettling) == 0 ||
                    std::strcmp(phase, Watchdog::kIdleWindow) == 0 || AimedHoldInProgress() ||
                    config.log->late_interrupt_waits.load(std::memory_order_relaxed) > 0;
  if (progressed) {
    state->last_returned = returned;
    state->last_phase = phase;
    state->last_change = now;
    Heartbeat();  // the supervisor kills a run that shows no sign of life
  }
  return progressed;
}

// True, with `why`, when the run has not moved on for --hang-seconds.
bool Hung(const Watchdog::Config& config, double stalled, std::string* why) {
  if (stalled >= config.hang_seconds) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2) << "no call returned for " << stalled
         << " s (--hang-seconds)";
    *why = text.str();
    return true;
  }
  return false;
}

// Whether quiescence is judged in `phase`. A target may take its time to
// start (loading a library, a server); quiescence is judged once calls are
// under way. Nor while the run settles (counted as progress: never quiet),
// where sampling every thread would only cost the CPU the handle check reads.
bool JudgesQuiescence(const Watchdog::Config& config, const char* phase) {
  return config.quiet_window_seconds > 0 && std::strcmp(phase, Watchdog::kStartingTarget) != 0 &&
         std::strcmp(phase, Watchdog::kSettling) != 0;
}

// True, with `why`, when the process (but `ignored_threads`) has been
// quiescent for the quiet window; `stalled`: seconds since the run moved on.
bool Quiescent(const Watchdog::Config& config, const char* phase,
               const std::vector<long>& ignored_threads, int64_t now, bool progressed,
               double stalled, WatchState* state, std::string* why) {
  if (!JudgesQuiescence(config, phase)) return false;
  QuiescenceSample sample = SampleQuiescence(ignored_threads);
  double quiet = state->quiescence.Update(sample, now, progressed);
  state->longest_quiet = std::max(state->longest_quiet, quiet);
  if (quiet >= config.quiet_window_seconds) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2)
         << "stuck: every thread asleep and no CPU used for " << quiet
         << " s (quiescent; a healthy run of this scenario is never so for more than "
         << config.quiet_window_seconds << " s); detected " << stalled
         << " s after the last call returned or the main thread moved on";
    *why = text.str();
    return true;
  }
  return false;
}

// On runs over 3 s (Config::progress): a progress line every 2 s.
void PrintProgressLine(const Watchdog::Config& config, uint64_t returned, int64_t now,
                       WatchState* state) {
  if (config.progress && now - state->start > 3000000000LL &&
      now - state->last_progress_line > 2000000000LL) {
    state->last_progress_line = now;
    double seconds = (now - state->start) / 1e9;
    std::fprintf(stderr, "handoff-stress: %s: %llu/%llu calls returned (%.0f%%), %.0f calls/s\n",
                 config.target->name, static_cast<unsigned long long>(returned),
                 static_cast<unsigned long long>(config.scenario->calls),
                 100.0 * returned / (config.scenario->calls ? config.scenario->calls : 1),
                 returned / seconds);
  }
}

}  // namespace

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
  WatchState state(MonotonicNanos());
  // A diagnostic (harness/docs/judging.md): the longest quiescent stretch this
  // run had, to see how far a healthy run stays from its window.
  const bool trace = std::getenv("HANDOFF_QUIESCENCE_TRACE") != nullptr;
  MutexLock lock(&mutex_);
  while (!done_) {
    lock.WaitUntil(&wake_, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    if (done_) break;
    int64_t now = MonotonicNanos();
    uint64_t returned = config_.log->returned.load(std::memory_order_relaxed);
    const char* phase = main_phase_.load(std::memory_order_relaxed);
    // A post's handler ending is progress too (a flush waits on them).
    uint64_t moved = returned + config_.log->posts_left.load(std::memory_order_relaxed);
    bool progressed = NoteProgress(config_, moved, phase, now, &state);
    double stalled = (now - state.last_change) / 1e9;
    std::string why;
    if (Hung(config_, stalled, &why) ||
        Quiescent(config_, phase, ignored_threads_, now, progressed, stalled, &state, &why)) {
      config_.on_hang(Result::Failure(FailureKind::kDeadlock, Dump(why)));
      return;
    }
    PrintProgressLine(config_, returned, now, &state);
  }
  if (trace) {
    std::fprintf(stderr, "handoff-stress: longest quiescent stretch %.3f s (window %.3f s)\n",
                 state.longest_quiet, config_.quiet_window_seconds);
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
