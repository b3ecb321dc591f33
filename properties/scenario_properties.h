// The scenario properties (bug classes in brackets: 1 deadlock, 2 calling
// thread misclassified, 3 dead event thread blocks later waiters, 4 popped
// request dropped, 5 lost wakeup, 6 spurious wakeup taken as real, 7 reply
// to the wrong waiter, 8 use-after-free of an abandoned request, 9 callback
// during VM shutdown, 10 callback in a forked child, 11 exception escapes
// or is swallowed, 12 GC collects a queued block, 13 reentrancy, 14
// unfairness, 15 latency). Each draws a
// scenario from its space and runs it against the target under test; the
// harness's checker decides (every call returned exactly once with the reply
// computed from its own payload, the handler ran once per call, raised
// handlers came back `raised` with their exception, statuses fit the
// lifecycle events, no hang, no sanitizer report).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace handoff::properties {

struct Property {
  std::string name;
  std::string description;
  std::function<void()> body;  // a RapidCheck property
  bool needs_fork = false;     // runs only where fork events can run (release)
  // Models the handoff bridge itself (its Ruby API, its worker pool): runs
  // against --target bridge only.
  bool bridge_only = false;
  // Minutes per case: run when asked for by name, left out of --all.
  bool soak_only = false;
  // What it checks is judged only in a build whose measurements a sanitizer
  // does not distort (MeasurementsDistortedBySanitizer): left out elsewhere.
  bool needs_undistorted_measurements = false;
};

std::vector<Property> ScenarioProperties();

}  // namespace handoff::properties
