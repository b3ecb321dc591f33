#include "cli/options.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "perturbation/strategy.h"

namespace handoff {
namespace {

bool ToUnsigned(const std::string& flag, const std::string& text, uint64_t min, uint64_t max,
                uint64_t* out, std::string* error) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || value < min || value > max) {
    *error = flag + " takes a whole number from " + std::to_string(min) + " to " +
             std::to_string(max) + " (got '" + text + "')";
    return false;
  }
  *out = value;
  return true;
}

bool ToSeconds(const std::string& flag, const std::string& text, double* out, std::string* error) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0) || value > 86400) {
    *error = flag + " takes a number of seconds above 0, up to 86400 (got '" + text + "')";
    return false;
  }
  *out = value;
  return true;
}

}  // namespace

bool ParseCli(int argc, char** argv, CliOptions* o, std::string* error) {
  o->run.scenario = DefaultMixedScenario();
  o->run.scenario.threads = 8;
  o->run.scenario.calls = 10000;
  std::string scenario_text;
  std::optional<uint64_t> threads, calls, max_p99_us;
  bool hang_given = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    size_t eq = flag.find('=');
    bool inline_value = flag.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto take = [&](std::string* out) {
      if (inline_value) {
        *out = value;
        return true;
      }
      if (i + 1 >= args.size()) {
        *error = flag + " needs a value (see --help)";
        return false;
      }
      *out = args[++i];
      return true;
    };
    uint64_t number = 0;
    if (flag == "--help" || flag == "-h") {
      o->help = true;
    } else if (flag == "--list-targets") {
      o->list_targets = true;
    } else if (flag == "--json") {
      o->json = true;
    } else if (flag == "--quiet") {
      o->quiet = true;
    } else if (flag == "--score") {
      o->score = true;
    } else if (flag == "--declared") {
      o->score_declared = true;
    } else if (flag == "--seeds") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 1000, &number, error)) return false;
      o->score_seeds = static_cast<int>(number);
    } else if (flag == "--score-runs") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 1000, &number, error)) return false;
      o->score_runs = static_cast<int>(number);
    } else if (flag == "--target") {
      if (!take(&o->target_name)) return false;
    } else if (flag == "--target-lib") {
      if (!take(&o->target_lib)) return false;
    } else if (flag == "--threads") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 4096, &number, error)) return false;
      threads = number;
    } else if (flag == "--calls") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 1ull << 40, &number, error)) return false;
      calls = number;
    } else if (flag == "--seed") {
      if (!take(&value) || !ToUnsigned(flag, value, 0, UINT64_MAX, &o->run.seed, error)) return false;
      o->seed_given = true;
    } else if (flag == "--perturb") {
      if (!take(&o->run.perturbation)) return false;
      if (!MakePerturbation(o->run.perturbation)) {
        *error = "--perturb takes one of " + PerturbationNames() + " (got '" +
                 o->run.perturbation + "')";
        return false;
      }
    } else if (flag == "--replay") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 100000, &number, error)) return false;
      o->replay = static_cast<int>(number);
    } else if (flag == "--seconds") {
      if (!take(&value) || !ToSeconds(flag, value, &o->seconds, error)) return false;
    } else if (flag == "--max-p99-us") {
      if (!take(&value) || !ToUnsigned(flag, value, 1, 1000000000, &number, error)) return false;
      max_p99_us = number;
    } else if (flag == "--no-gvl-check") {
      o->run.gvl_check = false;
    } else if (flag == "--no-quiescence") {
      o->run.quiescence = false;
    } else if (flag == "--hang-seconds") {
      if (!take(&value) || !ToSeconds(flag, value, &o->run.hang_seconds, error)) return false;
      hang_given = true;
    } else if (flag == "--scenario") {
      if (!take(&scenario_text)) return false;
      if (!ParseScenario(scenario_text, &o->run.scenario, error)) {
        *error = "--scenario: " + *error;
        return false;
      }
    } else {
      *error = "unknown option '" + args[i] + "' (see --help)";
      return false;
    }
  }
  if (threads) o->run.scenario.threads = static_cast<int>(*threads);
  if (calls) o->run.scenario.calls = *calls;
  if (max_p99_us) o->run.scenario.max_p99_us = static_cast<uint32_t>(*max_p99_us);
  if (o->help || o->list_targets) return true;
  if (o->score_declared && !o->score) {
    *error = "--declared goes with --score";
    return false;
  }
  if (o->score) {
    if (!o->target_lib.empty()) {
      *error = "--score runs the built-in mutants; --target NAME picks one of them";
      return false;
    }
    if (!hang_given) o->run.hang_seconds = 3;
    return true;
  }
  if (o->target_name.empty() == o->target_lib.empty()) {
    *error = "give exactly one of --target NAME or --target-lib PATH (--list-targets shows the names)";
    return false;
  }
  if (o->replay > 0 && o->seconds > 0) {
    *error = "--replay and --seconds do not go together: a replay reruns one seed";
    return false;
  }
  if (!ValidateScenario(o->run.scenario, error)) return false;
  o->run.progress = !o->quiet;
  return true;
}

