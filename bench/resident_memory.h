// The process's resident set size, from /proc/self/statm.
#pragma once

namespace handoff::bench {

// Resident memory in KiB, or -1 if /proc cannot be read.
long ResidentKilobytes();

}  // namespace handoff::bench
