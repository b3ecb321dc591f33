// The controlled schedule (`--schedule controlled`): the threads it controls
// run one at a time, and hand over only at scheduling points: the target's
// sync points and every pthread mutex, condition-variable, create, join,
// yield and sleep operation of the target, of the libraries it links and
// loads, and of libruby (whose GVL is built on them), seen through the
// interposition layer (sync_interposer.h). At each point the run's strategy
// (schedule_strategy.h) picks, from the seed, which runnable thread goes on.
// The same seed gives the same schedule: every decision, and so every
// failure it leads to, replays.
//
// What runs controlled: the thread that begins the schedule (the harness's
// driver, "main"), the threads the harness reserves (its foreign callers),
// and every thread a controlled thread creates through pthread_create
// (Ruby's threads, the target's). Never: the harness's watchdog and
// supervisor, threads that existed before, and threads created by
// uninterposed code.
//
// The model: a mutex is held by at most one controlled thread (a shadow of
// the real one, which is still locked and unlocked, so a sanitizer sees
// every operation); a lock waits until the shadow is free. A condition
// variable's waiters are the scheduler's own: a signal wakes the one that
// waited longest, a broadcast all, and a woken waiter relocks its mutex
// before it goes on (the real wait is never called; a real signal is still
// sent, for uncontrolled waiters). Threads join finished threads only.
//
// Time is logical for controlled threads: clock_gettime (monotonic and
// realtime clocks) reads a clock that starts at the real time the schedule
// began and advances kStepNanos per decision; a timed wait or a sleep ends
// when the logical clock passes its deadline, and when no thread can run the
// clock jumps to the earliest deadline. So a timeout fires at the same step
// on every run, and a deadline far away fires only once everything else is
// stuck.
//
// A deadlock, reported at once with every thread's state: calls are in
// flight, no thread can run, and none waits with a deadline (the harness's
// own polling naps do not count: they make no progress of the target's); or
// every thread waits and the nearest deadline is further from the last
// call's return than options.quiet_logical_ns (a healthy run of the scenario
// never waits so long with every thread asleep: the rule the OS-scheduled
// run's quiescence check applies; a caller's own 30 s deadline is no way
// out of a deadlock); or no call has returned for options.hang_logical_ns of
// logical time (threads that only time out and wait again, as Ruby's GVL
// timer does while the GVL holder is stuck).
//
// What cannot be controlled, and how the run stays sound around it: a
// thread that blocks in the kernel outside the interposed operations (a
// raw futex, a blocking read) or computes for long with no point would hold
// everyone up. A monitor thread detaches the holder when the schedule has
// not moved for kDetachAfterMs while it sleeps in the kernel (or for
// kDetachBusyMs while it runs): it goes on uncontrolled, the schedule picks
// the next thread, and the detached one rejoins at its next operation. Each
// detach makes the schedule inexact from there on; it is counted, logged and
// reported (ScheduleExact). Signal handlers run when the kernel delivers.
//
// ThreadSanitizer: the hand-overs are invisible to it (relaxed atomics and
// raw futex calls in an uninstrumented file), so two accesses with no
// synchronisation of the target's own between them are still a race, and
// the same schedule gives the same report.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "perturb/schedule_strategy.h"

namespace handoff {

constexpr int64_t kStepNanos = 1000;  // logical time per decision
constexpr int kDetachAfterMs = 300;
constexpr int kDetachBusyMs = 5000;

struct ControlledScheduleOptions {
  uint64_t seed = 0;
  ScheduleStrategy* strategy = nullptr;  // never freed
  uint64_t expected_steps = 1;
  // Called once, on the thread that found a deadlock, with every thread's
  // state; must not return (it ends the process).
  std::function<void(const std::string& threads)> on_deadlock;
  // The run's counters of calls in flight and of calls returned so far (the
  // run log's): what tells a deadlock from a pause between events. Read by
  // the schedule itself, in its uninstrumented code, on whichever thread
  // decides: ThreadSanitizer must not see a controlled thread read the
  // harness's records, since it sees no join ordering that read before the
  // records' memory is reused (the schedule's hand-overs are invisible to
  // it). A read made in an instrumented callback was once reported as a race
  // with the main thread's stack, reused after the run (tsan-gcc, beside two
  // CPU hogs). nullptr: not known.
  const std::atomic<int>* calls_in_flight = nullptr;
  const std::atomic<uint64_t>* calls_returned = nullptr;
  int64_t hang_logical_ns = 60000000000LL;
  // The longest a healthy run waits with every thread asleep and calls in
  // flight (QuietWindowSeconds); hang_logical_ns with --no-quiescence.
  int64_t quiet_logical_ns = 60000000000LL;
};

// Begins controlling: the calling thread becomes thread 0 ("main").
// REQUIRES: once per process, before the threads to control exist.
void BeginControlledSchedule(const ControlledScheduleOptions& options);
// Whether a controlled schedule began (and has not ended).
bool ControlledScheduleActive();

// Reserves a controlled thread for a thread the caller starts itself (not
// through an interposed pthread_create), named `role` in the schedule. Call
// it on a controlled thread, in a deterministic order, before starting the
// thread; the thread calls AttachControlledThread(id) first and
// EndControlledThread() last.
int ReserveControlledThread(const std::string& role);
void AttachControlledThread(int id);
void EndControlledThread();
// Waits, as a scheduling point, until reserved thread `id` has ended (then
// the real join does not block). No-op off the schedule or for id < 0.
void JoinControlledThread(int id);

// A target's sync point, on a controlled thread: a scheduling point.
void ControlledSyncPoint(const char* name);

// Ends control: every controlled thread goes on under the OS scheduler (a
// waiter wakes as from a spurious wakeup). Call on the main thread.
void EndControlledSchedule();

// Whether the calling thread runs under the schedule now.
bool OnControlledThread();

// On a controlled thread: the logical clock (CLOCK_MONOTONIC's reading when
// the schedule began plus the logical time since) in *nanos, and true.
// Elsewhere false.
bool ControlledClockNanos(int64_t* nanos);

// Decisions so far, and whether each was exact (no detach).
uint64_t ControlledSteps();
bool ScheduleExact();
// The schedule as text, one decision per line: its last `lines` decisions,
// or all of it with lines < 0; a header line says how many were left out.
std::string ScheduleText(int lines);

}  // namespace handoff
