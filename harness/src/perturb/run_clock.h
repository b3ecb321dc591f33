// The clocks a run is timed by.
#pragma once

#include <cstdint>

namespace handoff {

// CLOCK_MONOTONIC in nanoseconds: real time, for what the machine does (the
// watchdog, idle windows, the supervisor's margins).
int64_t MonotonicNanos();

// The clock a run's calls and lifecycle events are timed and judged by (a
// call's start and end, a block's entry, a stop's start; the harness's own
// waits for a thread's interrupt or an aimed event): MonotonicNanos, but on
// a thread under the controlled schedule its logical clock, which the
// target's timeouts run by too (controlled_scheduler.h).
int64_t RunClockNanos();

}  // namespace handoff
