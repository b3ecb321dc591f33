#include "cli/options.h"

#include "cli/suite.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "cli/command_line.h"
#include "handoff/run.h"
#include "perturb/schedule_strategy.h"
#include "perturb/strategy.h"
#include "run/controlled_run.h"

namespace handoff {
namespace {

// The command line's values that CliOptions takes only after parsing, and
// which options were given at all.
struct GivenOptions {
  std::string scenario_text;
  int threads = 0;
  uint64_t calls = 0;
  uint32_t max_p99_us = 0;
  bool no_gvl_check = false, no_quiescence = false;
  CLI::Option* score_replay_option = nullptr;
  CLI::Option* threads_option = nullptr;
  CLI::Option* calls_option = nullptr;
  CLI::Option* seed_option = nullptr;
  CLI::Option* perturb_option = nullptr;
  CLI::Option* strategy_option = nullptr;
  CLI::Option* max_p99_option = nullptr;
  CLI::Option* hang_option = nullptr;
  CLI::Option* scenario_option = nullptr;
  CLI::Option* jobs_option = nullptr;
};

// The run when no option changes it: the default mixed scenario, 8 threads, 10,000 calls.
void SetRunDefaults(CliOptions* o) {
  o->run.scenario = DefaultMixedScenario();
  o->run.scenario.threads = 8;
  o->run.scenario.calls = 10000;
}

// --help, --list-targets, the output flags and --score's options.
void AddOutputAndScoreOptions(CLI::App& app, CliOptions* o, GivenOptions* given) {
  app.add_flag("-h,--help", o->help);
  app.add_flag("--list-targets", o->list_targets);
  app.add_flag("--json", o->json);
  app.add_flag("--quiet", o->quiet);
  app.add_flag("--verbose", o->run.whole_schedule);
  app.add_flag("--score", o->score);
  app.add_flag("--declared", o->score_declared);
  app.add_option("--seeds", o->score_seeds)->check(WholeNumber(1, 1000));
  app.add_option("--score-runs", o->score_runs)->check(WholeNumber(1, 1000));
  given->score_replay_option =
      app.add_option("--score-replay", o->score_replay)->check(WholeNumber(1, 1000));
}

// --target, --target-lib and the options of a run: size, seed, perturbation,
// schedule, repetition, limits and the scenario.
void AddTargetAndRunOptions(CLI::App& app, CliOptions* o, GivenOptions* given) {
  app.add_option("--target", o->target_name);
  app.add_option("--target-lib", o->target_lib);
  given->threads_option = app.add_option("--threads", given->threads)->check(WholeNumber(1, 4096));
  given->calls_option =
      app.add_option("--calls", given->calls)->check(WholeNumber(1, uint64_t{1} << 40));
  given->seed_option = app.add_option("--seed", o->run.seed)->check(WholeNumber(0, UINT64_MAX));
  std::vector<std::string> strategies;
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) strategies.push_back(s.name);
  given->perturb_option =
      app.add_option("--perturb", o->run.perturbation)->check(CLI::IsMember(strategies));
  app.add_option("--schedule", o->run.schedule)->check(CLI::IsMember({"os", "controlled"}));
  given->strategy_option = app.add_option("--strategy", o->run.schedule_strategy)
                               ->check(CLI::IsMember(ControlledStrategyNames()));
  app.add_option("--replay", o->replay)->check(WholeNumber(1, 100000));
  app.add_option("--seconds", o->seconds)->check(Seconds());
  given->max_p99_option =
      app.add_option("--max-p99-us", given->max_p99_us)->check(WholeNumber(1, 1000000000));
  app.add_flag("--no-gvl-check", given->no_gvl_check);
  app.add_flag("--no-quiescence", given->no_quiescence);
  given->hang_option = app.add_option("--hang-seconds", o->run.hang_seconds)->check(Seconds());
  given->scenario_option = app.add_option("--scenario", given->scenario_text);
}

// --suite and the options that go with it.
void AddSuiteOptions(CLI::App& app, CliOptions* o, GivenOptions* given) {
  app.add_option("--suite", o->suite)->check(CLI::IsMember({"quick", "full"}));
  given->jobs_option = app.add_option("--jobs", o->jobs)->check(WholeNumber(1, 256));
  app.add_option("--only", o->only);
  app.add_flag("--list-scenarios", o->list_scenarios);
  app.add_option("--json-file", o->json_file);
  app.add_option("--junit", o->junit_file);
}

// Takes what was parsed into `given` into *o: which options were given,
// --no-gvl-check and --no-quiescence, --scenario (a bad one is the error),
// then --threads, --calls and --max-p99-us over it.
bool ApplyGivenOptions(const GivenOptions& given, CliOptions* o, std::string* error) {
  o->seed_given = given.seed_option->count() > 0;
  o->perturb_given = given.perturb_option->count() > 0;
  o->strategy_given = given.strategy_option->count() > 0;
  o->run.gvl_check = !given.no_gvl_check;
  o->run.quiescence = !given.no_quiescence;
  if (given.scenario_option->count() > 0 &&
      !ParseScenario(given.scenario_text, &o->run.scenario, error)) {
    *error = "--scenario: " + *error;
    return false;
  }
  o->default_run = given.scenario_option->count() == 0;
  if (given.threads_option->count() > 0) o->run.scenario.threads = given.threads;
  if (given.calls_option->count() > 0) o->run.scenario.calls = given.calls;
  if (given.max_p99_option->count() > 0) o->run.scenario.max_p99_us = given.max_p99_us;
  return true;
}

// --declared, --score-replay, --strategy and --schedule controlled, each
// with what it needs.
bool CheckScoreAndScheduleOptions(const GivenOptions& given, const CliOptions& o, std::string* error) {
  if ((o.score_declared || given.score_replay_option->count() > 0) && !o.score) {
    *error = "--declared and --score-replay go with --score";
    return false;
  }
  if (given.strategy_option->count() > 0 && o.run.schedule != "controlled") {
    *error = "--strategy goes with --schedule controlled (--perturb chooses delays under the OS's schedule)";
    return false;
  }
  if (o.run.schedule == "controlled") {
    if (o.run.perturbation != "none") {
      *error = "--perturb " + o.run.perturbation + " and --schedule controlled do not go together: the "
               "controlled schedule picks every switch itself (--strategy chooses how)";
      return false;
    }
    std::string why = o.score ? "" : WhyNotControllable(o.run);  // --score: per mutant
    if (!why.empty()) {
      *error = "--schedule controlled: " + why;
      return false;
    }
  }
  return true;
}

// Every name --only gives is a scenario of the suite.
bool CheckOnlyNames(const CliOptions& o, std::string* error) {
  for (const std::string& name : SplitList(o.only)) {
    bool known = false;
    for (const SuiteScenario& s : Suite(o.suite)) known = known || s.name == name;
    if (!known) {
      *error = "--only: the suite has no scenario '" + name + "' (--list-scenarios names them)";
      return false;
    }
  }
  return true;
}

// --suite: its resizing, checks and defaults (--jobs: the CPUs; --hang-seconds 10).
bool FinishSuiteOptions(const GivenOptions& given, CliOptions* o, std::string* error) {
  o->suite_threads = given.threads_option->count() > 0 ? given.threads : 0;
  o->suite_calls = given.calls_option->count() > 0 ? given.calls : 0;
  if (!CheckOnlyNames(*o, error)) return false;
  if (o->list_scenarios) return true;
  if (o->target_name.empty() && o->target_lib.empty()) {
    *error = "--suite needs --target NAME[,NAME...] or --target-lib PATH[,PATH...] (or both)";
    return false;
  }
  if (given.scenario_option->count() > 0 || o->replay > 0 || o->seconds > 0 || o->score) {
    *error = "--suite runs its own scenarios: no --scenario, --replay, --seconds or --score with it";
    return false;
  }
  if (given.jobs_option->count() == 0) {
    o->jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (given.hang_option->count() == 0) o->run.hang_seconds = 10;
  return true;
}

// Without --suite: none of the options that go with it.
bool CheckNoSuiteOptions(const GivenOptions& given, const CliOptions& o, std::string* error) {
  if (!o.json_file.empty() || !o.junit_file.empty() || given.jobs_option->count() > 0 ||
      !o.only.empty() || o.list_scenarios) {
    *error = "--json-file, --junit, --jobs, --only and --list-scenarios go with --suite";
    return false;
  }
  return true;
}

// --score: built-in mutants only; --hang-seconds defaults to 3.
bool FinishScoreOptions(const GivenOptions& given, CliOptions* o, std::string* error) {
  if (!o->target_lib.empty()) {
    *error = "--score runs the built-in mutants; --target NAME picks one of them";
    return false;
  }
  if (given.hang_option->count() == 0) o->run.hang_seconds = 3;
  return true;
}

// One target's run (or its --replay or --seconds): its checks, and progress unless --quiet.
bool FinishSingleRunOptions(CliOptions* o, std::string* error) {
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

}  // namespace

bool ParseCli(int argc, char** argv, CliOptions* o, std::string* error) {
  SetRunDefaults(o);
  GivenOptions given;
  CLI::App app("handoff-stress", "handoff-stress");
  UseHandoffDefaults(app);
  AddOutputAndScoreOptions(app, o, &given);
  AddTargetAndRunOptions(app, o, &given);
  AddSuiteOptions(app, o, &given);
  if (!ParseCommandLine(app, argc, argv, error)) return false;
  if (!ApplyGivenOptions(given, o, error)) return false;
  if (o->help || o->list_targets) return true;
  if (!CheckScoreAndScheduleOptions(given, *o, error)) return false;
  if (!o->suite.empty()) return FinishSuiteOptions(given, o, error);
  if (!CheckNoSuiteOptions(given, *o, error)) return false;
  if (o->score) return FinishScoreOptions(given, o, error);
  return FinishSingleRunOptions(o, error);
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

// One help line per controlled-schedule strategy, from their table.
std::string ScheduleStrategyLines() {
  std::string lines;
  for (const ScheduleStrategyInfo& s : ScheduleStrategies()) lines += HelpLine(25, s.name, 8, s.summary);
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
       handoff-stress --suite quick|full (--target NAME,... | --target-lib PATH,...)
                      [--jobs N] [--json-file FILE] [--junit FILE]
       handoff-stress --list-targets [--json]
       handoff-stress --score [--declared] [--target MUTANT] [--seeds K] [--score-runs R]
                      [--score-replay N] [--schedule controlled [--strategy S]] [--json]

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
                       Keys: threads calls payload reply message mix escapes
                       callers slow_us gc_objects large_bytes background events
                       deadline_ms fairness max_p99_us leak_bytes_per_call
                       min_throughput_ratio (R: the target's trivial-call
                       throughput and p50 must reach R x a condvar server's,
                       measured in the same run: too_slow_throughput).
                       mix=...,post:W: fire-and-forget posts (target->post,
                       the handler acting out return/raise/slow/gc by their
                       weights; n/a without HANDOFF_TARGET_HAS_POSTS)
                       (harness/README.md: "handoff-stress"); the default run is
                       'threads=8 calls=10000 payload=0..65536 reply=0..65536
                       message=0..1024
                       mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1,escape:1
                       escapes=exception:1,interrupt:1,signal:1,no_memory:1,
                       stack_overflow:1,script_error:1,throw:1,break:1,next:1,exit:1
                       callers=foreign:6,gvl:1,nogvl:1', with a lifecycle sized
                       to --calls: an idle window at 4% (idle_cpu), the heap
                       moved (move) as it ends and at 40% and 70%, the Ruby
                       callers interrupted at 6% (caller_raise), 8%
                       (caller_timeout), 10%, 12% and 14% (caller_kill), the
                       event thread killed halfway (when the target has
                       kill_event_thread) and a stop with calls in flight at
                       95% (events=idle@400,move@400,caller_raise@600,
                       caller_timeout@800,caller_kill@1000,caller_kill@1200,
                       caller_kill@1400,move@4000,kill@5000,move@7000,
                       stop@9500)
  --max-p99-us N       a run whose p99 call latency is over N µs fails as too_slow
  --seed N             seed for payloads, behaviours and perturbation
                       (default: a new one per invocation, printed)
  --perturb STRATEGY   delays at the target's synchronisation points
                       (stress/sanitizer builds only), one of:
)" + StrategyLines() + R"(  --schedule MODE      os (default: the OS schedules the threads) or controlled: the
                       threads run one at a time, switching only at scheduling
                       points (sync points; the pthread mutex, condition-variable,
                       thread, sleep and poll calls of the target and of Ruby),
                       the next thread picked from the seed, so the replay line
                       replays the same schedule; a failure prints the schedule's
                       last decisions. Not with background= or fork events
  --strategy NAME      how --schedule controlled picks the next thread, one of:
)" + ScheduleStrategyLines() + R"(  --seconds S          keep running with successive seeds for S seconds;
                       stops at the first failure
  --replay N           rerun the same run N times; report how many failed
  --hang-seconds S     no call returning for S seconds is a deadlock (default 20)
  --no-quiescence      report a deadlock only after --hang-seconds (by default a
                       run whose threads are all asleep, using no CPU and making
                       no progress for longer than its scenario allows, at
                       least 0.4 s, is a deadlock at once;
                       harness/docs/judging.md)
  --no-gvl-check       do not interpose on the target's Ruby C API imports (by
                       default a call made without the GVL is a gvl_violation,
                       reported with its frames; harness/docs/gvl_check.md)
suite (every scenario a bridge should pass, one run each):
  --suite SIZE         quick (8 threads, 4,000 calls a scenario: a first verdict in
                       about a minute per bridge, release build) or full (16 threads,
                       20,000 calls, 140,000 in `long`). Scenarios: basic, raise,
                       mixed, lifecycle, paths, sizes, callers256, long, latency,
                       throughput, aimed, stop, timeouts, deadline (each named in
                       the table).
                       --target and --target-lib take comma-separated lists; a
                       scenario a target cannot take is n/a. Prints a target x
                       scenario table, then each failure's first lines and replay
                       line. --threads and --calls resize the suite. Without
                       --perturb, a target built with synchronisation points runs
                       under random, the others under none.
  --only A,B           only these scenarios of the suite
  --list-scenarios     print the suite's scenarios, one per line: name, a tab, its text
  --jobs N             runs at once (default: the CPUs); a scenario judged against
                       the scheduler (latency, throughput) runs alone
  --json-file FILE     the table as JSON (per target, per scenario: verdict,
                       detail, replay line, notes, seconds)
  --junit FILE         the table as JUnit XML: a testsuite per target, a testcase per
                       scenario (failure: the verdict, first detail lines, replay line)
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
  --score-replay N     rerun each detecting run's replay line N times, each a new
                       process: how many end with the same verdict, and (under
                       --schedule controlled) print the same schedule byte for byte
  --schedule controlled  score under the controlled schedule: every --strategy
                       (or the one given; with --declared, walk unless given)
                       (--hang-seconds defaults to 3 here)
output:
  --json               one JSON object on stdout instead of text
                       (with --list-targets: each built-in target's name,
                       description, capabilities and whether it is a mutant)
  --quiet              no progress lines
  --verbose            a failure under --schedule controlled prints the whole
                       schedule, not only its last decisions
  --help               this text

exit status: 0 every run passed (or N/A: the scenario asks for what the target declares
it cannot do, e.g. a kill@ event and no kill_event_thread: nothing is run), 1 a failure
was found, 2 usage or harness error.
Every failure prints a `replay:` line that reruns it.
failure kinds (README.md: "Reading a failure"):
)" + FailureKindLines();
}

}  // namespace handoff
