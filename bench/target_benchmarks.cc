// BM_<Target>_<Operation> for every built-in bridge found: foreign threads
// (Google Benchmark's own threads, which Ruby did not create) invoke the
// target and check each reply.
//   RoundTrip   1 thread, trivial block, 8-byte payload: latency percentiles
//   Throughput  1..64 threads, trivial block, 8-byte payload: calls/s
//   Payload     1 thread, trivial block (echo), 8 B / 1 KiB / 64 KiB / 1 MiB
//   RubyWork    1 and 16 threads, a block that does real Ruby work
//   Memory      (bridge) resident memory over a 1,000,000-call run
//   Post        (bridge) 1 and 16 threads posting (fire and forget): posts
//               accepted per second (the queue's policy decides what a full
//               queue does: the bridge's default, block, waits for room)
//   PostToRun   (bridge) 1 thread: one post, until the target counts it run
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
#include "ruby_main_thread.h"

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
  LatencyCounters round_trip, throughput, payload, ruby_work, memory, post_to_run;
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

// Posts the 8-byte payload once per iteration; counts what post returned.
// Thread 0 then waits (flush, on the Ruby main thread) until every post has
// run, outside the timed loop, so the next benchmark starts on an empty queue.
void Post(benchmark::State& state, TargetBenchmarks* t) {
  std::string error;
  const handoff_target* target = StartedTarget(t->name, &error);
  if (target == nullptr || target->post == nullptr) {
    state.SkipWithError(target == nullptr ? error.c_str() : "the target has no post");
    return;
  }
  std::string payload(8, 'q');
  int64_t accepted = 0, refused = 0;
  for (auto _ : state) {
    (target->post(payload.data(), payload.size()) == HANDOFF_TARGET_OK ? accepted : refused)++;
  }
  state.SetItemsProcessed(accepted);
  // Under policy block a post waits for room: one refused is a bug, not a
  // figure (under the others, the accepted ones are the figure).
  if (refused > 0 && target->post_policy == HANDOFF_TARGET_POST_BLOCK) {
    state.SkipWithError((std::to_string(refused) + " posts refused under policy block").c_str());
  }
  if (state.thread_index() == 0) {
    int flushed = 0;
    RunOnRubyMain([&] { flushed = target->flush(60'000'000'000); });
    if (flushed != 0) state.SkipWithError("posts still queued after a 60 s flush");
  }
}

// One post at a time, from when it is made until the target's counters say
// it ran (or failed): what a posted event waits before its block has run.
void PostToRun(benchmark::State& state, TargetBenchmarks* t) {
  std::string error;
  const handoff_target* target = StartedTarget(t->name, &error);
  if (target == nullptr || target->post == nullptr || target->post_stats == nullptr) {
    state.SkipWithError(target == nullptr ? error.c_str() : "the target has no post");
    return;
  }
  std::string payload(8, 'q');
  t->post_to_run.BeginRun(state);
  LatencyHistogram& mine = t->post_to_run.Mine(state);
  handoff_target_post_stats stats{};
  target->post_stats(&stats);
  uint64_t ended = stats.run + stats.failed + stats.dropped;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    target->post(payload.data(), payload.size());
    do {
      target->post_stats(&stats);
    } while (stats.run + stats.failed + stats.dropped == ended);
    ended = stats.run + stats.failed + stats.dropped;
    mine.Record(NanosBetween(start, Clock::now()));
  }
  t->post_to_run.EndRun(state);
  state.SetItemsProcessed(state.iterations());
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
    auto* t = new TargetBenchmarks{name, {}, {}, {}, {}, {}, {}};  // lives as long as the process
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
      benchmark::RegisterBenchmark((prefix + "Post").c_str(), Post, t)
          ->Threads(1)->Threads(16)->UseRealTime();
      benchmark::RegisterBenchmark((prefix + "PostToRun").c_str(), PostToRun, t)->UseRealTime();
    }
  }
}

}  // namespace handoff::bench
