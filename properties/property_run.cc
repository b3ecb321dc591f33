#include "property_run.h"

#include <rapidcheck.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "handoff/run.h"

namespace handoff::properties {
namespace {

PropertyTarget g_target;
PropertyLimits g_limits;
bool g_last_failure_harness_error = false;

using Clock = std::chrono::steady_clock;

// Where the property is: searching (case n of N) or shrinking a failure.
struct Progress {
  int runs = 0;
  int shrink_steps = 0;
  bool failed = false;
  bool budget_spent = false;
  Clock::time_point first_failure;
};
Progress g_progress;
// Runs that failed in this process, by scenario and seed: their message and
// whether the harness, not the target, failed.
std::map<std::string, std::pair<std::string, bool>> g_failed_before;

std::string Where() {
  if (!g_progress.failed) {
    return "case " + std::to_string(g_progress.runs) + " of " + std::to_string(g_limits.cases);
  }
  return "shrinking, step " + std::to_string(g_progress.shrink_steps);
}

void Say(const std::string& line) {
  if (g_limits.progress) std::fprintf(stderr, "handoff-properties: %s\n", line.c_str());
}

// False once shrinking has used its budget: the candidate is not run.
bool ShrinkBudgetLeft() {
  if (!g_progress.failed) return true;
  double spent = std::chrono::duration<double>(Clock::now() - g_progress.first_failure).count();
  if (spent <= g_limits.shrink_seconds) return true;
  if (!g_progress.budget_spent) {
    g_progress.budget_spent = true;
    char line[200];
    std::snprintf(line, sizeof line,
                  "shrinking stopped after %.0f s (--shrink-seconds %.0f): the smallest failing "
                  "case so far is reported",
                  spent, g_limits.shrink_seconds);
    Say(line);
  }
  return false;
}

// The options a case runs with: the target's perturbation and schedule, the
// limits' hang deadline; under the controlled schedule the scenario without
// what it cannot run (background threads, fork and gc_stress events).
RunOptions CaseRunOptions(const Scenario& scenario, uint64_t seed) {
  RunOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.perturbation = g_target.perturbation;
  options.schedule = g_target.schedule;
  options.schedule_strategy = g_target.schedule_strategy;
  if (options.schedule == "controlled") {
    // What the controlled schedule cannot run is left out of the case (the
    // replay line shows the scenario as run).
    options.scenario.background = 0;
    std::vector<Event> events;
    for (const Event& e : options.scenario.events) {
      if (e.type != EventType::kFork && e.type != EventType::kGcStress) events.push_back(e);
    }
    options.scenario.events = events;
  }
  options.hang_seconds = g_limits.hang_seconds;
  options.progress = false;
  options.replay_target = g_target.flag;
  return options;
}

// Runs the case, saying so every 5 s while it runs and once with its verdict.
SupervisedRun SuperviseCase(const RunOptions& options, const Scenario& scenario) {
  double next_note = 5;
  auto started = Clock::now();
  SupervisedRun run = SuperviseRun(g_target.target, options, /*echo_stderr=*/false,
                                   [&](double elapsed) {
                                     if (elapsed < next_note) return;
                                     next_note += 5;
                                     Say(Where() + ": still running (" +
                                         std::to_string(static_cast<int>(elapsed)) + " s): " +
                                         ScenarioToText(options.scenario));
                                   });
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s",
                std::chrono::duration<double>(Clock::now() - started).count());
  Say(Where() + ": " + run.result.Verdict() + " (" + took + ", " + std::to_string(scenario.threads) +
      " threads, " + std::to_string(scenario.calls) + " calls)");
  return run;
}

// A failed run's message: verdict, detail, the scenario as run and its replay line.
std::string FailureMessage(const SupervisedRun& run, const RunOptions& options) {
  std::string what = run.result.failed() ? "the target failed: " : "harness error (not the target's fault): ";
  // The scenario as run (under the controlled schedule, without what it
  // cannot run), as the replay line has it.
  return what + run.result.Verdict() + "\n" + run.result.detail() + "\nscenario: " +
         ScenarioToText(options.scenario) + "\nreplay: " + run.result.replay() + " --replay 10";
}

}  // namespace

void SetPropertyTarget(PropertyTarget target) { g_target = std::move(target); }
void SetPropertyLimits(PropertyLimits limits) { g_limits = limits; }
const PropertyTarget& CurrentPropertyTarget() { return g_target; }
bool LastFailureWasHarnessError() { return g_last_failure_harness_error; }

void ResetPropertyProgress() {
  g_progress = Progress{};
  g_failed_before.clear();
  g_last_failure_harness_error = false;
}

void RunScenarioOrFail(const Scenario& scenario, uint64_t seed) {
  // A run that failed once in this process fails again without rerunning:
  // real threads do not replay a schedule, and RapidCheck reruns the shrunk
  // counterexample to report it; a race seen once must not vanish from the
  // report because the rerun was lucky. The replay line's --replay N says
  // how often it reproduces.
  std::string key = ScenarioToText(scenario) + " seed " + std::to_string(seed);
  if (auto found = g_failed_before.find(key); found != g_failed_before.end()) {
    g_last_failure_harness_error = found->second.second;
    RC_FAIL(found->second.first);
  }
  if (!ShrinkBudgetLeft()) return;
  ++(g_progress.failed ? g_progress.shrink_steps : g_progress.runs);
  RunOptions options = CaseRunOptions(scenario, seed);
  SupervisedRun run = SuperviseCase(options, scenario);
  if (!g_progress.failed && !run.result.passed()) {
    g_progress.failed = true;
    g_progress.first_failure = Clock::now();
  }
  if (run.result.passed()) return;
  // WhyNotApplicable's scenarios are never drawn (ForTarget): one that gets
  // here anyway says nothing about the target and is discarded.
  if (run.result.not_applicable()) RC_DISCARD(run.result.detail());
  std::string message = FailureMessage(run, options);
  g_last_failure_harness_error = !run.result.failed();
  g_failed_before.emplace(key, std::make_pair(message, g_last_failure_harness_error));
  RC_FAIL(message);
}

}  // namespace handoff::properties
