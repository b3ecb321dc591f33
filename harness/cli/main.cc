// handoff-stress: the harness's command line. Loads a target, runs scenarios
// against it (each in a supervised child process), prints the verdict, the
// rate of verified calls and, for every failure, the line that replays it.
#include <ruby.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "cli/options.h"
#include "cli/report/json_output.h"
#include "cli/score.h"
#include "cli/suite.h"
#include "cli/suite_run.h"
#include "handoff/run.h"
#include "handoff/supervisor.h"
#include "handoff/target.h"
#include "host/fixed_addresses.h"
#include "perturb/decision_log.h"
#include "run/driver.h"

namespace handoff {
namespace {

struct Summary {
  int runs = 0;
  std::map<std::string, int> verdicts;  // verdict -> runs
  bool has_failure = false;
  Result first_failure;
  uint64_t failure_seed = 0;
  std::string decisions_file;        // the first failure's perturbation decisions, written out
  uint64_t decisions_recorded = 0;
  uint64_t verified = 0;
  uint64_t sync_points = 0;  // perturbation points reached: 0 means --perturb had nothing to act on
  uint64_t schedule_steps = 0;  // decisions of the controlled schedule
  double seconds = 0;
  double p50_us = 0, p99_us = 0;   // the slowest run's (by p99)
  double post_p50_us = 0, post_p99_us = 0;  // post to run, the slowest run's (by p99)
  double leak_bytes_per_call = 0;  // the largest measured (0: not measured)
  uint64_t replied = 0;            // calls that came back ok or raised, content checked
  std::string speed;               // the last run's speed phases (min_throughput_ratio), or ""
  std::vector<std::string> notes;  // every run's notes, each once
  std::string not_applicable;      // why nothing ran (WhyNotApplicable), or empty
};

// Writes a failed run's perturbation decisions to
// $TMPDIR/handoff-decisions-<target>-<seed>.txt; the path, or "" when it
// cannot be written.
std::string WriteDecisions(const char* target, uint64_t seed, const std::string& text) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/handoff-decisions-" + target + "-" +
                     std::to_string(seed) + ".txt";
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return "";
  bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  return std::fclose(file) == 0 && written ? path : "";
}

// One built-in target as --list-targets --json prints it: what the loaded
// handoff_target offers (capabilities) and whether it is a mutant (it exports
// handoff_mutant_declaration, handoff/target.h).
Json TargetJson(const std::string& name, const std::string& path) {
  LoadedTarget loaded;
  std::string error;
  if (!LoadTargetLibrary(path, &loaded, &error)) return Json{{"name", name}, {"error", error}};
  const handoff_target* t = loaded.target;
  const handoff_mutant* mutant = loaded.mutant;
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  Json json{{"name", name},
            {"description", text(t->description)},
            {"library", path},
            {"capabilities",
             {{"kill_event_thread", t->kill_event_thread != nullptr},
              {"after_fork_child", t->after_fork_child != nullptr},
              {"describe", t->describe != nullptr},
              {"deadlines", (t->flags & HANDOFF_TARGET_HAS_DEADLINES) != 0},
              {"sync_points", (t->flags & HANDOFF_TARGET_HAS_SYNC_POINTS) != 0}}},
            {"mutant", mutant != nullptr}};
  if (mutant != nullptr) {
    json["must_produce"] = text(mutant->must_produce);
    // What seeing that kind takes (the failure kinds' table): its ctest's
    // labels are chosen by it (cmake/HandoffMutantTests.cmake).
    const FailureKindInfo* kind = FindFailureKind(text(mutant->must_produce));
    json["must_produce_needs"] = FailureKindNeedsNames(kind != nullptr ? kind->needs : kNeedsNothing);
    json["scenario"] = text(mutant->scenario);
    json["bug_class"] = text(mutant->bug_class);
    json["perturbation"] = handoff_mutant_perturbation(mutant);
    if (mutant->also_accepted != nullptr) json["also_accepted"] = mutant->also_accepted;
    if (mutant->needs != nullptr) json["needs"] = mutant->needs;
  }
  return json;
}

// --list-targets: one line per built-in target; with --json one object
// {"targets":[...]} (TargetJson), for scripts such as ci/stress.
int ListTargets(bool json) {
  std::vector<std::string> names = BuiltinTargetNames();
  if (names.empty()) {
    std::fprintf(stderr, "handoff-stress: no built-in targets in %s (set HANDOFF_TARGET_DIR?)\n",
                 BuiltinTargetDir().c_str());
    return 2;
  }
  if (json) {
    Json targets = Json::array();
    for (const std::string& name : names) targets.push_back(TargetJson(name, BuiltinTargetPath(name)));
    PrintJsonLine(Json{{"target_dir", BuiltinTargetDir()}, {"targets", targets}});
    return 0;
  }
  for (const std::string& name : names) {
    LoadedTarget loaded;
    std::string error;
    if (LoadTargetLibrary(BuiltinTargetPath(name), &loaded, &error)) {
      std::printf("%-28s %s\n", name.c_str(), loaded.target->description);
    } else {
      std::printf("%-28s (cannot load: %s)\n", name.c_str(), error.c_str());
    }
  }
  return 0;
}

bool ResolveTarget(const CliOptions& o, LoadedTarget* loaded, std::string* error) {
  if (!o.target_lib.empty()) return LoadTargetLibrary(o.target_lib, loaded, error);
  std::string path = BuiltinTargetPath(o.target_name);
  if (access(path.c_str(), F_OK) != 0) {
    std::string names;
    for (const std::string& name : BuiltinTargetNames()) names += (names.empty() ? "" : ", ") + name;
    *error = "unknown target '" + o.target_name + "' (built-in: " +
             (names.empty() ? "none found in " + BuiltinTargetDir() : names) +
             "; or --target-lib PATH)";
    return false;
  }
  return LoadTargetLibrary(path, loaded, error);
}

// The strategy a suite runs `target` under: --perturb's, else random where
// the target has synchronisation points to act on, else none.
std::string SuitePerturbation(const CliOptions& o, const handoff_target* target) {
  if (o.perturb_given || o.run.schedule == "controlled") return o.run.perturbation;
  return (target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS) ? "random" : "none";
}

// --suite's targets: every name of --target and path of --target-lib
// (comma-separated), each loaded once here so a bad one is a usage error
// before anything runs. A library's row is labelled with its target's name.
bool SuiteTargets(const CliOptions& o, std::vector<SuiteTarget>* targets, std::string* error) {
  for (const std::string& name : SplitList(o.target_name)) {
    CliOptions one = o;
    one.target_name = name;
    one.target_lib.clear();
    LoadedTarget loaded;
    if (!ResolveTarget(one, &loaded, error)) return false;
    targets->push_back({name, "--target", name, SuitePerturbation(o, loaded.target)});
  }
  for (const std::string& path : SplitList(o.target_lib)) {
    LoadedTarget loaded;
    if (!LoadTargetLibrary(path, &loaded, error)) return false;
    if (std::string warning = SanitizerWarning(loaded); !warning.empty()) {
      std::fprintf(stderr, "handoff-stress: %s\n", warning.c_str());
    }
    targets->push_back({loaded.target->name, "--target-lib", AbsolutePath(path),
                        SuitePerturbation(o, loaded.target)});
  }
  return true;
}

// Adds one run's verdict and figures to the summary: its notes each once,
// p50 and p99 those of the slowest run (by p99), the largest leak.
void AddRun(const SupervisedRun& outcome, Summary* summary) {
  ++summary->runs;
  ++summary->verdicts[outcome.result.Verdict()];
  summary->verified += outcome.stats.verified;
  summary->replied += outcome.stats.replied;
  std::istringstream note_lines(outcome.stats.notes);
  for (std::string line; std::getline(note_lines, line);) {
    if (std::find(summary->notes.begin(), summary->notes.end(), line) == summary->notes.end()) {
      summary->notes.push_back(line);
    }
  }
  summary->sync_points += outcome.stats.sync_points;
  summary->schedule_steps += outcome.stats.schedule_steps;
  summary->seconds += outcome.stats.seconds;
  if (outcome.stats.p99_us >= summary->p99_us) {
    summary->p99_us = outcome.stats.p99_us;
    summary->p50_us = outcome.stats.p50_us;
  }
  if (outcome.stats.post_p99_us >= summary->post_p99_us) {
    summary->post_p99_us = outcome.stats.post_p99_us;
    summary->post_p50_us = outcome.stats.post_p50_us;
  }
  summary->leak_bytes_per_call =
      std::max(summary->leak_bytes_per_call, outcome.stats.leak_bytes_per_call);
  if (!outcome.stats.speed.empty()) summary->speed = outcome.stats.speed;
}

// The first failed run: its result and seed, and its perturbation decisions written out.
void KeepFirstFailure(const handoff_target* target, uint64_t seed, const SupervisedRun& outcome,
                      Summary* summary) {
  if (outcome.result.passed() || summary->has_failure) return;
  summary->has_failure = true;
  summary->first_failure = outcome.result;
  summary->failure_seed = seed;
  if (!outcome.decisions.empty()) {
    summary->decisions_file = WriteDecisions(target->name, seed, outcome.decisions);
    summary->decisions_recorded = outcome.decisions_recorded;
  }
}

// Whether RunAll is done: with --seconds at a failure or when the time is up,
// else after --replay's runs (or the one run).
bool RunsDone(const CliOptions& o, const Summary& summary,
              std::chrono::steady_clock::time_point start) {
  int runs = o.replay > 0 ? o.replay : 1;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.seconds > 0) return summary.has_failure || elapsed >= o.seconds;
  return summary.runs >= runs;
}

