#include "gvl/gvl_rules.h"

#include <cstring>

namespace handoff {
namespace {

constexpr char kThreadNative[] =
    "ruby/thread_native.h: a wrapper of the native (pthread) lock or condition variable, "
    "documented as callable without the GVL";

constexpr GvlAllowed kAllowed[] = {
    {"ruby_native_thread_p", GvlRule::kAnyThread,
     "the question every bridge asks first (is this a Ruby thread?); reads a thread-local"},
    {"ruby_thread_has_gvl_p", GvlRule::kAnyThread,
     "the other classification question (does this thread hold the GVL?); reads a thread-local "
     "and the thread's blocking-region marker"},
    {"ruby_snprintf", GvlRule::kAnyThread,
     "ruby/subst.h #defines snprintf to it in every file that includes ruby.h, so every "
     "snprintf of a C extension is this call (my_bridge's describe on the watchdog thread); "
     "formats the caller's arguments like snprintf. Only a PRIsVALUE conversion touches a Ruby "
     "object, through libruby's internal calls, which the check does not see"},
    {"ruby_vsnprintf", GvlRule::kAnyThread, "as ruby_snprintf (vsnprintf)"},
    {"ruby_xfree", GvlRule::kAnyThread,
     "3.1 gc.c objspace_xfree: free() and atomic updates of the malloc counters; only an "
     "allocation can start a GC. Ruby frees with it in its own without-GVL code, and Ruby FFI "
     "from a pthread key destructor on foreign threads. (ruby_xmalloc & co. stay checked: an "
     "allocation may need a GC, which needs the GVL)"},
    {"ruby_sized_xfree", GvlRule::kAnyThread, "as ruby_xfree"},
    {"rb_thread_call_with_gvl", GvlRule::kRubyThread,
     "takes the GVL: meant for a Ruby thread inside rb_thread_call_without_gvl (ruby/thread.h); "
     "from a foreign thread Ruby prints [BUG] ... non-ruby thread and exits, so that is reported"},
    {"rb_postponed_job_register", GvlRule::kRubyThread,
     "ruby/debug.h: async-signal-safe (stackprof calls it from SIGPROF on whatever Ruby thread "
     "runs); 3.1 reads the calling thread's execution context, NULL on a foreign thread"},
    {"rb_postponed_job_register_one", GvlRule::kRubyThread,
     "as rb_postponed_job_register"},
    {"rb_nativethread_self", GvlRule::kAnyThread, "ruby/thread_native.h: pthread_self()"},
    {"rb_nativethread_lock_initialize", GvlRule::kAnyThread, kThreadNative},
    {"rb_nativethread_lock_destroy", GvlRule::kAnyThread, kThreadNative},
    {"rb_nativethread_lock_lock", GvlRule::kAnyThread, kThreadNative},
    {"rb_nativethread_lock_unlock", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_mutex_lock", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_mutex_trylock", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_mutex_unlock", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_mutex_initialize", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_mutex_destroy", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_signal", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_broadcast", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_wait", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_timedwait", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_initialize", GvlRule::kAnyThread, kThreadNative},
    {"rb_native_cond_destroy", GvlRule::kAnyThread, kThreadNative},
    // Deliberately NOT here: rb_thread_call_without_gvl, rb_thread_call_without_gvl2
    // and rb_nogvl. ruby/thread.h: they check interrupts, then *release the GVL
    // the caller holds*; on a foreign thread 3.1 dereferences a NULL thread,
    // on a Ruby thread already without the GVL it releases a GVL held by
    // another thread. They are checked like any other function.
};

}  // namespace

const GvlAllowed* GvlAllowedList(size_t* count) {
  *count = sizeof(kAllowed) / sizeof(kAllowed[0]);
  return kAllowed;
}

GvlRule GvlRuleFor(const char* name) {
  for (const GvlAllowed& allowed : kAllowed) {
    if (std::strcmp(allowed.name, name) == 0) return allowed.rule;
  }
  return GvlRule::kNeedsGvl;
}

}  // namespace handoff
