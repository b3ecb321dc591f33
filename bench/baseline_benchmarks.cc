// The baselines every bridge figure is a ratio to, measured in the same run:
//   BM_Direct_Call            the block called by a Ruby thread holding the GVL
//   BM_RubyThread_CallWithGvl a Ruby thread without the GVL: rb_thread_call_with_gvl
//   BM_CondVar_PingPong       two std::threads, mutex + condition variable: the
//                             OS handoff floor a sleeping bridge cannot beat
//   BM_CondVar_Server         1..64 std::threads each handing a request to one
//                             server thread and sleeping on a condvar until it
//                             answers: the OS floor for a bridge's throughput
//                             (one thread, like the GVL holder, answers all)
//   BM_Spin_PingPong          two std::threads spinning on an atomic (yielding
//                             after 1000 spins, so a pinned run still ends)
//   BM_Copy/65536, /1048576   one copy of a 64 KiB (1 MiB) payload between two
//                             warm buffers: what each of a bridge's copies costs
//   BM_Copy_CrossCpu/65536    the same copy made on CPU 1 of bytes just
//                             written on CPU 0: what a copy costs when the
//                             payload was made on the other CPU (unpinned
//                             handoffs; skipped when one CPU is all there is)
// The two Ruby baselines run on the Ruby main thread in batches and report
// manual time (the job handoff to that thread is not counted).
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <ruby.h>
#include <sched.h>
#include <ruby/thread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_targets.h"
#include "handoff/embedded_ruby.h"
#include "latency_counters.h"
#include "ruby_main_thread.h"

namespace handoff::bench {
namespace {

constexpr int kBatch = 256;

// GVL held. The trivial block on an 8-byte payload (it cannot raise).
VALUE CallHandler(VALUE payload) { return rb_funcall(BenchHandler(), rb_intern("call"), 1, payload); }

void* CallHandlerWithGvl(void* payload) {
  CallHandler(reinterpret_cast<VALUE>(payload));
  return nullptr;
}

// Runs batches of kBatch calls on the Ruby main thread; `without_gvl`
// chooses the calling path.
void RubyBaseline(benchmark::State& state, LatencyCounters* latencies, bool without_gvl) {
  latencies->BeginRun(state);
  LatencyHistogram& mine = latencies->Mine(state);
  while (state.KeepRunningBatch(kBatch)) {
    int64_t total_ns = 0;
    RunOnRubyMain([&] {
      VALUE payload = rb_str_new("dddddddd", 8);
      auto batch = [&] {
        for (int i = 0; i < kBatch; ++i) {
          Clock::time_point start = Clock::now();
          if (without_gvl) {
            rb_thread_call_with_gvl(CallHandlerWithGvl, reinterpret_cast<void*>(payload));
          } else {
            CallHandler(payload);
          }
          int64_t ns = NanosBetween(start, Clock::now());
          mine.Record(ns);
          total_ns += ns;
        }
      };
      if (without_gvl) {
        CallWithoutGvl(batch);
      } else {
        batch();
      }
      RB_GC_GUARD(payload);
    });
    state.SetIterationTime(static_cast<double>(total_ns) / 1e9);
  }
  latencies->EndRun(state);
  state.SetItemsProcessed(state.iterations());
}

void BM_Direct_Call(benchmark::State& state) {
  static LatencyCounters latencies;
  RubyBaseline(state, &latencies, false);
}
BENCHMARK(BM_Direct_Call)->UseManualTime();

void BM_RubyThread_CallWithGvl(benchmark::State& state) {
  static LatencyCounters latencies;
  RubyBaseline(state, &latencies, true);
}
BENCHMARK(BM_RubyThread_CallWithGvl)->UseManualTime();

// A partner thread that answers each ping with a pong, mutex + condvar.
void BM_CondVar_PingPong(benchmark::State& state) {
  static LatencyCounters latencies;
  std::mutex mutex;
  std::condition_variable cv;
  uint64_t ping = 0, pong = 0;  // guarded by mutex
  bool done = false;            // guarded by mutex
  std::thread partner([&] {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return ping != pong || done; });
      if (done) return;
      pong = ping;
      cv.notify_all();
    }
  });
  latencies.BeginRun(state);
  LatencyHistogram& mine = latencies.Mine(state);
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    std::unique_lock<std::mutex> lock(mutex);
    ++ping;
    cv.notify_all();
    cv.wait(lock, [&] { return pong == ping; });
    lock.unlock();
    mine.Record(NanosBetween(start, Clock::now()));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    cv.notify_all();
  }
  partner.join();
  latencies.EndRun(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CondVar_PingPong)->UseRealTime();

