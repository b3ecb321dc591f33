// The driver: runs one scenario against one target in this process, which
// embeds Ruby, then checks it.
//
// The Ruby main thread starts the target with the harness's handler, starts
// the background Ruby threads, releases the GVL and starts the foreign
// threads (plain std::threads, each making its calls in order and recording
// them). It takes the GVL back only for lifecycle events (stop, kill,
// GC.compact, fork), each once enough calls have returned. After the join it
// stops the target and runs the checker.
//
// A hang cannot be unwound: the watchdog reports it through `on_hang`, which
// must end the process. Crashes and sanitizer reports end the process too;
// the supervisor (supervisor.h) classifies those.
#pragma once

#include <functional>
#include <string>

#include "handoff/target.h"
#include "result.h"
#include "scenario.h"

namespace handoff {

constexpr double kDefaultHangSeconds = 20;

struct RunOptions {
  Scenario scenario;
  uint64_t seed = 1;
  std::string perturbation = "none";  // none, random, pct
  double hang_seconds = kDefaultHangSeconds;  // no call returning this long is a deadlock
  bool progress = true;               // progress lines on stderr for long runs
};

struct RunStats {
  uint64_t calls_returned = 0;
  uint64_t verified = 0;  // calls checked and right, nested calls included
  double seconds = 0;     // from the first call to the last return
  uint64_t sync_points = 0;
};

// REQUIRES: StartEmbeddedRuby() was called on this thread; once per process.
Result RunScenario(const handoff_target* target, const RunOptions& options, RunStats* stats,
                   const std::function<void(const Result&)>& on_hang);

}  // namespace handoff
