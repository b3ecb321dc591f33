#include "worker_pool.h"

#include <ruby/thread.h>

#include "block_call.h"
#include "request_queue.h"

namespace handoff {
namespace {

VALUE g_worker_threads = Qnil;  // Array of Thread; rooted by rb_gc_register_address

struct Worker {
  RequestQueue* queue;
  RequestQueue::WorkerSlot slot;
  Request* in_hand = nullptr;  // claimed, not yet completed
  bool spawn_spare = false;
};

void* WaitPopWithoutGvl(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  return w->queue->WaitPop(&w->slot, &w->spawn_spare);
}

void UnblockWorker(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  w->queue->Interrupt(&w->slot);
}

// Runs one popped request; returns the rb_protect state to resume (0: none).
int RunRequest(Worker* w, Request* r) {
  if (!r->Claim()) {  // the waiter gave up before we got to it
    r->CompleteAndRelease(MakeOutcome(HANDOFF_TIMED_OUT));
    return 0;
  }
  w->in_hand = r;
  int jump_state = 0;
  Outcome outcome = CallBlock(r->callback(), r->args(), &jump_state);
  w->in_hand = nullptr;
  if (&CurrentQueue() != w->queue) {
    // The block forked and this is the child: the waiter lives in the parent.
    return jump_state;
  }
  r->CompleteAndRelease(std::move(outcome));
  return jump_state;
}

// No C++ object with a destructor lives in this frame: rb_jump_tag and
// rb_thread_check_ints may longjmp out of it.
VALUE WorkerLoop(VALUE arg) {
  auto* w = reinterpret_cast<Worker*>(arg);
  while (&CurrentQueue() == w->queue) {
    w->queue->ClearInterrupt(&w->slot);
    auto* r = static_cast<Request*>(
        rb_thread_call_without_gvl2(WaitPopWithoutGvl, w, UnblockWorker, w));
    if (r == nullptr) {
      if (!w->queue->running()) break;
      rb_thread_check_ints();
      continue;
    }
    while (r != nullptr) {
      if (w->spawn_spare) SpawnWorker();
      int jump_state = RunRequest(w, r);
      if (jump_state != 0) rb_jump_tag(jump_state);
      rb_thread_check_ints();
      r = w->queue->TryPop(&w->spawn_spare);
    }
  }
  return Qnil;
}

VALUE WorkerCleanup(VALUE arg) {
  auto* w = reinterpret_cast<Worker*>(arg);
  if (w->in_hand != nullptr) {
    w->in_hand->CompleteAndRelease(MakeOutcome(
        HANDOFF_STOPPED, "", "handoff: the worker thread died while running this call"));
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
  auto* w = new Worker{&CurrentQueue(), {}, nullptr, false};
  return rb_ensure(WorkerLoop, reinterpret_cast<VALUE>(w), WorkerCleanup,
                   reinterpret_cast<VALUE>(w));
}

VALUE CreateThread(VALUE) {
  VALUE thread = rb_thread_create(WorkerMain, nullptr);
  rb_funcall(thread, rb_intern("name="), 1, rb_str_new_cstr("handoff-worker"));
  rb_funcall(thread, rb_intern("report_on_exception="), 1, Qtrue);
  rb_ary_push(g_worker_threads, thread);
  return thread;
}

VALUE PruneDead(VALUE) {
  rb_funcall_with_block(g_worker_threads, rb_intern("select!"), 0, nullptr,
                        rb_proc_new([](RB_BLOCK_CALL_FUNC_ARGLIST(thread, unused)) {
                          (void)unused;
                          return rb_funcall(thread, rb_intern("alive?"), 0);
                        }, Qnil));
  return Qnil;
}

}  // namespace

bool SpawnWorker() {
  int state = 0;
  rb_protect(PruneDead, Qnil, &state);
  if (state == 0) rb_protect(CreateThread, Qnil, &state);
  if (state != 0) {
    rb_set_errinfo(Qnil);
    CurrentQueue().SpawnFailed();
    return false;
  }
  return true;
}

void StopAndRelease() {
  for (Request* r : CurrentQueue().Stop()) {
    r->CompleteAndRelease(MakeOutcome(HANDOFF_STOPPED, "", "handoff: the bridge stopped"));
  }
}

VALUE LiveWorkers() {
  PruneDead(Qnil);
  return rb_ary_dup(g_worker_threads);
}

void ForgetWorkers() { rb_ary_clear(g_worker_threads); }

void InitWorkerPool() {
  g_worker_threads = rb_ary_new();
  rb_gc_register_address(&g_worker_threads);
}

}  // namespace handoff
