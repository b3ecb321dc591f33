// Ruby embedded in the harness process: the VM on the process main thread,
// and the HandoffHarness module whose handler every target calls.
//
// The handler (HandoffHarness::HANDLER) takes the payload String, counts the
// run in RunLog::ran, acts out the call's behaviour (raise, sleep, allocate,
// re-enter, large reply) and returns the reply String (payload.h). It is the
// same Ruby code for every target, so targets differ only in how they carry it.
#pragma once

#include <ruby.h>

#include <functional>
#include <string>
#include <vector>

#include "call.h"

namespace handoff {

// Starts the VM. REQUIRES: the process main thread, once, before any other
// Ruby call, after RUBY_INIT_STACK in main() (so the GC scans every frame). Loads rubygems (Ruby FFI is found through it on Debian).
void StartEmbeddedRuby();

// Evaluates `code` at top level; false with the exception's message (and its
// first backtrace line) in *error.
bool EvalRuby(const std::string& code, std::string* error, VALUE* result = nullptr);

// Defines HandoffHarness for a run and returns its handler Proc (rooted).
// `site` must outlive every handler call.
VALUE DefineHarnessHandler(const CallSite* site);

// Runs `body` on this Ruby thread with the GVL released (no unblocking
// function: `body` must end by itself). REQUIRES: GVL held. WARNING: `body`
// must not touch Ruby.
void CallWithoutGvl(const std::function<void()>& body);

// Starts `count` Ruby threads that compete for the GVL until StopBackground;
// returns their native thread ids, once each has started (the load they
// are is not a sign of the target's progress: watchdog.h).
std::vector<long> StartBackground(int count);
void StopBackground();

}  // namespace handoff
