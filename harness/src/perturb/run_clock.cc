#include "perturb/run_clock.h"

#include <time.h>

#include "perturb/controlled_scheduler.h"

namespace handoff {

int64_t MonotonicNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

int64_t RunClockNanos() {
  int64_t logical = 0;
  return ControlledClockNanos(&logical) ? logical : MonotonicNanos();
}

}  // namespace handoff
