#include "judge/idle_window.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "host/process_threads.h"
#include "perturb/run_clock.h"
#include "perturb/sync_interposer.h"  // SleepMicros

namespace handoff {
namespace {

struct ThreadCpu {
  long tid;
  int64_t cpu_ns;
};

// Every thread of this process but the calling one and `excluded`, with the
// CPU time it used so far.
std::vector<ThreadCpu> SampleThreads(const std::vector<long>& excluded) {
  std::vector<ThreadCpu> sample;
  const long self = CurrentThreadId();
  for (long tid : ThreadIdsOfThisProcess().value_or(std::vector<long>{})) {
    if (tid == self || std::find(excluded.begin(), excluded.end(), tid) != excluded.end()) continue;
    sample.push_back({tid, ThreadCpuNanos(tid)});
  }
  return sample;
}

// The CPU each thread of `after` used since `before` (all of its CPU for a
// thread that is new); the threads that used some go to `users`. Returns the
// total.
int64_t CpuUsedSince(const std::vector<ThreadCpu>& before, const std::vector<ThreadCpu>& after,
                     std::vector<ThreadCpu>* users) {
  int64_t used = 0;
  for (const ThreadCpu& t : after) {
    auto was = std::find_if(before.begin(), before.end(),
                            [&](const ThreadCpu& b) { return b.tid == t.tid; });
    int64_t ns = t.cpu_ns - (was != before.end() ? was->cpu_ns : 0);  // new: all of its CPU
    if (ns <= 0) continue;
    used += ns;
    users->push_back({t.tid, ns});
  }
  return used;
}

// An idle_cpu failure's detail: the CPU used against the budget, and the
// threads that used the most (`users`, sorted here, most first).
std::string IdleCpuDetail(int64_t used, int64_t elapsed, int64_t budget,
                          std::vector<ThreadCpu>* users) {
  std::sort(users->begin(), users->end(),
            [](const ThreadCpu& a, const ThreadCpu& b) { return a.cpu_ns > b.cpu_ns; });
  char head[200];
  std::snprintf(head, sizeof head,
                "the target used %.1f ms of CPU in a %.0f ms window with no call in flight (budget: "
                "%.0f%% of one core, %.1f ms):",
                used / 1e6, elapsed / 1e6, kIdleCpuBudget * 100, budget / 1e6);
  std::string detail = head;
  for (size_t i = 0; i < users->size() && i < 4; ++i) {
    const ThreadCpu& user = (*users)[i];
    char line[120];
    std::snprintf(line, sizeof line, " thread %ld \"%s\" %.1f ms", user.tid,
                  ThreadName(user.tid).c_str(), user.cpu_ns / 1e6);
    detail += (i ? "," : "") + std::string(line);
  }
  if (users->size() > 4) detail += ", ... " + std::to_string(users->size() - 4) + " more";
  return detail;
}

}  // namespace

void CallGate::Enter() {
  for (;;) {
    while (closed_.load(std::memory_order_relaxed)) SleepMicros(5000);
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (!closed_.load(std::memory_order_relaxed)) break;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);  // closed meanwhile: wait it out
  }
  entered_.fetch_add(1, std::memory_order_relaxed);
}

void CallGate::Leave() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

Result JudgeIdleWindow(const std::vector<long>& harness_threads, const CallGate& gate,
                       std::string* notes) {
  const uint64_t entered_before = gate.entered();
  std::vector<ThreadCpu> before = SampleThreads(harness_threads);
  const int64_t start = MonotonicNanos();
  while (MonotonicNanos() - start < kIdleWindowMillis * 1000000LL) SleepMicros(10000);
  std::vector<ThreadCpu> after = SampleThreads(harness_threads);
  const int64_t elapsed = MonotonicNanos() - start;
  if (gate.entered() != entered_before || !gate.Drained()) {
    *notes += "idle_cpu not judged in one window: a call started during it\n";
    return Result::Pass();
  }
  std::vector<ThreadCpu> users;
  const int64_t used = CpuUsedSince(before, after, &users);
  const int64_t budget = static_cast<int64_t>(kIdleCpuBudget * static_cast<double>(elapsed));
  if (std::getenv("HANDOFF_IDLE_TRACE") != nullptr) {  // a diagnostic: how far a run stays from the budget
    std::fprintf(stderr, "handoff-stress: idle window: %.2f ms of CPU over %.0f ms in %zu threads (budget %.1f ms)\n",
                 used / 1e6, elapsed / 1e6, users.size(), budget / 1e6);
  }
  if (used <= budget) return Result::Pass();
  return Result::Failure(FailureKind::kIdleCpu, IdleCpuDetail(used, elapsed, budget, &users));
}

}  // namespace handoff
