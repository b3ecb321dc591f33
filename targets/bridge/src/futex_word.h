// futex_word.h — waiting on one 32-bit word, and the bounded spin before it.
//
// A thread that waits for another's hand-over either spins a little (the
// other thread is running on another CPU and answers within microseconds)
// or sleeps in the kernel on the word until it changes. Linux only.
//
// Memory ordering: none of its own. A futex sleep and wake order nothing a
// race detector sees; the word's atomic operations (acquire/release, by the
// caller) order the data handed over. Every wait may return spuriously:
// callers re-read the word.
#ifndef HANDOFF_SRC_FUTEX_WORD_H
#define HANDOFF_SRC_FUTEX_WORD_H

#include <atomic>
#include <cstdint>
#include <ctime>

namespace handoff {

// Sleeps while `*word` holds `expected`, until woken or, when `deadline` is
// not null, until that CLOCK_MONOTONIC time. Returns false only when the
// deadline passed. May return true spuriously.
bool FutexWait(std::atomic<uint32_t>* word, uint32_t expected, const timespec* deadline);

// Wakes up to `count` threads sleeping on `word`.
void FutexWake(std::atomic<uint32_t>* word, int count);

// CLOCK_MONOTONIC now plus `ns`.
timespec MonotonicAfter(int64_t ns);

// Whether spinning can pay: false when this process may run on one CPU
// only (the thread it waits for cannot run while it spins). Read once, at
// the first call (affinity is a process's start-up setting).
bool SpinningCanPay();

// Spins up to `rounds` short pauses while `done()` is false; true when it
// became true. Bounded by a count, not a clock: under a harness that runs
// threads one at a time its clock may stand still.
template <typename Done>
bool SpinUntil(int rounds, Done done) {
  for (int i = 0; i < rounds; ++i) {
    if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  return done();
}

}  // namespace handoff

#endif
