// One run of a scenario as handoff-stress does it: in a supervised child
// process that embeds Ruby; and which lifecycle events this build can run.
#pragma once

#include "driver.h"
#include "handoff/target.h"
#include "supervisor.h"

namespace handoff {

// Runs `options` against `target` in a child process (Supervise): a crash,
// sanitizer report or hang of the child is the returned result.
SupervisedRun SuperviseRun(const handoff_target* target, const RunOptions& options, bool echo_stderr);

// Whether this build is instrumented by ThreadSanitizer (data_race needs it).
bool BuiltWithThreadSanitizer();

// Why this build's sanitizer runtime cannot run fork events, or nullptr.
const char* ForkRefusedBySanitizer();

}  // namespace handoff
