// A scenario: what one harness run does to a target. A plain value that prints
// as one line of `key=value` words and parses back (ParseScenario), so a
// failure's replay line can carry it.
//
//   threads=8 calls=10000 payload=0..65536 reply=0..65536 message=0..1024
//   mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1
//   escapes=exception:1,throw:1 (the ways out of an `escape` call's block)
//   background=1 events=kill@3000,compact@5000,wakeup@7000,stop@9000 deadline_ms=30000
//   fairness=0 max_p99_us=0 leak_bytes_per_call=0 min_throughput_ratio=0.05
//
// Sizes (payload, reply, message) are drawn log-uniformly: every size class
// (0, 1, 2-3, 4-7, ... bytes) between the bounds is as likely as any other.
//
// Every call's behaviour and payload follow from (scenario, seed, call id)
// alone (PlanCall), so nothing per call is stored and a million calls cost
// nothing to describe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace handoff {

// What the Ruby handler does with a call (see harness_handler.cc for the handler).
enum class Behaviour : uint8_t {
  kReturn = 0,   // returns the reply at once
  kRaise = 1,    // raises HandoffHarness::CallError naming the call
  kSlow = 2,     // sleeps slow_us, then replies
  kGc = 3,       // allocates gc_objects Strings (and sometimes runs GC), then replies
  kReenter = 4,  // fires a nested call through the target from a new foreign thread, waits, replies
  kLarge = 5,    // replies with large_bytes extra bytes
  kReenterGvl = 6,    // fires a nested call from its own Ruby thread, GVL held
  kReenterNoGvl = 7,  // fires a nested call from its own Ruby thread, GVL released
  kEscape = 8,        // leaves the block another way than return or CallError (EscapeWay)
  // A fire-and-forget call: the caller posts it (target->post) and goes on
  // at once; its handler acts out its own PostAct (return, raise, slow, gc),
  // drawn from those behaviours' weights in the mix (return if none has
  // one). Only targets with HANDOFF_TARGET_HAS_POSTS take it
  // (WhyNotApplicable); the post oracle (post_oracle.h) judges it.
  kPost = 9,
};
constexpr int kBehaviourCount = 10;
const char* BehaviourName(Behaviour behaviour);

// The ways an `escape` call's block is left, each call's drawn from the
// scenario's `escapes` weights. What the target must hand back for each is
// in target.h. exit, Interrupt and SignalException end a Ruby thread's own
// flow, and a bridge may hand them to the calling Ruby thread later, where
// no one call can be blamed: they are drawn for foreign callers only, and a
// Ruby caller's call that drew one escapes by `exception` instead.
enum class EscapeWay : uint8_t {
  kException = 0,      // raise HandoffHarness::Abort (< Exception, not a StandardError)
  kInterrupt = 1,      // raise Interrupt
  kSignal = 2,         // raise SignalException, "TERM"
  kNoMemory = 3,       // raise NoMemoryError
  kStackOverflow = 4,  // raise SystemStackError
  kScriptError = 5,    // raise NotImplementedError (a ScriptError)
  kThrow = 6,          // throw a tag nobody catches (UncaughtThrowError)
  kBreak = 7,          // break out of the block, carrying the reply
  kNext = 8,           // next, carrying the reply (a return by another name)
  kExit = 9,           // Kernel#exit (SystemExit)
};
constexpr int kEscapeWayCount = 10;
const char* EscapeWayName(EscapeWay way);
// exit, Interrupt, SignalException.
bool EndsARubyThread(EscapeWay way);

// Who makes a caller thread's calls: a foreign thread (a std::thread Ruby
// never saw), a Ruby thread holding the GVL, or a Ruby thread that released
// it (rb_thread_call_without_gvl) — the three paths a bridge must tell apart.
enum class CallerKind : uint8_t { kForeign = 0, kRubyGvl = 1, kRubyNoGvl = 2 };
constexpr int kCallerKindCount = 3;
const char* CallerKindName(CallerKind kind);

