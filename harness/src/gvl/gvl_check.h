// The GVL check: catches a target calling the Ruby C API from a thread that
// does not hold the GVL, on the call that does it, every time, with the
// frames that did it, instead of whenever breaking the rule happens to crash.
//
// How. The target's own calls, not libruby's internal ones, are checked:
// every import of a Ruby C API function (rb_*, ruby_*: a function libruby
// defines) in the target library, in the libraries it links (DT_NEEDED), and
// in every shared object loaded once the target starts (the extensions its
// `start` or later code `require`s: glib2.so, grpc_c.so, fiddle.so, ...) is
// pointed at a stub (gvl_check_stubs.h). The stub asks Ruby whether the
// calling thread holds the GVL (ruby_thread_has_gvl_p) and jumps on to the
// real function. Never interposed on: the harness executable itself,
// libruby, libc, the loader, the C++ runtime and the sanitizer runtimes, and
// whatever was loaded before the target started (the embedded Ruby's own
// extensions). Functions legal without the GVL are listed with their reasons
// in gvl_rules.h. A taken address of a checked function (a GLOB_DAT slot)
// becomes the stub's address; rb_f_notimplement, which Ruby compares by
// address, is left alone.
//
// A violation: the first thread to break the rule builds a report (the
// function, the kind of thread, the first frames of the target's stack) and
// hands it as a `gvl_violation` failure to `on_violation`, which must end
// the process (the driver's on_hang path: write the child's result, _exit).
// The violating call is never made. Any other thread that breaks the rule
// meanwhile blocks until the process ends.
//
// Cost: with the check on, each checked call costs a register save and
// restore and one call of ruby_thread_has_gvl_p (a TLS read); harness/docs/gvl_check.md
// gives the measured figure. Off (RunOptions::gvl_check false),
// nothing is interposed on and nothing costs anything.
//
// Memory ordering: the check adds no synchronisation between the target's
// threads. The per-call path reads only what was written before the slot
// pointing at it was (relaxed atomics, uninstrumented: ThreadSanitizer sees
// nothing of it), and the "already reported" flag is a relaxed exchange.
//
// Objects loaded after the target started are found by a watcher thread
// that looks for new objects every 20 ms (dl_iterate_phdr's load counter):
// a call made through a freshly loaded object in that window is not
// checked. A Ruby fork child keeps the interposition but not the watcher.
#pragma once

#include <functional>

#include "handoff/result.h"
#include "handoff/target.h"

namespace handoff {

// Remembers which objects are loaded now (not to be checked) and interposes
// on the target library's own imports (and the libraries it links).
// `on_violation` must not return. REQUIRES: GVL held, the driving Ruby
// thread, before target->start; once per process.
void StartGvlCheck(const handoff_target* target, std::function<void(const Result&)> on_violation);

// After target->start: interposes on every object `start` loaded, and
// starts the watcher for objects loaded later. REQUIRES: StartGvlCheck.
void GvlCheckTargetStarted();

// How many distinct functions are interposed on so far (for tests and the
// report's footnote).
size_t GvlCheckedFunctions();

}  // namespace handoff
