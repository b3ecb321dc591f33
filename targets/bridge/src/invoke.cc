#include "invoke.h"

#include <ruby.h>
#include <ruby/thread.h>

#include "block_call.h"
#include "callback_handle.h"
#include "request_queue.h"

// Exported by libruby (1.9 to 3.4) but declared only in its internal headers;
// Ruby's own fiddle and the ffi gem call it the same way. Without it a Ruby
// thread that holds the GVL cannot be told from one that released it.
extern "C" int ruby_thread_has_gvl_p(void);

namespace handoff {
namespace {

enum class CallerKind { kRubyWithGvl, kRubyWithoutGvl, kForeign };

CallerKind ClassifyCaller() {
  if (!ruby_native_thread_p()) return CallerKind::kForeign;
  return ruby_thread_has_gvl_p() ? CallerKind::kRubyWithGvl : CallerKind::kRubyWithoutGvl;
}

Outcome RunOnForeignThread(CallbackHandle* handle, std::vector<OwnedValue> args,
                           int64_t timeout_ns) {
  auto* request = new Request(handle, std::move(args));
  handoff_status admitted = CurrentQueue().Push(request);
  if (admitted != HANDOFF_OK) {
    const char* why = admitted == HANDOFF_FORKED
                          ? "handoff: this forked child has not restarted the bridge (Handoff.start)"
                          : "handoff: the bridge is not running (Handoff.start)";
    request->CompleteAndRelease(MakeOutcome(admitted, "", why));
  }
  return request->WaitAndRelease(timeout_ns);
}

// Everything but the final jump: *jump_state is set when a kill or exit must
// continue on this (GVL-holding) thread.
handoff_status InvokeAndCatch(handoff_callback* cb, const handoff_value* args, size_t nargs,
                              int64_t timeout_ns, handoff_reply* reply, int* jump_state) {
  CallbackHandle* handle = CallbackHandle::From(cb);
  if (handle->disposed.load(std::memory_order_acquire)) {
    return FillReply(MakeOutcome(HANDOFF_INVALID, "", "handoff: the callback was disposed"), reply);
  }
  if (args == nullptr && nargs != 0) {
    return FillReply(MakeOutcome(HANDOFF_INVALID, "", "handoff: args is NULL but nargs > 0"), reply);
  }
  std::vector<OwnedValue> copied;
  std::string error;
  if (!CopyArgs(args, nargs, &copied, &error)) {
    return FillReply(MakeOutcome(HANDOFF_INVALID, "", "handoff: " + error), reply);
  }

  switch (ClassifyCaller()) {
    case CallerKind::kForeign:
      return FillReply(RunOnForeignThread(handle, std::move(copied), timeout_ns), reply);
    case CallerKind::kRubyWithoutGvl:
      // Queued like a foreign thread's call, not run here through
      // rb_thread_call_with_gvl: a Thread#kill of this thread that landed
      // in the block would be caught there, could not jump on across
      // rb_thread_call_with_gvl, and Ruby never delivers a caught kill
      // again (nor any later one): the thread could never be killed. Queued,
      // an interrupt of this thread waits until the call is back in Ruby.
      return FillReply(RunOnForeignThread(handle, std::move(copied), timeout_ns), reply);
    case CallerKind::kRubyWithGvl: {
      handoff_status admitted = CurrentQueue().Admission();
      if (admitted != HANDOFF_OK) return FillReply(MakeOutcome(admitted), reply);
      return FillReply(CallBlock(handle, copied, BlockThread::kCallersOwn, jump_state), reply);
    }
  }
  return FillReply(MakeOutcome(HANDOFF_INVALID, "", "handoff: unreachable"), reply);
}

}  // namespace

// No C++ object with a destructor lives in this frame: rb_jump_tag leaves it.
handoff_status Invoke(handoff_callback* cb, const handoff_value* args, size_t nargs,
                      int64_t timeout_ns, handoff_reply* reply) {
  int jump_state = 0;
  handoff_status status = InvokeAndCatch(cb, args, nargs, timeout_ns, reply, &jump_state);
  if (jump_state != 0) {
    handoff_reply_free(reply);
    rb_jump_tag(jump_state);  // a kill or exit keeps going: Ruby semantics
  }
  return status;
}

}  // namespace handoff