// wakeup: Thread#wakeup on every other Ruby thread, which runs the unblocking
// function of a thread waiting without the GVL (a spurious unblock).
// gc_stress: GC.stress on for 20 ms while calls go on.
// compact: GC.compact, which moves objects only into holes. move: the heap
// moved (GC.verify_compaction_references toward the emptiest pages): as many
// objects as there is room for, every movable one from Ruby 3.3 (which grows
// the heap first; harness_handler.cc says why not before), so a VALUE a
// target keeps in C memory without pinning it or updating it on compaction
// is left pointing at a dead slot.
// idle: no call starts until none is in flight, then 250 ms with none, in
// which the target's threads may use at most 5% of one core (idle_window.h;
// release builds).
//
// Caller events interrupt a Ruby caller thread (callers=gvl or nogvl) while
// it is inside a call, as an application would (ruby_caller.h): caller_raise
// does Thread#raise(HandoffHarness::CallerInterrupt), caller_kill
// Thread#kill, and caller_timeout makes that thread's next call inside
// Timeout.timeout(t, HandoffHarness::CallerTimeout), t from 50 us to 2 ms.
// The interrupted call may come back (with its reply) or be left by the
// interrupt; either way the interrupt must reach the thread (a killed one
// makes no more calls) and every other call must go on.
enum class EventType {
  kStop, kKill, kCompact, kFork, kWakeup, kGcStress, kIdle, kMove,
  kCallerRaise, kCallerKill, kCallerTimeout
};
constexpr int kEventTypeCount = 11;
const char* EventTypeName(EventType type);
// caller_raise, caller_kill, caller_timeout.
bool InterruptsACaller(EventType type);

// Where a lifecycle event is aimed (aimed_event.h): after N calls returned
// (`stop@N`), inside the N-th handler run (`stop@handler:N`), or at the N-th
// synchronisation point reached (`stop@sync:N`).
enum class EventAim : uint8_t { kAfterCalls = 0, kInHandler = 1, kAtSyncPoint = 2 };

// A lifecycle event, done by the Ruby main thread once `after_calls` calls
// have returned, or in the window it is aimed at (N counted from the
// previous event).
struct Event {
  EventType type;
  uint64_t after_calls;  // N
  EventAim aim = EventAim::kAfterCalls;
};

struct Scenario {
  int threads = 4;                 // caller threads (see callers)
  uint64_t calls = 1000;           // in all, split evenly across the threads
  // Payload bytes, log-uniform. A payload under kPayloadHeaderSize (16)
  // bytes cannot name its call: its handler only returns (payload.h).
  uint32_t payload_min = 0;
  uint32_t payload_max = 65536;
  uint32_t reply_min = 0;          // reply bytes of a named payload, log-uniform
  uint32_t reply_max = 65536;
  uint32_t message_min = 0;        // bytes after the raised message's prefix, log-uniform
  uint32_t message_max = 1024;
  std::array<uint32_t, kBehaviourCount> mix = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // weights, by Behaviour
  // Weights by EscapeWay of an `escape` call's way out (all 1 by default).
  std::array<uint32_t, kEscapeWayCount> escapes = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  // Weights by CallerKind; thread t is of the kind whose share of
  // [0, threads) holds t (callers=foreign:2,nogvl:1 with 6 threads: 0-3
  // foreign, 4-5 Ruby threads without the GVL).
  std::array<uint32_t, kCallerKindCount> callers = {1, 0, 0};
  uint32_t slow_us = 200;
  uint32_t gc_objects = 1000;
  uint32_t large_bytes = 1 << 20;  // the reply of a `large` call
  int background = 0;              // Ruby threads competing for the GVL
  std::vector<Event> events;       // sorted by after_calls
  uint32_t deadline_ms = 30000;    // per call, for targets that honour deadlines
  // 0: off. K > 0: a call whose handler started after those of more than
  // K x threads calls made later is a `starvation` failure (a LIFO queue;
  // checker.cc CheckFairness).
  uint32_t fairness = 0;
  // 0: off. N > 0: a run whose p99 call latency (invoke to return, calls
  // that came back ok or raised) is over N µs fails as `too_slow`.
  uint32_t max_p99_us = 0;
  // 0: off. N > 0: a run of at least kLeakCheckMinCalls calls whose resident
  // memory grew by more than N bytes per call over both its third and its
  // fourth quarter fails as `leak` (driver.cc).
  uint32_t leak_bytes_per_call = 0;
  // 0: off. R > 0: before its calls the run measures the target's speed on
  // trivial calls against a floor it measures in the same process, the
  // condvar server (speed_phases.h): a target whose throughput at `threads`
  // foreign callers, or whose one-caller p50 round trip, is worse than R
  // times the floor's fails as `too_slow_throughput` (release builds, judged
  // on a quiet machine only; speed_verdict.h).
  double min_throughput_ratio = 0;

