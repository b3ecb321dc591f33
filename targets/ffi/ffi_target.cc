// The `ffi` target: Ruby FFI (Debian's ruby-ffi 1.15), a real third-party
// bridge. A Ruby block becomes a C function pointer with FFI::Function; the
// harness's foreign threads call that pointer as a C library would. FFI runs
// each foreign-thread call on its async callback dispatcher, which starts a
// new Ruby thread per call (latency).
//
// The C signature: int fn(const char *payload, size_t size,
//                         char **reply, size_t *reply_size)
// returns 1 with a malloc'd reply. When the block raises, FFI returns 0 and
// the exception goes nowhere: the target can only report "ok, no reply",
// which the harness's checker calls swallowed_exception (a finding about
// FFI, not a harness error). FFI has no deadlines and no stop.
#include <ruby.h>

#include <cstdio>
#include <cstdlib>

#include "handoff/target.h"
#include "../common/ruby_setup.h"

namespace {

using ReplyFunction = int (*)(const char*, size_t, char**, size_t*);
ReplyFunction g_function = nullptr;

constexpr char kSetup[] = R"RUBY(
require "ffi"
module HandoffFfiTarget
  # The reply buffer comes from this library's malloc (the harness frees it);
  # libc's malloc looked up by FFI would bypass a sanitizer's allocator.
  ALLOCATE = FFI::Function.new(:pointer, [:size_t], FFI::Pointer.new($handoff_target_allocate))
  FUNCTION = FFI::Function.new(:int, [:pointer, :size_t, :pointer, :pointer]) do |payload, size, reply, reply_size|
    bytes = $handoff_target_handler.call(payload.read_bytes(size))
    buffer = ALLOCATE.call(bytes.bytesize + 1)
    buffer.put_bytes(0, bytes)
    reply.write_pointer(buffer)
    reply_size.write(:size_t, bytes.bytesize)
    1
  end
end
HandoffFfiTarget::FUNCTION.address
)RUBY";

void* AllocateReply(size_t size) { return std::malloc(size); }

int Start(const handoff_target_host*, uintptr_t handler, char* error, size_t size) {
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  rb_gv_set("$handoff_target_allocate", ULL2NUM(reinterpret_cast<uintptr_t>(&AllocateReply)));
  VALUE address = Qnil;
  if (!handoff_targets::EvalSetup(kSetup, "Ruby FFI (is Debian's ruby-ffi installed?)",
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

void Stop() {}  // FFI has no stop: its dispatcher lives as long as Ruby

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    0,
    "ffi",
    "Ruby FFI 1.15 (Debian ruby-ffi): FFI::Function called from foreign threads",
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
