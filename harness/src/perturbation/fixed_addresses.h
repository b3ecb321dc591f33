// The controlled schedule replays exactly only when every run lays memory
// out the same way: Ruby's heap pages hold one object slot more or fewer
// depending on the address they land at, which moves its garbage
// collections, and with them the interleaving. With address-space
// randomisation on, 1 run in 8 of the same seed diverged (a 200-call run of
// my_bridge); with it off, none in 12.
#pragma once

namespace handoff {

// If randomisation is on for this process, turns it off for this process
// alone (personality ADDR_NO_RANDOMIZE, as `setarch -R` does) and executes
// the same program again with the same arguments; returns only if that
// cannot be done (then the schedule may diverge between runs; a note says
// so: FixedAddresses()).
void ReexecWithFixedAddresses(char** argv);

// Whether this process runs with randomisation off.
bool FixedAddresses();

}  // namespace handoff
