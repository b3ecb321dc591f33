// calls_in_flight.h — for the third-party adapters' describe(): how many
// calls went into the library and how many came back, counted relaxed (a
// description for a hang dump, not synchronisation).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace handoff_targets {

class CallsInFlight {
 public:
  void Started() { started_.fetch_add(1, std::memory_order_relaxed); }
  void Completed() { completed_.fetch_add(1, std::memory_order_relaxed); }
  void Reset() {
    started_.store(0);
    completed_.store(0);
  }
  // "<started> <calls>, <completed> <came back>, <waiting> <still waiting>".
  void Describe(char* buffer, size_t size, const char* calls, const char* came_back,
                const char* still_waiting) const {
    uint64_t started = started_.load(std::memory_order_relaxed);
    uint64_t completed = completed_.load(std::memory_order_relaxed);
    std::snprintf(buffer, size, "%llu %s, %llu %s, %llu %s", static_cast<unsigned long long>(started),
                  calls, static_cast<unsigned long long>(completed), came_back,
                  static_cast<unsigned long long>(started - completed), still_waiting);
  }

 private:
  std::atomic<uint64_t> started_{0}, completed_{0};
};

}  // namespace handoff_targets
