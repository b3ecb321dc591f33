#include "futex_word.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace handoff {

bool FutexWait(std::atomic<uint32_t>* word, uint32_t expected, const timespec* deadline) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline.
  long rc = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word),
                    FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, deadline, nullptr,
                    FUTEX_BITSET_MATCH_ANY);
  return !(rc == -1 && errno == ETIMEDOUT);
}

void FutexWake(std::atomic<uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count,
          nullptr, nullptr, 0);
}

timespec MonotonicAfter(int64_t ns) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  int64_t total = static_cast<int64_t>(t.tv_nsec) + ns % 1000000000;
  t.tv_sec += static_cast<time_t>(ns / 1000000000 + total / 1000000000);
  t.tv_nsec = static_cast<long>(total % 1000000000);
  return t;
}

bool SpinningCanPay() {
  static const bool can_pay = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
    return CPU_COUNT(&set) > 1;
  }();
  return can_pay;
}

}  // namespace handoff
