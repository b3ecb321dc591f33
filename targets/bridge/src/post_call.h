// post_call.h — handoff_callback.post and .stats (bridge.h): what C code
// reaches through a handle for fire-and-forget posts and the counters.
#ifndef HANDOFF_SRC_POST_CALL_H
#define HANDOFF_SRC_POST_CALL_H

#include "handoff/bridge.h"

namespace handoff {

// Any thread, never blocks unless the policy is block and the queue full
// (and never on a thread holding the GVL). Never touches Ruby.
handoff_status Post(handoff_callback* cb, const handoff_value* args, size_t nargs);
void Stats(handoff_callback* cb, handoff_stats* out);

}  // namespace handoff

#endif
