#include "scenario_properties.h"

#include "property_run.h"
#include "scenario_space.h"

namespace handoff::properties {
namespace {

using B = Behaviour;
using E = EventType;

Property ScenarioProperty(std::string name, std::string description, ScenarioSpace space,
                          bool needs_fork = false) {
  auto body = [space] {
    Scenario scenario = DrawScenario(space);
    uint64_t seed = DrawSeed();
    RunScenarioOrFail(scenario, seed);
  };
  return {std::move(name), std::move(description), body, needs_fork};
}

}  // namespace

std::vector<Property> ScenarioProperties() {
  std::vector<Property> all;
  all.push_back(ScenarioProperty(
      "one_reply_per_call",
      "every call gets exactly one reply, computed from its own payload; the handler runs once "
      "per call (classes 4, 7)",
      {16, 2000, 4096, {B::kSlow, B::kGc, B::kLarge}, {}, 0, 2}));
  all.push_back(ScenarioProperty(
      "raise_becomes_raised",
      "a raising handler becomes a `raised` reply carrying that exception and the bridge keeps "
      "serving (class 11)",
      {8, 1500, 512, {B::kRaise, B::kSlow}, {}, 0, 1}));
  all.push_back(ScenarioProperty(
      "stop_and_kill_in_flight",
      "stop, a killed event thread or a spurious unblock with calls in flight: every call "
      "returns a fitting status before its deadline (classes 3, 5, 6, 9)",
      {8, 1500, 512, {B::kSlow, B::kRaise}, {E::kStop, E::kKill, E::kWakeup}, 3, 1}));
  all.push_back(ScenarioProperty(
      "reentrant_callbacks",
      "a block that fires another foreign callback and waits on it completes (class 13)",
      {8, 600, 512, {B::kReenter, B::kSlow}, {}, 0, 1}));
  all.push_back(ScenarioProperty(
      "three_calling_paths",
      "Ruby threads holding the GVL, Ruby threads without it and foreign threads, mixed, all "
      "get exactly their replies (classes 1, 2)",
      {8, 800, 512, {B::kReenterGvl, B::kReenterNoGvl, B::kReenter}, {}, 0, 1}));
  all.push_back(ScenarioProperty(
      "gc_loses_nothing",
      "allocation, GC runs, GC.compact and GC.stress during a run lose nothing (class 12)",
      {8, 1500, 512, {B::kGc, B::kLarge}, {E::kCompact, E::kGcStress}, 3, 1}));
  all.push_back(ScenarioProperty(
      "fork_during_run",
      "fork with calls in flight: the child's bridge works and nothing crosses the fork "
      "(class 10)",
      {8, 1500, 512, {B::kSlow}, {E::kFork}, 2, 0}, /*needs_fork=*/true));
  return all;
}

}  // namespace handoff::properties
