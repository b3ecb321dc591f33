// One harness run under the controlled schedule (RunOptions::schedule
// "controlled", controlled_scheduler.h): what the driver does around the
// target so that the schedule covers it.
#pragma once

#include <functional>
#include <string>

#include "handoff/run.h"
#include "handoff/target.h"
#include "judge/run_log.h"

namespace handoff {

// Begins the schedule on the calling (driving Ruby) thread and interposes on
// libruby and on the target library and what it links. A deadlock it finds
// goes to `on_hang` as a `deadlock` failure with the threads' states and the
// schedule's last decisions; `on_hang` must not return. REQUIRES: GVL held,
// before target->start; once per process.
bool BeginControlledRun(const handoff_target* target, const RunOptions& options, const RunLog* log,
                        std::function<void(const Result&)> on_hang, std::string* error);

// After target->start: interposes on the objects `start` loaded.
void ControlledRunTargetStarted();

// The schedule's last decisions (all of them with `whole`), for a failure's
// report ("" if no schedule). It begins with kScheduleTailHead.
std::string ControlledScheduleTail(bool whole);
constexpr const char* kScheduleTailHead = "schedule (";

}  // namespace handoff
