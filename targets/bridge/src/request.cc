#include "request.h"

#include "callback_handle.h"
#include "futex_word.h"
#include "sync_points.h"

namespace handoff {

Request::Request(CallbackHandle* callback, std::vector<OwnedValue> args) {
  Begin(callback);
  args_ = std::move(args);
}

Request::~Request() { LetGoOfCallback(); }

void Request::Begin(CallbackHandle* callback) {
  callback_ = callback;
  if (callback_ != nullptr) callback_->Retain();
  outcome_ = Outcome();
  next = nullptr;
  word_.store(kQueued, std::memory_order_relaxed);
  refs_.store(2, std::memory_order_relaxed);  // published by the queue's mutex
}

Outcome Request::WaitAndKeep(int64_t timeout_ns, int spin_rounds, bool* kept) {
  BRIDGE_SYNC_POINT("request.wait");
  Outcome result;
  if (AwaitDone(timeout_ns, spin_rounds) || !Abandon()) {
    result = std::move(outcome_);
  } else {
    result = MakeOutcome(HANDOFF_TIMED_OUT, "", "handoff: no reply within the deadline");
  }
  *kept = Unref();
  if (*kept) LetGoOfCallback();
  return result;
}

Outcome Request::WaitAndRelease(int64_t timeout_ns) {
  bool kept = false;
  Outcome result = WaitAndKeep(timeout_ns, 0, &kept);
  if (kept) delete this;
  return result;
}

bool Request::Done() const {
  return (word_.load(std::memory_order_acquire) & kStateMask) == kDone;
}

bool Request::AwaitDone(int64_t timeout_ns, int spin_rounds) {
  timespec deadline{};
  if (timeout_ns > 0) deadline = MonotonicAfter(timeout_ns);
  if (spin_rounds > 0 && SpinUntil(spin_rounds, [this] { return Done(); })) return true;
  // From here the replier must wake us: say so in the word itself, so the
  // replier's store of kDone tells it in the same step.
  uint32_t word = word_.fetch_or(kAsleep, std::memory_order_acq_rel) | kAsleep;
  while ((word & kStateMask) != kDone) {
    if (!FutexWait(&word_, word, timeout_ns > 0 ? &deadline : nullptr)) return Done();
    word = word_.load(std::memory_order_acquire);
  }
  return true;
}

bool Request::Abandon() {
  uint32_t word = word_.load(std::memory_order_acquire);
  while ((word & kStateMask) != kDone) {
    if (word_.compare_exchange_weak(word, kAbandoned, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

bool Request::Claim() {
  BRIDGE_SYNC_POINT("request.claim");
  uint32_t word = word_.load(std::memory_order_acquire);
  while ((word & kStateMask) == kQueued) {
    if (word_.compare_exchange_weak(word, kRunning | (word & kAsleep), std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

void Request::CompleteAndRelease(Outcome outcome) {
  BRIDGE_SYNC_POINT("request.complete");
  // outcome_ is the replier's until kDone is stored; a waiter that gave up
  // never reads it (it is reset when the request is used again).
  if ((word_.load(std::memory_order_acquire) & kStateMask) != kAbandoned) {
    outcome_ = std::move(outcome);
    uint32_t before = word_.exchange(kDone, std::memory_order_acq_rel);
    // Our reference keeps the word alive through the wake.
    if ((before & kStateMask) != kAbandoned && (before & kAsleep) != 0) FutexWake(&word_, 1);
  }
  BRIDGE_SYNC_POINT("request.release");
  if (Unref()) delete this;
}

bool Request::Unref() { return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1; }

void Request::LetGoOfCallback() {
  if (callback_ != nullptr) callback_->Release();
  callback_ = nullptr;
}

}  // namespace handoff
