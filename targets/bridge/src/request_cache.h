// request_cache.h — each calling thread's spare Request, so that a call
// allocates nothing: the request, its argument vector and their byte
// buffers are those of the thread's last call, whenever that call's replier
// let go of it before the waiter did (Request::WaitAndKeep's *kept).
//
// A thread's spare is freed when the thread exits. Not for a block's own
// nested calls to keep: a request is taken for the whole of one call.
#ifndef HANDOFF_SRC_REQUEST_CACHE_H
#define HANDOFF_SRC_REQUEST_CACHE_H

#include "request.h"

namespace handoff {

// This thread's spare request (not yet begun), or a new one.
Request* TakeRequest();

// Gives back a request that WaitAndKeep kept; it becomes the thread's
// spare (a previous spare, from a nested call, is freed).
void KeepRequest(Request* request);

}  // namespace handoff

#endif
