#include "run/call.h"

#include <algorithm>
#include <cstdlib>

#include "perturb/controlled_scheduler.h"
#include "perturb/run_clock.h"

namespace handoff {

namespace {

// A post: handed to target->post, which returns at once; its handler's run
// is recorded by the handler (harness_handler.cc), its tick here.
void MakePost(const CallSite& site, const std::string& payload, CallRecord* record) {
  record->post_start_tick = site.log->PostTick();
  record->start_ns = RunClockNanos();
  handoff_target_status status = site.target->post(payload.data(), payload.size());
  record->end_ns = RunClockNanos();
  record->post_tick = site.log->PostTick();
  record->status = static_cast<uint8_t>(status);
  if (status == HANDOFF_TARGET_OK) site.log->posts_accepted.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void MakeCall(const CallSite& site, const CallPlan& plan, std::string* buffer,
              CallRecord* record, const RunQueueWait* wait) {
  WritePayload(plan, site.seed, buffer);
  record->sent_digest = Digest(buffer->data(), buffer->size());
  site.log->sent_digest[plan.call_id].store(record->sent_digest, std::memory_order_relaxed);
  record->events_before = site.log->events_done.load(std::memory_order_relaxed);
  if (plan.behaviour == Behaviour::kPost) return MakePost(site, *buffer, record);
  handoff_target_reply reply{HANDOFF_TARGET_INVALID, nullptr, 0};
  int64_t deadline_ns = static_cast<int64_t>(site.scenario->deadline_ms) * 1000000;
  if (OnControlledThread()) wait = nullptr;  // a wait for a CPU is real time, not the run's
  int64_t waited_before = wait ? wait->Nanos() : -1;
  record->start_ns = RunClockNanos();
  site.target->invoke(buffer->data(), buffer->size(), deadline_ns, &reply);
  record->end_ns = RunClockNanos();
  if (waited_before >= 0) {
    int64_t waited = wait->Nanos() - waited_before;
    record->runnable_ns = std::clamp<int64_t>(waited, 0, record->end_ns - record->start_ns);
  }
  record->status = static_cast<uint8_t>(reply.status);
  if (reply.status == HANDOFF_TARGET_OK) {
    record->check = CheckReply(buffer->data(), buffer->size(), reply.data, reply.size);
  } else if (reply.status == HANDOFF_TARGET_RAISED) {
    record->check = CheckRaised(buffer->data(), buffer->size(), reply.data, reply.size);
  }
  std::free(reply.data);
}

void CallAndRecord(const CallSite& site, int thread, uint64_t index, std::string* buffer,
                   const RunQueueWait* wait) {
  ThreadActivity& activity = site.log->activity[thread];
  uint64_t id = site.scenario->FirstCallOf(thread) + index;
  activity.since_ns.store(MonotonicNanos(), std::memory_order_relaxed);
  activity.call_id.store(id, std::memory_order_relaxed);
  CallRecord* record = &site.log->calls[thread][index];
  MakeCall(site, PlanCall(*site.scenario, site.seed, id), buffer, record, wait);
  if (record->status == HANDOFF_TARGET_TIMED_OUT || record->status == HANDOFF_TARGET_STOPPED) {
    site.log->abandoned.fetch_add(1, std::memory_order_relaxed);
  }
  site.log->CountReturned(thread);
}

}  // namespace handoff
