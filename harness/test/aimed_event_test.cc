// The window an aimed event holds open: bounded on the clock, and visible to
// the quiescence judge as the harness's own sleep.
#include "perturb/aimed_event.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace handoff {
namespace {

using Clock = std::chrono::steady_clock;

void WaitUntilTriggered() {
  while (!AimedEventTriggered()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(AimedEvent, AHeldWindowIsTheHarnessesOwnSleepUntilTheEventIsDone) {
  ArmAimedEvent(EventAim::kAtSyncPoint, 2);
  AimedSyncPointHit();  // the first point: not the window
  EXPECT_FALSE(AimedEventTriggered());
  std::thread holder([] { AimedSyncPointHit(); });
  WaitUntilTriggered();
  while (!AimedHoldInProgress()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  AimedEventDone();
  holder.join();
  EXPECT_FALSE(AimedHoldInProgress());
}

TEST(AimedEvent, AHoldNobodyEndsLastsItsBoundInWallTime) {
  ArmAimedEvent(EventAim::kAtSyncPoint, 1);
  Clock::time_point start = Clock::now();
  AimedSyncPointHit();
  double held_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  EXPECT_GE(held_ms, kAimedHoldMillis);
  // Counted on the clock: naps stretched by a loaded machine do not add up
  // to more (4,000 naps of a nominal 50 us once held 0.47 s). The margin is
  // for one late wakeup.
  EXPECT_LT(held_ms, kAimedHoldMillis + 1000);
  EXPECT_FALSE(AimedHoldInProgress());
}

}  // namespace
}  // namespace handoff
