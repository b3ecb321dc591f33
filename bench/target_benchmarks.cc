// BM_<Target>_<Operation> for every built-in bridge found: foreign threads
// (Google Benchmark's own threads, which Ruby did not create) invoke the
// target and check each reply.
//   RoundTrip   1 thread, trivial block, 8-byte payload: latency percentiles
//   Throughput  1..64 threads, trivial block, 8-byte payload: calls/s
//   Payload     1 thread, trivial block (echo), 8 B / 1 KiB / 64 KiB / 1 MiB
//   RubyWork    1 and 16 threads, a block that does real Ruby work
//   Memory      (bridge) resident memory over a 1,000,000-call run
#include <benchmark/benchmark.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "target_benchmarks.h"

#include "bench_targets.h"
#include "latency_counters.h"
#include "resident_memory.h"

namespace handoff::bench {
namespace {

// Invokes `target` with payload; true when the reply is what the handler
// gives for it (the payload back, or for work payloads a non-empty String).
bool InvokeAndCheck(const handoff_target* target, const std::string& payload, std::string* error) {
  handoff_target_reply reply{HANDOFF_TARGET_INVALID, nullptr, 0};
  target->invoke(payload.data(), payload.size(), 0, &reply);
  bool work = !payload.empty() && payload[0] == 'W';
  bool right = reply.status == HANDOFF_TARGET_OK &&
               (work ? reply.size > 0
                     : reply.size == payload.size() &&
                           (payload.empty() || std::memcmp(reply.data, payload.data(), payload.size()) == 0));
  if (!right) {
    *error = "wrong reply: status " + std::to_string(reply.status) + ", " +
             std::to_string(reply.size) + " bytes for a " + std::to_string(payload.size()) +
             "-byte payload";
  }
  std::free(reply.data);
  return right;
}

// Stamps a payload with this call's identity (thread, sequence) in bytes
// 1..7 (26^7 ids: unique for 62M calls per thread of up to 128 threads), so
// a reply meant for another call is caught; byte 0 stays the handler's
// selector ('W' for Ruby work, anything else echoes).
void Stamp(std::string* payload, int thread, uint64_t sequence) {
  uint64_t id = sequence * LatencyCounters::kMaxThreads + static_cast<uint64_t>(thread);
  for (size_t i = 1; i < 8 && i < payload->size(); ++i) {
    (*payload)[i] = static_cast<char>('a' + (id % 26));
    id /= 26;
  }
}

// The timed loop every target benchmark shares: one call per iteration,
// each call's latency recorded and its reply checked.
void CallLoop(benchmark::State& state, const std::string& target_name, std::string payload,
              LatencyCounters* latencies) {
  std::string error;
  const handoff_target* target = StartedTarget(target_name, &error);
  if (target == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  latencies->BeginRun(state);
  LatencyHistogram& mine = latencies->Mine(state);
  uint64_t sequence = 0;
  bool failed = false;
  for (auto _ : state) {
    // No `break` after SkipWithError: a thread that leaves the loop early
    // never reaches Google Benchmark's stop barrier and hangs the others.
    if (failed) continue;
    Stamp(&payload, state.thread_index(), ++sequence);
    Clock::time_point start = Clock::now();
    if (!InvokeAndCheck(target, payload, &error)) {
      state.SkipWithError(error.c_str());
      failed = true;
      continue;
    }
    mine.Record(NanosBetween(start, Clock::now()));
  }
  latencies->EndRun(state);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}

struct TargetBenchmarks {
  std::string name;  // the target: bridge, ffi, ...
  LatencyCounters round_trip, throughput, payload, ruby_work, memory;
};

void RoundTrip(benchmark::State& state, TargetBenchmarks* t) {
  CallLoop(state, t->name, std::string(8, 'r'), &t->round_trip);
}

void Throughput(benchmark::State& state, TargetBenchmarks* t) {
  CallLoop(state, t->name, std::string(8, 't'), &t->throughput);
}

void Payload(benchmark::State& state, TargetBenchmarks* t) {
  CallLoop(state, t->name, std::string(static_cast<size_t>(state.range(0)), 'p'), &t->payload);
}

void RubyWork(benchmark::State& state, TargetBenchmarks* t) {
  CallLoop(state, t->name, "W" + std::string(63, 'w'), &t->ruby_work);
}

// Resident memory at 10% of the calls and at the end (thread 0's view;
// every thread makes the same number of calls). HANDOFF_BENCH_MEMORY_CALLS
// overrides the 1,000,000 calls (the smoke test makes fewer).
void Memory(benchmark::State& state, TargetBenchmarks* t) {
  static long early_kb = 0;
  int64_t calls_per_thread = state.max_iterations;
  auto at_tenth = static_cast<benchmark::IterationCount>(calls_per_thread / 10);
  std::string error;
  const handoff_target* target = StartedTarget(t->name, &error);
  if (target == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::string payload(64, 'm');
  benchmark::IterationCount done = 0;
  bool failed = false;
  for (auto _ : state) {
    if (failed) continue;  // no `break`: see CallLoop
    Stamp(&payload, state.thread_index(), static_cast<uint64_t>(done));
    if (!InvokeAndCheck(target, payload, &error)) {
      state.SkipWithError(error.c_str());
      failed = true;
      continue;
    }
    if (++done == at_tenth && state.thread_index() == 0) early_kb = ResidentKilobytes();
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    long end_kb = ResidentKilobytes();
    state.counters["rss_at_10pct_kb"] = static_cast<double>(early_kb);
    state.counters["rss_end_kb"] = static_cast<double>(end_kb);
    state.counters["rss_growth_kb"] = static_cast<double>(end_kb - early_kb);
  }
}

std::string CapitalName(const std::string& name) {
  std::string capital = name;
  if (!capital.empty()) capital[0] = static_cast<char>(std::toupper(capital[0]));
  return capital;
}

int64_t MemoryCalls() {
  const char* text = std::getenv("HANDOFF_BENCH_MEMORY_CALLS");
  long long calls = text != nullptr ? std::atoll(text) : 0;
  return calls > 0 ? calls : 1000000;
}

}  // namespace

void RegisterTargetBenchmarks(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    auto* t = new TargetBenchmarks{name, {}, {}, {}, {}, {}};  // lives as long as the process
    std::string prefix = "BM_" + CapitalName(name) + "_";
    benchmark::RegisterBenchmark((prefix + "RoundTrip").c_str(), RoundTrip, t)->UseRealTime();
    benchmark::RegisterBenchmark((prefix + "Throughput").c_str(), Throughput, t)
        ->Threads(1)->Threads(2)->Threads(4)->Threads(8)->Threads(16)->Threads(64)
        ->UseRealTime();
    benchmark::RegisterBenchmark((prefix + "Payload").c_str(), Payload, t)
        ->Arg(8)->Arg(1024)->Arg(65536)->Arg(1 << 20)->UseRealTime();
    benchmark::RegisterBenchmark((prefix + "RubyWork").c_str(), RubyWork, t)
        ->Threads(1)->Threads(16)->UseRealTime();
    if (name == HANDOFF_BENCH_GOAL_TARGET) {  // its memory is among its goals
      constexpr int kMemoryThreads = 16;
      benchmark::RegisterBenchmark((prefix + "Memory").c_str(), Memory, t)
          ->Threads(kMemoryThreads)->Iterations(MemoryCalls() / kMemoryThreads)
          ->Repetitions(1)->UseRealTime();
    }
  }
}

}  // namespace handoff::bench
