// What a harness run is asked to do (RunOptions) and what it measured
// (RunStats): shared by the driver, the supervisor, the CLI and the properties.
#pragma once

#include <cstdint>
#include <string>

#include "handoff/scenario.h"

namespace handoff {

constexpr double kDefaultHangSeconds = 20;

struct RunOptions {
  Scenario scenario;
  uint64_t seed = 1;
  std::string perturbation = "none";  // a name from PerturbationStrategies()
  // "os": the OS schedules the threads (perturbed by `perturbation`);
  // "controlled": they run one at a time, switching at scheduling points
  // picked by `schedule_strategy` from the seed, so a seed replays its
  // schedule exactly (handoff-stress --schedule controlled --strategy S).
  std::string schedule = "os";
  std::string schedule_strategy = "walk";
  // A failure under the controlled schedule prints all of its decisions, not
  // only the last ones (handoff-stress --verbose).
  bool whole_schedule = false;
  double hang_seconds = kDefaultHangSeconds;  // no call returning this long is a deadlock
  // Report a deadlock as soon as the run is stuck (quiescence.h) rather than
  // only after hang_seconds. handoff-stress --no-quiescence.
  bool quiescence = true;
  bool progress = true;               // progress lines on stderr for long runs
  // Interpose on the target's Ruby C API imports and report a call made
  // without the GVL as gvl_violation (gvl_check.h). handoff-stress --no-gvl-check.
  bool gvl_check = true;
  // How a replay line names the target ("--target NAME" or "--target-lib
  // '/path'", ReplayTargetFlag): a run that does not pass then comes back
  // with the line that reruns it (Result::replay). Empty: no replay line.
  std::string replay_target;
};

struct RunStats {
  uint64_t calls_returned = 0;
  uint64_t verified = 0;  // calls checked and right, nested calls included
  double seconds = 0;     // from the first call to the last return
  uint64_t sync_points = 0;
  uint64_t schedule_steps = 0;  // decisions of the controlled schedule (0: not controlled)
  bool schedule_exact = true;   // no thread was let go on uncontrolled
  double p50_us = 0;      // latency of ok and raised calls, invoke to return
  double p99_us = 0;
  double leak_bytes_per_call = 0;  // resident growth per call, the smaller of the last two quarters' (0: not measured)
  uint64_t replied = 0;   // calls that came back ok or raised, their reply or message checked
  // What the run could not do as asked, one line each (an aimed event that
  // never found its aim, a run in which no reply was checked): a pass with
  // notes proves less than it seems to.
  std::string notes;
};

}  // namespace handoff
