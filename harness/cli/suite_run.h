// handoff-stress --suite: every target given through every scenario of the
// suite (cli/suite.h), each run a handoff-stress process of its own, up to
// --jobs at once (a scenario judged against the scheduler runs alone), then
// a target x scenario verdict table, each failure's first detail lines and
// replay line, and the reports asked for (JSON, JUnit).
#pragma once

#include <string>
#include <vector>

#include "cli/options.h"

namespace handoff {

// One target of the suite: how the command line names it.
struct SuiteTarget {
  std::string label;  // the table's row: the target's name, or the library's file name
  std::string flag;   // "--target" or "--target-lib"
  std::string value;  // its name or path
  std::string perturbation;  // --perturb's, or random where it has sync points (else none)
};

// Exit status: 0 every run passed (or was n/a), 1 a target failed a
// scenario, 2 a harness error (and no failure) or a report not written.
int RunSuite(const CliOptions& options, const std::vector<SuiteTarget>& targets);

}  // namespace handoff
