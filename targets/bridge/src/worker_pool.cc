#include "worker_pool.h"

#include <ruby/thread.h>

#include "block_call.h"
#include "request_queue.h"

namespace handoff {
namespace {

// Arrays of Thread by role (workers, the post thread); rooted by rb_gc_register_address.
VALUE g_threads[2] = {Qnil, Qnil};

struct Worker {
  RequestQueue* queue;
  RequestQueue::WorkerSlot slot;
  Request* in_hand = nullptr;  // popped, not yet completed: WorkerCleanup's to complete
};

void* WaitForWorkWithoutGvl(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  w->queue->WaitForWork(&w->slot);
  return nullptr;
}

void UnblockWorker(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  w->queue->Interrupt(&w->slot);
}

// Runs the request in hand (popped, not yet claimed) and lets go of it.
// Returns the rb_protect state to resume (0: none).
int RunRequestInHand(Worker* w) {
  Request* r = w->in_hand;
  if (!r->Claim()) {  // the waiter gave up before we got to it
    w->in_hand = nullptr;
    r->CompleteAndRelease(MakeOutcome(HANDOFF_TIMED_OUT));
    return 0;
  }
  int jump_state = 0;
  w->queue->BlockStarted();
  Outcome outcome = CallBlock(r->callback(), r->args(), BlockThread::kWorker, &jump_state,
                              Reply::kConvert, std::move(*r->reply_room()));
  w->in_hand = nullptr;
  if (&CurrentQueue() != w->queue) {
    // The block forked and this is the child: the waiter lives in the
    // parent, and the parent's queue stays locked here (ForkChild).
    return jump_state;
  }
  w->queue->BlockEnded();
  r->CompleteAndRelease(std::move(outcome));
  return jump_state;
}

// No C++ object with a destructor lives in this frame: SpawnWorker,
// rb_jump_tag and rb_thread_check_ints may longjmp out of it. A popped
// request is in w->in_hand from the moment it is popped, so WorkerCleanup
// completes it whichever of them jumps.
VALUE WorkerLoop(VALUE arg) {
  auto* w = reinterpret_cast<Worker*>(arg);
  VALUE self = rb_thread_current();
  rb_funcall(self, rb_intern("name="), 1, rb_str_new_cstr("handoff-worker"));
  rb_funcall(self, rb_intern("report_on_exception="), 1, Qtrue);
  while (&CurrentQueue() == w->queue) {
    w->queue->ClearInterrupt(&w->slot);
    // Ruby 3.1's compaction reads the VM stack slot at the top frame's sp
    // (vm.c rb_vm_each_stack_value, `p <= sp`; ruby/ruby#7081), where the
    // last block call left its first argument, dead and unmarked by now.
    // A C method called through rb_funcall overwrites it with its (live)
    // method entry before this thread parks.
    rb_funcall(Qnil, rb_intern("nil?"), 0);
    rb_thread_call_without_gvl2(WaitForWorkWithoutGvl, w, UnblockWorker, w);
    if (!w->queue->running()) break;
    // Drain, oldest first. Popped only here, with the GVL, and only after
    // any spare worker is started: a request in hand is run at once
    // (request_queue.h, "Fairness").
    for (;;) {
      // A block that forked without exiting the child returns here in the
      // child: the parent's queue (left locked there) is not ours to touch.
      if (&CurrentQueue() != w->queue) break;
      rb_thread_check_ints();  // nothing in hand
      if (w->queue->ReserveSpare()) SpawnWorker();
      w->in_hand = w->queue->TryPop();
      if (w->in_hand == nullptr) break;
      int jump_state = RunRequestInHand(w);
      if (jump_state != 0) rb_jump_tag(jump_state);
    }
  }
  return Qnil;
}

VALUE WorkerCleanup(VALUE arg) {
  auto* w = reinterpret_cast<Worker*>(arg);
  if (w->in_hand != nullptr) {
    w->in_hand->CompleteAndRelease(MakeOutcome(
        HANDOFF_STOPPED, "", "handoff: the worker thread died holding this call"));
    w->in_hand = nullptr;
  }
  bool replace = (&CurrentQueue() == w->queue) && w->queue->WorkerExited();
  delete w;
  if (replace && !SpawnWorker() && CurrentQueue().workers() == 0) {
    StopAndRelease();  // nobody is left to serve: release every waiter
  }
  return Qnil;
}

VALUE WorkerMain(void*) {
  auto* w = new Worker{&CurrentQueue(), {}, nullptr};
  return rb_ensure(WorkerLoop, reinterpret_cast<VALUE>(w), WorkerCleanup,
                   reinterpret_cast<VALUE>(w));
}

// Drops dead threads from the list. rb_funcall may switch threads and deliver
// interrupts, so the list is only ever changed by single-element deletes:
// a worker another thread adds meanwhile is never lost.
void PruneDead(VALUE threads) {
  VALUE dead = rb_ary_new();
  for (long i = 0; i < RARRAY_LEN(threads); ++i) {
    VALUE thread = rb_ary_entry(threads, i);
    if (!RTEST(rb_funcall(thread, rb_intern("alive?"), 0))) rb_ary_push(dead, thread);
  }
  for (long i = 0; i < RARRAY_LEN(dead); ++i) rb_ary_delete(threads, rb_ary_entry(dead, i));
}

struct NewThread {
  VALUE (*body)(void*);
  VALUE list;  // the role's Array of Thread
  bool created;
};

// Sets `created` as soon as the thread exists, so the caller knows whether
// the thread was started whatever interrupt arrives before or after.
VALUE CreateThread(VALUE arg) {
  auto* thread = reinterpret_cast<NewThread*>(arg);
  PruneDead(thread->list);
  VALUE created = rb_thread_create(thread->body, nullptr);
  thread->created = true;
  rb_ary_push(thread->list, created);
  return created;
}

}  // namespace

bool SpawnPoolThread(VALUE (*body)(void*), void (*not_created)(), ThreadRole role) {
  NewThread thread{body, g_threads[static_cast<int>(role)], false};
  int state = 0;
  rb_protect(CreateThread, reinterpret_cast<VALUE>(&thread), &state);
  if (!thread.created) not_created();
  if (state != 0) {
    VALUE error = rb_errinfo();
    // A kill or exit aimed at this thread must go on; only a failure to
    // create the thread (ThreadError, NoMemoryError) is absorbed.
    if (!RB_TYPE_P(error, T_OBJECT) || !RTEST(rb_obj_is_kind_of(error, rb_eStandardError))) {
      rb_jump_tag(state);
    }
    rb_set_errinfo(Qnil);
  }
  return thread.created;
}

bool SpawnWorker() {
  return SpawnPoolThread(WorkerMain, [] { CurrentQueue().SpawnFailed(); }, ThreadRole::kWorker);
}

void StopAndRelease() {
  CurrentQueue().posts().Stop();
  for (Request* r : CurrentQueue().Stop()) {
    r->CompleteAndRelease(MakeOutcome(HANDOFF_STOPPED, "", "handoff: the bridge stopped"));
  }
}

VALUE LiveThreads(ThreadRole role) {
  VALUE threads = g_threads[static_cast<int>(role)];
  PruneDead(threads);
  return rb_ary_dup(threads);
}

void ForgetWorkers() {
  for (VALUE threads : g_threads) rb_ary_clear(threads);
}

void InitWorkerPool() {
  for (VALUE& threads : g_threads) {
    threads = rb_ary_new();
    rb_gc_register_address(&threads);
  }
}

}  // namespace handoff