Summary RunAll(const CliOptions& o, const handoff_target* target) {
  Summary summary;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    RunOptions run = o.run;
    run.replay_target = ReplayTargetFlag(o.target_name, o.target_lib);
    if (o.replay == 0) run.seed = o.run.seed + static_cast<uint64_t>(i);
    SupervisedRun outcome = SuperviseRun(target, run, true);
    AddRun(outcome, &summary);
    KeepFirstFailure(target, run.seed, outcome, &summary);
    if ((o.replay > 1 || o.seconds > 0) && !o.quiet) {
      std::fprintf(stderr, "handoff-stress: run %d (seed %llu): %s\n", summary.runs,
                   static_cast<unsigned long long>(run.seed), outcome.result.Verdict().c_str());
    }
    if (RunsDone(o, summary, start)) break;
  }
  return summary;
}

void PrintText(const CliOptions& o, const handoff_target* target, const Summary& s) {
  if (!s.not_applicable.empty()) {
    std::printf("N/A %s: %s; nothing was run\n", target->name, s.not_applicable.c_str());
    return;
  }
  double rate = s.seconds > 0 ? s.verified / s.seconds : 0;
  for (const std::string& note : s.notes) std::printf("note: %s\n", note.c_str());
  if (!s.has_failure) {
    std::printf("PASS %s: %d run(s), %llu calls verified in %.2f s: %.0f verified calls/s, "
                "latency p50 %.1f us, p99 %.1f us\n",
                target->name, s.runs, static_cast<unsigned long long>(s.verified), s.seconds, rate,
                s.p50_us, s.p99_us);
    if (!s.speed.empty()) std::printf("  speed: %s\n", s.speed.c_str());
    if (s.post_p99_us > 0) {
      std::printf("  posts: post to run p50 %.1f us, p99 %.1f us\n", s.post_p50_us, s.post_p99_us);
    }
    if (o.run.schedule == "controlled") {
      std::printf("  controlled schedule (%s): %llu decisions\n", o.run.schedule_strategy.c_str(),
                  static_cast<unsigned long long>(s.schedule_steps));
    }
    return;
  }
  const Result& f = s.first_failure;
  std::printf("%s %s: %s\n  %s\n", f.failed() ? "FAIL" : "ERROR", target->name,
              f.Verdict().c_str(), f.detail().c_str());
  if (o.replay > 0 || o.seconds > 0) {
    int passed = s.verdicts.count("pass") ? s.verdicts.at("pass") : 0;
    std::printf("runs: %d, failed: %d (", s.runs, s.runs - passed);
    for (const auto& [verdict, count] : s.verdicts) std::printf(" %s=%d", verdict.c_str(), count);
    std::printf(" )\n");
  }
  if (f.failed()) {
    std::printf("replay: %s\n", f.replay().c_str());
    if (!s.decisions_file.empty()) {
      std::printf("decisions: %llu taken at sync points (--perturb %s); the last %llu in %s\n",
                  static_cast<unsigned long long>(s.decisions_recorded), o.run.perturbation.c_str(),
                  static_cast<unsigned long long>(std::min<uint64_t>(s.decisions_recorded, DecisionLog::kCapacity)),
                  s.decisions_file.c_str());
    }
  }
}

