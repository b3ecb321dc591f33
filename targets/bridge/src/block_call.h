// block_call.h — run a callback's block for one request, on a Ruby thread.
//
// WARNING: GVL only. Never raises: every Ruby exception is caught.
#ifndef HANDOFF_SRC_BLOCK_CALL_H
#define HANDOFF_SRC_BLOCK_CALL_H

#include <vector>

#include "callback_handle.h"
#include "owned_value.h"

namespace handoff {

// Where the block runs: a worker of the pool, or the calling Ruby thread.
enum class BlockThread { kWorker, kCallersOwn };
// What becomes of the block's return value: the call's reply, or nothing
// (a post: any value will do).
enum class Reply { kConvert, kDiscard };

// Calls the handle's block with `args` and converts its reply.
//  - returned: HANDOFF_OK with the reply;
//  - an exception (raised by the block, or by converting the reply), of any
//    class (on kCallersOwn: but SystemExit and SignalException):
//    HANDOFF_RAISED with its class and message, after reporting it on the
//    Ruby side with Handoff.report_error (never swallowed);
//  - any other non-local exit (Thread#kill; on kCallersOwn also exit,
//    Interrupt and other signals): returns HANDOFF_STOPPED and sets
//    *jump_state to the rb_protect state; the caller must
//    rb_jump_tag(*jump_state) when it is safe to, so a kill is not lost
//    (so too for a kill that lands while a raised exception is read, and
//    for any interrupt of the thread that lands while it is reported);
//  - a disposed handle: HANDOFF_INVALID, the block does not run.
// *jump_state is 0 in every other case.
// A String reply is copied into `reply_room` when it fits (a buffer the
// calling thread made, so that the thread that frees the reply made it
// too), else into a new buffer.
Outcome CallBlock(CallbackHandle* handle, const std::vector<OwnedValue>& args,
                  BlockThread thread, int* jump_state, Reply reply = Reply::kConvert,
                  MallocBytes reply_room = MallocBytes());

}  // namespace handoff

#endif
