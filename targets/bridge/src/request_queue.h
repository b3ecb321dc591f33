// request_queue.h — the FIFO between calling threads and the Ruby workers,
// plus the bridge's run state and worker accounting. No Ruby here.
//
// State machine:  kStopped --Start--> kRunning --Stop--> kStopped
//                 a forked child gets a fresh queue in kForked --Start--> kRunning
// Only kRunning accepts requests. Stop() hands back every queued request so
// the caller completes each with HANDOFF_STOPPED: nothing queued is lost.
//
// Workers: the pool keeps one worker in reserve while it is below
// max_workers, so a block that sleeps, blocks on IO or waits on a nested
// foreign callback never stalls the requests behind it. In reserve is a
// worker idle in WaitForWork, or one out of it and not inside a block (it
// waits for the GVL to pop: it runs as soon as the block before it lets
// go). Workers inside a block are not: it may block. So a pool under load
// from trivial blocks stays at two workers instead of growing to
// max_workers threads that only take turns at the GVL. The queue only
// counts; the Ruby side creates the threads when told to (ReserveSpare).
//
// Memory ordering: everything a pusher wrote before Push() happens-before the
// worker that pops that request returns from TryPop() (one mutex).
//
// Fairness: requests are popped only by a worker that holds the GVL
// (TryPop), oldest first. A worker woken without the GVL (WaitForWork) takes
// nothing: a request it popped there would wait for the GVL, up to a whole
// Ruby time slice (100 ms), while the worker holding the GVL drained newer
// ones past it (harness scenario fairness=K found it).
//
// Fork: CurrentQueue() is replaced in a forked child (pthread_atfork) by a new
// queue in kForked; the parent's queue, its requests and its mutexes are left
// untouched and never used again there, so nothing crosses the fork.
#ifndef HANDOFF_SRC_REQUEST_QUEUE_H
#define HANDOFF_SRC_REQUEST_QUEUE_H

#include <atomic>
#include <condition_variable>
#include <vector>

#include "annotated_mutex.h"
#include "handoff/bridge.h"
#include "post_queue.h"
#include "request.h"

namespace handoff {

class RequestQueue {
 public:
  enum class State { kStopped, kRunning, kForked };

  // One per worker thread; `interrupted` is set by Interrupt(), guarded by
  // the queue's mutex_ (not annotated: the analysis cannot name another
  // object's mutex; only RequestQueue's methods touch it, all under mutex_).
  struct WorkerSlot {
    bool interrupted = false;
  };

  explicit RequestQueue(State initial) : posts_(initial == State::kForked), state_(initial) {}
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;

  // What a new call gets now: HANDOFF_OK (running), STOPPED or FORKED.
  handoff_status Admission();

  // Any thread. Running: appends `r` (the queue now owns the replier's side),
  // sets *queued_ahead (if given) to the requests queued before it, returns
  // HANDOFF_OK. Otherwise returns STOPPED/FORKED without taking it.
  handoff_status Push(Request* r, size_t* queued_ahead = nullptr);

  // Worker, without the GVL: blocks until a request is queued, the queue
  // leaves kRunning or Interrupt(slot) was called. Pops nothing: the caller
  // takes the GVL back, then calls TryPop (which may find the queue drained).
  // When spinning can pay (futex_word.h) one worker at a time first spins
  // a bounded while for a request, still in reserve (pushers wake nobody):
  // under a steady stream of calls it is never put to sleep and woken.
  void WaitForWork(WorkerSlot* slot);
  // Worker, GVL held, nothing in hand: true when the caller must start one
  // more worker before it pops (a request is queued, the pool is below
  // max_workers, and no worker but the caller is in reserve: each is inside
  // a block); the worker is already counted: call
  // SpawnFailed() if it cannot be started. Asked before TryPop, so the
  // thread switch that starting a thread may cause never strands a popped
  // request behind the new worker.
  bool ReserveSpare();
  // Worker, GVL held: the oldest request without blocking, or nullptr.
  Request* TryPop();
  // Worker, GVL held: around running a request's block. A worker inside a
  // block is not in reserve (it may block); BlockStarted wakes an idle one
  // if work is queued and no other worker is in reserve to take it.
  void BlockStarted();
  void BlockEnded();

  // Ruby's unblocking function for a worker in WaitForWork (any thread).
  void Interrupt(WorkerSlot* slot);
  // REQUIRES: the worker is not in WaitForWork (call it before each wait).
  void ClearInterrupt(WorkerSlot* slot);

  // kStopped/kForked -> kRunning. Returns false when already running. On
  // true the caller starts one worker (already counted).
  bool Start(int max_workers);
  // -> kStopped. Returns the queued requests, in order, for the caller to
  // complete with HANDOFF_STOPPED; wakes every waiting worker.
  std::vector<Request*> Stop();

  // A worker that failed to start or exited. Returns true when the caller
  // must start a replacement (running, and the pool would otherwise shrink
  // below what it had); the replacement is already counted.
  void SpawnFailed();
  bool WorkerExited();

  // The bridge's fire-and-forget posts: started and stopped with it,
  // replaced with it in a forked child.
  PostQueue& posts() { return posts_; }

  bool running();
  size_t queued();
  int workers();
  int max_workers();

 private:
  PostQueue posts_;
  Mutex mutex_;
  std::condition_variable work_cv_;
  State state_ GUARDED_BY(mutex_);
  Request* head_ GUARDED_BY(mutex_) = nullptr;  // FIFO: pop at head
  Request* tail_ GUARDED_BY(mutex_) = nullptr;  // push at tail
  int workers_ GUARDED_BY(mutex_) = 0;          // alive or being started
  // Length of the FIFO: written under mutex_, read without it by a
  // spinning worker (a hint: it looks again under the mutex).
  std::atomic<size_t> queued_{0};
  std::atomic<bool> worker_spinning_{false};  // one spinner at a time
  int idle_ GUARDED_BY(mutex_) = 0;             // workers inside WaitForWork
  // Notifications sent by Push and not yet settled by a worker's wake. Push
  // notifies only while idle_ > woken_, so a burst of pushes wakes a
  // sleeping worker once, not once per push.
  int woken_ GUARDED_BY(mutex_) = 0;
  int max_workers_ GUARDED_BY(mutex_) = 1;      // >= 1
  int in_block_ GUARDED_BY(mutex_) = 0;         // workers running a block
  // Workers out of WaitForWork and not inside a block (waiting for the GVL,
  // between two blocks, or starting): each pops without being woken.
  int InReserve() REQUIRES(mutex_) { return workers_ - idle_ - in_block_; }
  // Wakes one sleeping worker if work is queued and no worker will pop it
  // unwoken; true when the caller must notify work_cv_ (after unlocking).
  bool NeedsWake() REQUIRES(mutex_);
  // The bounded spin of WaitForWork; true when a request came.
  bool SpinForWork();

  friend void ForkPrepare();
  friend void ForkParent();
  friend void ForkChild();
};

// The queue of this process. Never freed: foreign threads may call in during
// and after VM shutdown and must find a (stopped) queue.
RequestQueue& CurrentQueue();

}  // namespace handoff

#endif
