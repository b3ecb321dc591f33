// worker_pool.h — the Ruby worker threads that run queued requests.
//
// Each worker waits for the queue without the GVL (rb_thread_call_without_gvl2
// with an unblocking function, so Thread#kill and VM shutdown wake it), then
// with the GVL drains every queued request in FIFO order before waiting
// again. It checks interrupts only with no request in hand (a popped
// request dropped before dispatch).
// A worker that dies with a request in hand (killed, or a non-StandardError
// escaped the block) completes it with HANDOFF_STOPPED and, while the bridge
// runs, is replaced.
//
// WARNING: every function here needs the GVL.
#ifndef HANDOFF_SRC_WORKER_POOL_H
#define HANDOFF_SRC_WORKER_POOL_H

#include <ruby.h>

namespace handoff {

// Starts one worker thread for CurrentQueue(), which has already counted it.
// On failure to create it the count is given back and false returned. A kill
// or exit that arrives meanwhile is not swallowed: it propagates (longjmp).
bool SpawnWorker();

// The bridge's Ruby threads: the workers that serve calls, and the post
// thread (post_thread.h).
enum class ThreadRole { kWorker = 0, kPoster = 1 };

// Starts a thread of the bridge's, in `role` (listed by LiveThreads), running `body`;
// when it cannot be created, calls `not_created` and returns false. A kill
// or exit that arrives meanwhile propagates (longjmp), after `not_created`.
bool SpawnPoolThread(VALUE (*body)(void*), void (*not_created)(), ThreadRole role);

// Stops CurrentQueue() and its posts: completes every queued request with
// HANDOFF_STOPPED, drops (and counts) every queued post. Needs no GVL: any
// thread may call it.
void StopAndRelease();

// The Thread objects of the live threads in `role` (a new Array).
VALUE LiveThreads(ThreadRole role);

// Forgets every Thread of the bridge's (in a forked child, where they do not exist).
void ForgetWorkers();

// Creates the Ruby-side state. Called once from Init_handoff.
void InitWorkerPool();

}  // namespace handoff

#endif
