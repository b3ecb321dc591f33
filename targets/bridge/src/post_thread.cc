#include "post_thread.h"

#include <ruby.h>
#include <ruby/thread.h>

#include "block_call.h"
#include "request_queue.h"
#include "worker_pool.h"

namespace handoff {
namespace {

struct PostThread {
  RequestQueue* queue;      // the queue (of this process) whose posts it runs
  PostQueue::Entry in_hand;  // taken, not finished: PostCleanup's to count
  bool holding = false;
  bool left = false;  // gave up being the taker (LeaveTaker) before ending
};

void* WaitForPostsWithoutGvl(void* arg) {
  static_cast<PostThread*>(arg)->queue->posts().WaitForPosts();
  return nullptr;
}

void UnblockPostThread(void* arg) { static_cast<PostThread*>(arg)->queue->posts().Interrupt(); }

// Runs the posts queued now, oldest first. Returns false in a forked child
// (a block forked): the parent's posts are not the child's to run.
// No C++ object with a destructor lives here: rb_jump_tag and
// rb_thread_check_ints may leave it; PostCleanup counts what is in hand.
bool RunQueuedPosts(PostThread* t) {
  PostQueue& posts = t->queue->posts();
  for (;;) {
    if (&CurrentQueue() != t->queue) return false;
    rb_thread_check_ints();  // nothing in hand
    if (!posts.TryTake(&t->in_hand)) return true;
    t->holding = true;
    int jump_state = 0;
    handoff_status status = CallBlock(t->in_hand.callback, t->in_hand.args, BlockThread::kWorker,
                                      &jump_state, Reply::kDiscard)
                                .status;
    if (&CurrentQueue() != t->queue) return false;
    t->holding = false;
    posts.Finished(&t->in_hand, status == HANDOFF_OK);
    if (jump_state != 0) rb_jump_tag(jump_state);
  }
}

VALUE PostLoop(VALUE arg) {
  auto* t = reinterpret_cast<PostThread*>(arg);
  VALUE self = rb_thread_current();
  rb_funcall(self, rb_intern("name="), 1, rb_str_new_cstr("handoff-post"));
  rb_funcall(self, rb_intern("report_on_exception="), 1, Qtrue);
  do {
    while (t->queue->posts().running()) {
      // As in the worker loop: overwrite the stack slot Ruby 3.1's
      // compaction reads past the top frame (ruby/ruby#7081).
      rb_funcall(Qnil, rb_intern("nil?"), 0);
      rb_thread_call_without_gvl2(WaitForPostsWithoutGvl, t, UnblockPostThread, t);
      if (!RunQueuedPosts(t)) return Qnil;
    }
  } while (t->queue->posts().LeaveTaker());
  t->left = true;
  return Qnil;
}

VALUE PostCleanup(VALUE arg) {
  auto* t = reinterpret_cast<PostThread*>(arg);
  bool ours = &CurrentQueue() == t->queue;
  PostQueue& posts = t->queue->posts();
  if (ours && t->holding) posts.Finished(&t->in_hand, false);  // killed inside its block
  bool replace = ours && !t->left && posts.LeaveTaker();
  delete t;
  if (replace) SpawnPostThread();
  return Qnil;
}

VALUE PostMain(void*) {
  auto* t = new PostThread{&CurrentQueue(), {}, false, false};
  return rb_ensure(PostLoop, reinterpret_cast<VALUE>(t), PostCleanup, reinterpret_cast<VALUE>(t));
}

}  // namespace

bool SpawnPostThread() {
  return SpawnPoolThread(PostMain, [] { CurrentQueue().posts().TakerFailed(); }, ThreadRole::kPoster);
}

}  // namespace handoff
