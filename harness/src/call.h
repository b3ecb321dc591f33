// One call through a target, recorded: builds the payload, invokes, reads
// the reply into a CallRecord, frees the reply. Used by the foreign threads,
// by re-entrant handlers' nested calls and by the fork probe.
#pragma once

#include <string>

#include "handoff/target.h"
#include "run_log.h"
#include "run_queue_wait.h"

namespace handoff {

struct CallSite {
  const handoff_target* target;
  const Scenario* scenario;
  uint64_t seed;
  RunLog* log;
};

// `buffer` is reused between calls of one thread. With `wait` (the calling
// thread's own), the record's runnable_ns is measured.
void MakeCall(const CallSite& site, const CallPlan& plan, std::string* buffer,
              CallRecord* record, const RunQueueWait* wait = nullptr);

}  // namespace handoff
