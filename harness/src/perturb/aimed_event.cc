#include "perturb/aimed_event.h"

#include <ruby.h>
#include <ruby/thread.h>
#include <time.h>

#include <atomic>

#include "perturb/run_clock.h"
#include "perturb/sync_interposer.h"  // SleepMicros

namespace handoff {
namespace {

enum State : int { kIdle = 0, kArmed = 1, kTriggered = 2, kDone = 3 };

std::atomic<int> g_state{kIdle};
std::atomic<int> g_aim{0};
std::atomic<uint64_t> g_target{0};
std::atomic<uint64_t> g_hits{0};
std::atomic<int> g_holding{0};  // threads inside HoldUntilDone

// Holds the window until the event is done, for at most kAimedHoldMillis of
// wall time: counted on the clock, not in naps, which a loaded machine
// stretches (4,000 naps of 50 us took 0.47 s beside CPU hogs).
void HoldUntilDone() {
  g_holding.fetch_add(1, std::memory_order_relaxed);
  const int64_t until = RunClockNanos() + kAimedHoldMillis * 1000000LL;
  while (g_state.load(std::memory_order_relaxed) != kDone && RunClockNanos() < until) {
    SleepMicros(200);  // under the controlled schedule, a scheduling point
  }
  g_holding.fetch_sub(1, std::memory_order_relaxed);
}

// True for the one hit that opens the window.
bool Hit(EventAim where) {
  if (g_state.load(std::memory_order_relaxed) != kArmed ||
      g_aim.load(std::memory_order_relaxed) != static_cast<int>(where)) {
    return false;
  }
  if (g_hits.fetch_add(1, std::memory_order_relaxed) + 1 != g_target.load(std::memory_order_relaxed)) {
    return false;
  }
  int armed = kArmed;
  return g_state.compare_exchange_strong(armed, kTriggered, std::memory_order_relaxed);
}

}  // namespace

void ArmAimedEvent(EventAim aim, uint64_t k) {
  g_aim.store(static_cast<int>(aim), std::memory_order_relaxed);
  g_target.store(k == 0 ? 1 : k, std::memory_order_relaxed);
  g_hits.store(0, std::memory_order_relaxed);
  g_state.store(kArmed, std::memory_order_relaxed);
}

bool AimedEventTriggered() { return g_state.load(std::memory_order_relaxed) == kTriggered; }

bool AimedHoldInProgress() { return g_holding.load(std::memory_order_relaxed) != 0; }

void AimedEventDone() { g_state.store(kDone, std::memory_order_relaxed); }

void AimedHandlerHit() {
  if (!Hit(EventAim::kInHandler)) return;
  rb_thread_call_without_gvl(
      [](void*) -> void* {
        HoldUntilDone();
        return nullptr;
      },
      nullptr, nullptr, nullptr);
}

void AimedSyncPointHit() {
  if (Hit(EventAim::kAtSyncPoint)) HoldUntilDone();
}

}  // namespace handoff
