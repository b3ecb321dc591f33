// Scenario generation for the RapidCheck properties: each property describes
// the space its scenarios come from (which handler behaviours and lifecycle
// events may appear, how many threads and calls), and DrawScenario picks one
// inside a property with RapidCheck's `*gen` draws, so a failing scenario
// shrinks draw by draw (fewer threads, fewer calls, fewer events, weights
// towards 0) to a small one.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "handoff/scenario.h"
#include "handoff/target.h"

namespace handoff {
// How RapidCheck prints drawn behaviours and events in a counterexample
// (found by argument-dependent lookup).
inline void showValue(Behaviour behaviour, std::ostream& os) { os << BehaviourName(behaviour); }
inline void showValue(EventType type, std::ostream& os) { os << EventTypeName(type); }
inline void showValue(EventAim aim, std::ostream& os) {
  static const char* const kNames[] = {"after calls", "in a handler", "at a sync point"};
  os << kNames[static_cast<int>(aim)];
}
inline void showValue(CallerKind kind, std::ostream& os) { os << CallerKindName(kind); }
}  // namespace handoff

namespace handoff::properties {

struct ScenarioSpace {
  int max_threads = 16;
  uint64_t max_calls = 2000;
  std::vector<Behaviour> behaviours;  // besides return, which always has weight >= 1
  std::vector<EventType> events;      // lifecycle events that may happen
  int max_events = 2;
  int max_background = 2;             // Ruby threads competing for the GVL
  uint64_t min_calls = 0;             // at least this many calls (long runs); 0: threads
  // Size bounds are drawn by size class (bit length) up to these; each call's
  // sizes then log-uniform inside them (scenario.h). Shrink towards 0.
  uint32_t max_payload = 1 << 20;
  uint32_t max_reply = 1 << 20;
  uint32_t max_message = 1 << 16;
  bool ruby_callers = true;           // Ruby threads with and without the GVL call too
  // At least this many events per case, each fired after a call count (so it
  // happens in every build: an aimed event needs its window, a sync point
  // one compiled in). A property about an event draws no case without one.
  int min_events = 0;
  // Deadlines of 1-50 ms against slow blocks either shorter (up to 5 ms:
  // callers give up while their requests are queued or running) or longer
  // than the deadline plus deadline_missed's slack (1.1-1.5 s: a target that
  // declares deadlines must come back timed_out in time; then at most 3
  // calls a thread, each caller of a Ruby thread waiting out its blocks).
  bool short_deadlines = false;
  // Events may be aimed at the N-th synchronisation point (only a target
  // built with them reaches one; without, the event fires late, aimless).
  bool sync_point_aims = true;
};

// `space` cut to what `target` declares it can take (target.h): no kill
// events when its kill_event_thread is NULL, no events aimed at sync points
// when it has none. A property never draws a scenario the target refuses.
ScenarioSpace ForTarget(ScenarioSpace space, const handoff_target* target);

// REQUIRES: inside a RapidCheck property.
Scenario DrawScenario(const ScenarioSpace& space);

// A run seed (payloads, behaviours and perturbation follow from it).
uint64_t DrawSeed();

}  // namespace handoff::properties
