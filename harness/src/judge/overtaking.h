// Overtaking: how many later calls were served before a call. The checker's
// fairness rule (scenario fairness=K, failure kind `starvation`) uses it with
// spans from a call's start to its handler's start: a FIFO bridge lets a call
// be overtaken only by the few calls racing it into the queue, a LIFO one by
// the stream that arrives while it waits.
#pragma once

#include <cstdint>
#include <vector>

namespace handoff {

struct CallSpan {
  int64_t start_ns;  // the call was made
  int64_t end_ns;    // it was served (the checker: its handler started)
  uint64_t call_id;
};

struct Overtaken {
  uint64_t call_id = 0;
  uint64_t count = 0;       // spans that started after it and ended before it
  int64_t wait_ns = 0;      // its own end_ns - start_ns
  uint64_t over_limit = 0;  // candidates overtaken by more than `limit` spans
};

// The span overtaken by the most others (count 0 if none was), and how many
// spans were overtaken by more than `limit`. O(n log n).
Overtaken MostOvertaken(std::vector<CallSpan> spans, uint64_t limit = UINT64_MAX);

}  // namespace handoff
