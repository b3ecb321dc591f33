// ThreadSanitizer builds only: tells TSan what GLib's mutexes order.
//
// GLib's GMutex / GCond block with raw futex syscalls on Linux: TSan's
// interceptors never see them, so every reply ruby-glib2's per-call Ruby
// thread hands back to the waiting caller through its done mutex and
// condition variable was reported as a data race (measured: the caller
// reading the reply block against its malloc on the per-call thread). These
// wrappers, exported by the target, which joins the global symbol scope
// before `require "glib2"` in TSan builds, stand between glib2.so and libglib:
// each calls the real function (dlsym(RTLD_NEXT)) and adds the acquire /
// release a mutex means. No behaviour changes and nothing is suppressed: a
// handoff ruby-glib2 makes without those mutexes is still reported.
#include <dlfcn.h>

#include "handoff/target.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {

template <typename T>
T Real(const char* name) {
  return reinterpret_cast<T>(dlsym(RTLD_NEXT, name));
}

}  // namespace

// GMutex and GCond stay opaque here: glib-object.h declares these functions.
extern "C" HANDOFF_TARGET_EXPORT void g_mutex_lock(void* mutex) {
  static auto real = Real<void (*)(void*)>("g_mutex_lock");
  real(mutex);
  __tsan_acquire(mutex);
}

extern "C" HANDOFF_TARGET_EXPORT void g_mutex_unlock(void* mutex) {
  static auto real = Real<void (*)(void*)>("g_mutex_unlock");
  __tsan_release(mutex);
  real(mutex);
}

extern "C" HANDOFF_TARGET_EXPORT void g_cond_wait(void* cond, void* mutex) {
  static auto real = Real<void (*)(void*, void*)>("g_cond_wait");
  __tsan_release(mutex);
  real(cond, mutex);
  __tsan_acquire(mutex);
}
