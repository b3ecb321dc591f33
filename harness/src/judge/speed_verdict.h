// The speed verdict (min_throughput_ratio=R): is the target at least R times
// as fast as the floor measured beside it, the condvar server
// (run/condvar_server.h), in the same process and the same run?
//
// What the run measured (run/speed_phases.h) comes in as phases, taken in
// turn — floor, target, floor, target, floor — so that a change in the
// machine's speed during the measurement touches both sides alike:
//   throughput: the target's best phase against the floor phases' median,
//     `threads` callers each;
//   p50: one caller's round trip, the target's best phase against the floor
//     phases' median (the condvar ping-pong).
// Both ratios must reach R; the lower one is the verdict's. Judged only when
// the measurement can be trusted: a failing ratio on a machine whose other
// work took the CPU (`busy`, SchedulingNotJudgedReason), or whose floor
// phases behind it (rates, or p50s) disagree by more than kMaxFloorSpread,
// is a note
// ("too_slow_throughput not judged: ...; measured: ..."), never a failure. A probe
// call that came back wrong fails as wrong_reply, busy or not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "handoff/result.h"

namespace handoff {

struct SpeedMeasurement {
  int threads = 0;                   // callers in the throughput phases
  std::vector<double> floor_rates;   // calls/s, one per floor phase
  std::vector<double> target_rates;  // calls/s, one per target phase
  std::vector<double> floor_p50_us;  // one client's round trip, per phase
  std::vector<double> target_p50_us;
  uint64_t target_calls = 0;  // probe calls made through the target
  uint64_t wrong = 0;         // of those, not back ok with the probe's reply
  std::string first_wrong;    // what the first of them came back with
};

// Over this ratio between the fastest and the slowest floor phase the
// machine changed speed under the measurement: a failing ratio is not judged.
constexpr double kMaxFloorSpread = 1.5;

struct SpeedRatios {
  double throughput = 0;  // target's best calls/s over the floor's median
  double p50 = 0;         // floor's median p50 over the target's best
  double floor_spread = 0;  // the floor's fastest throughput phase over its slowest
};
SpeedRatios RatiosOf(const SpeedMeasurement& m);

// "throughput 950 calls/s = 0.002x the condvar-server floor (412000 calls/s
// measured in this run, 8 threads); p50 1012.0 us = 0.012x the floor's 12.1
// us (1 thread); min_throughput_ratio=0.02".
std::string SpeedSummary(const SpeedMeasurement& m, double min_ratio);

// The verdict; `busy`: why the machine's scheduling cannot be judged, or "".
// A not-judged failing ratio is appended to *notes.
Result JudgeSpeed(const SpeedMeasurement& m, double min_ratio, const std::string& busy,
                  std::string* notes);

}  // namespace handoff
