#include "scenario_space.h"

#include <rapidcheck.h>

#include <algorithm>



namespace handoff::properties {

namespace {

// Bits needed to write v: its size class (0 for 0, 1 for 1, 2 for 2-3, ...).
int BitLength(uint32_t v) { return v == 0 ? 0 : 32 - __builtin_clz(v); }

// A size bound: its size class first (so 1 MiB is as likely as 1 KiB), then
// a value in it; `low` and `high` shrink towards 0 (`high` towards
// 2^(min_bits-1)).
void DrawSizeRange(uint32_t max, int min_bits, uint32_t* low, uint32_t* high) {
  int bits = *rc::gen::inRange(min_bits, BitLength(max) + 1);
  uint32_t from = bits == 0 ? 0 : uint32_t{1} << (bits - 1);
  uint32_t to = bits == 0 ? 0 : std::min<uint64_t>(max, (uint64_t{1} << bits) - 1);
  *high = from + *rc::gen::inRange<uint32_t>(0, to - from + 1);
  *low = *rc::gen::inRange<uint32_t>(0, std::min<uint32_t>(*high, 64) + 1);
}

constexpr uint32_t kLongBlockCallsPerThread = 3;

// Threads, calls (at least one a thread), and the payload, reply and message size bounds.
void DrawLoad(const ScenarioSpace& space, Scenario* s) {
  s->threads = *rc::gen::inRange(1, space.max_threads + 1);
  uint64_t min_calls = std::max<uint64_t>(static_cast<uint64_t>(s->threads), space.min_calls);
  s->calls = *rc::gen::inRange<uint64_t>(min_calls, std::max(min_calls, space.max_calls) + 1);
  // Payloads reach at least 128-255 B: every scenario has calls that name
  // themselves (16 B and up) and so can raise, sleep or re-enter; the
  // anonymous sizes below 16 B still come with payload_min under 16.
  DrawSizeRange(space.max_payload, 8, &s->payload_min, &s->payload_max);
  DrawSizeRange(space.max_reply, 0, &s->reply_min, &s->reply_max);
  DrawSizeRange(space.max_message, 0, &s->message_min, &s->message_max);
}

// The weights of foreign callers (at least one) and Ruby callers with and without the GVL.
void DrawCallers(Scenario* s) {
  s->callers[static_cast<int>(CallerKind::kForeign)] = *rc::gen::inRange<uint32_t>(1, 8);
  s->callers[static_cast<int>(CallerKind::kRubyGvl)] = *rc::gen::inRange<uint32_t>(0, 3);
  s->callers[static_cast<int>(CallerKind::kRubyNoGvl)] = *rc::gen::inRange<uint32_t>(0, 3);
}

// The behaviours' weights (return at least 1) and, with escapes, which ways out.
void DrawMix(const ScenarioSpace& space, Scenario* s) {
  s->mix.fill(0);
  s->mix[static_cast<int>(Behaviour::kReturn)] = *rc::gen::inRange<uint32_t>(1, 10);
  for (Behaviour b : space.behaviours) {
    s->mix[static_cast<int>(b)] = *rc::gen::inRange<uint32_t>(0, 5);
  }
  if (s->mix[static_cast<int>(Behaviour::kEscape)] != 0) {  // which ways out, shrinking to one
    for (uint32_t& weight : s->escapes) weight = *rc::gen::inRange<uint32_t>(0, 3);
    if (std::all_of(s->escapes.begin(), s->escapes.end(), [](uint32_t w) { return w == 0; })) {
      s->escapes[*rc::gen::inRange<size_t>(0, s->escapes.size())] = 1;
    }
  }
}

// How long slow blocks sleep; with short deadlines, the deadline and blocks
// either well inside it or far past it (then few calls a thread).
void DrawSlowBlocksAndDeadlines(const ScenarioSpace& space, Scenario* s) {
  s->slow_us = *rc::gen::inRange<uint32_t>(0, 2000);
  if (!space.short_deadlines) return;
  s->deadline_ms = *rc::gen::inRange<uint32_t>(1, 51);
  bool blocks_outlast_deadline = *rc::gen::arbitrary<bool>();
  s->slow_us = blocks_outlast_deadline ? *rc::gen::inRange<uint32_t>(1100000, 1500001)
                                       : *rc::gen::inRange<uint32_t>(0, 5001);
  // A Ruby caller waits out every such block (its deadline is not
  // judged): a few calls a thread keep a case to seconds, and a foreign
  // caller's first long block already shows a missed deadline.
  if (blocks_outlast_deadline) {
    s->calls = std::min<uint64_t>(s->calls, uint64_t{kLongBlockCallsPerThread} * s->threads);
  }
}

// The lifecycle events: how many, each one's type, aim and when it fires.
void DrawEvents(const ScenarioSpace& space, Scenario* s) {
  int count = *rc::gen::inRange(space.min_events, space.max_events + 1);
  // Aimed events hit a chosen window of the protocol (aimed_event.h): a
  // handler running, or the N-th synchronisation point (a request just
  // queued, popped but not run, completing); after-calls events the rest.
  std::vector<EventAim> aims = {EventAim::kAfterCalls, EventAim::kInHandler};
  if (space.sync_point_aims) aims.push_back(EventAim::kAtSyncPoint);
  bool aimed = false;
  for (int i = 0; i < count; ++i) {
    EventType type = *rc::gen::elementOf(space.events);
    EventAim aim = i < space.min_events ? EventAim::kAfterCalls : *rc::gen::elementOf(aims);
    // A caller event in the first quarter of the calls: a Ruby caller
    // that runs its blocks itself may have made all of its own by then
    // while foreign callers still wait on theirs.
    uint64_t last = InterruptsACaller(type) ? s->calls / 4 + 1 : s->calls;
    uint64_t n = aim == EventAim::kAfterCalls ? *rc::gen::inRange<uint64_t>(0, last)
                                              : *rc::gen::inRange<uint64_t>(1, 60);
    aimed = aimed || aim != EventAim::kAfterCalls;
    s->events.push_back({type, n, aim});
  }
  if (!aimed) {  // the order ParseScenario gives them (replay lines)
    std::stable_sort(s->events.begin(), s->events.end(),
                     [](const Event& a, const Event& b) { return a.after_calls < b.after_calls; });
  }
}

// Caller events interrupt Ruby callers: a case with one has one at least.
void AddRubyCallerForInterrupts(Scenario* s) {
  bool interrupts = std::any_of(s->events.begin(), s->events.end(),
                                [](const Event& e) { return InterruptsACaller(e.type); });
  if (interrupts && s->callers[static_cast<int>(CallerKind::kRubyGvl)] == 0 &&
      s->callers[static_cast<int>(CallerKind::kRubyNoGvl)] == 0) {
    s->callers[static_cast<int>(CallerKind::kRubyNoGvl)] = 1;
  }
}

}  // namespace

Scenario DrawScenario(const ScenarioSpace& space) {
  Scenario s;
  DrawLoad(space, &s);
  if (space.ruby_callers) DrawCallers(&s);
  DrawMix(space, &s);
  DrawSlowBlocksAndDeadlines(space, &s);
  s.background = *rc::gen::inRange(0, space.max_background + 1);
  if (!space.events.empty()) DrawEvents(space, &s);
  AddRubyCallerForInterrupts(&s);
  return s;
}

ScenarioSpace ForTarget(ScenarioSpace space, const handoff_target* target) {
  if (target->kill_event_thread == nullptr) {
    space.events.erase(std::remove(space.events.begin(), space.events.end(), EventType::kKill),
                       space.events.end());
  }
  if (!(target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS)) space.sync_point_aims = false;
  if (!(target->flags & HANDOFF_TARGET_HAS_POSTS)) {  // posts are n/a there: never drawn
    space.behaviours.erase(std::remove(space.behaviours.begin(), space.behaviours.end(), Behaviour::kPost),
                           space.behaviours.end());
  }
  if (space.events.empty()) space.min_events = 0;
  return space;
}

uint64_t DrawSeed() { return *rc::gen::inRange<uint64_t>(1, 1000000000); }

}  // namespace handoff::properties
