// unwound_by_ruby.h — HANDOFF_UNWOUND_BY_RUBY, for every function of ours that
// may be on the stack when Ruby raises (inside rb_protect).
//
// Ruby raises with its own longjmp (RUBY_SETJMP is __builtin_setjmp), which no
// sanitizer sees, so a frame it unwinds is never cleaned up: under TSan every
// exception leaks one shadow-stack entry, under ASan the frame's stack
// redzones stay poisoned and a later, innocent frame at that address is
// reported as a stack-buffer-overflow. Such functions are left
// uninstrumented, and should call only out-of-line functions.
#ifndef HANDOFF_SRC_UNWOUND_BY_RUBY_H
#define HANDOFF_SRC_UNWOUND_BY_RUBY_H

#if defined(__clang__)
// clang's no_sanitize("thread") still emits TSan function entry/exit.
#define HANDOFF_UNWOUND_BY_RUBY __attribute__((disable_sanitizer_instrumentation))
#elif defined(__GNUC__)
#define HANDOFF_UNWOUND_BY_RUBY \
  __attribute__((no_sanitize_thread, no_sanitize_address, no_sanitize_undefined))
#else
#define HANDOFF_UNWOUND_BY_RUBY
#endif

#endif
