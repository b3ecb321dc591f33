// handoff-stress's command line: parsing and help. Every bad flag or value is
// a one-line error saying what is accepted (exit status 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "run/driver.h"

namespace handoff {

struct CliOptions {
  std::string target_name;  // --target NAME
  std::string target_lib;   // --target-lib PATH
  bool list_targets = false;
  bool help = false;
  bool json = false;
  bool quiet = false;
  bool seed_given = false;
  bool perturb_given = false;
  int replay = 0;           // --replay N: rerun the same run N times
  double seconds = 0;       // --seconds S: successive seeds until S seconds pass
  bool score = false;       // --score: the mutant detection score (cli/score.h)
  int score_seeds = 3;      // --seeds K
  int score_runs = 5;       // --score-runs R: runs per seed before a miss
  bool score_declared = false;  // --declared: each mutant's declared strategy only
  int score_replay = 0;     // --score-replay N: each detecting run rerun N times
  bool strategy_given = false;  // --strategy given (with --score: only that one)
  RunOptions run;           // scenario, seed, perturbation, hang deadline
  bool default_run = true;  // no --scenario: the default run, its lifecycle added
                            // once the target is known (AddDefaultLifecycle)
  std::string suite;        // --suite quick|full: every scenario of the suite (cli/suite.h)
  int suite_threads = 0;    // --threads / --calls given with --suite (0: the size's own)
  uint64_t suite_calls = 0;
  int jobs = 0;             // --jobs N: suite runs at once (default: the CPUs)
  std::string only;         // --only A,B: just these scenarios of the suite
  bool list_scenarios = false;  // --list-scenarios: the suite's names and texts
  std::string json_file;    // --json-file FILE: the suite's table as JSON
  std::string junit_file;   // --junit FILE: the suite's table as JUnit XML
};

// False with a one-line *error. argv as main's.
bool ParseCli(int argc, char** argv, CliOptions* options, std::string* error);
std::string CliHelp();

}  // namespace handoff