// One help line: `indent` spaces, `name` padded to `width`, `summary`.
std::string HelpLine(size_t indent, const std::string& name, size_t width, const char* summary) {
  return std::string(indent, ' ') + name + std::string(name.size() < width ? width - name.size() : 1, ' ') +
         summary + "\n";
}

// One help line per perturbation strategy, from the strategies' table.
std::string StrategyLines() {
  std::string lines;
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) lines += HelpLine(25, s.name, 8, s.summary);
  return lines;
}

// One help line per failure kind, from the kinds' table.
std::string FailureKindLines() {
  std::string lines;
  for (const FailureKindInfo& k : FailureKinds()) lines += HelpLine(2, k.name, 21, k.summary);
  return lines;
}

std::string CliHelp() {
  return R"(handoff-stress — drive many foreign threads against a Ruby bridge and check
that every callback got exactly its own reply.

usage: handoff-stress (--target NAME | --target-lib PATH) [options]
       handoff-stress --list-targets [--json]
       handoff-stress --score [--declared] [--target MUTANT] [--seeds K] [--score-runs R] [--json]

target:
  --target NAME        a built-in target (bridge, lmfao, ffi, ...; see --list-targets)
  --target-lib PATH    your own bridge: a shared library implementing
                       handoff/target.h (README: "Testing your own bridge")
run:
  --threads N          caller threads (default 8: 6 foreign, 1 Ruby thread holding
                       the GVL, 1 Ruby thread without it)
  --calls N            calls in all, split across the threads (default 10000)
  --scenario TEXT      the whole scenario as printed in a replay line, e.g.
                       'threads=4 calls=1000 mix=return:9,raise:1 events=kill@500';
                       --threads, --calls and --max-p99-us still override it.
                       Keys: threads calls payload reply message mix callers
                       slow_us gc_objects large_bytes background events
                       deadline_ms fairness max_p99_us leak_bytes_per_call
                       (README "Scenarios"); the default run is
                       'threads=8 calls=10000 payload=0..65536 reply=0..65536
                       message=0..1024 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1
                       callers=foreign:6,gvl:1,nogvl:1'
  --max-p99-us N       a run whose p99 call latency is over N µs fails as too_slow
  --seed N             seed for payloads, behaviours and perturbation
                       (default: a new one per invocation, printed)
  --perturb STRATEGY   delays at the target's synchronisation points
                       (stress/sanitizer builds only), one of:
)" + StrategyLines() + R"(  --seconds S          keep running with successive seeds for S seconds;
                       stops at the first failure
  --replay N           rerun the same run N times; report how many failed
  --hang-seconds S     no call returning for S seconds is a deadlock (default 20)
  --no-quiescence      report a deadlock only after --hang-seconds (by default a
                       run whose threads are all asleep, using no CPU and making
                       no progress for longer than its scenario allows, at
                       least 0.4 s, is a deadlock at once; README "Deadlocks")
  --no-gvl-check       do not interpose on the target's Ruby C API imports (by
                       default a call made without the GVL is a gvl_violation,
                       reported with its frames; README "The GVL check")
score (the harness finding its own deliberately broken bridges):
  --score              run every built-in mutant with its declared scenario under
                       every --perturb strategy for K seeds; print, per mutant and
                       strategy, seeds detected with the declared kind and the
                       median / worst time- and runs-to-detect
  --declared           only each mutant's declared strategy: a mutant's test
                       (exit 0 when every seed showed the declared kind; a
                       build that cannot show it prints "skipped: why")
  --seeds K            seeds per mutant and strategy (default 3)
  --score-runs R       runs per seed (seed, seed+1000, ...) before a miss (default 5)
                       (--hang-seconds defaults to 3 here)
output:
  --json               one JSON object on stdout instead of text
                       (with --list-targets: each built-in target's name,
                       description, capabilities and whether it is a mutant)
  --quiet              no progress lines
  --help               this text

exit status: 0 every run passed, 1 a failure was found, 2 usage or harness error.
Every failure prints a `replay:` line that reruns it.
failure kinds (README "failure kind" table):
)" + FailureKindLines();
}

}  // namespace handoff