// One server thread answering the benchmark's threads, each call a request
// queued under a mutex and a condvar wait for its answer: what the bridge's
// 16-thread throughput would be if running the block cost nothing. Built
// the way the bridge hands over (the server drains the whole queue per wake,
// a client wakes the server only when it sleeps, every notify after the
// unlock), so the bridge's figure divided by this one is what Ruby costs.
class CondVarServer {
 public:
  struct Request {
    std::mutex mutex;
    std::condition_variable answered_cv;
    bool answered = false;  // guarded by mutex
  };

  CondVarServer() : thread_([this] { Serve(); }) {}
  ~CondVarServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    work_cv_.notify_one();
    thread_.join();
  }

  // Blocks until the server has answered `request`.
  void Call(Request* request) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(request);
      wake = sleeping_ && !woken_;
      woken_ = woken_ || wake;
    }
    if (wake) work_cv_.notify_one();
    std::unique_lock<std::mutex> lock(request->mutex);
    request->answered_cv.wait(lock, [&] { return request->answered; });
    request->answered = false;
  }

 private:
  void Serve() {
    std::deque<Request*> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_ = true;
        work_cv_.wait(lock, [&] { return !queue_.empty() || done_; });
        sleeping_ = woken_ = false;
        if (done_) return;
        batch.swap(queue_);
      }
      for (Request* request : batch) {
        {
          std::lock_guard<std::mutex> lock(request->mutex);
          request->answered = true;
        }
        request->answered_cv.notify_one();
      }
      batch.clear();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::deque<Request*> queue_;  // guarded by mutex_
  bool sleeping_ = false;       // guarded by mutex_
  bool woken_ = false;          // guarded by mutex_: a client has notified the sleeper
  bool done_ = false;           // guarded by mutex_
  std::thread thread_;
};

CondVarServer* condvar_server = nullptr;  // between BM_CondVar_Server's setup and teardown

void BM_CondVar_Server(benchmark::State& state) {
  static LatencyCounters latencies;
  CondVarServer::Request request;
  latencies.BeginRun(state);
  LatencyHistogram& mine = latencies.Mine(state);
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    condvar_server->Call(&request);
    mine.Record(NanosBetween(start, Clock::now()));
  }
  latencies.EndRun(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CondVar_Server)
    ->Setup([](const benchmark::State&) { condvar_server = new CondVarServer; })
    ->Teardown([](const benchmark::State&) {
      delete condvar_server;
      condvar_server = nullptr;
    })
    ->Threads(1)->Threads(2)->Threads(4)->Threads(8)->Threads(16)->Threads(64)->UseRealTime();

// One memcpy of state.range(0) bytes between two buffers that stay mapped.
void BM_Copy(benchmark::State& state) {
  static LatencyCounters latencies;
  std::vector<char> from(static_cast<size_t>(state.range(0)), 'x');
  std::vector<char> to(from.size());
  latencies.BeginRun(state);
  LatencyHistogram& mine = latencies.Mine(state);
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    std::memcpy(to.data(), from.data(), from.size());
    benchmark::ClobberMemory();
    mine.Record(NanosBetween(start, Clock::now()));
    ++from[0];
  }
  latencies.EndRun(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Copy)->Arg(65536)->Arg(1 << 20)->UseRealTime();

void SpinUntil(const std::atomic<uint64_t>& value, uint64_t want) {
  for (int spins = 0; value.load(std::memory_order_acquire) != want; ++spins) {
    if (spins >= 1000) std::this_thread::yield();
  }
}

