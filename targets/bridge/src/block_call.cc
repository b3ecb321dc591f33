#include "block_call.h"

#include <ruby.h>

#include <string>

#include "ruby_convert.h"
#include "unwound_by_ruby.h"

namespace handoff {
namespace {

struct BlockCall {
  VALUE callable;
  const std::vector<OwnedValue>* args;
  OwnedValue* reply;
};

HANDOFF_UNWOUND_BY_RUBY VALUE ArgsToRuby(VALUE arg) {
  auto* call = reinterpret_cast<BlockCall*>(arg);
  VALUE argv = rb_ary_new_capa(static_cast<long>(call->args->size()));
  for (const OwnedValue& v : *call->args) rb_ary_push(argv, ToRuby(v));
  return argv;
}

HANDOFF_UNWOUND_BY_RUBY VALUE ReplyFromRuby(VALUE arg, VALUE result) {
  OwnedValue* reply = reinterpret_cast<BlockCall*>(arg)->reply;
  if (reply != nullptr) FromRuby(result, reply);  // a post's reply is dropped
  return Qnil;
}

// Everything on the stack between rb_protect and a raise is uninstrumented.
HANDOFF_UNWOUND_BY_RUBY VALUE ProtectedCall(VALUE arg) {
  VALUE callable = reinterpret_cast<BlockCall*>(arg)->callable;
  VALUE argv = ArgsToRuby(arg);
  VALUE result = rb_funcallv(callable, rb_intern("call"), static_cast<int>(RARRAY_LEN(argv)),
                             RARRAY_CONST_PTR(argv));
  return ReplyFromRuby(arg, result);
}

VALUE CallReportError(VALUE pair) {
  static ID report_error = rb_intern("report_error");
  VALUE handoff = rb_const_get(rb_cObject, rb_intern("Handoff"));
  return rb_funcall(handoff, report_error, 2, rb_ary_entry(pair, 0), rb_ary_entry(pair, 1));
}

// Whether what an rb_protect caught is a kill (its errinfo is no exception):
// never to be dropped, or the thread can never be killed again (Ruby
// ignores every later Thread#kill of a thread whose kill was caught).
bool IsKill(int state) {
  return state != 0 && !RTEST(rb_obj_is_kind_of(rb_errinfo(), rb_eException));
}

// Handoff.report_error rescues what reporting raises and holds off this
// thread's interrupts until it ends: what leaves it is such an interrupt (a
// kill, Thread#raise, a Timeout), which goes on (*jump_state).
void ReportError(VALUE exception, VALUE callback, int* jump_state) {
  int state = 0;
  rb_protect(CallReportError, rb_assoc_new(exception, callback), &state);
  if (state != 0) *jump_state = state;
}

std::string ClassNameOf(VALUE obj) {
  VALUE name = rb_class_name(rb_obj_class(obj));
  return std::string(RSTRING_PTR(name), static_cast<size_t>(RSTRING_LEN(name)));
}

// A kill that lands while #message runs goes on (*jump_state).
std::string MessageOf(VALUE exception, int* jump_state) {
  int state = 0;
  VALUE message = rb_protect([](VALUE e) { return rb_funcall(e, rb_intern("message"), 0); },
                             exception, &state);
  if (IsKill(state)) {
    *jump_state = state;
    return "(message unavailable: the thread was killed)";
  }
  if (state != 0 || !RB_TYPE_P(message, T_STRING)) {
    rb_set_errinfo(Qnil);
    return "(message unavailable)";
  }
  return std::string(RSTRING_PTR(message), static_cast<size_t>(RSTRING_LEN(message)));
}

// An exception the block raised is the callback's error, handed back, of
// any class (a library's own Exception, NoMemoryError, SystemStackError, a
// ScriptError, an uncaught throw's UncaughtThrowError...). On the calling
// Ruby thread's own stack, exit's SystemExit and signals (Interrupt) go on
// instead, as Ruby's flow control of that thread, like a kill; on a worker
// they are handed back too (let go there, Ruby would take SystemExit to the
// main thread and end the process).
bool IsCallbackError(VALUE error, BlockThread thread) {
  if (!RB_TYPE_P(error, T_OBJECT) || !RTEST(rb_obj_is_kind_of(error, rb_eException))) {
    return false;  // a kill
  }
  return thread == BlockThread::kWorker || (!RTEST(rb_obj_is_kind_of(error, rb_eSystemExit)) &&
                                            !RTEST(rb_obj_is_kind_of(error, rb_eSignal)));
}

}  // namespace

Outcome CallBlock(CallbackHandle* handle, const std::vector<OwnedValue>& args,
                  BlockThread thread, int* jump_state, Reply reply, MallocBytes reply_room) {
  *jump_state = 0;
  if (handle->disposed.load(std::memory_order_acquire)) {
    return MakeOutcome(HANDOFF_INVALID, "", "handoff: the callback was disposed");
  }
  Outcome outcome;
  outcome.value.bytes = std::move(reply_room);
  BlockCall call{handle->callable, &args, reply == Reply::kConvert ? &outcome.value : nullptr};
  int state = 0;
  rb_protect(ProtectedCall, reinterpret_cast<VALUE>(&call), &state);
  if (state == 0) {
    outcome.status = HANDOFF_OK;
    return outcome;
  }
  VALUE error = rb_errinfo();
  if (IsCallbackError(error, thread)) {
    rb_set_errinfo(Qnil);
    outcome = MakeOutcome(HANDOFF_RAISED, ClassNameOf(error), MessageOf(error, jump_state));
    if (*jump_state == 0) ReportError(error, handle->self, jump_state);
    return outcome;
  }
  // Not a callback error: a kill, exit, Interrupt or another signal. Leave
  // errinfo for the caller's rb_jump_tag.
  *jump_state = state;
  std::string cls = RB_TYPE_P(error, T_OBJECT) ? ClassNameOf(error) : "";
  return MakeOutcome(HANDOFF_STOPPED, cls,
                     "handoff: the Ruby thread running the block was interrupted "
                     "(killed, exiting or signalled)");
}

}  // namespace handoff
