// What a run records while it runs. Caller threads write only their own
// pre-allocated rows; the handler (on Ruby threads) only touches atomics,
// all relaxed: the harness's records must not order a target's threads
// (target.h promises no synchronisation of the harness's own around a call,
// and ThreadSanitizer would otherwise miss races the records happened to
// order). Nothing is checked while the run is going (checker.h does that
// afterwards, once every thread the harness started has been joined).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "handoff/scenario.h"
#include "handoff/target.h"
#include "judge/idle_window.h"
#include "judge/payload.h"

namespace handoff {

constexpr uint8_t kNotReturned = 0xff;
// A Ruby caller's call whose invoke was left by a Ruby exception (longjmp).
constexpr uint8_t kEscapedInvoke = 0xfe;
// A Ruby caller's call left by the interrupt a caller event sent its thread
// (ruby_caller.h): raised out of invoke, before it, or handed back as the
// call's `raised` reply by a bridge that ran the block on that thread.
constexpr uint8_t kInterrupted = 0xfd;
// A call its thread never made: the thread was killed (caller_kill) first
// and no new thread could be started to make it (ruby_caller.h).
constexpr uint8_t kNeverMade = 0xfc;

// Bits of CallRecord::events_before and RunLog::events_done: lifecycle
// events already done.
using EventBits = uint16_t;
static_assert(kEventTypeCount <= 16, "EventBits holds a bit per event type");
constexpr EventBits EventBit(EventType type) { return EventBits(1u << static_cast<int>(type)); }

struct CallRecord {
  uint64_t sent_digest = 0;       // Digest of the payload sent
  ReplyCheck check;               // what came back, against what was sent (ok, raised)
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  // Of [start_ns, end_ns], how long the caller thread waited on a CPU run
  // queue (run_queue_wait.h): time the machine, not the target, took. 0
  // when not measured.
  int64_t runnable_ns = 0;
  uint8_t status = kNotReturned;  // handoff_target_status once returned
  EventBits events_before = 0;    // events done before the call started
  uint64_t post_start_tick = 0;   // a post: RunLog::PostTick() before post was called...
  uint64_t post_tick = 0;         // ...and once it returned
};

// What a foreign thread is doing, for the deadlock dump.
struct alignas(64) ThreadActivity {
  std::atomic<long> tid{0};                   // the caller's thread id (idle windows leave it out)
  std::atomic<uint64_t> call_id{UINT64_MAX};  // UINT64_MAX: not in a call
  std::atomic<int64_t> since_ns{0};
  std::atomic<uint64_t> returned{0};
};

// The interrupt a caller event sent one Ruby caller thread (ruby_caller.h),
// and whether that thread saw it: one at a time per thread. Written by the
// Ruby main thread (sent) and by the caller thread (seen), both with the GVL.
struct SentInterrupt {
  std::atomic<int> type{-1};                      // the EventType sent; -1: none
  std::atomic<uint64_t> during_call{UINT64_MAX};  // the call it was in then (UINT64_MAX: none)
  std::atomic<bool> seen{false};
};
// How long a Ruby caller that was sent an interrupt and has made its last
// call waits for it (a bridge may hand it to the thread later).
constexpr int kLateInterruptWaitSeconds = 5;

// What the target said of its posts once the callers were done (the driver
// fills it, with the GVL, after flush; post_oracle.h judges it).
struct PostOutcome {
  bool asked = false;    // the scenario posts and the target has posts: flush and post_stats were called
  int flush_result = 0;  // flush's: 0, or -1 when its time ran out
  int64_t flush_timeout_ns = 0;
  handoff_target_post_stats stats{};
  uint32_t policy = 0;    // the target's post_policy
  uint32_t capacity = 0;  // the target's post_capacity
};

// The first payload a handler got that no call of this run sent (altered,
// truncated, or naming no call): the evidence a wrong_reply starts with.
struct StrayEvidence {
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> named_call{UINT64_MAX};  // the call its header names (UINT64_MAX: none)
  std::atomic<uint64_t> size{0};                  // bytes the handler got
  std::atomic<uint64_t> first_bytes{0};           // its first 8 bytes, little-endian
  std::atomic<uint64_t> sent_size{0};             // bytes the named call sent (if any)
};

class RunLog {
 public:
  RunLog(const Scenario& scenario, uint64_t seed);

