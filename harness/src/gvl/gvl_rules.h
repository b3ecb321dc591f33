// Which Ruby C API functions the GVL check (gvl_check.h) lets a thread call
// without the GVL, and why. Everything else named rb_* or ruby_* that a
// target imports from libruby needs the calling thread to hold the GVL.
//
// The list is explicit: a function is allowed without the GVL only with a
// reason (Ruby's own documentation or its 3.1 source), also in
// harness/docs/gvl_check.md.
#pragma once

#include <cstddef>

namespace handoff {

enum class GvlRule {
  kNeedsGvl,    // only a Ruby thread that holds the GVL may call it
  kRubyThread,  // any Ruby thread, with or without the GVL; never a foreign one
  kAnyThread,   // any thread at all: not interposed on
};

struct GvlAllowed {
  const char* name;
  GvlRule rule;
  const char* reason;
};

// The allowed list. REQUIRES: nothing; a static table.
const GvlAllowed* GvlAllowedList(size_t* count);

// The rule for an imported function: kNeedsGvl unless the list says else.
GvlRule GvlRuleFor(const char* name);

}  // namespace handoff
