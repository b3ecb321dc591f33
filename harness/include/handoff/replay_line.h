// The one line that reruns a harness run: what every failure prints
// (handoff-stress's `replay:` line, the properties' failure messages).
#pragma once

#include <cstdint>
#include <string>

#include "handoff/scenario.h"

namespace handoff {

// `text` in single quotes for a POSIX shell.
std::string ShellQuote(const std::string& text);

// "<handoff_stress> <target_flag> --seed S --perturb P --scenario '...'"
// plus " --hang-seconds H" when `hang_seconds` is not the default.
// target_flag: "--target NAME" or "--target-lib '/path'".
std::string ReplayCommandLine(const std::string& handoff_stress, const std::string& target_flag,
                              uint64_t seed, const std::string& perturbation,
                              const Scenario& scenario, double hang_seconds);

}  // namespace handoff