  // Calls made by caller thread `thread`, and the id of its first call.
  uint64_t CallsOf(int thread) const;
  uint64_t FirstCallOf(int thread) const;
  // The caller thread of top-level call `call_id` (< calls).
  int ThreadOf(uint64_t call_id) const;
  CallerKind KindOf(int thread) const;
  bool Has(EventType type) const;
  uint32_t MixTotal() const;
  uint32_t CallersTotal() const;
};

constexpr uint64_t kLeakCheckMinCalls = 40000;

// The min_throughput_ratio the suite's `throughput` scenario and the
// property `throughput_against_the_floor` hold a bridge to. Measured against
// the condvar floor: a bridge that sleeps 1 ms a call or polls is under
// 0.003x, thread-per-call designs like Ruby FFI's about 0.1x, the bridge
// about 0.7x (harness/docs/judging.md).
constexpr double kSuiteMinThroughputRatio = 0.01;

// The mix most runs want: mostly returns, some of every other behaviour.
Scenario DefaultMixedScenario();

// The default run's lifecycle, added once its size is known: an idle
// window at 4% of the calls (idle_window.h), the heap moved as it ends (no
// block running: nothing pinned by a stack) and at 40% and 70% (move), the
// Ruby callers interrupted in turn at 6% (caller_raise), 8%
// (caller_timeout), 10%, 12% and 14% (caller_kill), the event thread killed
// halfway (when the target can take a kill) and a stop with calls in flight
// when 95% of the calls have returned (the rest come back stopped). Runs of
// under 40 calls get none.
void AddDefaultLifecycle(Scenario* scenario, bool can_kill);

std::string ScenarioToText(const Scenario& scenario);
// One event as the scenario text writes it: "stop@5000", "kill@handler:5".
std::string EventToText(const Event& event);
// Parses ScenarioToText's form; keys may be left out (defaults above) and
// come in any order. Returns false with a one-line *error otherwise.
bool ParseScenario(const std::string& text, Scenario* scenario, std::string* error);
// Checks ranges and combinations; false with *error on the first problem.
bool ValidateScenario(const Scenario& scenario, std::string* error);

// A payload at least this long names its call (and its behaviour); a
// shorter one is anonymous and can only return (payload.h: its layout).
constexpr uint32_t kPayloadHeaderSize = 16;
// A named payload carries its call id in 56 bits: a scenario's calls, with
// their nested calls and the fork probe's, stay under this.
constexpr uint64_t kMaxCallId = (uint64_t{1} << 56) - 1;

// An escape call's arg: its way in the top byte, its message bytes below.
constexpr uint32_t kEscapeMessageMask = (uint32_t{1} << 24) - 1;
inline EscapeWay EscapeWayOf(uint32_t arg) { return static_cast<EscapeWay>(arg >> 24); }

// A post's arg: what its handler does (a Behaviour: return, raise, slow or
// gc) in the top byte, that behaviour's own arg below (slow: us; gc:
// objects; raise: message bytes).
constexpr uint32_t kPostArgMask = (uint32_t{1} << 24) - 1;
inline Behaviour PostActOf(uint32_t arg) { return static_cast<Behaviour>(arg >> 24); }

struct CallPlan {
  uint64_t call_id;
  Behaviour behaviour;
  uint32_t arg;           // slow: µs; gc: objects; raise: message bytes after the prefix;
                          // escape: way << 24 | message bytes; post: act << 24 | its arg
  uint32_t payload_size;  // bytes; under kPayloadHeaderSize anonymous, the behaviour return
                          // (a post's is never under it: its handler run is attributed)
  uint32_t reply_size;    // bytes of the reply (large: large_bytes)
};
CallPlan PlanCall(const Scenario& scenario, uint64_t seed, uint64_t call_id);
// A plain returning call with the scenario's sizes: the nested call of a
// re-entrant handler (id calls + outer id) and the fork probe's calls.
CallPlan ReturnPlan(const Scenario& scenario, uint64_t seed, uint64_t call_id);
// The nested call a re-entrant handler fires for `outer_call_id`.
CallPlan NestedCallOf(const Scenario& scenario, uint64_t seed, uint64_t outer_call_id);

}  // namespace handoff
