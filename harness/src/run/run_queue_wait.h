// How long a thread waited on a CPU run queue: runnable, but not running
// because the scheduler gave its CPU to another thread (the second field of
// /proc/thread-self/schedstat, in nanoseconds, kept by the kernel).
//
// The checks that are judged against a clock (fairness, p99 latency,
// deadlines) use it to tell what the target did from what a busy machine did
// to the harness: a caller that took its start time and was then preempted
// for 400 ms before its call reached the target was not overtaken by the
// target's choice. A caller thread measures its own wait around each call
// (CallRecord::runnable_ns); the checks take it out of the span they judge.
//
// Cost: one pread of a kernel file per sample (a few microseconds); taken
// only for scenarios with such a check (MeasuresRunQueueWait).
#pragma once

#include <cstdint>
#include <memory>

#include "handoff/scenario.h"

namespace handoff {

class RunQueueWait {
 public:
  // Opens the calling thread's own schedstat; the object belongs to that
  // thread (under Ruby's M:N threads a Ruby thread may move: its figures are
  // then another thread's, which only ever makes a check more lenient).
  RunQueueWait();
  ~RunQueueWait();
  RunQueueWait(const RunQueueWait&) = delete;
  RunQueueWait& operator=(const RunQueueWait&) = delete;

  // The thread's run-queue wait so far, in ns; -1 when the kernel does not
  // keep it (no /proc, no CONFIG_SCHED_INFO).
  int64_t Nanos() const;

 private:
  int fd_;
};

// Whether a scenario has a check that subtracts callers' run-queue waits:
// fairness, a p99 budget, or a deadline shorter than the default (every
// scenario has one; the default's 30 s slack leaves a CPU wait no weight).
bool MeasuresRunQueueWait(const Scenario& scenario);

// A caller thread's own run-queue clock when the scenario measures one
// (opened on that thread), else nullptr.
std::unique_ptr<RunQueueWait> CallerRunQueueWait(const Scenario& scenario);

}  // namespace handoff
