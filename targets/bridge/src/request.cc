#include "request.h"

#include <chrono>

#include "callback_handle.h"
#include "sync_points.h"

namespace handoff {

Request::Request(CallbackHandle* callback, std::vector<OwnedValue> args)
    : callback_(callback), args_(std::move(args)) {
  if (callback_ != nullptr) callback_->Retain();
}

Outcome Request::WaitAndRelease(int64_t timeout_ns) {
  Outcome result;
  BRIDGE_SYNC_POINT("request.wait");
  {
    MutexLock lock(&mutex_);
    if (timeout_ns <= 0) {
      while (state_ != State::kDone) lock.Wait(&done_cv_);
    } else {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
      while (state_ != State::kDone && lock.WaitUntil(&done_cv_, deadline)) {
      }
    }
    if (state_ == State::kDone) {
      result = std::move(outcome_);
    } else {
      state_ = State::kAbandoned;
      result = MakeOutcome(HANDOFF_TIMED_OUT, "", "handoff: no reply within the deadline");
    }
  }
  Release();
  return result;
}

bool Request::Claim() {
  BRIDGE_SYNC_POINT("request.claim");
  MutexLock lock(&mutex_);
  if (state_ != State::kQueued) return false;
  state_ = State::kRunning;
  return true;
}

void Request::CompleteAndRelease(Outcome outcome) {
  BRIDGE_SYNC_POINT("request.complete");
  bool wake = false;
  {
    MutexLock lock(&mutex_);
    if (state_ != State::kAbandoned) {
      outcome_ = std::move(outcome);
      state_ = State::kDone;
      wake = true;
    }
  }
  // After the unlock, so the woken waiter does not block at once on the
  // mutex still held here. The condition variable outlives this: the
  // request is freed only when our reference goes too (Release, below).
  if (wake) done_cv_.notify_one();
  BRIDGE_SYNC_POINT("request.release");
  Release();
}

void Request::Release() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    if (callback_ != nullptr) callback_->Release();
    delete this;
  }
}

}  // namespace handoff
