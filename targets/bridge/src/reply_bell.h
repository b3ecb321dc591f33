// reply_bell.h — the word every sleeping caller waits on for its reply, and
// the worker's batch of wakes rung together.
//
// A caller sleeps on the bell with its thread's bit (one of 32); a replier
// that completed requests whose callers sleep rings the bell for all their
// bits at once: one system call wakes every caller of a batch. Rung that
// way, a CPU that serves a batch is given up once to the woken callers, not
// once per call (each wake of a caller with a better claim to the CPU than
// the worker would otherwise preempt the worker at once).
//
// A batch's callers are woken when the worker has served the batch (or 16
// calls of it), so a call done before a slow block of the same batch would
// wait for that block too: the worker rings before a block once a held
// call is over 20 us old, or its last block or that callback's last block
// ran that long (worker_pool.cc).
// (Callers that nap instead, a timed futex wait each, halved the pinned
// 16-thread throughput: arming a timer costs the VM an exit.)
//
// Memory ordering: Ring's increment of the bell comes after the completions
// it announces (their release stores), and a sleeper reads the bell before
// it looks at its request a last time (seq_cst): a completion it did not
// see has not rung yet, so its sleep on the old value cannot miss it.
#ifndef HANDOFF_SRC_REPLY_BELL_H
#define HANDOFF_SRC_REPLY_BELL_H

#include <cstdint>
#include <ctime>

namespace handoff {

// This thread's bit (one of 32, given out in turn).
uint32_t ReplyBellBitOfThisThread();

// Sleeps until the bell rings for `bit` (or spuriously), unless `still_waiting`
// is already false once the bell's value is read; false when `deadline`
// (CLOCK_MONOTONIC, may be null) passed.
template <typename StillWaiting>
bool SleepOnReplyBell(uint32_t bit, const timespec* deadline, StillWaiting still_waiting);

// Wakes every caller sleeping with one of `bits` now.
void RingReplyBell(uint32_t bits);

// A worker's wakes not rung yet. REQUIRES: one thread at a time.
class PendingRings {
 public:
  void Add(uint32_t bit) {
    bits_ |= bit;
    ++count_;
  }
  int count() const { return count_; }
  // Rings for every bit added since the last Ring.
  void Ring() {
    if (bits_ != 0) RingReplyBell(bits_);
    bits_ = 0;
    count_ = 0;
  }

 private:
  uint32_t bits_ = 0;
  int count_ = 0;
};

// ---- implementation ----------------------------------------------------

uint32_t ReplyBellValue();
bool SleepOnReplyBellValue(uint32_t value, uint32_t bit, const timespec* deadline);

template <typename StillWaiting>
bool SleepOnReplyBell(uint32_t bit, const timespec* deadline, StillWaiting still_waiting) {
  uint32_t value = ReplyBellValue();
  if (!still_waiting()) return true;
  return SleepOnReplyBellValue(value, bit, deadline);
}

}  // namespace handoff

#endif