// Pins the calling thread to `cpu`; false when this process may not run there.
bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Whether this process may run on CPUs 0 and 1.
bool HasCpus0And1() {
  cpu_set_t allowed;
  return sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_ISSET(0, &allowed) &&
         CPU_ISSET(1, &allowed);
}

// BM_Copy_CrossCpu's two sides: the benchmark thread writes `from` and bumps
// `written`; the partner, pinned to CPU 1, copies it into `to`, publishes
// the copy's time in `copy_ns` and then `copied`.
struct CrossCpuCopy {
  explicit CrossCpuCopy(size_t bytes) : from(bytes), to(from.size()) {}

  // The partner thread's loop, until `done`.
  void CopyOnCpu1() {
    PinTo(1);
    uint64_t seen = 0;
    for (;;) {
      while (written.load(std::memory_order_acquire) == seen) {
        if (done.load(std::memory_order_acquire)) return;
      }
      ++seen;
      Clock::time_point start = Clock::now();
      std::memcpy(to.data(), from.data(), from.size());
      benchmark::ClobberMemory();
      copy_ns.store(NanosBetween(start, Clock::now()), std::memory_order_relaxed);
      copied.store(seen, std::memory_order_release);
    }
  }

  // The benchmark's iterations: each writes every byte, waits for the
  // partner's copy and records only the copy's time.
  void TimeCopies(benchmark::State& state, LatencyHistogram& mine) {
    uint64_t n = 0;
    for (auto _ : state) {
      std::memset(from.data(), static_cast<int>(n & 0xff), from.size());
      written.store(++n, std::memory_order_release);
      SpinUntil(copied, n);
      int64_t ns = copy_ns.load(std::memory_order_relaxed);
      mine.Record(ns);
      state.SetIterationTime(static_cast<double>(ns) / 1e9);
    }
  }

  std::vector<char> from, to;
  std::atomic<uint64_t> written{0}, copied{0};
  std::atomic<int64_t> copy_ns{0};
  std::atomic<bool> done{false};
};

// The benchmark thread (CPU 0) writes every byte of the source, then a
// partner on CPU 1 copies it and times only its copy.
void BM_Copy_CrossCpu(benchmark::State& state) {
  static LatencyCounters latencies;
  if (!HasCpus0And1()) {
    state.SkipWithError("needs CPUs 0 and 1 (a pinned run has one)");
    return;
  }
  CrossCpuCopy copy(static_cast<size_t>(state.range(0)));
  std::thread partner([&] { copy.CopyOnCpu1(); });
  cpu_set_t before;
  pthread_getaffinity_np(pthread_self(), sizeof(before), &before);
  PinTo(0);
  latencies.BeginRun(state);
  copy.TimeCopies(state, latencies.Mine(state));
  copy.done.store(true, std::memory_order_release);
  partner.join();
  pthread_setaffinity_np(pthread_self(), sizeof(before), &before);
  latencies.EndRun(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Copy_CrossCpu)->Arg(65536)->UseManualTime();

void BM_Spin_PingPong(benchmark::State& state) {
  static LatencyCounters latencies;
  std::atomic<uint64_t> ping{0}, pong{0};
  std::atomic<bool> done{false};
  std::thread partner([&] {
    uint64_t seen = 0;
    for (;;) {
      for (int spins = 0; ping.load(std::memory_order_acquire) == seen; ++spins) {
        if (done.load(std::memory_order_acquire)) return;
        if (spins >= 1000) std::this_thread::yield();
      }
      seen = ping.load(std::memory_order_acquire);
      pong.store(seen, std::memory_order_release);
    }
  });
  latencies.BeginRun(state);
  LatencyHistogram& mine = latencies.Mine(state);
  uint64_t n = 0;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    ping.store(++n, std::memory_order_release);
    SpinUntil(pong, n);
    mine.Record(NanosBetween(start, Clock::now()));
  }
  done.store(true, std::memory_order_release);
  partner.join();
  latencies.EndRun(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Spin_PingPong)->UseRealTime();

}  // namespace
}  // namespace handoff::bench
