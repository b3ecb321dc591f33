// Synchronisation points for the harness's perturbation (see
// harness/include/handoff/target.h). Compiled only in stress builds
// (HANDOFF_SYNC_POINTS, set by CMake for sanitizer presets); in the gem and
// the release build HANDOFF_SYNC_POINT is nothing. The hook stays NULL, so
// the points do nothing, until the bridge's harness adapter sets it.
#pragma once

#ifdef HANDOFF_SYNC_POINTS
#include "handoff/target.h"
#else
#define HANDOFF_SYNC_POINT(name) ((void)0)
#endif
