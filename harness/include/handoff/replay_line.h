// The one line that reruns a harness run: what every failure prints
// (handoff-stress's `replay:` line, the properties' failure messages). Built
// once, by SuperviseRun, into a failed run's Result::replay.
#pragma once

#include <string>

#include "handoff/run_options.h"

namespace handoff {

// `text` in single quotes for a POSIX shell.
std::string ShellQuote(const std::string& text);

// How a replay line names a target: "--target NAME", or "--target-lib
// '/absolute/path'" when `library` is not empty (made absolute, so the line
// runs from any directory).
std::string ReplayTargetFlag(const std::string& name, const std::string& library);

// "<handoff-stress> <replay_target> --seed S --perturb P --scenario '...'",
// then " --hang-seconds H" unless the default, " --no-gvl-check" and
// " --no-quiescence" when those are off. handoff-stress is the one next to
// this executable (it is this executable in handoff-stress itself).
// REQUIRES: options.replay_target not empty.
std::string ReplayCommandLine(const RunOptions& options);

}  // namespace handoff
