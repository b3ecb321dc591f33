// extension.cc — Init_handoff: the module, its native lifecycle methods, and
// the order in which each part is initialised. The Ruby-level API
// (Handoff.start, Handoff.stop, ...) is in lib/handoff.rb, on top of these.
#include <ruby.h>

#include "callback_object.h"
#include "request_queue.h"
#include "worker_pool.h"

namespace handoff {
namespace {

// Handoff::Native.start(max_workers) -> true, or false when already running.
VALUE NativeStart(VALUE, VALUE max_workers) {
  int max = NUM2INT(max_workers);
  if (max < 1) rb_raise(rb_eArgError, "handoff: max_workers must be at least 1 (got %d)", max);
  if (!CurrentQueue().Start(max)) return Qfalse;
  if (!SpawnWorker()) {
    StopAndRelease();
    rb_raise(rb_eThreadError, "handoff: could not start a worker thread");
  }
  return Qtrue;
}

// Handoff::Native.stop -> nil. Queued requests complete with HANDOFF_STOPPED;
// workers finish the request in hand and exit (lib/handoff.rb joins them).
VALUE NativeStop(VALUE) {
  StopAndRelease();
  return Qnil;
}

VALUE NativeRunning(VALUE) { return CurrentQueue().running() ? Qtrue : Qfalse; }
VALUE NativeQueued(VALUE) { return SIZET2NUM(CurrentQueue().queued()); }
VALUE NativeWorkers(VALUE) { return LiveWorkers(); }
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
  rb_define_module_function(native, "start", RUBY_METHOD_FUNC(NativeStart), 1);
  rb_define_module_function(native, "stop", RUBY_METHOD_FUNC(NativeStop), 0);
  rb_define_module_function(native, "running?", RUBY_METHOD_FUNC(NativeRunning), 0);
  rb_define_module_function(native, "queued", RUBY_METHOD_FUNC(NativeQueued), 0);
  rb_define_module_function(native, "workers", RUBY_METHOD_FUNC(NativeWorkers), 0);
  rb_define_module_function(native, "worker_count", RUBY_METHOD_FUNC(NativeWorkerCount), 0);
  rb_define_module_function(native, "max_workers", RUBY_METHOD_FUNC(NativeMaxWorkers), 0);
  rb_define_module_function(native, "forget_workers", RUBY_METHOD_FUNC(NativeForgetWorkers), 0);
  InitWorkerPool();
  InitCallbackClass(module);
}
