#include "handoff/replay_line.h"

#include <sstream>

#include "driver.h"

namespace handoff {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReplayCommandLine(const std::string& handoff_stress, const std::string& target_flag,
                              uint64_t seed, const std::string& perturbation,
                              const Scenario& scenario, double hang_seconds) {
  std::ostringstream line;
  line << handoff_stress << " " << target_flag << " --seed " << seed << " --perturb " << perturbation
       << " --scenario " << ShellQuote(ScenarioToText(scenario));
  if (hang_seconds != kDefaultHangSeconds) line << " --hang-seconds " << hang_seconds;
  return line.str();
}

}  // namespace handoff
