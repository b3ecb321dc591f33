// The `fiddle` target: Ruby's stdlib Fiddle 1.1.0 (Ruby 3.1), a real
// third-party bridge. A Ruby block becomes a C function pointer with
// Fiddle::Closure::BlockCaller (a libffi closure); the harness's foreign
// threads call that pointer as a C library would.
//
// How the payload crosses: the C signature is
//     int fn(const char *payload, size_t size, char **reply, size_t *reply_size)
// The block reads the payload bytes with Fiddle::Pointer#to_str(size) (any
// size, 0 included, NUL and 0xFF bytes included), calls the handler, copies the
// reply into a buffer from this library's malloc (the harness frees it) and
// returns 1.
//
// What it cannot model: there is nothing between the foreign thread and Ruby.
// Fiddle's closure callback (ext/fiddle/closure.c) calls
// rb_thread_call_with_gvl whenever ruby_thread_has_gvl_p() is false, and
// from a thread Ruby did not create that prints
//   [BUG] rb_thread_call_with_gvl() is called by non-ruby thread
// and exit(1)s the process: every foreign call is a `crash` (a finding about
// Fiddle, not a harness error). A raising block longjmps over the C caller's
// frames (no rb_protect), so there is no `raised` status to report either.
// Fiddle has no dispatcher thread (kill_event_thread NULL), no stop (a
// no-op here) and no deadlines.
#include <ruby.h>

#include <cstdio>
#include <cstdlib>

#include "handoff/target.h"
#include "../common/ruby_setup.h"

namespace {

using ReplyFunction = int (*)(const char*, size_t, char**, size_t*);
ReplyFunction g_function = nullptr;

// The block is what a Fiddle user writes; no rescue: Fiddle has none either.
constexpr char kSetup[] = R"RUBY(
require "fiddle"
module HandoffFiddleTarget
  # The reply buffer comes from this library's malloc (the harness frees it).
  ALLOCATE = Fiddle::Function.new($handoff_target_allocate, [Fiddle::TYPE_SIZE_T], Fiddle::TYPE_VOIDP)
  FUNCTION = Fiddle::Closure::BlockCaller.new(
    Fiddle::TYPE_INT, [Fiddle::TYPE_VOIDP, Fiddle::TYPE_SIZE_T, Fiddle::TYPE_VOIDP, Fiddle::TYPE_VOIDP]
  ) do |payload, size, reply, reply_size|
    bytes = $handoff_target_handler.call(payload.to_str(size))
    buffer = ALLOCATE.call(bytes.bytesize + 1)
    buffer[0, bytes.bytesize] = bytes unless bytes.empty?
    reply[0, Fiddle::SIZEOF_VOIDP] = [buffer.to_i].pack("J")
    reply_size[0, Fiddle::SIZEOF_SIZE_T] = [bytes.bytesize].pack("J")
    1
  end
end
HandoffFiddleTarget::FUNCTION.to_i
)RUBY";

void* AllocateReply(size_t size) { return std::malloc(size); }

int Start(const handoff_target_host*, uintptr_t handler, char* error, size_t size) {
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  rb_gv_set("$handoff_target_allocate", ULL2NUM(reinterpret_cast<uintptr_t>(&AllocateReply)));
  VALUE address = Qnil;
  if (!handoff_targets::EvalSetup(kSetup, "Fiddle",
                                  &address, error, size)) {
    return -1;
  }
  g_function = reinterpret_cast<ReplyFunction>(NUM2ULL(address));
  return 0;
}

void Invoke(const char* payload, size_t size, int64_t, handoff_target_reply* reply) {
  char* data = nullptr;
  size_t data_size = 0;
  int replied = g_function(payload, size, &data, &data_size);
  reply->status = HANDOFF_TARGET_OK;
  reply->data = replied == 1 ? data : nullptr;
  reply->size = replied == 1 ? data_size : 0;
}

void Stop() {}  // Fiddle has no stop: a closure lives as long as its Ruby object

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    0,
    "fiddle",
    "Fiddle 1.1.0 (Ruby stdlib): Fiddle::Closure::BlockCaller called from foreign threads",
    Start,
    Invoke,
    Stop,
    nullptr,
    nullptr,
    nullptr,    nullptr, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    nullptr,
    nullptr,
    0,
    0,
};

}  // namespace

extern "C" HANDOFF_TARGET_EXPORT const handoff_target* handoff_target_entry(void) {
  return &kTarget;
}
