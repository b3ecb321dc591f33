// Aimed lifecycle events: a stop, kill or fork fired inside a chosen window
// of a target's protocol rather than after N calls returned.
//
//   stop@handler:K  while the K-th handler run (counted from when the event
//                   is armed) is inside its block: the request is running,
//                   later ones are queued behind it;
//   stop@sync:K     when the K-th synchronisation point is reached (any
//                   thread; builds with sync points): a request just pushed,
//                   popped but not run, or being completed, depending on the
//                   point. Without sync points it fires once the calls are done.
//
// The thread that hits the window waits there until the event is done, for
// at most kAimedHoldMillis (so a target whose stop waits for that very call
// still goes on). Waiting and signalling use relaxed atomics only: they add
// no happens-before edge between the target's threads and the event.
#pragma once

#include <cstdint>

#include "handoff/scenario.h"

namespace handoff {

constexpr int kAimedHoldMillis = 200;

// The driver (Ruby main thread): arm, wait for the window, do the event, done.
void ArmAimedEvent(EventAim aim, uint64_t k);
bool AimedEventTriggered();
void AimedEventDone();

// True while a thread holds a window: the harness itself is asleep on
// purpose, with the target possibly waiting for it. The quiescence judge
// counts that as progress (the hold ends on its own), not as a deadlock.
bool AimedHoldInProgress();

// The handler, at its start (GVL held: released while it waits).
void AimedHandlerHit();
// The sync-point hook (any thread).
void AimedSyncPointHit();

}  // namespace handoff
