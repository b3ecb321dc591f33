// ThreadSanitizer builds only: tells TSan what libgpr's mutexes order.
//
// libgpr's gpr_mu / gpr_cv are absl::Mutex / absl::CondVar, which block with
// raw futex syscalls: TSan's interceptors never see them, so every request
// ruby-grpc hands from a core thread to its event thread through its gpr_mu
// queue was reported as a data race (measured: strlen of service_url in
// rb_str_new_cstr against the foreign thread's gpr_malloc). These wrappers,
// exported by the target, which joins the global symbol scope before
// `require "grpc"`, stand between grpc_c.so and libgpr: each calls the real
// function (dlsym(RTLD_NEXT)) and adds the acquire / release a mutex means
// (__tsan_acquire after a lock or a wait, __tsan_release before an unlock or
// a wait). No behaviour changes and nothing is suppressed: what ruby-grpc
// does without those mutexes is still reported.
//
// Debian's abseil is built with its debug-only lock-order checking on: every
// absl::Mutex is a node of a global graph (GraphCycles) guarded by an
// internal spin lock, also invisible to TSan, which then reported races
// inside GraphCycles::GetId between gRPC's timer thread and ruby-grpc's
// event thread (measured, 1 run in 13). That checking is no part of the
// bridge: it is switched off when this library loads (TSan builds only).
#include <absl/synchronization/mutex.h>
#include <dlfcn.h>
#include <grpc/support/sync.h>
#include <grpc/support/time.h>

#include "handoff/target.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {

template <typename T>
T Real(const char* name) {
  return reinterpret_cast<T>(dlsym(RTLD_NEXT, name));
}

// Before any gRPC thread exists: the target's library loads before
// `require "grpc"` calls grpc_init.
const bool kLockOrderCheckingOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

}  // namespace

extern "C" HANDOFF_TARGET_EXPORT void gpr_mu_lock(gpr_mu* mu) {
  static auto real = Real<void (*)(gpr_mu*)>("gpr_mu_lock");
  real(mu);
  __tsan_acquire(mu);
}

extern "C" HANDOFF_TARGET_EXPORT void gpr_mu_unlock(gpr_mu* mu) {
  static auto real = Real<void (*)(gpr_mu*)>("gpr_mu_unlock");
  __tsan_release(mu);
  real(mu);
}

extern "C" HANDOFF_TARGET_EXPORT int gpr_cv_wait(gpr_cv* cv, gpr_mu* mu, gpr_timespec deadline) {
  static auto real = Real<int (*)(gpr_cv*, gpr_mu*, gpr_timespec)>("gpr_cv_wait");
  __tsan_release(mu);
  int timed_out = real(cv, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}