void PrintJson(const CliOptions& o, const handoff_target* target, const Summary& s) {
  const Result& f = s.first_failure;
  bool failed = s.has_failure && f.failed();
  PrintJsonLine(Json{
      {"target", target->name},
      {"perturbation", o.run.perturbation},
      {"schedule", o.run.schedule},
      {"schedule_strategy", o.run.schedule == "controlled" ? o.run.schedule_strategy : ""},
      {"schedule_steps", s.schedule_steps},
      {"seed", s.has_failure ? s.failure_seed : o.run.seed},
      {"scenario", ScenarioToText(o.run.scenario)},
      {"runs", s.runs},
      {"verdict", !s.not_applicable.empty() ? "n/a" : s.has_failure ? f.Verdict() : "pass"},
      {"detail", !s.not_applicable.empty() ? s.not_applicable : s.has_failure ? f.detail() : ""},
      {"verdicts", s.verdicts},
      {"verified", s.verified},
      {"sync_points", s.sync_points},
      {"seconds", s.seconds},
      {"verified_per_second", s.seconds > 0 ? s.verified / s.seconds : 0.0},
      {"p50_us", s.p50_us},
      {"p99_us", s.p99_us},
      {"post_p50_us", s.post_p50_us},
      {"post_p99_us", s.post_p99_us},
      {"leak_bytes_per_call", s.leak_bytes_per_call},
      {"speed", s.speed},
      {"replay", failed ? f.replay() : ""},
      {"decisions_file", failed ? s.decisions_file : ""},
      {"replied", s.replied},
      {"notes", s.notes},
  });
}

