#include "post_queue.h"

#include <sched.h>

#include "callback_handle.h"
#include "futex_word.h"
#include "sync_points.h"

namespace handoff {

PostQueue::Ring::Ring(size_t capacity) {
  size_t size = 1;
  while (size < capacity) size <<= 1;
  mask = size - 1;
  cells.reset(new Cell[size]);
  for (size_t i = 0; i < size; ++i) cells[i].sequence.store(i, std::memory_order_relaxed);
}

bool PostQueue::Start(size_t capacity, Policy policy) {
  forked_refusal_.store(false, std::memory_order_relaxed);
  Ring* ring = ring_.load(std::memory_order_relaxed);
  if (ring == nullptr || ring->mask + 1 < capacity || (ring->mask + 1) / 2 >= capacity) {
    // Stopped and drained: no post is in a cell, no poster inside.
    rings_.push_back(std::make_unique<Ring>(capacity < 1 ? 1 : capacity));
    enqueue_at_.store(0, std::memory_order_relaxed);
    dequeue_at_.store(0, std::memory_order_relaxed);
    ring_.store(rings_.back().get(), std::memory_order_release);
  }
  capacity_.store(capacity < 1 ? 1 : capacity, std::memory_order_relaxed);
  policy_.store(static_cast<uint32_t>(policy), std::memory_order_relaxed);
  posted_ = run_ = failed_ = dropped_oldest_ = dropped_stopped_ = refused_ = 0;
  interrupted_.store(false, std::memory_order_relaxed);
  state_.store(kRunning, std::memory_order_seq_cst);
  bool expected = false;
  return taker_alive_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
}

void PostQueue::Stop() {
  state_.store(kStopped, std::memory_order_seq_cst);
  WakeRoomWaiters();  // a poster waiting for room sees the stop and is refused
  while (in_progress_.load(std::memory_order_seq_cst) != 0) sched_yield();
  Entry dropped;
  while (TakeOldest(&dropped)) {
    dropped_stopped_.fetch_add(1, std::memory_order_relaxed);
    Release(&dropped);
  }
  WakeTaker();
}

handoff_status PostQueue::Refused(handoff_status status) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  return status;
}

handoff_status PostQueue::Post(CallbackHandle* callback, const handoff_value* args, size_t nargs,
                               bool may_wait) {
  BRIDGE_SYNC_POINT("post.push");
  in_progress_.fetch_add(1, std::memory_order_seq_cst);
  handoff_status status = HANDOFF_OK;
  Cell* cell = nullptr;
  while (status == HANDOFF_OK && cell == nullptr) {
    if (state_.load(std::memory_order_seq_cst) != kRunning) {
      status = forked_refusal_.load(std::memory_order_relaxed) ? HANDOFF_FORKED : HANDOFF_STOPPED;
    } else if ((cell = ClaimCell(ring_.load(std::memory_order_acquire))) == nullptr) {
      MakeRoom(may_wait, &status);
    }
  }
  if (cell != nullptr) {
    callback->Retain();
    cell->entry.callback = callback;
    CopyValidArgs(args, nargs, &cell->entry.args);
    posted_.fetch_add(1, std::memory_order_relaxed);
    // seq_cst: published before WakeTaker looks whether the taker sleeps.
    cell->sequence.store(cell->sequence.load(std::memory_order_relaxed) + 1,
                         std::memory_order_seq_cst);
    WakeTaker();
  }
  in_progress_.fetch_sub(1, std::memory_order_seq_cst);
  return status == HANDOFF_OK ? status : Refused(status);
}

// The cell at the next position, claimed when it is free (its sequence
// equals the position) and fewer than capacity_ posts wait (the ring is a
// power of two, maybe bigger); nullptr when full.
PostQueue::Cell* PostQueue::ClaimCell(Ring* ring) {
  uint64_t position = enqueue_at_.load(std::memory_order_relaxed);
  for (;;) {
    if (position - dequeue_at_.load(std::memory_order_acquire) >=
        capacity_.load(std::memory_order_relaxed)) {
      return nullptr;
    }
    Cell* cell = &ring->cells[position & ring->mask];
    uint64_t sequence = cell->sequence.load(std::memory_order_acquire);
    auto lag = static_cast<int64_t>(sequence - position);
    if (lag == 0) {
      if (enqueue_at_.compare_exchange_weak(position, position + 1, std::memory_order_seq_cst)) {
        return cell;
      }
    } else if (lag < 0) {
      return nullptr;  // the cell still holds the post of a lap ago: full
    } else {
      position = enqueue_at_.load(std::memory_order_relaxed);
    }
  }
}

bool PostQueue::MakeRoom(bool may_wait, handoff_status* status) {
  switch (static_cast<Policy>(policy_.load(std::memory_order_relaxed))) {
    case Policy::kDropOldest: {
      Entry oldest;
      if (TakeOldest(&oldest)) {
        dropped_oldest_.fetch_add(1, std::memory_order_relaxed);
        Release(&oldest);
      }
      return true;
    }
    case Policy::kBlock:
      if (may_wait) {
        WaitForRoom();
        return true;
      }
      break;
    case Policy::kDropNewest:
    case Policy::kFail: break;
  }
  *status = HANDOFF_FULL;
  return false;
}

