// The supervisor: runs each harness run in a child process so that whatever
// the target does to that process (a sanitizer report that ends it, a
// segfault, a hang, Ruby's [BUG] abort, a fork that never exits, SIGSTOP)
// becomes a Result in the parent, in bounded time, with nothing left behind.
//
// The parent never starts Ruby or any thread, so fork() is safe there. The
// child's stderr passes through to ours line by line (and is kept, to find
// sanitizer reports in it); its result comes back on a pipe.
//
// Bounded: the child runs in a process group of its own. It sends
// Heartbeat()s while it makes progress (the run's watchdog does, driver.h);
// when none came for `stall_seconds` the whole group is killed (SIGKILL) and
// the run is a `deadlock`. When the child has exited, the group is killed
// too, the parent stops reading (a grandchild holding the pipes open does
// not keep it waiting) and every descendant that escaped the group (this
// process is a child subreaper: orphans come back to it) is killed and
// reaped. SIGINT/SIGTERM/SIGHUP to the parent kill the child's group first.
#pragma once

#include <functional>

#include "handoff/result.h"

namespace handoff {

struct SupervisedRun {
  Result result;
  RunStats stats;
  // What the child reported besides its outcome (WriteChildResult's
  // `report`: a stateful property's observations, a test's data).
  std::string report;
  // A failed run's perturbation decisions (SuperviseRun only): how many it
  // acted on at sync points, and the last of them as text, one per line.
  uint64_t decisions_recorded = 0;
  std::string decisions;
};

// The child's side: report the run's outcome to the parent, one record
// (verdict, stats, detail, report); `report` reaches SupervisedRun::report.
void WriteChildResult(int fd, const Result& result, const RunStats& stats,
                      const std::string& report = "");

// The child's side: the run is making progress (cheap; any thread; a no-op
// outside a supervised child). The supervisor kills a child that has not
// called it for `stall_seconds`.
void Heartbeat();

struct SuperviseOptions {
  // No Heartbeat() for this long (the fork counts as one): the child is
  // frozen or hung past its own watchdog, and is killed. A child that never
  // calls Heartbeat() gets this as a hard timeout.
  double stall_seconds = 60;
  bool echo_stderr = false;  // pass the child's stderr through as it comes
  // Called about every 200 ms while the child runs (progress lines).
  std::function<void(double elapsed_seconds)> on_tick;
};

// Forks; the child calls `child(result_fd)` and exits with its return value.
SupervisedRun Supervise(const std::function<int(int result_fd)>& child,
                        const SuperviseOptions& options);

// Finds the first sanitizer report in a process's stderr: its kind, and a
// short excerpt (title, first frames, summary). False when there is none.
bool FindSanitizerReport(const std::string& stderr_text, FailureKind* kind, std::string* excerpt);

}  // namespace handoff
