// The driver: runs one scenario against one target in this process, which
// embeds Ruby, then checks it.
//
// The Ruby main thread starts the target with the harness's handler, starts
// the background Ruby threads and the Ruby callers (ruby_caller.h), releases
// the GVL and starts the foreign threads (plain std::threads, each making
// its calls in order and recording them). It takes the GVL back only for
// lifecycle events (stop, kill, compact, move, fork, an interrupt of a Ruby
// caller...), each once enough calls have returned or in the window it is
// aimed at. After the join it stops the target and runs the checker.
//
// A hang cannot be unwound: the watchdog reports it through `on_hang`, which
// must end the process. Crashes and sanitizer reports end the process too;
// the supervisor (supervisor.h) classifies those.
#pragma once

#include <functional>

#include "handoff/result.h"
#include "handoff/run.h"
#include "handoff/scenario.h"
#include "handoff/target.h"

namespace handoff {

// REQUIRES: StartEmbeddedRuby() was called on this thread; once per process.
Result RunScenario(const handoff_target* target, const RunOptions& options, RunStats* stats,
                   const std::function<void(const Result&)>& on_hang);

}  // namespace handoff
