#include "callback_object.h"

#include <unordered_set>

#include "callback_handle.h"
#include "invoke.h"
#include "post_call.h"

namespace handoff {
namespace {

// Registered handles; GVL only. Marked through g_registry_marker.
std::unordered_set<CallbackHandle*>* g_registry = nullptr;

void MarkCallback(void* data) {
  rb_gc_mark_movable(static_cast<CallbackHandle*>(data)->callable);
}
void CompactCallback(void* data) {
  auto* h = static_cast<CallbackHandle*>(data);
  h->callable = rb_gc_location(h->callable);
}
void FreeCallback(void* data) { static_cast<CallbackHandle*>(data)->Release(); }
size_t CallbackSize(const void*) { return sizeof(CallbackHandle); }

const rb_data_type_t kCallbackType = {
    "Handoff::Callback",
    {MarkCallback, FreeCallback, CallbackSize, CompactCallback, {nullptr}},
    nullptr,
    nullptr,
    RUBY_TYPED_FREE_IMMEDIATELY,
};

void MarkRegistry(void* registry) {
  for (CallbackHandle* h : *static_cast<std::unordered_set<CallbackHandle*>*>(registry)) {
    rb_gc_mark(h->self);  // pinned
  }
}

const rb_data_type_t kRegistryType = {
    "Handoff::Registry",
    {MarkRegistry, nullptr, nullptr, nullptr, {nullptr}},
    nullptr,
    nullptr,
    0,
};

CallbackHandle* HandleOf(VALUE self) {
  return static_cast<CallbackHandle*>(rb_check_typeddata(self, &kCallbackType));
}

VALUE CallbackAllocate(VALUE klass) {
  auto* h = new CallbackHandle();
  h->abi.abi_version = HANDOFF_ABI_VERSION;
  h->abi.reserved = 0;
  h->abi.invoke = Invoke;
  h->abi.post = Post;
  h->abi.stats = Stats;
  h->disposed.store(true);  // until initialize gives it a block
  VALUE self = TypedData_Wrap_Struct(klass, &kCallbackType, h);
  h->self = self;
  return self;
}

VALUE CallbackInitialize(int argc, VALUE* argv, VALUE self) {
  VALUE callable = Qnil;
  rb_scan_args(argc, argv, "01", &callable);
  bool has_block = rb_block_given_p();
  if (has_block && argc == 1) {
    rb_raise(rb_eArgError, "handoff: give Callback.new a block or a callable, not both");
  }
  if (has_block) {
    callable = rb_block_proc();
  } else if (argc == 0) {
    rb_raise(rb_eArgError, "handoff: Callback.new needs a block or an object that responds to #call");
  } else if (!rb_respond_to(callable, rb_intern("call"))) {
    rb_raise(rb_eTypeError,
             "handoff: Callback.new needs a block or an object that responds to #call "
             "(got %" PRIsVALUE ")",
             rb_obj_class(callable));
  }
  CallbackHandle* h = HandleOf(self);
  if (g_registry->count(h) != 0) rb_raise(rb_eRuntimeError, "handoff: Callback already initialized");
  RB_OBJ_WRITE(self, &h->callable, callable);
  g_registry->insert(h);
  h->disposed.store(false, std::memory_order_release);
  return self;
}

VALUE CallbackHandleAddress(VALUE self) {
  CallbackHandle* h = HandleOf(self);
  if (h->disposed.load()) {
    rb_raise(rb_eRuntimeError, "handoff: this callback is disposed; its handle is gone");
  }
  return ULL2NUM(reinterpret_cast<uintptr_t>(&h->abi));
}

VALUE CallbackDispose(VALUE self) {
  CallbackHandle* h = HandleOf(self);
  if (g_registry->erase(h) != 0) h->disposed.store(true, std::memory_order_release);
  return Qnil;
}

VALUE CallbackDisposedP(VALUE self) { return HandleOf(self)->disposed.load() ? Qtrue : Qfalse; }

VALUE CallbackRegisteredCount(VALUE) { return SIZET2NUM(g_registry->size()); }

}  // namespace

void InitCallbackClass(VALUE module) {
  g_registry = new std::unordered_set<CallbackHandle*>();
  // The data pointer must not be NULL: Ruby does not call dmark for NULL data.
  rb_gc_register_mark_object(TypedData_Wrap_Struct(rb_cObject, &kRegistryType, g_registry));

  VALUE klass = rb_define_class_under(module, "Callback", rb_cObject);
  rb_define_alloc_func(klass, CallbackAllocate);
  rb_define_method(klass, "initialize", RUBY_METHOD_FUNC(CallbackInitialize), -1);
  rb_define_method(klass, "handle", RUBY_METHOD_FUNC(CallbackHandleAddress), 0);
  rb_define_method(klass, "dispose", RUBY_METHOD_FUNC(CallbackDispose), 0);
  rb_define_method(klass, "disposed?", RUBY_METHOD_FUNC(CallbackDisposedP), 0);
  rb_define_singleton_method(klass, "registered_count", RUBY_METHOD_FUNC(CallbackRegisteredCount), 0);
}

}  // namespace handoff
