// The `glib2_log` target: ruby-glib2 3.4's GLib::Log.set_handler (Debian
// ruby-glib2), a second real path from C into Ruby in the same gem as the
// `glib2` target, and the one a GLib-based library reaches from its own
// threads without anyone connecting a signal: g_log() from a worker thread
// (GStreamer's streaming threads, GIO's thread pool, GLib's own warnings)
// calls whatever handler Ruby installed for that domain.
//
// The path. `GLib::Log.set_handler(domain, levels) { |domain, level, message| }`
// registers a C handler (rbglib_messages.c) with g_log_set_handler, the block
// as its data. `invoke` calls g_log() for that domain at G_LOG_LEVEL_MESSAGE
// on the calling thread; GLib looks the handler up under its messages lock,
// lets go of it, and calls the handler on that same thread, which calls the
// block. Whether anything hands the call over to a Ruby thread is ruby-glib2's
// business: that is what this target finds out.
//
// How the payload crosses: a log message is a C string, so the message is
// "<payload address> <payload size> <reply slot address>" in decimal; the
// block reads the payload through HandoffGlibLogTarget.payload and leaves
// its reply, a malloc'd [u64 size | bytes], in the slot through
// HandoffGlibLogTarget.reply (the marshalling a binding of a log domain
// carrying binary data would do). The block is what a ruby-glib2 user
// writes: no rescue.
//
// What it cannot model: a raising block unwinds out of g_log() through
// GLib's frames (nothing in the path rescues it); no deadlines, no event
// thread to kill (there is none), no postfork hook. Stop removes the handler;
// a call after stop goes to GLib's default handler and gets no reply.
#include <glib.h>
#include <ruby.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "handoff/target.h"
#include "../common/calls_in_flight.h"
#include "../common/ruby_setup.h"
#include "../common/address_marshalling.h"

HANDOFF_SYNC_HOOK_DEFINITION;

namespace {

constexpr char kDomain[] = "HandoffGlibLogTarget";
handoff_targets::CallsInFlight g_calls;

constexpr char kSetup[] = R"RUBY(
require "glib2"
module HandoffGlibLogTarget
  HANDLER = $handoff_target_handler
  # What a ruby-glib2 user writes for a log domain (no rescue); the message
  # carries "<payload address> <size> <reply slot address>".
  ID = GLib::Log.set_handler("HandoffGlibLogTarget", GLib::Log::LEVEL_MASK) do |_domain, _level, message|
    address, size, slot = message.split(" ").map { |field| Integer(field) }
    HandoffGlibLogTarget.reply(slot, HANDLER.call(HandoffGlibLogTarget.payload(address, size)))
  end
end
HandoffGlibLogTarget::ID
)RUBY";

// HandoffGlibLogTarget.reply(slot, string): *slot = the reply as a sized block.
VALUE ReplyInto(VALUE, VALUE slot, VALUE reply) {
  StringValue(reply);
  *reinterpret_cast<char**>(static_cast<uintptr_t>(rb_num2ull(slot))) =
      handoff_targets::NewSizedReply(RSTRING_PTR(reply), static_cast<uint64_t>(RSTRING_LEN(reply)));
  return Qnil;
}

int Start(const handoff_target_host* host, uintptr_t handler, char* error, size_t size) {
  handoff_sync_hook = host->sync_point;
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  rb_eval_string("module HandoffGlibLogTarget; end");
  VALUE module = rb_const_get(rb_cObject, rb_intern("HandoffGlibLogTarget"));
  rb_define_module_function(module, "payload", RUBY_METHOD_FUNC(handoff_targets::PayloadAt), 2);
  rb_define_module_function(module, "reply", RUBY_METHOD_FUNC(ReplyInto), 2);
  VALUE id = Qnil;
  return handoff_targets::EvalSetup(kSetup, "ruby-glib2 (is Debian's ruby-glib2 installed?)", &id,
                                    error, size)
             ? 0
             : -1;
}

void Invoke(const char* payload, size_t size, int64_t, handoff_target_reply* reply) {
  char* block = nullptr;
  g_calls.Started();
  HANDOFF_SYNC_POINT("glib2_log.invoke");
  g_log(kDomain, G_LOG_LEVEL_MESSAGE, "%llu %llu %llu",
        static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(payload)),
        static_cast<unsigned long long>(size),
        static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(&block)));
  HANDOFF_SYNC_POINT("glib2_log.returned");
  g_calls.Completed();
  if (block == nullptr) {
    handoff_targets::NoReply("g_log returned and the handler left no reply", reply);
    return;
  }
  handoff_targets::TakeSizedReply(block, reply);
}

void Stop() {
  rb_eval_string("GLib::Log.remove_handler('HandoffGlibLogTarget', HandoffGlibLogTarget::ID)");
}

void Describe(char* buffer, size_t size) {
  g_calls.Describe(buffer, size, "g_log calls", "returned", "in the handler");
}

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_SYNC_POINTS_FLAG,
    "glib2_log",
    "ruby-glib2 3.4 (Debian ruby-glib2): GLib::Log.set_handler's block, reached by g_log() "
    "on the calling thread",
    Start,
    Invoke,
    Stop,
    nullptr,
    nullptr,
    Describe,    nullptr, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    nullptr,
    nullptr,
    0,
    0,
};

}  // namespace

extern "C" HANDOFF_TARGET_EXPORT const handoff_target* handoff_target_entry(void) {
  return &kTarget;
}
