#include "scenario_space.h"

#include <rapidcheck.h>

#include <algorithm>

#include "payload.h"

namespace handoff::properties {

Scenario DrawScenario(const ScenarioSpace& space) {
  Scenario s;
  s.threads = *rc::gen::inRange(1, space.max_threads + 1);
  s.calls = *rc::gen::inRange<uint64_t>(static_cast<uint64_t>(s.threads), space.max_calls + 1);
  s.payload_min = static_cast<uint32_t>(kPayloadHeaderSize) +
                  *rc::gen::inRange<uint32_t>(0, 64);
  s.payload_max = s.payload_min + *rc::gen::inRange<uint32_t>(0, space.max_payload);
  s.mix.fill(0);
  s.mix[static_cast<int>(Behaviour::kReturn)] = *rc::gen::inRange<uint32_t>(1, 10);
  for (Behaviour b : space.behaviours) {
    s.mix[static_cast<int>(b)] = *rc::gen::inRange<uint32_t>(0, 5);
  }
  s.slow_us = *rc::gen::inRange<uint32_t>(0, 2000);
  s.background = *rc::gen::inRange(0, space.max_background + 1);
  if (!space.events.empty()) {
    int count = *rc::gen::inRange(0, space.max_events + 1);
    for (int i = 0; i < count; ++i) {
      EventType type = *rc::gen::elementOf(space.events);
      uint64_t after = *rc::gen::inRange<uint64_t>(0, s.calls);
      s.events.push_back({type, after});
    }
    std::stable_sort(s.events.begin(), s.events.end(),
                     [](const Event& a, const Event& b) { return a.after_calls < b.after_calls; });
  }
  return s;
}

uint64_t DrawSeed() { return *rc::gen::inRange<uint64_t>(1, 1000000000); }

}  // namespace handoff::properties
