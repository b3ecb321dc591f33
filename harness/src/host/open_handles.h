// What a process holds open that a bridge can leak one of per call: file
// descriptors and threads, counted from /proc/self. The driver counts them
// once the target has started and again once every caller has been joined
// (before the target stops); a growth larger than the run's allowance is a
// `handle_leak` failure (a pipe or eventfd per call never closed, a helper
// thread per call that never ends).
#pragma once

#include <optional>
#include <string>

namespace handoff {

struct OpenHandles {
  int file_descriptors = -1;  // entries of /proc/self/fd; -1 if unreadable
  int threads = -1;           // "Threads:" of /proc/self/status; -1 if unreadable
};

OpenHandles CountOpenHandles();

// How much either count may grow over a run of `threads` callers before it
// is a leak: room for a worker pool that grows with the callers (one worker
// per blocked caller and a spare), for Ruby threads a target started for
// calls that are finishing, and for descriptors a target opens lazily once.
int HandleGrowthAllowance(int threads);

// A description of the leak ("file descriptors grew from 12 to 1,212 over
// 1,200 calls ..."), or nothing when neither count grew past `allowance` or
// either sample could not be read.
std::optional<std::string> DescribeHandleLeak(const OpenHandles& before, const OpenHandles& after,
                                              int allowance, unsigned long long calls);

}  // namespace handoff
