// extension.cc — Init_handoff: the module, its native lifecycle methods, and
// the order in which each part is initialised. The Ruby-level API
// (Handoff.start, Handoff.stop, ...) is in lib/handoff.rb, on top of these.
#include <ruby.h>

#include "callback_object.h"
#include "post_thread.h"
#include "request_queue.h"
#include "worker_pool.h"

namespace handoff {
namespace {

// Handoff::Native.start(max_workers, post_queue, post_policy) -> true, or
// false when already running. post_policy: 0 block, 1 drop_newest,
// 2 drop_oldest, 3 fail (lib/handoff.rb names them).
VALUE NativeStart(VALUE, VALUE max_workers, VALUE post_queue, VALUE post_policy) {
  int max = NUM2INT(max_workers);
  long capacity = NUM2LONG(post_queue);
  int policy = NUM2INT(post_policy);
  if (max < 1) rb_raise(rb_eArgError, "handoff: max_workers must be at least 1 (got %d)", max);
  if (capacity < 1) rb_raise(rb_eArgError, "handoff: post_queue must be at least 1 (got %ld)", capacity);
  if (policy < 0 || policy > 3) rb_raise(rb_eArgError, "handoff: unknown post policy %d", policy);
  if (!CurrentQueue().Start(max)) return Qfalse;
  bool post_thread_wanted =
      CurrentQueue().posts().Start(static_cast<size_t>(capacity), static_cast<PostQueue::Policy>(policy));
  if (!SpawnWorker() || (post_thread_wanted && !SpawnPostThread())) {
    StopAndRelease();
    rb_raise(rb_eThreadError, "handoff: could not start a worker thread");
  }
  return Qtrue;
}

// Handoff::Native.stats -> Hash of the post counters (bridge.h handoff_stats).
VALUE NativeStats(VALUE) {
  handoff_stats s = CurrentQueue().posts().Stats();
  VALUE hash = rb_hash_new();
  auto put = [hash](const char* key, uint64_t value) {
    rb_hash_aset(hash, ID2SYM(rb_intern(key)), ULL2NUM(value));
  };
  put("posted", s.posted);
  put("run", s.run);
  put("failed", s.failed);
  put("dropped", s.dropped);
  put("dropped_oldest", s.dropped_oldest);
  put("dropped_stopped", s.dropped_stopped);
  put("refused", s.refused);
  put("queued", s.queued);
  return hash;
}

// Handoff::Native.stop -> nil. Queued requests complete with HANDOFF_STOPPED;
// workers finish the request in hand and exit (lib/handoff.rb joins them).
VALUE NativeStop(VALUE) {
  StopAndRelease();
  return Qnil;
}

VALUE NativeRunning(VALUE) { return CurrentQueue().running() ? Qtrue : Qfalse; }
VALUE NativeQueued(VALUE) { return SIZET2NUM(CurrentQueue().queued()); }
VALUE NativeWorkers(VALUE) { return LiveThreads(ThreadRole::kWorker); }
VALUE NativePostThreads(VALUE) { return LiveThreads(ThreadRole::kPoster); }
VALUE NativeWorkerCount(VALUE) { return INT2NUM(CurrentQueue().workers()); }
VALUE NativeMaxWorkers(VALUE) { return INT2NUM(CurrentQueue().max_workers()); }
VALUE NativeForgetWorkers(VALUE) {
  ForgetWorkers();
  return Qnil;
}

}  // namespace
}  // namespace handoff

extern "C" __attribute__((visibility("default"))) void Init_handoff(void) {
  using namespace handoff;
  CurrentQueue();  // created (and its fork handlers installed) before any thread calls in
  VALUE module = rb_define_module("Handoff");
  VALUE native = rb_define_module_under(module, "Native");
  rb_define_module_function(native, "start", RUBY_METHOD_FUNC(NativeStart), 3);
  rb_define_module_function(native, "stats", RUBY_METHOD_FUNC(NativeStats), 0);
  rb_define_module_function(native, "stop", RUBY_METHOD_FUNC(NativeStop), 0);
  rb_define_module_function(native, "running?", RUBY_METHOD_FUNC(NativeRunning), 0);
  rb_define_module_function(native, "queued", RUBY_METHOD_FUNC(NativeQueued), 0);
  rb_define_module_function(native, "workers", RUBY_METHOD_FUNC(NativeWorkers), 0);
  rb_define_module_function(native, "post_threads", RUBY_METHOD_FUNC(NativePostThreads), 0);
  rb_define_module_function(native, "worker_count", RUBY_METHOD_FUNC(NativeWorkerCount), 0);
  rb_define_module_function(native, "max_workers", RUBY_METHOD_FUNC(NativeMaxWorkers), 0);
  rb_define_module_function(native, "forget_workers", RUBY_METHOD_FUNC(NativeForgetWorkers), 0);
  InitWorkerPool();
  InitCallbackClass(module);
}
