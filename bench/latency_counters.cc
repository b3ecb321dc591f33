#include "latency_counters.h"

#include <thread>

namespace handoff::bench {

LatencyCounters::LatencyCounters() : per_thread_(kMaxThreads) {}

void LatencyCounters::BeginRun(const benchmark::State& state) {
  if (state.thread_index() != 0) return;
  for (int i = 0; i < state.threads(); ++i) per_thread_[static_cast<size_t>(i)].Clear();
  merged_.Clear();
  merged_threads_.store(0);
}

LatencyHistogram& LatencyCounters::Mine(const benchmark::State& state) {
  return per_thread_[static_cast<size_t>(state.thread_index())];
}

void LatencyCounters::EndRun(benchmark::State& state) {
  {
    std::lock_guard<std::mutex> lock(merge_mutex_);
    merged_.Merge(per_thread_[static_cast<size_t>(state.thread_index())]);
  }
  merged_threads_.fetch_add(1);
  if (state.thread_index() != 0) return;
  while (merged_threads_.load() < state.threads()) std::this_thread::yield();
  std::lock_guard<std::mutex> lock(merge_mutex_);
  state.counters["p50_us"] = merged_.Percentile(0.50) / 1e3;
  state.counters["p90_us"] = merged_.Percentile(0.90) / 1e3;
  state.counters["p99_us"] = merged_.Percentile(0.99) / 1e3;
  state.counters["p999_us"] = merged_.Percentile(0.999) / 1e3;
  state.counters["p9999_us"] = merged_.Percentile(0.9999) / 1e3;
}

}  // namespace handoff::bench
