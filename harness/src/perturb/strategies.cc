// The table of perturbation strategies (strategy.h): the one list that
// --perturb, handoff-stress --help and --score read.
#include <memory>
#include <string>
#include <vector>

#include "perturb/strategy.h"

namespace handoff {

// Each defined in its own file here.
std::unique_ptr<PerturbationStrategy> MakeNoPerturbation();
std::unique_ptr<PerturbationStrategy> MakeRandomPerturbation();
std::unique_ptr<PerturbationStrategy> MakePctPerturbation();
std::unique_ptr<PerturbationStrategy> MakeFocusPerturbation();

const std::vector<PerturbationStrategyInfo>& PerturbationStrategies() {
  static const std::vector<PerturbationStrategyInfo> strategies = {
      {"none", "no delays: the OS schedules alone (default)", MakeNoPerturbation},
      {"random", "a yield, spin or 1-50 us sleep at 1/4 of points",
       MakeRandomPerturbation},
      {"pct", "PCT-style seeded priorities, lower ones delayed",
       MakePctPerturbation},
      {"focus", "20-200 us sleeps at a seeded few point names",
       MakeFocusPerturbation},
  };
  return strategies;
}

std::unique_ptr<PerturbationStrategy> MakePerturbation(const std::string& name) {
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) {
    if (name == s.name) return s.make();
  }
  return nullptr;
}

std::string PerturbationNames() {
  std::string names;
  for (const PerturbationStrategyInfo& s : PerturbationStrategies()) {
    names += (names.empty() ? "" : ", ") + std::string(s.name);
  }
  return names;
}

}  // namespace handoff
