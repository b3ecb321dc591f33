// post_queue.h — the bounded queue of fire-and-forget posts between any
// thread and the bridge's post thread, its policy when full, and its
// counters. No Ruby here.
//
// A ring of cells (a bounded multi-producer queue: each cell's sequence
// number says whether it is free or holds a post), so that posting takes no
// lock and, once the ring is warm, allocates nothing: a cell keeps its
// argument buffers (up to kKeptArgBytes) from post to post, swapped with
// the taker's. Posts are taken in the order they were accepted.
//
// Lifecycle: Start (kRunning) and Stop (refuses new posts, waits for posts
// being made to finish, drops and counts every queued one, wakes the post
// thread). A post that saw kRunning is either in the ring before Stop
// drains it or refused: posts in progress are counted (in_progress_) and
// Stop waits for them. One post thread at a time takes posts (the taker):
// Start asks for one only when none is alive, and a taker that finds the
// queue stopped ends only if no Start came meanwhile (LeaveTaker).
//
#ifndef HANDOFF_SRC_POST_QUEUE_H
#define HANDOFF_SRC_POST_QUEUE_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "handoff/bridge.h"
#include "owned_value.h"

namespace handoff {

struct CallbackHandle;

class PostQueue {
 public:
  enum class Policy { kBlock, kDropNewest, kDropOldest, kFail };

  // One post: the callback (retained while queued) and its arguments.
  struct Entry {
    CallbackHandle* callback = nullptr;
    std::vector<OwnedValue> args;
  };

  // A cell's argument buffers above this are given back after each post.
  static constexpr size_t kKeptArgBytes = 256;

  // `forked`: the queue of a forked child, which refuses posts with
  // HANDOFF_FORKED until started.
  explicit PostQueue(bool forked) : forked_refusal_(forked) {}
  PostQueue(const PostQueue&) = delete;
  PostQueue& operator=(const PostQueue&) = delete;

  // GVL held, not running: accepts posts again, `capacity` at once (>= 1,
  // rounded up to a power of two). True when the caller must start a post
  // thread (none is alive: it is counted as the taker already).
  bool Start(size_t capacity, Policy policy);
  // Refuses posts from now on, drops (and counts) every queued post, wakes
  // the post thread. Any thread but a poster.
  void Stop();

  // Any thread. REQUIRES: ValidArgs(args, nargs). `may_wait`: the caller
  // may wait for room (false on a thread holding the GVL).
  handoff_status Post(CallbackHandle* callback, const handoff_value* args, size_t nargs,
                      bool may_wait);

  // The post thread, without the GVL: returns when a post may be taken,
  // the queue stops, or Interrupt() was called.
  void WaitForPosts();
  void Interrupt();
  // The post thread: swaps the oldest post into *entry; false when none.
  bool TryTake(Entry* entry);
  // The post thread, after running *entry (`ran`: the block returned) or
  // failing it: counts it, lets go of its callback and of big buffers.
  void Finished(Entry* entry, bool ran);
  // The post thread, ending (stopped, killed or unable to go on): true
  // when it must go on serving instead (a Start came meanwhile).
  bool LeaveTaker();
  // A post thread that could not be started: gives its place back.
  void TakerFailed();

  bool running() const { return state_.load(std::memory_order_acquire) == kRunning; }
  // Counts a post refused before it reached the queue; returns `status`.
  handoff_status Refused(handoff_status status);
  handoff_stats Stats() const;

 private:
  struct Cell {
    std::atomic<uint64_t> sequence{0};
    Entry entry;
  };
  struct Ring {
    explicit Ring(size_t capacity);
    uint64_t mask;
    std::unique_ptr<Cell[]> cells;
  };
  enum State : uint32_t { kStopped = 0, kRunning = 1 };

  // Claims the next free cell; nullptr when the ring is full.
  Cell* ClaimCell(Ring* ring);
  // Takes the oldest published post into *entry; false when none.
  bool TakeOldest(Entry* entry);
  // Room for one more, by the policy; false with *status when refused.
  bool MakeRoom(bool may_wait, handoff_status* status);
  void WaitForRoom();
  void WakeTaker();
  void WakeRoomWaiters();
  static void Release(Entry* entry);

  // Replaced only while stopped with no poster inside; a ring replaced is
  // kept (a post thread of an earlier run may still look at it).
  std::atomic<bool> forked_refusal_;  // refuses with FORKED until started
  std::atomic<Ring*> ring_{nullptr};
  std::vector<std::unique_ptr<Ring>> rings_;  // GVL (Start)
  std::atomic<uint64_t> capacity_{1};         // the most posts that wait at once
  std::atomic<uint32_t> policy_{0};           // a Policy
  std::atomic<uint32_t> state_{kStopped};
  std::atomic<bool> taker_alive_{false};
  std::atomic<int> in_progress_{0};      // posts past the state check, not done
  std::atomic<uint64_t> enqueue_at_{0};  // next position to claim
  std::atomic<uint64_t> dequeue_at_{0};  // next position to take
  std::atomic<uint32_t> taker_bell_{0};  // rung when a post is queued while the taker sleeps
  std::atomic<bool> taker_asleep_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<uint32_t> room_bell_{0};  // rung when a post is taken and someone waits for room
  std::atomic<int> room_waiters_{0};
  // Counters (handoff_stats).
  std::atomic<uint64_t> posted_{0}, run_{0}, failed_{0}, dropped_oldest_{0}, dropped_stopped_{0},
      refused_{0};
};

}  // namespace handoff

#endif
