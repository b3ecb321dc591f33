// request.h — one call in flight from a waiting thread to the Ruby side.
//
// A Request is shared by exactly two parties, the waiter (the thread inside
// handoff_invoke) and the replier (whoever completes it: a Ruby worker, or
// the queue when it stops). Each holds one reference and drops it when done;
// a waiter that gives up (deadline) can never free a request a replier
// still touches, and a replier never wakes a waiter that is gone (a
// use-after-free of an abandoned request).
//
// The hand-over is one atomic word: the replier writes the outcome, then
// stores kDone; the waiter spins a little for it when that can pay, else
// sleeps on the word itself (futex_word.h), and is woken only if it said in
// the word that it sleeps. Each completion wakes its waiter at once: a
// worker that held wakes to ring several callers together (one system call
// a batch) held them across the next block too, and a block that waits for
// what a held caller does next (a Queue it pushes to once its call
// returns, a nested call) never ended. No mutex, no condition variable, no allocation: a waiting
// thread keeps its request and reuses it for its next call when the
// replier let go of it first (RequestCache, request_cache.h).
//
// Memory ordering: everything the replier wrote before CompleteAndRelease()
// happens-before the waiter's wait returns that outcome; everything the
// waiter wrote before queueing the request happens-before Claim() returns
// true (the queue's mutex). The word's release/acquire pairs order them.
#ifndef HANDOFF_SRC_REQUEST_H
#define HANDOFF_SRC_REQUEST_H

#include <atomic>
#include <cstdint>
#include <vector>

#include "owned_value.h"

namespace handoff {

struct CallbackHandle;

class Request {
 public:
  Request() = default;
  // Begin(callback) with these arguments.
  Request(CallbackHandle* callback, std::vector<OwnedValue> args);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  // Waiter: readies a new request, or one its last WaitAndKeep kept, for a
  // call to `callback` (retained until both parties let go). Two references.
  void Begin(CallbackHandle* callback);
  // Waiter, between Begin and queueing: the call's arguments, to fill in.
  // Their buffers are kept from call to call (OwnedValue).
  std::vector<OwnedValue>* args_to_fill() { return &args_; }

  // Waiter, between Begin and queueing: a buffer for the reply, made on
  // the waiter's thread (CallBlock's reply_room). Replier, once claimed:
  // takes it.
  MallocBytes* reply_room() { return &reply_room_; }

  CallbackHandle* callback() const { return callback_; }
  // REQUIRES: the caller claimed the request (Claim() returned true).
  const std::vector<OwnedValue>& args() const { return args_; }

  // Waiter: blocks until CompleteAndRelease() or, if timeout_ns > 0, the
  // deadline; first spins up to `spin_rounds` (0: sleeps at once). On a
  // deadline the request is abandoned: a later Claim() fails and a later
  // completion is dropped. Drops the waiter's reference. *kept: the replier
  // had let go already, so the waiter may Begin() this request again (or
  // delete it); otherwise the replier frees it and the waiter must forget it.
  Outcome WaitAndKeep(int64_t timeout_ns, int spin_rounds, bool* kept);
  // WaitAndKeep without spinning, for a waiter that keeps nothing: the
  // request is freed by whichever party lets go last.
  Outcome WaitAndRelease(int64_t timeout_ns);

  // Replier: true when the waiter still waits and the call should run. Once
  // true, a deadline can still abandon it, but its arguments stay readable
  // until the replier lets go.
  bool Claim();

  // Replier: hands `outcome` to the waiter (dropped if it gave up) and drops
  // the replier's reference: the replier must not touch the request afterwards.
  // A sleeping waiter is woken at once.
  void CompleteAndRelease(Outcome outcome);

  Request* next = nullptr;  // intrusive FIFO link, guarded by the queue's mutex

 private:
  // The word: a state, and kAsleep once the waiter sleeps (or is about to).
  static constexpr uint32_t kQueued = 0, kRunning = 1, kDone = 2, kAbandoned = 3;
  static constexpr uint32_t kStateMask = 3, kAsleep = 4;

  // Waits for kDone, spinning first; false when the deadline passed first.
  bool AwaitDone(int64_t timeout_ns, int spin_rounds);
  bool Done() const;
  // Marks the request abandoned unless it is done; false when it was done.
  bool Abandon();
  // Drops one reference; true when it was the last.
  bool Unref();
  void LetGoOfCallback();

  CallbackHandle* callback_ = nullptr;  // retained while the request is in use
  std::vector<OwnedValue> args_;
  MallocBytes reply_room_;
  std::atomic<uint32_t> word_{kQueued};
  std::atomic<int> refs_{0};
  Outcome outcome_;  // the replier's until kDone is stored, then the waiter's
};

}  // namespace handoff

#endif
