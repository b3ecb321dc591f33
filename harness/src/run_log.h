// What a run records while it runs. Foreign threads write only their own
// pre-allocated rows; the handler (on Ruby threads) only bumps atomic
// counters; nested (re-entrant) calls append under a mutex. Nothing is
// checked while the run is going (checker.h does that afterwards).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "payload.h"
#include "scenario.h"

namespace handoff {

constexpr uint8_t kNotReturned = 0xff;

// Bits of CallRecord::events_*: lifecycle events already done.
constexpr uint8_t EventBit(EventType type) { return uint8_t(1u << static_cast<int>(type)); }

struct CallRecord {
  uint64_t sent_digest = 0;      // Digest of the payload sent
  ReplyFacts reply;              // read from the reply bytes (status ok)
  bool raised_named = false;     // status raised: the message names a call...
  uint64_t raised_call_id = 0;   // ...this one
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint8_t status = kNotReturned;  // handoff_target_status once returned
  uint8_t events_before = 0;      // events done before the call started
};

struct NestedRecord {
  uint64_t outer_call_id;
  CallRecord record;
};

// What a foreign thread is doing, for the deadlock dump.
struct alignas(64) ThreadActivity {
  std::atomic<uint64_t> call_id{UINT64_MAX};  // UINT64_MAX: not in a call
  std::atomic<int64_t> since_ns{0};
  std::atomic<uint64_t> returned{0};
};

class RunLog {
 public:
  explicit RunLog(const Scenario& scenario);

  // [thread][index of the call within the thread]
  std::vector<std::vector<CallRecord>> calls;
  std::vector<ThreadActivity> activity;  // [thread]
  // Handler runs by call id; ids calls..2*calls-1 are the nested calls of
  // re-entrant handlers; the last kForkProbeCalls ids are the fork probe's.
  std::unique_ptr<std::atomic<uint32_t>[]> ran;
  // When each call's handler first started (MonotonicNanos; 0: never), by
  // the same ids: the order the bridge dispatched calls in (fairness).
  std::unique_ptr<std::atomic<int64_t>[]> entered_ns;
  uint64_t ran_size = 0;
  std::atomic<uint64_t> stray_runs{0};  // handler runs whose payload named no call
  std::atomic<uint64_t> returned{0};    // calls of foreign threads that returned
  std::atomic<uint8_t> events_done{0};  // EventBit()s

  void AddNested(uint64_t outer_call_id, const CallRecord& record);
  std::vector<NestedRecord> Nested();

  static constexpr uint64_t kForkProbeCalls = 8;

 private:
  std::mutex nested_mutex_;
  std::vector<NestedRecord> nested_;
};

int64_t MonotonicNanos();

}  // namespace handoff
