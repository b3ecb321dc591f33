// The Ruby caller threads (callers=gvl, callers=nogvl) and the caller events
// that interrupt them (scenario.h: caller_raise, caller_kill,
// caller_timeout).
//
// A Ruby caller thread makes its calls in order, each inside rb_protect,
// holding the GVL (gvl) or releasing it around invoke (nogvl), as a C
// extension's blocking call does. What unwinds to it decides the record:
//   - the interrupt a caller event sent this thread (Thread#raise of
//     HandoffHarness::CallerInterrupt, a Timeout.timeout's
//     HandoffHarness::CallerTimeout, or Thread#kill): the call it was in is
//     kInterrupted, or, if that call had already come back (the interrupt was
//     taken after invoke), stays as it came back. A kill then goes on: the
//     thread ends, and a new Ruby thread of the same caller makes its later
//     calls (kNeverMade if none could be started);
//   - anything else: the call is kEscapedInvoke (an exception escaped
//     invoke, unwinding the caller's C frames).
// A call that comes back `raised` with the interrupt's class (a bridge ran
// the block on this thread, where the interrupt landed) is kInterrupted too.
// Either way the interrupt is marked seen (RunLog::interrupts); one sent and
// never seen is a swallowed one (checker.h).
#pragma once

#include <ruby.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "run/call.h"
#include "run/run_queue_wait.h"

namespace handoff {

class RubyCallers {
 public:
  // Starts a Ruby thread for each caller thread of a Ruby kind.
  // REQUIRES: GVL held; `site` outlives this.
  explicit RubyCallers(const CallSite& site);
  ~RubyCallers();
  RubyCallers(const RubyCallers&) = delete;
  RubyCallers& operator=(const RubyCallers&) = delete;

  // Waits for every Ruby caller thread to end. REQUIRES: GVL held.
  void Join();

  // Does a caller event: picks, with `pick` (consecutive picks take turns),
  // one Ruby caller thread that is
  // inside a call (else one between calls) with at least two calls left and
  // no interrupt pending, and interrupts it; caller_timeout arms its next
  // call instead. With no such thread, adds a note and does nothing.
  // REQUIRES: GVL held (a caller thread cannot finish a call's bookkeeping
  // meanwhile, so "two calls left" stays true until the interrupt is taken).
  void Interrupt(EventType type, uint64_t pick, std::string* notes);

  struct Caller;

 private:
  const CallSite& site_;
  std::vector<std::unique_ptr<Caller>> callers_;
  VALUE threads_;  // Array of their Threads, rooted while this lives
};

// Records that a caller event's interrupt was sent to Ruby caller `thread`
// (the one in-flight interrupt of that thread; a second while one is
// pending is not recorded). Also called by HandoffHarness::CallerTimeout
// when a Timeout.timeout raises it. REQUIRES: GVL held.
void MarkInterruptSent(RunLog* log, int thread, EventType type);

}  // namespace handoff
