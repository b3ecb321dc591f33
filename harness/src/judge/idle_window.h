// Idle windows: does the target use CPU while nobody calls it?
//
// An `idle@N` event closes the callers' gate once N calls returned: no
// caller starts another call, and once none is in flight the harness
// measures, over kIdleWindowMillis of wall time, the CPU time every thread of
// the process used but the harness's own (the thread measuring, the
// watchdog, the callers waiting at the gate, background load). A correct
// bridge's threads sleep while there is nothing to do; one that polls or
// spins burns CPU. Over kIdleCpuBudget of one core it is an `idle_cpu`
// failure naming the threads that used it.
//
// CPU time is judged, not wall time, so a loaded machine cannot make a
// correct target look busy (it can only make a busy one look less so). What
// a window cannot judge is a note, never a failure: a block that may still
// run for a call that came back timed out or stopped, a call that started
// during the window, a sanitizer build (its runtime's threads use CPU).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "handoff/result.h"

namespace handoff {

constexpr int kIdleWindowMillis = 250;
constexpr double kIdleCpuBudget = 0.05;  // of one core, over the window

// The callers' side of an idle window. Relaxed atomics and naps only: the
// gate adds no happens-before edge between the callers (run_log.h).
class CallGate {
 public:
  // Before each call: naps while the gate is closed, then counts the call
  // in flight. After it returned: Leave.
  void Enter();
  void Leave();

  // The driver's side.
  void Close() { closed_.store(true, std::memory_order_relaxed); }
  void Open() { closed_.store(false, std::memory_order_relaxed); }
  bool Drained() const { return in_flight_.load(std::memory_order_relaxed) == 0; }
  // The count of calls in flight itself, for a reader that must load it
  // where ThreadSanitizer does not look (the controlled schedule).
  const std::atomic<int>* in_flight_counter() const { return &in_flight_; }
  uint64_t entered() const { return entered_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> closed_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> entered_{0};
};

// Measures one window with no call in flight and judges it. `harness_threads`
// are thread ids that are not the target's (the calling thread is left out
// too); `gate` tells whether a call started meanwhile (then: a note, pass).
Result JudgeIdleWindow(const std::vector<long>& harness_threads, const CallGate& gate,
                       std::string* notes);

}  // namespace handoff
