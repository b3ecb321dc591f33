// The scenario suite: the one list of scenarios every bridge is run through
// (handoff-stress --suite, ci/stress, a user's CI through the installed
// package). Each scenario is a name (a column of the verdict table) and the
// scenario text a replay line carries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace handoff {

struct SuiteScenario {
  std::string name;      // "basic", "lifecycle", ...
  std::string scenario;  // complete scenario text (threads and calls included)
  std::string why;       // one line: what it is there to find
  // Judged against the scheduler (p99 latency, fairness): run with no other
  // run beside it, or its verdict would be "not judged".
  bool alone = false;
  double weight = 1;     // relative cost, for running the longest first
};

// The sizes: `quick` (a first verdict in about a minute per bridge in a
// release build) or `full` (ci/stress's, every scenario at full length).
bool IsSuiteSize(const std::string& size);

// The suite of that size. `threads` and `calls` override the size's own
// (0: keep); scenarios that derive their length from `calls` follow it.
std::vector<SuiteScenario> Suite(const std::string& size, int threads = 0, uint64_t calls = 0);

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> SplitList(const std::string& list);

}  // namespace handoff
