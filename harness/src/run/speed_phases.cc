#include "run/speed_phases.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "judge/payload.h"
#include "run/condvar_server.h"

namespace handoff {
namespace {

using Clock = std::chrono::steady_clock;

struct PhaseResult {
  double calls_per_second = 0;
  double p50_us = 0;
  uint64_t calls = 0;
};

// One client's side of a phase: makes one call; false when it came back wrong.
using OneCall = std::function<bool()>;
// Makes a client's OneCall, on that client's own thread.
using ClientFactory = std::function<OneCall()>;

struct ClientTally {
  uint64_t calls = 0;
  Clock::time_point last_return;
  std::vector<float> latencies_us;
};

void RunClient(const ClientFactory& make, const std::atomic<bool>& go, Clock::time_point* start,
               int64_t millis, ClientTally* tally) {
  OneCall call = make();
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  const Clock::time_point end = *start + std::chrono::milliseconds(millis);
  for (Clock::time_point now = Clock::now(); now < end;) {
    call();
    Clock::time_point after = Clock::now();
    tally->latencies_us.push_back(std::chrono::duration<float, std::micro>(after - now).count());
    ++tally->calls;
    now = tally->last_return = after;
  }
}

PhaseResult RunPhase(int clients, int64_t millis, const ClientFactory& make) {
  std::vector<ClientTally> tallies(clients);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  Clock::time_point start;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(RunClient, std::cref(make), std::cref(go), &start, millis, &tallies[c]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the clients ready
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& t : threads) t.join();
  PhaseResult result;
  Clock::time_point last = start;
  std::vector<float> latencies;
  for (const ClientTally& t : tallies) {
    result.calls += t.calls;
    last = std::max(last, t.last_return);
    latencies.insert(latencies.end(), t.latencies_us.begin(), t.latencies_us.end());
  }
  double seconds = std::chrono::duration<double>(last - start).count();
  result.calls_per_second = seconds > 0 ? result.calls / seconds : 0;
  if (!latencies.empty()) {
    std::nth_element(latencies.begin(), latencies.begin() + latencies.size() / 2, latencies.end());
    result.p50_us = latencies[latencies.size() / 2];
  }
  return result;
}

// Probe calls through the target, each reply checked; what came back wrong
// is tallied for the verdict.
class TargetProbe {
 public:
  explicit TargetProbe(const handoff_target* target)
      : target_(target), expected_(ComputeReply(SpeedProbePayload().data(), SpeedProbePayload().size())) {}

  ClientFactory Clients() {
    return [this] { return OneCall([this] { return Call(); }); };
  }
  void Record(SpeedMeasurement* m) const {
    m->wrong = wrong_.load();
    m->first_wrong = first_wrong_;
  }

 private:
  bool Call() {
    const std::string& probe = SpeedProbePayload();
    handoff_target_reply reply{HANDOFF_TARGET_INVALID, nullptr, 0};
    target_->invoke(probe.data(), probe.size(), 0, &reply);
    bool right = reply.status == HANDOFF_TARGET_OK && reply.size == expected_.size() &&
                 std::memcmp(reply.data, expected_.data(), reply.size) == 0;
    if (!right && wrong_.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      first_wrong_ = "came back with status " + std::to_string(reply.status) + " and " +
                     std::to_string(reply.size) + " bytes (want ok and the probe's " +
                     std::to_string(expected_.size()) + " reply bytes)";
    }
    free(reply.data);
    return right;
  }

  const handoff_target* target_;
  const std::string expected_;
  std::atomic<uint64_t> wrong_{0};
  std::mutex mutex_;
  std::string first_wrong_;  // guarded by mutex_
};

// A floor phase: a server of its own for `clients` clients. The clients'
// requests outlive the server: it notifies after unlocking, so it may still
// be inside a request's notify when that client has seen its answer and
// ended (destroying the request there was a data race, TSan: signal after
// unlock).
PhaseResult FloorPhase(int clients, int64_t millis) {
  std::deque<CondVarServer::Request> requests;
  std::mutex requests_mutex;
  PhaseResult result;
  {
    CondVarServer server;
    result = RunPhase(clients, millis, [&] {
      CondVarServer::Request* request;
      {
        std::lock_guard<std::mutex> lock(requests_mutex);
        request = &requests.emplace_back();
      }
      return OneCall([&server, request] {
        server.Call(request);
        return true;
      });
    });
  }
  return result;
}

// HANDOFF_SPEED_TRACE=1: each phase on stderr, to see how steady a machine is.
void TracePhase(const char* side, int clients, const PhaseResult& r) {
  static const bool trace = getenv("HANDOFF_SPEED_TRACE") != nullptr;
  if (!trace) return;
  std::fprintf(stderr, "handoff-stress: speed phase: %-6s %3d clients, %8llu calls, %9.0f calls/s, p50 %.1f us\n",
               side, clients, static_cast<unsigned long long>(r.calls), r.calls_per_second, r.p50_us);
}

constexpr const char* kFloorPhase = "speed: a condvar floor phase (GVL released)";
constexpr const char* kTargetPhase = "speed: a target phase, trivial calls (GVL released)";

// floor, target, floor, target, floor, at `clients` callers each.
void Alternate(int clients, int64_t millis, TargetProbe* probe, SpeedMeasurement* m,
               const std::function<void(const char*)>& on_phase, bool throughput) {
  for (int i = 0; i < 5; ++i) {
    bool floor = i % 2 == 0;
    on_phase(floor ? kFloorPhase : kTargetPhase);
    PhaseResult r = floor ? FloorPhase(clients, millis) : RunPhase(clients, millis, probe->Clients());
    if (!floor) m->target_calls += r.calls;
    TracePhase(floor ? "floor" : "target", clients, r);
    if (throughput) {
      (floor ? m->floor_rates : m->target_rates).push_back(r.calls_per_second);
    } else {
      (floor ? m->floor_p50_us : m->target_p50_us).push_back(r.p50_us);
    }
  }
}

}  // namespace

SpeedMeasurement MeasureSpeed(const handoff_target* target, int threads,
                              const std::function<void(const char*)>& on_phase) {
  SpeedMeasurement m;
  m.threads = threads;
  TargetProbe probe(target);
  on_phase("speed: warming the target up (GVL released)");
  m.target_calls += RunPhase(threads, kLatencyPhaseMillis, probe.Clients()).calls;
  Alternate(threads, kThroughputPhaseMillis, &probe, &m, on_phase, true);
  Alternate(1, kLatencyPhaseMillis, &probe, &m, on_phase, false);
  probe.Record(&m);
  return m;
}

}  // namespace handoff
