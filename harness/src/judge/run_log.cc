#include "judge/run_log.h"

#include <algorithm>
#include <string>

namespace handoff {

RunLog::RunLog(const Scenario& scenario, uint64_t seed)
    : calls(static_cast<size_t>(scenario.threads)),
      activity(static_cast<size_t>(scenario.threads)),
      interrupts(static_cast<size_t>(scenario.threads)) {
  for (int t = 0; t < scenario.threads; ++t) calls[t].resize(scenario.CallsOf(t));
  ran_size = 2 * scenario.calls + kForkProbeCalls;
  ran.reset(new std::atomic<uint32_t>[ran_size]);
  entered_ns.reset(new std::atomic<int64_t>[ran_size]);
  entered_runnable_ns.reset(new std::atomic<int64_t>[ran_size]);
  entered_tick.reset(new std::atomic<uint64_t>[ran_size]);
  left_tick.reset(new std::atomic<uint64_t>[ran_size]);
  sent_digest.reset(new std::atomic<uint64_t>[ran_size]);
  nested.reset(new CallRecord[scenario.calls]);
  nested_made.reset(new std::atomic<uint8_t>[scenario.calls]);
  for (uint64_t i = 0; i < ran_size; ++i) {
    ran[i].store(0, std::memory_order_relaxed);
    entered_ns[i].store(0, std::memory_order_relaxed);
    entered_runnable_ns[i].store(0, std::memory_order_relaxed);
    entered_tick[i].store(0, std::memory_order_relaxed);
    left_tick[i].store(0, std::memory_order_relaxed);
    sent_digest[i].store(0, std::memory_order_relaxed);
  }
  for (uint64_t i = 0; i < scenario.calls; ++i) nested_made[i].store(0, std::memory_order_relaxed);
  // The payloads too short to name their call, by digest.
  if (scenario.payload_min < kPayloadHeaderSize) {
    std::string payload;
    for (uint64_t id = 0; id < ran_size; ++id) {
      CallPlan plan = id < scenario.calls ? PlanCall(scenario, seed, id) : ReturnPlan(scenario, seed, id);
      if (plan.payload_size >= kPayloadHeaderSize) continue;
      WritePayload(plan, seed, &payload);
      anonymous_digests_.push_back(Digest(payload.data(), payload.size()));
    }
    std::sort(anonymous_digests_.begin(), anonymous_digests_.end());
  }
}

bool RunLog::IsAnonymousPayload(uint64_t digest) const {
  return std::binary_search(anonymous_digests_.begin(), anonymous_digests_.end(), digest);
}

void RunLog::CountReturned(int thread) {
  activity[thread].call_id.store(UINT64_MAX, std::memory_order_relaxed);
  activity[thread].returned.fetch_add(1, std::memory_order_relaxed);
  returned.fetch_add(1, std::memory_order_relaxed);
}

CallRecord* RunLog::ClaimNested(uint64_t outer_call_id) {
  if (nested_made[outer_call_id].exchange(1, std::memory_order_relaxed) != 0) return nullptr;
  return &nested[outer_call_id];
}

}  // namespace handoff
