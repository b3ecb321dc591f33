// The `glib2` target: ruby-gnome's ruby-glib2 3.4 (Debian ruby-glib2), a real
// third-party bridge: the path every GObject signal emission on a non-Ruby
// thread takes, driven without GTK or a main loop.
//
// The path. A Ruby block becomes a GClosure (g_rclosure_new, what
// `signal_connect` does under the hood); a C library that invokes it
// (g_closure_invoke, as g_signal_emit does) on a thread Ruby did not create
// goes rclosure_marshal -> rbgutil_invoke_callback, which pushes a request
// that lives on the caller's stack onto a GAsyncQueue (FIFO), writes "R" to a
// pipe and waits once on a condition variable (no predicate loop). The
// callback dispatch thread (a Ruby thread, rbgutil_start_callback_dispatch_thread)
// reads the pipe, pops the request holding the GVL and starts a new Ruby
// thread per call, which runs the block under rb_protect and signals
// (glib2/ext/glib2/rbgutil_callback.c, rbgobj_closure.c). An exception goes
// to GLib.exit_application, which calls `exit` in that per-call thread.
//
// How the payload crosses: the closure takes two G_TYPE_UINT64 values, the
// payload's address and size (any size, 0 included, any bytes), and returns a
// G_TYPE_UINT64: the address of a malloc'd block [u64 size | bytes] holding
// the reply, which `invoke` copies out and frees. The block reads and writes
// those with two small helpers of this target (HandoffGlib2Target.payload /
// .reply), the marshalling a binding of a pointer-carrying signal would do;
// GLib::Bytes is avoided because g_bytes_new_static would point into a Ruby
// String that GC.compact may move. The block itself is what a ruby-glib2 user
// writes: no rescue.
//
// What it cannot model: a real signal's GType checks and emission hooks (only
// the closure is invoked); a raising block never comes back (exit_application
// unwinds the per-call thread before it signals: a `deadlock`, not `raised`).
// ruby-glib2's stop (rbgutil_stop_callback_dispatch_thread) is never called:
// it pushes NULL, which g_async_queue_push refuses, but still writes "R", and
// the dispatcher then blocks in g_async_queue_pop holding the GVL, freezing
// the VM; so stop is a no-op here. kill_event_thread kills the callback
// dispatch thread (the GLib module's hidden ivar `callback_dispatch_thread`).
// No deadlines, no postfork hook (after_fork_child NULL).
#include <dlfcn.h>
#include <glib-object.h>
#include <ruby.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "handoff/target.h"
#include "../common/calls_in_flight.h"
#include "../common/ruby_setup.h"
#include "../common/address_marshalling.h"

HANDOFF_SYNC_HOOK_DEFINITION;

namespace {

// ruby-glib2's exported C API (rbgobject.h, rbgutil.h; not shipped by Debian).
using G2RFunc = VALUE (*)(guint, const GValue*);
using RClosureNew = GClosure* (*)(VALUE, VALUE, G2RFunc);
using RClosureAttach = void (*)(GClosure*, VALUE);
using StartDispatch = void (*)(void);

GClosure* g_closure = nullptr;  // set in start, read-only after
handoff_targets::CallsInFlight g_calls;

constexpr char kSetup[] = R"RUBY(
require "glib2"
module HandoffGlib2Target
  HANDLER = $handoff_target_handler
  # What a ruby-glib2 user writes for a signal carrying (pointer, size):
  # no rescue (ruby-glib2 reports an exception by exiting).
  BLOCK = proc do |address, size|
    HandoffGlib2Target.reply(HANDLER.call(HandoffGlib2Target.payload(address, size)))
  end
end
HandoffGlib2Target::BLOCK
)RUBY";

// HandoffGlib2Target.reply(string) -> address of a malloc'd [u64 size | bytes].
VALUE ReplyBlock(VALUE, VALUE reply) {
  StringValue(reply);
  char* block =
      handoff_targets::NewSizedReply(RSTRING_PTR(reply), static_cast<uint64_t>(RSTRING_LEN(reply)));
  return rb_ull2inum(reinterpret_cast<uintptr_t>(block));
}

template <typename T>
bool Lookup(const char* name, T* out, char* error, size_t size) {
  *out = reinterpret_cast<T>(dlsym(RTLD_DEFAULT, name));
  if (*out == nullptr) {
    std::snprintf(error, size, "ruby-glib2's %s not found after require \"glib2\"", name);
    return false;
  }
  return true;
}

