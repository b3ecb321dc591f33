// The HandoffHarness module whose handler every target calls in a run.
//
// The handler (HandoffHarness::HANDLER) takes the payload String, counts the
// run in RunLog::ran, acts out the call's behaviour (raise, sleep, allocate,
// re-enter, large reply) and returns the reply String (payload.h). A post's
// handler acts out the post's own behaviour and records, by RunLog ticks,
// when it first started and when it ended (RunLog::entered_tick, left_tick). It is the
// same Ruby code for every target, so targets differ only in how they carry it.
#pragma once

#include <ruby.h>

#include "run/call.h"

namespace handoff {

// Defines HandoffHarness for a run and returns its handler Proc (rooted).
// `site` must outlive every handler call. REQUIRES: GVL held.
VALUE DefineHarnessHandler(const CallSite* site);

}  // namespace handoff