// Sleeps while more than half the ring is taken (the taker wakes every
// waiter once it has taken the queue down to half: WakeRoomWaiters).
void PostQueue::WaitForRoom() {
  BRIDGE_SYNC_POINT("post.wait_for_room");
  uint32_t bell = room_bell_.load(std::memory_order_seq_cst);
  room_waiters_.fetch_add(1, std::memory_order_seq_cst);
  uint64_t waiting = enqueue_at_.load(std::memory_order_seq_cst) -
                     dequeue_at_.load(std::memory_order_seq_cst);
  if (waiting > capacity_.load(std::memory_order_relaxed) / 2 &&
      state_.load(std::memory_order_seq_cst) == kRunning) {
    FutexWait(&room_bell_, bell, nullptr);
  }
  room_waiters_.fetch_sub(1, std::memory_order_seq_cst);
}

// The oldest published cell, taken (its sequence set one lap on: free).
bool PostQueue::TakeOldest(Entry* entry) {
  Ring* ring = ring_.load(std::memory_order_acquire);
  if (ring == nullptr) return false;
  uint64_t position = dequeue_at_.load(std::memory_order_relaxed);
  for (;;) {
    Cell* cell = &ring->cells[position & ring->mask];
    uint64_t sequence = cell->sequence.load(std::memory_order_acquire);
    auto lag = static_cast<int64_t>(sequence - (position + 1));
    if (lag == 0) {
      if (dequeue_at_.compare_exchange_weak(position, position + 1, std::memory_order_seq_cst)) {
        std::swap(entry->callback, cell->entry.callback);
        entry->args.swap(cell->entry.args);
        // seq_cst: freed before WakeRoomWaiters looks for waiters.
        cell->sequence.store(position + ring->mask + 1, std::memory_order_seq_cst);
        // Waiters for room are woken together once half the ring is free
        // (or it is empty): not each of them at every post taken.
        uint64_t waiting = enqueue_at_.load(std::memory_order_relaxed) - (position + 1);
        if (waiting <= capacity_.load(std::memory_order_relaxed) / 2) WakeRoomWaiters();
        return true;
      }
    } else if (lag < 0) {
      return false;  // empty (or the oldest is still being written)
    } else {
      position = dequeue_at_.load(std::memory_order_relaxed);
    }
  }
}

bool PostQueue::TryTake(Entry* entry) {
  BRIDGE_SYNC_POINT("post.take");
  return running() && TakeOldest(entry);
}

void PostQueue::Finished(Entry* entry, bool ran) {
  (ran ? run_ : failed_).fetch_add(1, std::memory_order_relaxed);
  Release(entry);
}

void PostQueue::Release(Entry* entry) {
  if (entry->callback != nullptr) entry->callback->Release();
  entry->callback = nullptr;
  for (OwnedValue& v : entry->args) v.bytes.GiveBackAbove(kKeptArgBytes);
}

// Sleeps unless a post is queued: the taker says it sleeps, then looks
// once more (a poster publishes, then looks whether the taker sleeps: one
// of the two sees the other; seq_cst on both sides).
void PostQueue::WaitForPosts() {
  BRIDGE_SYNC_POINT("post.wait");
  uint32_t bell = taker_bell_.load(std::memory_order_seq_cst);
  taker_asleep_.store(true, std::memory_order_seq_cst);
  Ring* ring = ring_.load(std::memory_order_acquire);
  uint64_t position = dequeue_at_.load(std::memory_order_seq_cst);
  bool empty = ring->cells[position & ring->mask].sequence.load(std::memory_order_seq_cst) !=
               position + 1;
  if (empty && running() && !interrupted_.load(std::memory_order_seq_cst)) {
    FutexWait(&taker_bell_, bell, nullptr);
  }
  taker_asleep_.store(false, std::memory_order_relaxed);
  interrupted_.store(false, std::memory_order_relaxed);
}

void PostQueue::Interrupt() {
  interrupted_.store(true, std::memory_order_seq_cst);
  taker_bell_.fetch_add(1, std::memory_order_seq_cst);
  FutexWake(&taker_bell_, 1);
}

void PostQueue::WakeTaker() {
  if (!taker_asleep_.load(std::memory_order_seq_cst)) return;
  taker_bell_.fetch_add(1, std::memory_order_seq_cst);
  FutexWake(&taker_bell_, 1);
}

void PostQueue::WakeRoomWaiters() {
  if (room_waiters_.load(std::memory_order_seq_cst) == 0) return;
  room_bell_.fetch_add(1, std::memory_order_seq_cst);
  FutexWake(&room_bell_, INT32_MAX);
}

bool PostQueue::LeaveTaker() {
  taker_alive_.store(false, std::memory_order_seq_cst);
  if (!running()) return false;
  bool expected = false;  // a Start came after we saw the stop: serve its run
  return taker_alive_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
}

void PostQueue::TakerFailed() { taker_alive_.store(false, std::memory_order_seq_cst); }

handoff_stats PostQueue::Stats() const {
  handoff_stats s{};
  s.posted = posted_.load(std::memory_order_relaxed);
  s.run = run_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.dropped_oldest = dropped_oldest_.load(std::memory_order_relaxed);
  s.dropped_stopped = dropped_stopped_.load(std::memory_order_relaxed);
  s.dropped = s.dropped_oldest + s.dropped_stopped;
  s.refused = refused_.load(std::memory_order_relaxed);
  uint64_t ended = s.run + s.failed + s.dropped;
  uint64_t waiting = enqueue_at_.load(std::memory_order_relaxed) -
                     dequeue_at_.load(std::memory_order_relaxed);
  s.queued = s.posted >= ended ? waiting : 0;
  return s;
}

}  // namespace handoff
