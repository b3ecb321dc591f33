#include "property_run.h"

#include <rapidcheck.h>

#include <sstream>

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

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void SetPropertyTarget(PropertyTarget target) { g_target = std::move(target); }
const PropertyTarget& CurrentPropertyTarget() { return g_target; }

std::string ReplayCommand(const Scenario& scenario, uint64_t seed) {
  std::ostringstream line;
  line << HandoffStressPath() << " " << g_target.flag << " --seed " << seed << " --perturb "
       << g_target.perturbation << " --scenario " << ShellQuote(ScenarioToText(scenario))
       << " --hang-seconds " << kHangSeconds;
  return line.str();
}

void RunScenarioOrFail(const Scenario& scenario, uint64_t seed) {
  RunOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.perturbation = g_target.perturbation;
  options.hang_seconds = kHangSeconds;
  options.progress = false;
  SupervisedRun run = SuperviseRun(g_target.target, options, /*echo_stderr=*/false);
  if (run.result.passed()) return;
  std::string what = run.result.failed() ? "the target failed: " : "harness error (not the target's fault): ";
  RC_FAIL(what + run.result.Verdict() + "\n" + run.result.detail + "\nscenario: " +
          ScenarioToText(scenario) + "\nreplay: " + ReplayCommand(scenario, seed));
}

}  // namespace handoff::properties