// A seed of this invocation's own (no --seed given).
uint64_t FreshSeed() { return std::random_device{}() ^ (static_cast<uint64_t>(getpid()) << 32); }

// --suite with --list-scenarios: each scenario's name, a tab, its text.
int ListSuiteScenarios(const CliOptions& o) {
  for (const SuiteScenario& s : Suite(o.suite, o.suite_threads, o.suite_calls)) {
    std::printf("%s\t%s\n", s.name.c_str(), s.scenario.c_str());
  }
  return 0;
}

// --suite: every target loaded first (a bad one is a usage error), then the suite run.
int SuiteMain(CliOptions* o) {
  std::vector<SuiteTarget> targets;
  std::string error;
  if (!SuiteTargets(*o, &targets, &error)) {
    std::fprintf(stderr, "handoff-stress: %s\n", error.c_str());
    return 2;
  }
  if (!o->seed_given) o->run.seed = FreshSeed();
  return RunSuite(*o, targets);
}

// Warns on stderr where the run will not do all that was asked (a
// --target-lib's sanitizer warning, --perturb without synchronisation
// points); false, having said why, when this build cannot run it at all.
bool CheckRunnable(const CliOptions& o, const LoadedTarget& loaded) {
  const handoff_target* target = loaded.target;
  if (std::string warning = SanitizerWarning(loaded); !o.target_lib.empty() && !warning.empty()) {
    std::fprintf(stderr, "handoff-stress: %s\n", warning.c_str());
  }
  if (o.run.scenario.Has(EventType::kFork) && ForkRefusedBySanitizer() != nullptr) {
    std::fprintf(stderr, "handoff-stress: fork events cannot run in this sanitizer build (%s); "
                         "use the release build\n", ForkRefusedBySanitizer());
    return false;
  }
  if (o.run.perturbation != "none" && !(target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS)) {
    std::fprintf(stderr, "handoff-stress: warning: target %s has no synchronisation points (built "
                         "without HANDOFF_SYNC_POINTS, or it marks none, as ffi), so --perturb %s "
                         "changes nothing\n",
                 target->name, o.run.perturbation.c_str());
  }
  return true;
}

