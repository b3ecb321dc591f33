// Ruby embedded in a harness process (handoff-stress, handoff-bench,
// handoff-properties): the VM on the process main thread, code evaluated in
// it, and running C++ with the GVL released.
#pragma once

#include <ruby.h>

#include <functional>
#include <string>

namespace handoff {

// Starts the VM. REQUIRES: the process main thread, once, before any other
// Ruby call, after RUBY_INIT_STACK in main() (so the GC scans every frame).
// Loads rubygems (Ruby FFI is found through it on Debian).
void StartEmbeddedRuby();

// Evaluates `code` at top level; false with the exception's message (and its
// first backtrace line) in *error.
bool EvalRuby(const std::string& code, std::string* error, VALUE* result = nullptr);

// Runs `body` on this Ruby thread with the GVL released (no unblocking
// function: `body` must end by itself). REQUIRES: GVL held. WARNING: `body`
// must not touch Ruby.
void CallWithoutGvl(const std::function<void()>& body);

}  // namespace handoff
