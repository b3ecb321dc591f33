// How much of the machine's CPU went to work other than this process while
// a run went on: other processes, and time the hypervisor took (steal). The
// checks judged against the scheduler (fairness: who was served first; p99
// latency) cannot tell a slow or unfair target from a machine whose CPUs
// were busy with something else, so a run with too much other work reports
// them as "not judged", with the measured figure, instead of a verdict.
//
// Measured from /proc/stat (every CPU's busy and idle time) and
// /proc/self/stat (this process's user and system time, every thread, those
// that ended too), in clock ticks (10 ms): fine for runs of a second or more.
#pragma once

#include <optional>
#include <string>

namespace handoff {

struct CpuSample {
  long long machine_busy = -1;   // ticks every CPU spent on anything but idle and I/O wait
  long long machine_total = -1;  // ticks every CPU spent, idle included
  long long own = -1;            // ticks this process's threads spent
};

CpuSample SampleCpu();

// Of the machine's CPU time between the samples, the share (0..1) that other
// work took; nothing when either sample could not be read or no time passed.
std::optional<double> OtherWorkShare(const CpuSample& from, const CpuSample& to);

// Above this share of the machine's CPU going to other work, fairness and
// p99 latency are not judged.
constexpr double kOtherWorkLimit = 0.10;

// Why the run's scheduling cannot be judged ("other work used 63% of the
// machine's CPU during the run (over 10%)"), or "" when it can.
std::string SchedulingNotJudgedReason(const CpuSample& from, const CpuSample& to);

}  // namespace handoff
