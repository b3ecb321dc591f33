// The speed phases of a run with min_throughput_ratio (judge/speed_verdict.h
// judges them): before the scenario's calls, the harness measures in this
// process, in turn, the floor — the condvar server (condvar_server.h), as
// many clients as the scenario has callers — and the target on trivial calls
// (the probe payload, judge/payload.h) from as many foreign threads:
//
//   warm-up (target, not counted)
//   throughput: floor, target, floor, target, floor   kThroughputPhaseMillis each
//   p50, one caller:  floor, target, floor, target, floor   kLatencyPhaseMillis each
//
// Each phase runs its clients flat out for its time (a call in flight at the
// end is waited for and counted). Every probe call's reply is checked. A
// target that hangs a call hangs its phase: the watchdog's deadlock, as for
// any call. `on_phase` gets each phase's name (static text) as it starts,
// for the watchdog (a new phase is progress).
//
// REQUIRES: the target started; the calling thread does not hold the GVL.
#pragma once

#include <functional>

#include "handoff/target.h"
#include "judge/speed_verdict.h"

namespace handoff {

constexpr int kThroughputPhaseMillis = 200;
constexpr int kLatencyPhaseMillis = 100;

SpeedMeasurement MeasureSpeed(const handoff_target* target, int threads,
                              const std::function<void(const char*)>& on_phase);

}  // namespace handoff
