// One call through a target, recorded: builds the payload, invokes, reads
// the reply into a CallRecord, frees the reply. Used by the foreign threads,
// by re-entrant handlers' nested calls and by the fork probe.
#pragma once

#include <string>

#include "handoff/target.h"
#include "judge/run_log.h"
#include "run/run_queue_wait.h"

namespace handoff {

struct CallSite {
  const handoff_target* target;
  const Scenario* scenario;
  uint64_t seed;
  RunLog* log;
};

// `buffer` is reused between calls of one thread. With `wait` (the calling
// thread's own), the record's runnable_ns is measured. A post (behaviour
// post) goes to target->post instead of invoke: its record holds the status
// post returned and the tick after it (RunLog::PostTick), no reply.
void MakeCall(const CallSite& site, const CallPlan& plan, std::string* buffer,
              CallRecord* record, const RunQueueWait* wait = nullptr);

// Caller thread `thread`'s call number `index`: made, recorded in its row
// of the run log, and counted (activity, returned, abandoned). `buffer`
// belongs to the caller, not to the native thread: under Ruby 3.3's M:N
// threads (RUBY_MN_THREADS=1) Ruby threads share native threads, and a
// thread_local buffer was overwritten by another Ruby caller while a call
// that blocked was still reading it.
void CallAndRecord(const CallSite& site, int thread, uint64_t index, std::string* buffer,
                   const RunQueueWait* wait);

}  // namespace handoff
