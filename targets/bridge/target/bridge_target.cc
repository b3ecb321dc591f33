// The `bridge` target: the handoff extension (targets/bridge) behind the
// harness's target.h, exactly as a user's Ruby program would use it:
// Handoff::Callback.new(&handler), Handoff.start, handoff_invoke from C.
// The extension's objects are linked into this library, so it is the same
// code as handoff.so, loaded by the harness's embedded Ruby.
#include <ruby.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "handoff/bridge.h"
#include "handoff/target.h"
#include "sync_points.h"

extern "C" void Init_handoff(void);

namespace {

handoff_callback* g_handle = nullptr;

VALUE EvalThunk(VALUE code) { return rb_eval_string(StringValueCStr(code)); }

// Evaluates Ruby; false with the exception's message in error[size].
bool Eval(const char* code, VALUE* result, char* error, size_t size) {
  int state = 0;
  VALUE value = rb_protect(EvalThunk, rb_str_new_cstr(code), &state);
  if (state != 0) {
    VALUE exception = rb_errinfo();
    rb_set_errinfo(Qnil);
    VALUE text = NIL_P(exception) ? rb_str_new_cstr("non-local exit")
                                  : rb_funcall(exception, rb_intern("message"), 0);
    snprintf(error, size, "%s: %s", code, StringValueCStr(text));
    return false;
  }
  if (result != nullptr) *result = value;
  return true;
}

int Start(const handoff_target_host* host, uintptr_t handler, char* error, size_t size) {
#ifdef HANDOFF_SYNC_POINTS
  handoff::g_bridge_sync_hook = host->sync_point;
#else
  (void)host;
#endif
  Init_handoff();
  rb_provide("handoff/handoff.so");
  rb_ary_push(rb_gv_get("$LOAD_PATH"), rb_str_new_cstr(HANDOFF_BRIDGE_LIB_DIR));
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  VALUE handle = Qnil;
  if (!Eval("require 'handoff'", nullptr, error, size) ||
      // Raised handlers are reported to Ruby (and counted) rather than warned about.
      !Eval("$handoff_target_errors = 0; Handoff.on_error { $handoff_target_errors += 1 }", nullptr,
            error, size) ||
      !Eval("$handoff_target_callback = Handoff::Callback.new(&$handoff_target_handler)", nullptr,
            error, size) ||
      !Eval("Handoff.start; $handoff_target_callback.handle", &handle, error, size)) {
    return -1;
  }
  g_handle = reinterpret_cast<handoff_callback*>(NUM2ULL(handle));
  return 0;
}

char* CopyOf(const char* data, size_t size) {
  char* copy = static_cast<char*>(std::malloc(size + 1));
  if (size > 0) std::memcpy(copy, data, size);
  copy[size] = '\0';
  return copy;
}

void Invoke(const char* payload, size_t size, int64_t timeout_ns, handoff_target_reply* out) {
  handoff_value arg = handoff_bytes(payload, size);
  handoff_reply reply;
  handoff_status status = handoff_invoke(g_handle, &arg, 1, timeout_ns, &reply);
  out->status = static_cast<handoff_target_status>(status);
  out->data = nullptr;
  out->size = 0;
  if (status == HANDOFF_OK && reply.value.type == HANDOFF_BYTES) {
    // Both hand over malloc'd buffers: the reply's becomes the harness's.
    out->data = const_cast<char*>(reply.value.as.bytes.data);
    out->size = reply.value.as.bytes.size;
    reply.value = handoff_nil();
  } else if (status == HANDOFF_OK) {
    out->status = HANDOFF_TARGET_INVALID;  // the handler always returns a String
  } else if (status == HANDOFF_RAISED) {
    // "Class: message", the whole message (it may hold NUL bytes).
    std::string text = std::string(reply.error_class != nullptr ? reply.error_class : "") + ": " +
                       std::string(reply.error_message != nullptr ? reply.error_message : "",
                                   reply.error_message_size);
    out->size = text.size();
    out->data = CopyOf(text.data(), text.size());
  } else if (reply.error_message != nullptr) {
    out->size = reply.error_message_size;
    out->data = CopyOf(reply.error_message, out->size);
  }
  handoff_reply_free(&reply);
}

void Stop() {
  char error[256];
  Eval("Handoff.stop(timeout: 10)", nullptr, error, sizeof(error));
}

handoff_target_status Post(const char* payload, size_t size) {
  handoff_value arg = handoff_bytes(payload, size);
  return static_cast<handoff_target_status>(handoff_post(g_handle, &arg, 1));
}

int Flush(int64_t timeout_ns) {
  char code[96], error[256];
  snprintf(code, sizeof(code), "Handoff.flush(timeout: %.6f)", static_cast<double>(timeout_ns) / 1e9);
  VALUE flushed = Qfalse;
  return Eval(code, &flushed, error, sizeof(error)) && RTEST(flushed) ? 0 : -1;
}

void PostStats(handoff_target_post_stats* out) {
  handoff_stats s;
  handoff_get_stats(g_handle, &s);
  *out = {s.posted, s.run, s.failed, s.dropped, s.refused};
}

void KillEventThread() {
  char error[256];
  Eval("Handoff.workers.first&.kill", nullptr, error, sizeof(error));
}

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_TARGET_HAS_DEADLINES | HANDOFF_TARGET_HAS_POSTS | HANDOFF_SYNC_POINTS_FLAG,
    "bridge",
    "the handoff extension (targets/bridge): a FIFO queue served by a pool of Ruby workers",
    Start,
    Invoke,
    Stop,
    KillEventThread,
    nullptr,  // after fork the extension restarts itself (Handoff.start's restart_after_fork)
    nullptr,
    Post,
    Flush,
    PostStats,
    HANDOFF_TARGET_POST_BLOCK,
    8192,  // Handoff::DEFAULT_POST_QUEUE: Handoff.start's default
};

}  // namespace

extern "C" HANDOFF_TARGET_EXPORT const handoff_target* handoff_target_entry(void) {
  return &kTarget;
}
