// annotated_mutex.h — the harness's shared state is "guarded by" what the
// compiler checks (clang's -Wthread-safety, an error in the clang presets):
// Mutex, MutexLock, GUARDED_BY, REQUIRES, ... One definition, the bridge's:
// the gem must build from targets/bridge alone, so the header lives there and
// the harness includes it from here.
#pragma once

#include "../../targets/bridge/src/annotated_mutex.h"
