// The table of controlled-schedule strategies (schedule_strategy.h).
#include "perturb/schedule_strategy.h"

namespace handoff {

// Each defined in its own file here.
std::unique_ptr<ScheduleStrategy> MakeRandomWalkSchedule();
std::unique_ptr<ScheduleStrategy> MakePctSchedule();
std::unique_ptr<ScheduleStrategy> MakePosSchedule();

const std::vector<ScheduleStrategyInfo>& ScheduleStrategies() {
  static const std::vector<ScheduleStrategyInfo> strategies = {
      {"walk", "random walk: any runnable thread, equally likely (default)", MakeRandomWalkSchedule},
      {"pct", "PCT, depth 3: seeded thread priorities, two change points", MakePctSchedule},
      {"pos", "partial order sampling: racing operations re-drawn", MakePosSchedule},
  };
  return strategies;
}

std::unique_ptr<ScheduleStrategy> MakeScheduleStrategy(const std::string& name) {
  for (const ScheduleStrategyInfo& s : ScheduleStrategies()) {
    if (name == s.name) return s.make();
  }
  return nullptr;
}

std::string ScheduleStrategyNames() {
  std::string names;
  for (const ScheduleStrategyInfo& s : ScheduleStrategies()) {
    names += (names.empty() ? "" : ", ") + std::string(s.name);
  }
  return names;
}

}  // namespace handoff
