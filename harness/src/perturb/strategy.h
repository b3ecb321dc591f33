// Perturbation: what a thread does when it reaches one of the target's
// synchronisation points (HANDOFF_SYNC_POINT in target.h). One strategy per
// file; the harness installs one per run and the sync-point hook asks it.
// Adding a strategy: its file here, one line in strategies.cc's table (which
// --perturb, --help and --score all read), one line in harness/CMakeLists.txt.
//
// Honesty note: these are real threads under the real OS scheduler. A
// strategy can only add delays and yields at the points; it cannot stop a
// thread between points or force an interleaving. The same seed gives the
// same *decisions*, not the same schedule: replays reproduce often, not
// always; `handoff-stress --replay N` measures how often.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace handoff {

struct SyncAction {
  enum class Type { kNone, kYield, kSpin, kSleep };
  Type type = Type::kNone;
  uint32_t amount = 0;  // spin: iterations; sleep: microseconds
};

class PerturbationStrategy {
 public:
  // Threads are numbered 0..kMaxThreads-1 by the harness; foreign threads
  // first (0..foreign_threads-1), then every other thread that reaches a point.
  static constexpr int kMaxThreads = 4096;

  virtual ~PerturbationStrategy() = default;
  virtual const char* name() const = 0;
  // Before a run, on the driver thread, before any thread reaches a point.
  // expected_points: a rough count of the points the run will reach.
  virtual void NewRun(uint64_t seed, int foreign_threads, uint64_t expected_points) = 0;
  // On the thread that reached a point: `point` is the point's name (as the
  // target passed it to HANDOFF_SYNC_POINT), `step` numbers points across
  // all threads in the order they were reached. Thread-safe: a strategy
  // touches only `thread`'s own state and atomics. Deterministic: the same
  // seed and the same (point, thread, step) sequence give the same actions.
  virtual SyncAction Decide(const char* point, int thread, uint64_t step) = 0;
};

// One strategy as everything that lists them sees it.
struct PerturbationStrategyInfo {
  const char* name;     // what --perturb takes
  const char* summary;  // what it does, one line for --help
  std::unique_ptr<PerturbationStrategy> (*make)();
};

// Every strategy, `none` first, in the order --help and --score list them.
const std::vector<PerturbationStrategyInfo>& PerturbationStrategies();

// By name; nullptr for a name not in PerturbationStrategies().
std::unique_ptr<PerturbationStrategy> MakePerturbation(const std::string& name);
// Every name, comma-separated ("none, random, ..."), for messages.
std::string PerturbationNames();

}  // namespace handoff
