// The record a harness child process sends its parent when it ends: the
// supervised run's child (supervisor.h: verdict, stats, detail, report) and
// the fork probe's forked child (fork_probe.h: a verdict and its detail).
// One JSON object on one line; bytes that are not UTF-8 in a detail (one
// quoting a payload) arrive as U+FFFD.
#pragma once

#include <string>

#include "handoff/result.h"
#include "handoff/run.h"

namespace handoff {

struct ChildRecord {
  Result result;
  RunStats stats;
  std::string report;  // what the child reported besides its outcome
};

// The record as one line, '\n' included.
std::string FormatChildRecord(const ChildRecord& record);

// False when `line` is not such a record (a child that died mid-write).
bool ParseChildRecord(const std::string& line, ChildRecord* record);

// A child that dies before it can send its record (a sanitizer report, an
// abort) under the controlled schedule writes the schedule's last decisions
// on stderr after this line, as its last words; its parent adds them to the
// failure's detail (LastWordsSchedule).
constexpr char kLastWordsScheduleMarker[] = "handoff: the controlled schedule when the run died:\n";

// The text after the marker in a child's stderr, or "".
std::string LastWordsSchedule(const std::string& child_stderr);

}  // namespace handoff
