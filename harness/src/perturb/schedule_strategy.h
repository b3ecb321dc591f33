// The controlled schedule's strategies: at each scheduling point the
// controlled scheduler (controlled_scheduler.h) asks the run's strategy which
// of the threads that can go on goes next. One strategy per file, on this
// interface; schedule_strategies.cc is the one table that
// `--schedule controlled --strategy`, --help and the replay line read.
//
// Deterministic by contract: the same seed and the same sequence of calls
// give the same picks. Called only by the thread that holds the schedule (one
// at a time), so a strategy needs no synchronisation of its own. Under
// ThreadSanitizer the hand-over between threads is invisible (so that races
// in the target are still races), so a strategy's files are built without
// instrumentation and keep their state in plain arrays, not in containers
// whose code another, instrumented, file may instantiate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace handoff {

// A thread that can go on, and the object its next operation is on (a mutex,
// a condition variable, a thread; 0 for an operation on nothing, such as a
// yield): strategies that track conflicting operations (pos) use it.
// Threads a controlled schedule numbers (more are left uncontrolled).
constexpr int kMaxControlledThreads = 512;

struct Runnable {
  int thread;
  uintptr_t object;
};

class ScheduleStrategy {
 public:
  virtual ~ScheduleStrategy() = default;
  virtual const char* name() const = 0;
  // Before the run. expected_steps: a rough count of the scheduling points
  // the run will reach (pct places its change points in it).
  virtual void NewRun(uint64_t seed, uint64_t expected_steps) = 0;
  // A new controlled thread, numbered in order from 0 (< kMaxControlledThreads).
  virtual void ThreadAdded(int thread) = 0;
  // Which of `runnable` (ascending thread numbers, never empty) goes next.
  // `step` counts the decisions before this one. Returns an index into
  // `runnable`.
  virtual size_t Pick(const std::vector<Runnable>& runnable, uint64_t step) = 0;
  // After the picked thread's operation on `object` (may be 0) was chosen.
  virtual void Picked(int thread, uintptr_t object) { (void)thread, (void)object; }
  // `thread` called sched_yield: it waits for something another thread must
  // do (a spin loop), so a strategy that would pick it again and again (pct)
  // must let the others go first.
  virtual void Yielded(int thread) { (void)thread; }
};

struct ScheduleStrategyInfo {
  const char* name;     // what --strategy takes
  const char* summary;  // one line for --help
  std::unique_ptr<ScheduleStrategy> (*make)();
};

// Every strategy, the default first.
const std::vector<ScheduleStrategyInfo>& ScheduleStrategies();
// By name; nullptr for an unknown one.
std::unique_ptr<ScheduleStrategy> MakeScheduleStrategy(const std::string& name);
// "walk, pct, pos", for messages.
std::string ScheduleStrategyNames();

}  // namespace handoff
