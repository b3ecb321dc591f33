// LatencyCounters: per-thread latency histograms of one benchmark run,
// merged after the timed loop and exported by thread 0 as Google Benchmark
// counters p50_us, p90_us, p99_us, p999_us, p9999_us (merged over every thread's
// samples, not averaged per thread).
//
// Use, inside a benchmark function:
//   static LatencyCounters latencies;       // one per benchmark function
//   latencies.BeginRun(state);              // before the loop
//   LatencyHistogram& mine = latencies.Mine(state);
//   for (auto _ : state) { ... mine.Record(ns); }
//   latencies.EndRun(state);                // after the loop
//
// Google Benchmark starts and stops a run's threads together (its start/stop
// barrier), so thread 0's BeginRun happens before any thread records, and
// EndRun waits until every thread has merged before thread 0 reports.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "latency_histogram.h"

namespace handoff::bench {

// The clock every benchmark times its calls with.
using Clock = std::chrono::steady_clock;
inline int64_t NanosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

class LatencyCounters {
 public:
  static constexpr int kMaxThreads = 128;

  LatencyCounters();
  // Thread 0 clears the run's histograms. REQUIRES: before the timed loop.
  void BeginRun(const benchmark::State& state);
  // This thread's histogram: record into it only inside the timed loop.
  // REQUIRES: state.threads() <= kMaxThreads.
  LatencyHistogram& Mine(const benchmark::State& state);
  // Merges this thread's samples; thread 0 then waits for the others and
  // sets the counters. REQUIRES: after the timed loop, on every thread.
  void EndRun(benchmark::State& state);

 private:
  std::vector<LatencyHistogram> per_thread_;  // kMaxThreads, never resized
  std::mutex merge_mutex_;
  LatencyHistogram merged_;  // guarded by merge_mutex_
  std::atomic<int> merged_threads_{0};
};

}  // namespace handoff::bench
