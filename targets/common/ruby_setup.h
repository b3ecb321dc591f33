// ruby_setup.h — for the third-party adapters (ffi, fiddle, glib2, glib2_log, grpc):
// evaluates a target's Ruby setup code the way each start() needs it.
//
// REQUIRES: GVL held (start runs with it).
// Returns true with the code's value in *result; false after writing
// "cannot set up <what>: <exception message>" (or "non-local exit") into
// error[size], leaving no pending exception behind.
#pragma once

#include <ruby.h>

#include <cstddef>
#include <cstdio>

namespace handoff_targets {

inline bool EvalSetup(const char* code, const char* what, VALUE* result, char* error,
                      size_t size) {
  int state = 0;
  VALUE value = rb_protect(
      [](VALUE text) { return rb_eval_string(reinterpret_cast<const char*>(text)); },
      reinterpret_cast<VALUE>(code), &state);
  if (state == 0) {
    *result = value;
    return true;
  }
  VALUE exception = rb_errinfo();
  rb_set_errinfo(Qnil);
  VALUE text = NIL_P(exception) ? rb_str_new_cstr("non-local exit")
                                : rb_funcall(exception, rb_intern("message"), 0);
  std::snprintf(error, size, "cannot set up %s: %s", what, StringValueCStr(text));
  return false;
}

}  // namespace handoff_targets
