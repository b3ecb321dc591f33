// post_thread.h — the bridge's post thread: the one Ruby thread that runs
// fire-and-forget posts (post_queue.h), one at a time, in the order they
// were accepted.
//
// It waits for posts without the GVL (rb_thread_call_without_gvl2 with an
// unblocking function, so Thread#kill and VM shutdown wake it) and checks
// interrupts only with no post in hand. A post whose block raises is
// reported (Handoff.on_error) and counted failed; a post in hand when the
// thread is killed is counted failed, and the thread is replaced while the
// bridge runs: no post is run twice, none is lost.
//
// WARNING: GVL only.
#ifndef HANDOFF_SRC_POST_THREAD_H
#define HANDOFF_SRC_POST_THREAD_H

namespace handoff {

// Starts the post thread for CurrentQueue().posts(), whose taker it already
// is (PostQueue::Start returned true). False when it could not be created.
bool SpawnPostThread();

}  // namespace handoff

#endif
