// request.h — one call in flight from a waiting thread to the Ruby side.
//
// A Request is shared by exactly two parties, the waiter (the thread inside
// handoff_invoke) and the replier (whoever completes it: a Ruby worker, or
// the queue when it stops). Each holds one reference and drops it with
// Release() when done; the last one frees it. So a waiter that gives up
// (deadline) can never free a request a replier still touches, and a replier
// never signals a condition variable the waiter already destroyed (bug class
// 8, use-after-free of an abandoned request). Complete() notifies just after
// releasing the request's mutex (so the woken waiter does not block on it);
// the replier's own reference keeps the condition variable alive until then.
//
// Memory ordering: everything the replier wrote before Complete()
// happens-before Wait() returns its outcome (the request mutex orders them).
#ifndef HANDOFF_SRC_REQUEST_H
#define HANDOFF_SRC_REQUEST_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <vector>

#include "annotated_mutex.h"
#include "owned_value.h"

namespace handoff {

struct CallbackHandle;

class Request {
 public:
  // Starts with two references: the waiter's and the replier's.
  Request(CallbackHandle* callback, std::vector<OwnedValue> args);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  CallbackHandle* callback() const { return callback_; }
  // REQUIRES: the caller claimed the request (Claim() returned true).
  const std::vector<OwnedValue>& args() const { return args_; }

  // Waiter: blocks until Complete() or, if timeout_ns > 0, the deadline. On a
  // deadline the request is marked abandoned: a later Claim() fails and a
  // later Complete() drops its outcome. Drops the waiter's reference: the
  // waiter must not touch the request afterwards.
  Outcome WaitAndRelease(int64_t timeout_ns);

  // Replier: true when the waiter still waits and the call should run. Once
  // true, the waiter can no longer abandon it before Complete().
  bool Claim();

  // Replier: hands `outcome` to the waiter (dropped if it gave up) and drops
  // the replier's reference: the replier must not touch the request afterwards.
  void CompleteAndRelease(Outcome outcome);

  Request* next = nullptr;  // intrusive FIFO link, guarded by the queue's mutex

 private:
  enum class State { kQueued, kRunning, kDone, kAbandoned };
  void Release();

  CallbackHandle* const callback_;  // retained for the request's lifetime
  std::vector<OwnedValue> args_;
  std::atomic<int> refs_{2};
  Mutex mutex_;
  std::condition_variable done_cv_;
  State state_ GUARDED_BY(mutex_) = State::kQueued;
  Outcome outcome_ GUARDED_BY(mutex_);  // valid when kDone
};

}  // namespace handoff

#endif
