// The controlled schedule replays exactly only when every run of a seed
// lays memory out the same way and collects garbage at the same moments.
// Ruby's heap pages hold one object slot more or fewer depending on the
// address they land at, so with address-space randomisation on, garbage
// collections (and the interleavings around them) moved: 1 run in 8 of the
// same seed diverged (a 200-call run of my_bridge). With randomisation off,
// a heap page added during the run still lands where other threads'
// allocations (the harness's watchdog) happened to leave room: 2 runs in 40
// of a 2,000-call run diverged. With Ruby's heap made big enough at start
// (RUBY_GC_HEAP_INIT_SLOTS), no page is added during a run of that size and
// 60 runs in 60 were identical. A collection still runs when the program's
// own allocations call for one (malloc_limit, GC.start, compaction), at the
// same moment on every run.
#pragma once

namespace handoff {

// Heap slots Ruby starts with under the controlled schedule (about 40 MB),
// unless RUBY_GC_HEAP_INIT_SLOTS is set already.
constexpr const char* kControlledHeapSlots = "1000000";

// ReexecWithFixedAddresses (handoff/run.h) turns address-space
// randomisation off for this process alone (personality ADDR_NO_RANDOMIZE,
// as `setarch -R` does), sets RUBY_GC_HEAP_INIT_SLOTS, and executes the same
// program again with the same arguments.

// Whether this process runs with randomisation off.
bool FixedAddresses();

}  // namespace handoff
