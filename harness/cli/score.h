// handoff-stress --score: how well the harness finds the deliberately broken
// bridges. Every built-in target that exports a handoff_mutant declaration
// (handoff/target.h) is run with its declared scenario under each
// perturbation strategy (with --schedule controlled: each controlled-schedule
// strategy, or the one --strategy names) for K seeds; a seed's runs go on
// (seed, seed+1000, ...) until the declared failure kind shows, another
// verdict shows, or the run budget is spent. Prints, per mutant and strategy:
// seeds detected, the kinds seen, median and worst time-to-detect and
// runs-to-detect; with --score-replay N, each detecting run's replay line is
// run N times as a new process, and the reruns that end with its verdict (and
// print its controlled schedule byte for byte) are counted.
#pragma once

#include "cli/options.h"

namespace handoff {

// Exit status: 0 when every mutant this build can run was detected with its
// declared kind for every seed by at least one strategy, 1 otherwise, 2 on a
// usage or harness error.
int RunScore(const CliOptions& options);

}  // namespace handoff
