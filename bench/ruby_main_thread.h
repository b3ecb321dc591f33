// The Ruby main thread of the benchmark process. Google Benchmark runs on a
// foreign std::thread (so every target sees its calls come from a thread
// Ruby did not create, as a C library's would), while the process main
// thread, which owns the embedded VM, waits for work without the GVL.
// Benchmarks that need Ruby itself (the direct-call and Ruby-thread
// baselines, starting targets) hand it a job and wait.
//
// WARNING: a job runs with the GVL held on the main thread; the foreign
// thread that posted it must not touch Ruby itself.
#pragma once

#include <functional>

namespace handoff::bench {

// Runs `job` on the Ruby main thread with the GVL held and waits for it.
// Memory ordering: what the caller wrote before RunOnRubyMain happens-before
// the job; what the job wrote happens-before RunOnRubyMain returns.
// REQUIRES: called from a thread other than the main thread, while
// ServeRubyJobsUntil is serving.
void RunOnRubyMain(std::function<void()> job);

// Main thread, GVL held: runs `body` on a new foreign std::thread and serves
// its RunOnRubyMain jobs until it returns. Returns body's result.
int ServeRubyJobsUntil(std::function<int()> body);

}  // namespace handoff::bench
