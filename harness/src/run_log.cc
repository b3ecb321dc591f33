#include "run_log.h"

#include <time.h>

namespace handoff {

RunLog::RunLog(const Scenario& scenario)
    : calls(static_cast<size_t>(scenario.threads)),
      activity(static_cast<size_t>(scenario.threads)) {
  for (int t = 0; t < scenario.threads; ++t) calls[t].resize(scenario.CallsOf(t));
  ran_size = 2 * scenario.calls + kForkProbeCalls;
  ran.reset(new std::atomic<uint32_t>[ran_size]);
  entered_ns.reset(new std::atomic<int64_t>[ran_size]);
  for (uint64_t i = 0; i < ran_size; ++i) {
    ran[i].store(0, std::memory_order_relaxed);
    entered_ns[i].store(0, std::memory_order_relaxed);
  }
}

void RunLog::AddNested(uint64_t outer_call_id, const CallRecord& record) {
  std::lock_guard<std::mutex> lock(nested_mutex_);
  nested_.push_back({outer_call_id, record});
}

std::vector<NestedRecord> RunLog::Nested() {
  std::lock_guard<std::mutex> lock(nested_mutex_);
  return nested_;
}

int64_t MonotonicNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace handoff
