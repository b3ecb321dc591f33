#include "property_run.h"

#include <rapidcheck.h>

#include <map>

#include "replay_line.h"
#include "supervised_run.h"
#include "target_loader.h"

namespace handoff::properties {
namespace {

PropertyTarget g_target;

constexpr double kHangSeconds = 10;

std::string HandoffStressPath() {
  std::string exe = ExecutablePath();
  size_t slash = exe.rfind('/');
  return (slash == std::string::npos ? std::string(".") : exe.substr(0, slash)) + "/handoff-stress";
}

}  // namespace

void SetPropertyTarget(PropertyTarget target) { g_target = std::move(target); }
const PropertyTarget& CurrentPropertyTarget() { return g_target; }

std::string ReplayCommand(const Scenario& scenario, uint64_t seed) {
  return ReplayCommandLine(HandoffStressPath(), g_target.flag, seed, g_target.perturbation, scenario,
                           kHangSeconds);
}

void RunScenarioOrFail(const Scenario& scenario, uint64_t seed) {
  // A run that failed once in this process fails again without rerunning:
  // real threads do not replay a schedule, and RapidCheck reruns the shrunk
  // counterexample to report it; a race seen once must not vanish from the
  // report because the rerun was lucky. The replay line's --replay N says
  // how often it reproduces.
  static std::map<std::string, std::string> failed_before;
  std::string key = ScenarioToText(scenario) + " seed " + std::to_string(seed);
  if (auto found = failed_before.find(key); found != failed_before.end()) RC_FAIL(found->second);
  RunOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.perturbation = g_target.perturbation;
  options.hang_seconds = kHangSeconds;
  options.progress = false;
  SupervisedRun run = SuperviseRun(g_target.target, options, /*echo_stderr=*/false);
  if (run.result.passed()) return;
  std::string what = run.result.failed() ? "the target failed: " : "harness error (not the target's fault): ";
  std::string message = what + run.result.Verdict() + "\n" + run.result.detail + "\nscenario: " +
                        ScenarioToText(scenario) + "\nreplay: " + ReplayCommand(scenario, seed) +
                        " --replay 10";
  failed_before.emplace(key, message);
  RC_FAIL(message);
}

}  // namespace handoff::properties
