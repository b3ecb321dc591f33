#include "request_queue.h"

#include <pthread.h>

#include <atomic>

#include "futex_word.h"
#include "sync_points.h"

#ifdef HANDOFF_SYNC_POINTS
namespace handoff {
BridgeSyncHook g_bridge_sync_hook = nullptr;  // set by the harness adapter (target/bridge_target.cc)
}  // namespace handoff
#endif

namespace handoff {

handoff_status RequestQueue::Admission() {
  MutexLock lock(&mutex_);
  switch (state_) {
    case State::kRunning: return HANDOFF_OK;
    case State::kForked: return HANDOFF_FORKED;
    case State::kStopped: break;
  }
  return HANDOFF_STOPPED;
}

handoff_status RequestQueue::Push(Request* r, size_t* queued_ahead) {
  BRIDGE_SYNC_POINT("queue.push");
  bool wake = false;
  {
    MutexLock lock(&mutex_);
    if (state_ == State::kForked) return HANDOFF_FORKED;
    if (state_ != State::kRunning) return HANDOFF_STOPPED;
    r->next = nullptr;
    if (tail_ == nullptr) {
      head_ = r;
    } else {
      tail_->next = r;
    }
    tail_ = r;
    size_t ahead = queued_.load(std::memory_order_relaxed);
    queued_.store(ahead + 1, std::memory_order_relaxed);
    if (queued_ahead != nullptr) *queued_ahead = ahead;
    wake = NeedsWake();
  }
  // After the unlock, so the woken worker does not block at once on mutex_
  // (on one CPU it preempts the pusher, then waits for it to unlock). The
  // queue is never freed (CurrentQueue), so its cv outlives this.
  if (wake) work_cv_.notify_one();
  return HANDOFF_OK;
}

bool RequestQueue::NeedsWake() {
  // A worker asleep that no pusher woke yet, and no worker in reserve.
  bool wake = head_ != nullptr && idle_ > woken_ && InReserve() <= 0;
  if (wake) ++woken_;
  return wake;
}

void RequestQueue::BlockStarted() {
  bool wake;
  {
    MutexLock lock(&mutex_);
    ++in_block_;
    wake = NeedsWake();  // this worker just left the reserve
  }
  if (wake) work_cv_.notify_one();
}

void RequestQueue::BlockEnded() {
  MutexLock lock(&mutex_);
  --in_block_;
}

bool RequestQueue::SpinForWork() {
  constexpr int kWorkSpinRounds = 20000;  // about a hundred microseconds
  if (!SpinningCanPay() || worker_spinning_.exchange(true, std::memory_order_acquire)) return false;
  bool came = SpinUntil(kWorkSpinRounds,
                        [this] { return queued_.load(std::memory_order_relaxed) != 0; });
  worker_spinning_.store(false, std::memory_order_release);
  return came;
}

void RequestQueue::WaitForWork(WorkerSlot* slot) {
  BRIDGE_SYNC_POINT("queue.wait_for_work");
  if (SpinForWork()) return;
  MutexLock lock(&mutex_);
  ++idle_;
  while (head_ == nullptr && state_ == State::kRunning && !slot->interrupted) {
    lock.Wait(&work_cv_);
    // Any wake settles one pending notification, whether or not work is
    // there now: a count that outlived its notification would keep every
    // later Push from notifying (a lost wakeup: all workers asleep).
    if (woken_ > 0) --woken_;
  }
  --idle_;
}

bool RequestQueue::ReserveSpare() {
  MutexLock lock(&mutex_);
  if (state_ != State::kRunning || head_ == nullptr || idle_ > 0 || workers_ >= max_workers_) {
    return false;
  }
  if (InReserve() - 1 > 0) return false;  // one besides the caller
  ++workers_;
  return true;
}

Request* RequestQueue::TryPop() {
  BRIDGE_SYNC_POINT("queue.try_pop");
  MutexLock lock(&mutex_);
  Request* r = head_;
  if (state_ != State::kRunning || r == nullptr) return nullptr;
  head_ = r->next;
  if (head_ == nullptr) tail_ = nullptr;
  queued_.store(queued_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  r->next = nullptr;
  return r;
}

void RequestQueue::Interrupt(WorkerSlot* slot) {
  MutexLock lock(&mutex_);
  slot->interrupted = true;
  work_cv_.notify_all();  // the cv is shared: wake all, each re-checks its own slot
}

void RequestQueue::ClearInterrupt(WorkerSlot* slot) {
  MutexLock lock(&mutex_);
  slot->interrupted = false;
}

bool RequestQueue::Start(int max_workers) {
  MutexLock lock(&mutex_);
  if (state_ == State::kRunning) return false;
  state_ = State::kRunning;
  max_workers_ = max_workers < 1 ? 1 : max_workers;
  ++workers_;
  return true;
}

std::vector<Request*> RequestQueue::Stop() {
  std::vector<Request*> drained;
  MutexLock lock(&mutex_);
  if (state_ == State::kRunning) state_ = State::kStopped;
  for (Request* r = head_; r != nullptr;) {
    Request* next = r->next;
    r->next = nullptr;
    drained.push_back(r);
    r = next;
  }
  head_ = tail_ = nullptr;
  queued_.store(0, std::memory_order_relaxed);
  work_cv_.notify_all();
  return drained;
}

void RequestQueue::SpawnFailed() {
  MutexLock lock(&mutex_);
  --workers_;
}

bool RequestQueue::WorkerExited() {
  MutexLock lock(&mutex_);
  if (state_ == State::kRunning) return true;  // replaced 1:1, count unchanged
  --workers_;
  return false;
}

bool RequestQueue::running() {
  MutexLock lock(&mutex_);
  return state_ == State::kRunning;
}

size_t RequestQueue::queued() {
  MutexLock lock(&mutex_);
  return queued_.load(std::memory_order_relaxed);
}

int RequestQueue::workers() {
  MutexLock lock(&mutex_);
  return workers_;
}

int RequestQueue::max_workers() {
  MutexLock lock(&mutex_);
  return max_workers_;
}

// ---- the process's queue, and fork --------------------------------------

static std::atomic<RequestQueue*> g_queue{nullptr};

// Held from before fork() to after it in the parent: across two functions,
// which the analysis cannot follow.
void ForkPrepare() NO_THREAD_SAFETY_ANALYSIS { CurrentQueue().mutex_.Lock(); }
void ForkParent() NO_THREAD_SAFETY_ANALYSIS { CurrentQueue().mutex_.Unlock(); }
void ForkChild() {
  // The parent's queue stays locked and is leaked: its requests belong to
  // threads that do not exist here and must never be replayed.
  g_queue.store(new RequestQueue(RequestQueue::State::kForked), std::memory_order_release);
}

static RequestQueue* CreateQueue() {
  static RequestQueue* const first = [] {
    auto* q = new RequestQueue(RequestQueue::State::kStopped);
    g_queue.store(q, std::memory_order_release);
    pthread_atfork([] { ForkPrepare(); }, [] { ForkParent(); }, [] { ForkChild(); });
    return q;
  }();
  return first;
}

RequestQueue& CurrentQueue() {
  RequestQueue* q = g_queue.load(std::memory_order_acquire);
  if (q == nullptr) q = CreateQueue();
  return *q;
}

}  // namespace handoff
