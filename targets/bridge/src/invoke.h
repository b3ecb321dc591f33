// invoke.h — the function behind handoff_callback::invoke (bridge.h).
#ifndef HANDOFF_SRC_INVOKE_H
#define HANDOFF_SRC_INVOKE_H

#include "handoff/bridge.h"

namespace handoff {

// Any thread, with or without the GVL. See handoff_invoke in bridge.h.
handoff_status Invoke(handoff_callback* cb, const handoff_value* args, size_t nargs,
                      int64_t timeout_ns, handoff_reply* reply);

}  // namespace handoff

#endif