  // [thread][index of the call within the thread]
  std::vector<std::vector<CallRecord>> calls;
  std::vector<ThreadActivity> activity;  // [thread]
  std::vector<SentInterrupt> interrupts;  // [thread]: Ruby callers' only
  // Handler runs by call id; ids calls..2*calls-1 are the nested calls of
  // re-entrant handlers; the last kForkProbeCalls ids are the fork probe's.
  std::unique_ptr<std::atomic<uint32_t>[]> ran;
  // When each call's handler first started (MonotonicNanos; 0: never), by
  // the same ids: the order the bridge dispatched calls in (fairness).
  std::unique_ptr<std::atomic<int64_t>[]> entered_ns;
  // Posts are ordered by ticks of one counter, post_clock (PostTick), not
  // by time: a tick taken after another that happens-before it is larger
  // (one atomic's modification order), on any clock the run has, the
  // controlled schedule's too; relaxed, so it orders no threads. By the
  // same ids: the tick at a post handler's first start and at its last end
  // (0: never).
  std::unique_ptr<std::atomic<uint64_t>[]> entered_tick;
  std::unique_ptr<std::atomic<uint64_t>[]> left_tick;
  // How long the thread that started each call's handler had waited on a
  // CPU run queue since it last started one (or since it began), measured
  // only with fairness=K: a thread the machine kept off a CPU is the
  // scheduler's delay, not the target's order.
  std::unique_ptr<std::atomic<int64_t>[]> entered_runnable_ns;
  // The digest of each call's payload, stored by its caller before invoke
  // (0: not sent yet): the handler compares what it got with it.
  std::unique_ptr<std::atomic<uint64_t>[]> sent_digest;
  // The nested call of each re-entrant outer call, by outer id (relaxed
  // `nested_made` says which slots hold one; read after the run).
  std::unique_ptr<CallRecord[]> nested;
  std::unique_ptr<std::atomic<uint8_t>[]> nested_made;
  uint64_t ran_size = 0;
  std::atomic<uint64_t> anonymous_runs{0};  // handler runs on payloads too short to name a call
  StrayEvidence stray;                      // handler runs on payloads no call sent
  std::atomic<uint64_t> returned{0};        // calls of caller threads that returned
  std::atomic<EventBits> events_done{0};    // EventBit()s
  // When the first stop or kill event began (MonotonicNanos; 0: none yet):
  // no call can come back stopped before it.
  std::atomic<int64_t> stop_began_ns{0};
  // Calls that came back timed_out or stopped: their blocks may still run.
  std::atomic<uint64_t> abandoned{0};
  CallGate gate;  // closed for an idle window (idle_window.h)
  // Posts accepted (post returned ok) and post handler runs ended, for an
  // idle window's wait (the oracle reads the calls' records instead).
  std::atomic<uint64_t> posts_accepted{0};
  std::atomic<uint64_t> posts_left{0};
  PostOutcome posts;
  std::atomic<uint64_t> post_clock{0};
  // The tick once the last stop or kill event was done (0: none yet): a
  // post made before it may have been queued at it, and dropped.
  std::atomic<uint64_t> lifecycle_done_tick{0};
  uint64_t PostTick() { return post_clock.fetch_add(1, std::memory_order_relaxed) + 1; }
  // Ruby callers waiting, after their last call, for an interrupt sent to
  // them (ruby_caller.h): the harness's own bounded sleep, not a hang.
  std::atomic<int> late_interrupt_waits{0};

  // Whether an anonymous (short) payload with this digest is one some call
  // of this run sends. Read-only once the run starts.
  bool IsAnonymousPayload(uint64_t digest) const;
  // Caller thread `thread`'s current call is over (returned, left by an
  // interrupt, or given up): it is no longer in a call, and it counts.
  void CountReturned(int thread);
  // A nested call's record slot: claims it once (relaxed); nullptr if the
  // outer call already made one (its handler ran twice: the checker says so).
  CallRecord* ClaimNested(uint64_t outer_call_id);

  static constexpr uint64_t kForkProbeCalls = 8;

 private:
  std::vector<uint64_t> anonymous_digests_;  // sorted
};

}  // namespace handoff
