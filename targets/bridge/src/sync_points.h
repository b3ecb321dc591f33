// Synchronisation points for a perturbation harness, owned by the bridge:
// its sources mark a point with BRIDGE_SYNC_POINT("queue.push"). In stress
// builds (HANDOFF_SYNC_POINTS, set by CMake for the sanitizer presets) each
// point calls the hook the harness adapter installs (target/bridge_target.cc,
// from handoff/target.h's host->sync_point) before any foreign thread
// starts, so every later read is ordered; until then it is NULL and a point
// does nothing. In the gem and the release build a point is nothing at all.
// Nothing here needs the harness's headers: the gem builds from this folder.
#pragma once

#ifdef HANDOFF_SYNC_POINTS
namespace handoff {
using BridgeSyncHook = void (*)(const char* name);
extern BridgeSyncHook g_bridge_sync_hook;  // defined in request_queue.cc
}  // namespace handoff
#define BRIDGE_SYNC_POINT(name)                                   \
  do {                                                            \
    ::handoff::BridgeSyncHook hook_ = ::handoff::g_bridge_sync_hook; \
    if (hook_) hook_(name);                                       \
  } while (0)
#else
#define BRIDGE_SYNC_POINT(name) ((void)0)
#endif
