// The bridges under benchmark: built-in harness targets (by default those
// added with BENCHMARK in CMake: bridge, ffi, lmfao)
// loaded next to the executable (targets/, or HANDOFF_TARGET_DIR), each
// started on first use with the benchmark handler, and the handler itself.
//
// The handler is one Ruby Proc for every target and baseline:
//   - a payload whose first byte is 'W' does real Ruby work (builds a small
//     Hash, sums it) and returns the sum as a String;
//   - any other payload is returned as it is (the trivial block).
#pragma once

#include <ruby.h>

#include <string>

#include "handoff/target.h"

namespace handoff::bench {

// Main thread, GVL held, once: defines the handler Proc (rooted).
void DefineBenchHandler();
VALUE BenchHandler();

// The started target `name`, or nullptr with *error set (library missing,
// start failed). Any thread but the Ruby main thread: starting runs there,
// then 2000 untimed calls from the caller warm it up.
const handoff_target* StartedTarget(const std::string& name, std::string* error);

// Whether the built-in library of `name` exists (no loading).
bool TargetLibraryExists(const std::string& name);

// Whether `name` can be benchmarked at all: its basic scenario (a few
// hundred returning calls from foreign threads) run once by the harness in a
// supervised child. False with *why when that run crashes (Fiddle: Ruby's
// [BUG] and exit(1) from a foreign thread) or hangs (deadlock): either would
// take handoff-bench down. Any other verdict (a wrong reply, say) is
// benchmarked: the benchmarks' own reply check reports it.
// REQUIRES: the process main thread, before Ruby is started (it forks).
bool BasicScenarioRuns(const std::string& name, std::string* why);

// Main thread, GVL held: stops every target StartedTarget started.
void StopStartedTargets();

}  // namespace handoff::bench
