#include "invoke.h"
#include "static_tls.h"

#include <ruby.h>
#include <ruby/thread.h>

#include <algorithm>
#include <atomic>

#include "block_call.h"
#include "callback_handle.h"
#include "futex_word.h"
#include "request_cache.h"
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

// Spins before sleeping only when the reply may come within the spin: the
// worker runs on another CPU and at most one request is ahead of this one
// (a caller deep in the queue would only take the CPU the worker and the
// callers ahead of it need), and no other caller is spinning already.
constexpr int kReplySpinRounds = 4000;  // a few tens of microseconds
std::atomic<int> g_spinning_callers{0};

int SpinRoundsFor(size_t queued_ahead) {
  if (queued_ahead > 1 || !SpinningCanPay()) return 0;
  return g_spinning_callers.load(std::memory_order_relaxed) == 0 ? kReplySpinRounds : 0;
}

Outcome Wait(Request* request, size_t queued_ahead, int64_t timeout_ns, bool* kept) {
  int spin_rounds = SpinRoundsFor(queued_ahead);
  if (spin_rounds == 0) return request->WaitAndKeep(timeout_ns, 0, kept);
  g_spinning_callers.fetch_add(1, std::memory_order_relaxed);
  Outcome outcome = request->WaitAndKeep(timeout_ns, spin_rounds, kept);
  g_spinning_callers.fetch_sub(1, std::memory_order_relaxed);
  return outcome;
}

// A String reply is copied into a buffer the calling thread made (its
// request's reply_room), as big as the biggest of its recent replies: the
// thread that frees a reply (the caller, as a rule) then made it too, and
// the memory it gives back is what its next call reuses, instead of piling
// up, freed by one thread into another's allocator.
constexpr size_t kSmallestReplyRoom = 64;
HANDOFF_STATIC_TLS thread_local size_t t_reply_room = kSmallestReplyRoom;

void PrepareReplyRoom(Request* request) {
  *request->reply_room() = MallocBytes();  // a room of an earlier call went with its reply
  request->reply_room()->Reserve(t_reply_room);
}

// The room follows the biggest recent reply: up at once, down by 1/16 a call.
void NoteReplySize(const Outcome& outcome) {
  size_t size = outcome.value.type == HANDOFF_BYTES ? outcome.value.bytes.size() : 0;
  size_t decayed = t_reply_room - t_reply_room / 16;
  t_reply_room = std::max({size, decayed, kSmallestReplyRoom});
}

// REQUIRES: ValidArgs(args, nargs). The request, its argument vector and
// buffers are this thread's from its last call (request_cache.h).
Outcome RunOnForeignThread(CallbackHandle* handle, const handoff_value* args, size_t nargs,
                           int64_t timeout_ns) {
  Request* request = TakeRequest();
  request->Begin(handle);
  CopyValidArgs(args, nargs, request->args_to_fill());
  PrepareReplyRoom(request);
  size_t queued_ahead = 0;
  handoff_status admitted = CurrentQueue().Push(request, &queued_ahead);
  if (admitted != HANDOFF_OK) {
    const char* why = admitted == HANDOFF_FORKED
                          ? "handoff: this forked child has not restarted the bridge (Handoff.start)"
                          : "handoff: the bridge is not running (Handoff.start)";
    request->CompleteAndRelease(MakeOutcome(admitted, "", why));
  }
  bool kept = false;
  Outcome outcome = Wait(request, queued_ahead, timeout_ns, &kept);
  if (kept) KeepRequest(request);
  NoteReplySize(outcome);
  return outcome;
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
  std::string error;
  if (!ValidArgs(args, nargs, &error)) {
    return FillReply(MakeOutcome(HANDOFF_INVALID, "", "handoff: " + error), reply);
  }

  switch (ClassifyCaller()) {
    case CallerKind::kForeign:
      return FillReply(RunOnForeignThread(handle, args, nargs, timeout_ns), reply);
    case CallerKind::kRubyWithoutGvl:
      // Queued like a foreign thread's call, not run here through
      // rb_thread_call_with_gvl: a Thread#kill of this thread that landed
      // in the block would be caught there, could not jump on across
      // rb_thread_call_with_gvl, and Ruby never delivers a caught kill
      // again (nor any later one): the thread could never be killed. Queued,
      // an interrupt of this thread waits until the call is back in Ruby.
      return FillReply(RunOnForeignThread(handle, args, nargs, timeout_ns), reply);
    case CallerKind::kRubyWithGvl: {
      handoff_status admitted = CurrentQueue().Admission();
      if (admitted != HANDOFF_OK) return FillReply(MakeOutcome(admitted), reply);
      std::vector<OwnedValue> copied;
      CopyValidArgs(args, nargs, &copied);
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
