// The supervisor: runs each harness run in a child process so that whatever
// the target does to that process (a sanitizer report that ends it, a
// segfault, a hang, Ruby's [BUG] abort) becomes a Result in the parent.
//
// The parent never starts Ruby or any thread, so fork() is safe there. The
// child's stderr passes through to ours line by line (and is kept, to find
// sanitizer reports in it); its result comes back on a pipe.
#pragma once

#include <functional>

#include "driver.h"
#include "result.h"

namespace handoff {

struct SupervisedRun {
  Result result;
  RunStats stats;
};

// The child's side: report the run's outcome to the parent.
void WriteChildResult(int fd, const Result& result, const RunStats& stats);

// Forks; the child calls `child(result_fd)` and exits with its return value.
// The parent kills a child still running after `hard_timeout_seconds` (the
// child's own watchdog should have reported long before).
// `echo_stderr`: pass the child's stderr through as it comes.
SupervisedRun Supervise(const std::function<int(int result_fd)>& child,
                        double hard_timeout_seconds, bool echo_stderr);

// Finds the first sanitizer report in a process's stderr: its kind, and a
// short excerpt (title, first frames, summary). False when there is none.
bool FindSanitizerReport(const std::string& stderr_text, FailureKind* kind, std::string* excerpt);

}  // namespace handoff