#ifdef HANDOFF_GLIB2_TSAN_SYNC
// TSan builds: this library's GMutex wrappers (tsan_glib_sync.cc) must be
// found before libglib's when glib2.so binds them, so it joins the global
// symbol scope before `require "glib2"` (the harness loads targets RTLD_LOCAL).
bool JoinGlobalScope(char* error, size_t size) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&JoinGlobalScope), &info) == 0 || info.dli_fname == nullptr ||
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == nullptr) {
    std::snprintf(error, size, "cannot make the glib2 target's library global: %s", dlerror());
    return false;
  }
  return true;
}
#else
bool JoinGlobalScope(char*, size_t) { return true; }
#endif

int Start(const handoff_target_host* host, uintptr_t handler, char* error, size_t size) {
  handoff_sync_hook = host->sync_point;
  if (!JoinGlobalScope(error, size)) return -1;
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  VALUE block = Qnil;
  if (!handoff_targets::EvalSetup(kSetup, "ruby-glib2 (is Debian's ruby-glib2 installed?)",
                                  &block, error, size)) {
    return -1;
  }
  VALUE module = rb_const_get(rb_cObject, rb_intern("HandoffGlib2Target"));
  rb_define_module_function(module, "payload", RUBY_METHOD_FUNC(handoff_targets::PayloadAt), 2);
  rb_define_module_function(module, "reply", RUBY_METHOD_FUNC(ReplyBlock), 1);
  RClosureNew rclosure_new;
  RClosureAttach rclosure_attach;
  StartDispatch start_dispatch;
  if (!Lookup("g_rclosure_new", &rclosure_new, error, size) ||
      !Lookup("g_rclosure_attach", &rclosure_attach, error, size) ||
      !Lookup("rbgutil_start_callback_dispatch_thread", &start_dispatch, error, size)) {
    return -1;
  }
  // As signal_connect does: the closure's Ruby holder is kept by an object
  // (here the module), the GClosure by a sunk reference.
  g_closure = rclosure_new(block, Qnil, nullptr);
  rclosure_attach(g_closure, module);
  g_closure_ref(g_closure);
  g_closure_sink(g_closure);
  start_dispatch();
  return 0;
}

void Invoke(const char* payload, size_t size, int64_t, handoff_target_reply* reply) {
  GValue params[2] = {G_VALUE_INIT, G_VALUE_INIT};
  g_value_init(&params[0], G_TYPE_UINT64);
  g_value_set_uint64(&params[0], reinterpret_cast<uintptr_t>(payload));
  g_value_init(&params[1], G_TYPE_UINT64);
  g_value_set_uint64(&params[1], size);
  GValue result = G_VALUE_INIT;
  g_value_init(&result, G_TYPE_UINT64);
  g_calls.Started();
  HANDOFF_SYNC_POINT("glib2.invoke");
  g_closure_invoke(g_closure, &result, 2, params, nullptr);
  HANDOFF_SYNC_POINT("glib2.returned");
  g_calls.Completed();
  auto* block = reinterpret_cast<char*>(static_cast<uintptr_t>(g_value_get_uint64(&result)));
  if (block == nullptr) {
    // The closure returned without running the block to its end (its caller
    // woke without a reply).
    handoff_targets::NoReply("g_closure_invoke returned no reply", reply);
    return;
  }
  handoff_targets::TakeSizedReply(block, reply);
}

// Never rbgutil_stop_callback_dispatch_thread(): it freezes the VM (above).
void Stop() {}

void KillEventThread() {
  VALUE glib = rb_const_get(rb_cObject, rb_intern("GLib"));
  VALUE thread = rb_ivar_get(glib, rb_intern("callback_dispatch_thread"));
  if (!NIL_P(thread)) rb_funcall(thread, rb_intern("kill"), 0);
}

void Describe(char* buffer, size_t size) {
  g_calls.Describe(buffer, size, "g_closure_invoke calls", "returned", "waiting");
}

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_SYNC_POINTS_FLAG,
    "glib2",
    "ruby-glib2 3.4 (Debian ruby-glib2): a GClosure (g_rclosure_new) invoked from foreign "
    "threads through rbgutil_invoke_callback",
    Start,
    Invoke,
    Stop,
    KillEventThread,
    nullptr,
    Describe,    nullptr, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    nullptr,
    nullptr,
    0,
    0,
};

}  // namespace

extern "C" HANDOFF_TARGET_EXPORT const handoff_target* handoff_target_entry(void) {
  return &kTarget;
}
