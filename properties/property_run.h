// What a scenario property does with a generated scenario: runs it against
// the target under test the way handoff-stress does (a supervised child that
// embeds Ruby) and fails the RapidCheck case, with the scenario and the
// handoff-stress line that replays it, unless the checker passed every call.
#pragma once

#include <string>

#include "handoff/scenario.h"
#include "handoff/target.h"

namespace handoff::properties {

struct PropertyTarget {
  const handoff_target* target = nullptr;
  std::string flag;          // "--target bridge" or "--target-lib '/path'" for replay lines
  std::string perturbation;  // random where the target has sync points, else none
  std::string schedule = "os";  // or "controlled" (handoff-properties --schedule)
  std::string schedule_strategy = "walk";
};

// How long runs and shrinking may take, and what progress says.
struct PropertyLimits {
  double hang_seconds = 10;    // a run's watchdog deadline (handoff-stress --hang-seconds)
  // Once a case failed, shrinking stops after this long: later candidates
  // are not run (RapidCheck keeps the smallest failing case found so far),
  // so a target that hangs every run still gets a verdict in bounded time.
  double shrink_seconds = 60;
  int cases = 20;              // for "case n of N" in progress lines
  bool progress = true;        // a line on stderr per run, and every 5 s of a long run
};

// Sets the target every property runs against, and the limits (once, before rc::check).
void SetPropertyTarget(PropertyTarget target);
void SetPropertyLimits(PropertyLimits limits);
const PropertyTarget& CurrentPropertyTarget();

// Forgets the previous property's progress and failures (--all runs several
// properties in one process).
void ResetPropertyProgress();

// Inside a RapidCheck property: runs `scenario` with `seed`; RC_FAIL on any
// failure or harness error (message: verdict, detail, replay line).
void RunScenarioOrFail(const Scenario& scenario, uint64_t seed);

// Whether the case RapidCheck reported last (the shrunk one) failed because
// the harness could not do its job, not the target: the property's exit
// status is then 2, as handoff-stress's is for the same replay line.
bool LastFailureWasHarnessError();

}  // namespace handoff::properties
