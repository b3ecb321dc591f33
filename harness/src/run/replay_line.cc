#include "handoff/run.h"

#include <cstdlib>
#include <sstream>


namespace handoff {
namespace {

std::string HandoffStressPath() {
  std::string exe = ExecutablePath();
  size_t slash = exe.rfind('/');
  return (slash == std::string::npos ? std::string(".") : exe.substr(0, slash)) + "/handoff-stress";
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReplayTargetFlag(const std::string& name, const std::string& library) {
  if (library.empty()) return "--target " + name;
  // Absolute, so the line works from any directory, as the harness's path does.
  return "--target-lib " + ShellQuote(AbsolutePath(library));
}

std::string ReplayCommandLine(const RunOptions& options) {
  std::ostringstream line;
  line << HandoffStressPath() << " " << options.replay_target << " --seed " << options.seed
       << " --perturb " << options.perturbation;
  if (options.schedule == "controlled") line << " --schedule controlled --strategy " << options.schedule_strategy;
  line << " --scenario " << ShellQuote(ScenarioToText(options.scenario));
  if (options.hang_seconds != kDefaultHangSeconds) line << " --hang-seconds " << options.hang_seconds;
  if (!options.gvl_check) line << " --no-gvl-check";
  if (!options.quiescence) line << " --no-quiescence";
  return line.str();
}

}  // namespace handoff