// The progress header on stderr: target, library, seed, schedule and scenario.
void PrintRunHeader(const CliOptions& o, const LoadedTarget& loaded) {
  std::string schedule = o.run.schedule == "controlled"
                             ? "schedule controlled (" + o.run.schedule_strategy + ")"
                             : "perturbation " + o.run.perturbation;
  std::fprintf(stderr, "handoff-stress: target %s (%s), seed %llu, %s\n  scenario: %s\n",
               loaded.target->name, loaded.path.c_str(),
               static_cast<unsigned long long>(o.run.seed), schedule.c_str(),
               ScenarioToText(o.run.scenario).c_str());
}

// One target's run (or its --replay or --seconds runs), reported as text or
// JSON. Exit status: 0 passed or n/a, 1 a failure, 2 a usage or harness error.
int TargetMain(CliOptions* o) {
  std::string error;
  LoadedTarget loaded;
  if (!ResolveTarget(*o, &loaded, &error)) {
    std::fprintf(stderr, "handoff-stress: %s\n", error.c_str());
    return 2;
  }
  const handoff_target* target = loaded.target;
  if (o->default_run) AddDefaultLifecycle(&o->run.scenario, target->kill_event_thread != nullptr);
  if (!CheckRunnable(*o, loaded)) return 2;
  if (!o->seed_given) o->run.seed = FreshSeed();
  if (!o->quiet && !o->json) PrintRunHeader(*o, loaded);
  Summary summary;
  if (std::optional<std::string> reason = WhyNotApplicable(target, o->run.scenario)) {
    summary.not_applicable = *reason;  // not a failure: exit 0, verdict n/a
  } else {
    summary = RunAll(*o, target);
  }
  if (o->json) {
    PrintJson(*o, target, summary);
  } else {
    PrintText(*o, target, summary);
  }
  if (!summary.has_failure) return 0;
  return summary.first_failure.failed() ? 1 : 2;
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  using namespace handoff;
  CliOptions o;
  std::string error;
  if (!ParseCli(argc, argv, &o, &error)) {
    std::fprintf(stderr, "handoff-stress: %s\n", error.c_str());
    return 2;
  }
  if (o.help) {
    std::fputs(CliHelp().c_str(), stdout);
    return 0;
  }
  if (o.list_targets) return ListTargets(o.json);
  if (o.run.schedule == "controlled") ReexecWithFixedAddresses(argv);  // returns if it cannot
  if (o.score) return RunScore(o);
  if (!o.suite.empty() && o.list_scenarios) return ListSuiteScenarios(o);
  if (!o.suite.empty()) return SuiteMain(&o);
  return TargetMain(&o);
}
