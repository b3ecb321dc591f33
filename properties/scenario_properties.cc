#include "scenario_properties.h"

#include "property_run.h"
#include "scenario_space.h"

namespace handoff::properties {
namespace {

using B = Behaviour;
using E = EventType;

Property ScenarioProperty(std::string name, std::string description, ScenarioSpace space,
                          bool needs_fork = false) {
  auto body = [space] {
    Scenario scenario = DrawScenario(ForTarget(space, CurrentPropertyTarget().target));
    uint64_t seed = DrawSeed();
    RunScenarioOrFail(scenario, seed);
  };
  return {std::move(name), std::move(description), body, needs_fork};
}

Property SoakOnly(Property property) {
  property.soak_only = true;
  return property;
}

// The scenario properties, one function each, in the order --list and --all take them.

Property OneReplyPerCall() {
  return ScenarioProperty(
      "one_reply_per_call",
      "every call gets exactly one reply, computed from its own payload; the handler runs once "
      "per call",
      {256, 1500, {B::kSlow, B::kGc, B::kLarge}, {}, 0, 2});
}

Property RaiseBecomesRaised() {
  return ScenarioProperty(
      "raise_becomes_raised",
      "a raising handler becomes a `raised` reply carrying that exception and the bridge keeps "
      "serving, whatever the exception's class and however the block is left (raise, throw, "
      "break, next, exit: what target.h asks for each)",
      {8, 1500, {B::kRaise, B::kEscape, B::kSlow}, {}, 0, 1});
}

Property StopAndKillInFlight() {
  return ScenarioProperty(
      "stop_and_kill_in_flight",
      "stop, a killed event thread or a spurious unblock with calls in flight: every call "
      "returns a fitting status before its deadline",
      {8, 1500, {B::kSlow, B::kRaise}, {E::kStop, E::kKill, E::kWakeup}, 3, 1});
}

Property PostsExactlyOnceInOrder() {
  return ScenarioProperty(
      "posts_exactly_once_in_order",
      "fire-and-forget posts mixed with blocking calls, slow and raising blocks, stops and kills: "
      "every accepted post runs once or is counted dropped for an allowed reason, each thread's "
      "posts in order, the queue within post_capacity, post_stats adding up (posts drawn only "
      "for targets with HANDOFF_TARGET_HAS_POSTS)",
      {8, 1500, {B::kPost, B::kSlow, B::kRaise, B::kGc}, {E::kStop, E::kKill}, 3, 1});
}

Property IdleUsesNoCpu() {
  ScenarioSpace idle_space{8, 1500, {B::kSlow, B::kGc, B::kRaise}, {E::kIdle}, 1, 1};
  idle_space.min_events = 1;  // every case has its idle window, after a call count
  Property idle = ScenarioProperty(
      "idle_uses_no_cpu",
      "with no call in flight the target's threads sleep: at most 5% of one core of CPU time over "
      "a 250 ms window (judged in the release build)",
      idle_space);
  idle.needs_undistorted_measurements = true;
  return idle;
}

Property DeadlinesHonoured() {
  ScenarioSpace deadline_space{8, 200, {B::kSlow, B::kRaise}, {}, 0, 0};
  deadline_space.short_deadlines = true;
  return ScenarioProperty(
      "deadlines_honoured",
      "calls with 1-50 ms deadlines against blocks shorter and far longer than them: each "
      "comes back with its reply or timed_out, in time when the target declares deadlines, "
      "and a request its caller gave up on is not touched after",
      deadline_space);
}

Property ReentrantCallbacks() {
  return ScenarioProperty(
      "reentrant_callbacks",
      "a block that fires another foreign callback and waits on it completes",
      {8, 600, {B::kReenter, B::kSlow, B::kRaise, B::kLarge}, {}, 0, 1});
}

Property ThreeCallingPaths() {
  return ScenarioProperty(
      "three_calling_paths",
      "Ruby threads holding the GVL, Ruby threads without it and foreign threads, mixed, make "
      "and re-enter calls that return, raise, sleep and reply large: all get exactly their "
      "replies",
      {8, 800, {B::kReenterGvl, B::kReenterNoGvl, B::kReenter, B::kRaise, B::kSlow, B::kLarge}, {},
       0, 1});
}

Property GcLosesNothing() {
  return ScenarioProperty(
      "gc_loses_nothing",
      "allocation, GC runs, GC.compact and GC.stress during a run lose nothing",
      {8, 1500, {B::kGc, B::kLarge}, {E::kCompact, E::kGcStress}, 3, 1});
}

Property MovedObjectsReached() {
  ScenarioSpace move_space{8, 1500, {B::kGc, B::kSlow, B::kRaise}, {E::kMove}, 3, 1};
  move_space.min_events = 1;  // every case moves the heap at least once
  return ScenarioProperty(
      "moved_objects_reached",
      "the heap is moved (move@: objects toward the emptiest pages) while calls are queued, "
      "running and returning: the target still reaches its block and hands back every reply (a VALUE kept "
      "in C memory must be pinned, or updated when compaction moves it)",
      move_space);
}

Property InterruptedRubyCallers() {
  ScenarioSpace interrupt_space{8, 1500, {B::kSlow, B::kGc, B::kRaise},
                                {E::kCallerRaise, E::kCallerKill, E::kCallerTimeout}, 4, 1};
  interrupt_space.min_events = 1;  // every case interrupts a Ruby caller at least once
  return ScenarioProperty(
      "interrupted_ruby_callers",
      "a Ruby caller thread interrupted inside a call (Thread#raise, Thread#kill, "
      "Timeout.timeout) gets the interrupt, as target.h says, and every other call goes on",
      interrupt_space);
}

Property ForkDuringRun() {
  ScenarioSpace fork_space{8, 1500, {B::kSlow, B::kRaise}, {E::kFork}, 3, 0};
  fork_space.min_events = 1;  // every case forks (a case without one tested nothing of it)
  return ScenarioProperty(
      "fork_during_run",
      "fork with calls in flight: the child's bridge works and nothing crosses the fork",
      fork_space, /*needs_fork=*/true);
}

Property LongRun() {
  ScenarioSpace long_run{16, 150000, {B::kRaise}, {}, 0, 1};
  // Past 2^16 and 2^17 calls in one process: ids and counters wrap there.
  long_run.min_calls = 140000;
  long_run.max_payload = 256;
  long_run.max_reply = 256;
  long_run.max_message = 256;
  return SoakOnly(ScenarioProperty(
      "long_run",
      "more than 2^17 calls in one run (ids and counters that wrap at 16 or 17 bits): every "
      "call still gets exactly its reply (soak only: minutes per case)",
      long_run));
}

// Trivial calls from 1-16 foreign threads; the run measures the target
// against the condvar floor first (min_throughput_ratio, the suite's bar).
// Judged in the release build, on a quiet machine (a busy one: a note).
Property ThroughputAgainstTheFloor() {
  ScenarioSpace space{16, 400, {}, {}, 0, 0};
  space.max_payload = 256;  // (the speed phases use a fixed probe payload)
  space.max_reply = 256;
  space.ruby_callers = false;
  auto body = [space] {
    Scenario scenario = DrawScenario(ForTarget(space, CurrentPropertyTarget().target));
    scenario.min_throughput_ratio = kSuiteMinThroughputRatio;
    RunScenarioOrFail(scenario, DrawSeed());
  };
  Property speed{"throughput_against_the_floor",
                 "trivial calls from 1-16 foreign threads reach the suite's min_throughput_ratio of the "
                 "throughput and p50 of a condvar server measured in the same run (judged in the release "
                 "build, on a quiet machine)",
                 body};
  speed.needs_undistorted_measurements = true;
  return speed;
}

}  // namespace

std::vector<Property> ScenarioProperties() {
  return {
      OneReplyPerCall(),
      RaiseBecomesRaised(),
      StopAndKillInFlight(),
      PostsExactlyOnceInOrder(),
      IdleUsesNoCpu(),
      DeadlinesHonoured(),
      ReentrantCallbacks(),
      ThreeCallingPaths(),
      GcLosesNothing(),
      MovedObjectsReached(),
      InterruptedRubyCallers(),
      ThroughputAgainstTheFloor(),
      ForkDuringRun(),
      LongRun(),
  };
}

}  // namespace handoff::properties
