/*
 * gvl_probe.c — a shared object whose Ruby C API imports the GVL check
 * (harness/src/gvl/gvl_check.h) interposes on, for gvl_check_test.cc:
 *   - calls that must arrive with every argument intact through the stubs
 *     (variadic calls with integer, pointer and double arguments, some on the
 *     stack; a double argument; %al of a variadic call);
 *   - a call to make from a thread without the GVL;
 *   - whether its slots point at stubs at all.
 * Exported names carry the gvl_probe_ prefix.
 */
#include <dlfcn.h>
#include <ruby.h>
#include <stdio.h>
#include <string.h>

#define GVL_PROBE_EXPORT __attribute__((visibility("default")))

/* 0 when every call through the stubs returned what it should, else a
 * message in error[size]. REQUIRES: GVL held. */
GVL_PROBE_EXPORT int gvl_probe_abi(char *error, size_t size) {
  /* Variadic, %al = 8 (doubles in xmm0-7) and one more double on the stack. */
  VALUE text = rb_sprintf("%d|%.2f|%s|%ld|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f", 7, 1.25, "x",
                          123456789012L, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.5);
  const char *want = "7|1.25|x|123456789012|2.0|3.0|4.0|5.0|6.0|7.0|8.0|9.5";
  if (RSTRING_LEN(text) != (long)strlen(want) || memcmp(RSTRING_PTR(text), want, strlen(want)) != 0) {
    snprintf(error, size, "rb_sprintf gave '%.*s', want '%s'", (int)RSTRING_LEN(text),
             RSTRING_PTR(text), want);
    return -1;
  }
  /* rb_funcall itself (not the header's rb_funcallv macro): 9 arguments, 3 on the stack. */
  VALUE formatted = (rb_funcall)(rb_mKernel, rb_intern("format"), 6, rb_str_new_cstr("%d-%d-%d-%d-%s"),
                                 INT2FIX(1), INT2FIX(2), INT2FIX(3), INT2FIX(4), rb_str_new_cstr("five"));
  if (strcmp(StringValueCStr(formatted), "1-2-3-4-five") != 0) {
    snprintf(error, size, "rb_funcall gave '%s'", StringValueCStr(formatted));
    return -1;
  }
  /* A double argument in %xmm0 alone. */
  double back = rb_num2dbl(rb_dbl2big(1e20));
  if (back != 1e20) {
    snprintf(error, size, "rb_dbl2big(1e20) came back as %g", back);
    return -1;
  }
  return 0;
}

/* Whether this object's slot for rb_sprintf points at a stub (a GLOB_DAT
 * slot: the address taken here) rather than at libruby's function. */
GVL_PROBE_EXPORT int gvl_probe_interposed(void) {
  VALUE (*volatile taken)(const char *, ...) = &rb_sprintf;
  return (void *)taken != dlsym(RTLD_DEFAULT, "rb_sprintf");
}

/* A Ruby call: legal only with the GVL. Not a tail call (the report must
 * find this function's frame) and not folded into rb_str_new_static. */
GVL_PROBE_EXPORT void *gvl_probe_make_string(void *unused) {
  (void)unused;
  static char text[] = "made";
  volatile long length = 4;
  VALUE made = rb_str_new(text, length);
  RB_GC_GUARD(made);
  return (void *)made;
}

/* Legal on any thread (the allowed list). */
GVL_PROBE_EXPORT int gvl_probe_classify(void) { return ruby_native_thread_p(); }

/* For gvl_check_bench: `count` calls of a cheap Ruby C API function
 * (rb_obj_class) and of a typical one (rb_str_new of 8 bytes) through this
 * object's imports. Returns something so the calls are not dropped.
 * REQUIRES: GVL held. */
GVL_PROBE_EXPORT unsigned long gvl_probe_loop_obj_class(unsigned long count, VALUE object) {
  unsigned long sum = 0;
  for (unsigned long i = 0; i < count; ++i) sum += (unsigned long)rb_obj_class(object);
  return sum;
}

GVL_PROBE_EXPORT unsigned long gvl_probe_loop_str_new(unsigned long count) {
  static char text[] = "payload!";
  unsigned long sum = 0;
  for (unsigned long i = 0; i < count; ++i) sum += (unsigned long)rb_str_new(text, 8);
  return sum;
}
