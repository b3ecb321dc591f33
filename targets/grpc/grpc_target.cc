// The `grpc` target: ruby-grpc 1.51 (Debian ruby-grpc), a real third-party
// bridge, driven exactly as gRPC core's threads drive it, with no server, no
// channel, no TLS and no network.
//
// The path. A ruby-grpc user writes a credentials proc,
// `GRPC::Core::CallCredentials.new(proc { |context| metadata_hash })`;
// ruby-grpc hands core a grpc_metadata_credentials_plugin whose get_metadata
// core calls from its own threads for every call. get_metadata copies the
// request onto ruby-grpc's FIFO event queue (gpr_mu / gpr_cv) and returns
// "asynchronous"; ruby-grpc's one event thread (a Ruby thread waiting in
// rb_thread_call_without_gvl) runs the proc under rb_rescue and calls core's
// completion callback, with status UNAUTHENTICATED and the exception's
// inspect() as status details when the proc raised
// (src/ruby/ext/grpc/rb_call_credentials.c, rb_event_thread.c).
//
// How this target gets the plugin. It exports
// grpc_metadata_credentials_create_from_plugin and joins the global symbol
// scope (dlopen of itself, RTLD_NOLOAD | RTLD_GLOBAL) before `require "grpc"`,
// so ruby-grpc's CallCredentials.new reaches this function first; it keeps a
// copy of the plugin struct and forwards to libgrpc's real function
// (dlsym(RTLD_NEXT)). `invoke` then plays gRPC core: it calls
// plugin.get_metadata from the calling (foreign) thread with its own
// completion callback, and waits for that callback (mutex + condition
// variable, predicate loop), as core's call combiner would. Called on a Ruby
// thread that holds the GVL (a Ruby caller making an RPC), it waits without
// the GVL, as ruby-grpc's completion-queue pluck does; an interrupt of that
// thread goes on once core's callback has come (the request is core's).
//
// How the payload crosses: core hands the plugin a NUL-terminated
// service_url, so the payload goes in as hex there (any size, 0 included, any
// bytes); the user's proc decodes it, calls the handler and returns the reply
// as hex in the metadata value "x-handoff-reply", which the completion
// callback decodes. A raising proc comes back HANDOFF_TARGET_RAISED with the
// status details ruby-grpc hands over (the exception's inspect(), which
// carries its message).
//
// What it cannot model: core's deadlines, cancellation and retries (a call
// waits for its callback forever, so a dead event thread is a `deadlock`);
// the channel and its polling thread (never used here). ruby-grpc has no stop
// (stop is a no-op: its event thread lives until the VM exits) and 1.51 has
// no postfork hook (after_fork_child NULL). kill_event_thread kills the event
// thread, found once at start by a probe credentials proc that records
// Thread.current (the probe is this target's, not the handler).
#include <dlfcn.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <ruby.h>
#include <ruby/thread.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "handoff/target.h"
#include "../common/calls_in_flight.h"
#include "../common/ruby_setup.h"

HANDOFF_SYNC_HOOK_DEFINITION;

extern "C" int ruby_thread_has_gvl_p(void);  // exported by libruby, not declared

namespace {

using CreateFromPlugin = grpc_call_credentials* (*)(grpc_metadata_credentials_plugin,
                                                    grpc_security_level, void*);

constexpr char kReplyKey[] = "x-handoff-reply";
constexpr int kMaxPlugins = 8;

// Plugins seen by the interposer, in order (CallCredentials.new runs with the
// GVL held, so captures never race; read after `start`'s eval returns).
grpc_metadata_credentials_plugin g_plugins[kMaxPlugins];
int g_plugin_count = 0;

grpc_metadata_credentials_plugin g_handler_plugin;  // set in start, read-only after
VALUE g_event_thread = Qnil;                        // rooted in start
handoff_targets::CallsInFlight g_calls;

// One call as gRPC core holds it while the plugin works asynchronously.
struct Request {
  std::mutex mutex;
  std::condition_variable done_cond;
  bool done = false;  // guarded by mutex
  grpc_status_code status = GRPC_STATUS_OK;
  std::string details;
  bool has_reply = false;
  std::string reply;  // decoded bytes of the reply metadata value
};

// The user's block: what a ruby-grpc user writes, with no rescue.
constexpr char kSetup[] = R"RUBY(
require "grpc"
module HandoffGrpcTarget
  # This target's probe (not the handler): tells which thread runs procs.
  PROBE = proc { |_context| $handoff_grpc_event_thread = Thread.current; {} }
  PROBE_CREDENTIALS = GRPC::Core::CallCredentials.new(PROBE)
  HANDLER = $handoff_target_handler
  BLOCK = proc do |context|
    payload = [context[:jwt_aud_uri]].pack("H*")
    { "x-handoff-reply" => HANDLER.call(payload).unpack1("H*") }
  end
  CREDENTIALS = GRPC::Core::CallCredentials.new(BLOCK)
end
[HandoffGrpcTarget::PROBE, HandoffGrpcTarget::BLOCK]
)RUBY";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ToHex(const char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    auto byte = static_cast<unsigned char>(data[i]);
    hex[2 * i] = kDigits[byte >> 4];
    hex[2 * i + 1] = kDigits[byte & 15];
  }
  return hex;
}

bool FromHex(const char* hex, size_t size, std::string* out) {
  if (size % 2 != 0) return false;
  out->resize(size / 2);
  for (size_t i = 0; i < size / 2; ++i) {
    int high = HexValue(hex[2 * i]), low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*out)[i] = static_cast<char>(high * 16 + low);
  }
  return true;
}

bool SliceIs(const grpc_slice& slice, const char* text) {
  size_t n = std::strlen(text);
  return GRPC_SLICE_LENGTH(slice) == n && std::memcmp(GRPC_SLICE_START_PTR(slice), text, n) == 0;
}

// Fills `request` from what the plugin handed back (core's view of it).
void Record(Request* request, const grpc_metadata* md, size_t count, grpc_status_code status,
            const char* details) {
  request->status = status;
  request->details = details != nullptr ? details : "";
  for (size_t i = 0; i < count; ++i) {
    if (!SliceIs(md[i].key, kReplyKey)) continue;
    request->has_reply =
        FromHex(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(md[i].value)),
                GRPC_SLICE_LENGTH(md[i].value), &request->reply);
  }
}

// Core's completion callback (grpc_credentials_plugin_metadata_cb): runs on
// ruby-grpc's event thread. Notifies while holding the lock: the waiter
// destroys the request as soon as it sees `done`.
void OnMetadata(void* user_data, const grpc_metadata* md, size_t count, grpc_status_code status,
                const char* details) {
  auto* request = static_cast<Request*>(user_data);
  HANDOFF_SYNC_POINT("grpc.completion");
  std::lock_guard<std::mutex> lock(request->mutex);
  Record(request, md, count, status, details);
  request->done = true;
  request->done_cond.notify_one();
  g_calls.Completed();
}

// Calls the plugin as core does. True when it answered asynchronously: the
// completion callback will come (from ruby-grpc's event thread).
bool SubmitToPlugin(const grpc_metadata_credentials_plugin& plugin, const char* payload,
                    size_t size, Request* request) {
  std::string url = ToHex(payload, size);
  grpc_auth_metadata_context context = {url.c_str(), "Handoff", nullptr, nullptr};
  grpc_metadata sync_md[GRPC_METADATA_CREDENTIALS_PLUGIN_SYNC_MAX];
  size_t sync_count = 0;
  grpc_status_code sync_status = GRPC_STATUS_OK;
  const char* sync_details = nullptr;
  g_calls.Started();
  HANDOFF_SYNC_POINT("grpc.get_metadata");
  if (plugin.get_metadata(plugin.state, context, OnMetadata, request, sync_md, &sync_count,
                          &sync_status, &sync_details) == 0) {
    return true;
  }
  // Synchronous return (ruby-grpc 1.51 never does it): core owns the entries.
  Record(request, sync_md, sync_count, sync_status, sync_details);
  for (size_t i = 0; i < sync_count; ++i) {
    grpc_slice_unref(sync_md[i].key);
    grpc_slice_unref(sync_md[i].value);
  }
  std::free(const_cast<char*>(sync_details));
  request->done = true;
  g_calls.Completed();
  return false;
}

// Core's wait for the completion callback (predicate loop).
void* WaitForCompletion(void* arg) {
  auto* request = static_cast<Request*>(arg);
  HANDOFF_SYNC_POINT("grpc.wait");
  std::unique_lock<std::mutex> lock(request->mutex);
  request->done_cond.wait(lock, [request] { return request->done; });
  return nullptr;
}

bool FindPlugin(VALUE proc, grpc_metadata_credentials_plugin* out) {
  for (int i = 0; i < g_plugin_count; ++i) {
    if (g_plugins[i].state == reinterpret_cast<void*>(proc)) {
      *out = g_plugins[i];
      return true;
    }
  }
  return false;
}

// Makes this library's exported grpc_metadata_credentials_create_from_plugin
// visible to libraries loaded later (the harness loads targets RTLD_LOCAL).
bool JoinGlobalScope(char* error, size_t size) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&JoinGlobalScope), &info) == 0 || info.dli_fname == nullptr ||
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == nullptr) {
    std::snprintf(error, size, "cannot make the grpc target's library global: %s", dlerror());
    return false;
  }
  return true;
}

int Start(const handoff_target_host* host, uintptr_t handler, char* error, size_t size) {
  handoff_sync_hook = host->sync_point;
  if (!JoinGlobalScope(error, size)) return -1;
  rb_gv_set("$handoff_target_handler", static_cast<VALUE>(handler));
  VALUE procs = Qnil;
  if (!handoff_targets::EvalSetup(kSetup, "ruby-grpc (is Debian's ruby-grpc installed?)",
                                  &procs, error, size)) {
    return -1;
  }
  grpc_metadata_credentials_plugin probe;
  if (!FindPlugin(rb_ary_entry(procs, 0), &probe) ||
      !FindPlugin(rb_ary_entry(procs, 1), &g_handler_plugin)) {
    std::snprintf(error, size,
                  "ruby-grpc's CallCredentials.new did not reach this target's "
                  "grpc_metadata_credentials_create_from_plugin (%d plugins seen): was grpc "
                  "required before the target started?",
                  g_plugin_count);
    return -1;
  }
  // The probe: one request from this thread, waited for without the GVL.
  Request request;
  if (SubmitToPlugin(probe, "", 0, &request)) {
    rb_thread_call_without_gvl(WaitForCompletion, &request, nullptr, nullptr);
  }
  g_event_thread = rb_gv_get("$handoff_grpc_event_thread");
  rb_gc_register_address(&g_event_thread);
  g_calls.Reset();
  return 0;
}

VALUE WaitWithoutGvl(VALUE request) {
  rb_thread_call_without_gvl(WaitForCompletion, reinterpret_cast<void*>(request), nullptr, nullptr);
  return Qnil;
}

// A Ruby thread making a call: ruby-grpc waits for the call's completion
// queue without the GVL (grpc_rb_completion_queue_pluck), where an
// interrupt of the thread (Thread#raise, Thread#kill, Timeout) is raised as
// the wait begins or ends. Core still owns the request then and completes
// it later, so this waits for that first (as core would: the request is
// core's, not the caller's stack) and returns the interrupt's jump state
// for Invoke to go on with (a kill before any other: a kill must go on).
int WaitOnRubyThread(Request* request) {
  int jump_state = 0;
  VALUE error = Qnil;  // the exception to go on with (nil: none, or a kill)
  for (;;) {
    int state = 0;
    rb_protect(WaitWithoutGvl, reinterpret_cast<VALUE>(request), &state);
    if (state != 0) {
      VALUE caught = rb_errinfo();
      bool kill = !RTEST(rb_obj_is_kind_of(caught, rb_eException));
      if (jump_state == 0 || kill) {
        jump_state = state;
        error = kill ? Qnil : caught;
      }
    }
    std::lock_guard<std::mutex> lock(request->mutex);
    if (request->done) break;
  }
  if (!NIL_P(error)) rb_set_errinfo(error);
  return jump_state;
}

// Everything of a call but an interrupt's jump: no C++ object lives in
// Invoke's own frame, which rb_jump_tag leaves.
int InvokeAndWait(const char* payload, size_t size, handoff_target_reply* reply) {
  Request request;
  int jump_state = 0;
  if (SubmitToPlugin(g_handler_plugin, payload, size, &request)) {
    if (ruby_native_thread_p() && ruby_thread_has_gvl_p()) {
      jump_state = WaitOnRubyThread(&request);
    } else {
      WaitForCompletion(&request);  // a core thread, or C code in a blocking region
    }
  }
  reply->data = nullptr;
  reply->size = 0;
  const std::string* bytes = nullptr;
  if (request.status != GRPC_STATUS_OK) {
    reply->status = HANDOFF_TARGET_RAISED;
    bytes = &request.details;
  } else if (request.has_reply) {
    reply->status = HANDOFF_TARGET_OK;
    bytes = &request.reply;
  } else {
    request.details = "no x-handoff-reply metadata in the plugin's answer";
    reply->status = HANDOFF_TARGET_INVALID;
    bytes = &request.details;
  }
  reply->data = static_cast<char*>(std::malloc(bytes->size() + 1));
  std::memcpy(reply->data, bytes->data(), bytes->size());
  reply->size = bytes->size();
  return jump_state;
}

void Invoke(const char* payload, size_t size, int64_t, handoff_target_reply* reply) {
  int jump_state = InvokeAndWait(payload, size, reply);
  if (jump_state != 0) {
    std::free(reply->data);
    *reply = {HANDOFF_TARGET_INVALID, nullptr, 0};
    rb_jump_tag(jump_state);  // the thread's interrupt goes on
  }
}

void Stop() {}  // ruby-grpc has no stop: its event thread runs until the VM exits

void KillEventThread() {
  if (!NIL_P(g_event_thread)) rb_funcall(g_event_thread, rb_intern("kill"), 0);
}

void Describe(char* buffer, size_t size) {
  g_calls.Describe(buffer, size, "get_metadata calls", "completed", "waiting for their callback");
}

const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_SYNC_POINTS_FLAG,
    "grpc",
    "ruby-grpc 1.51 (Debian ruby-grpc): CallCredentials auth-metadata plugin called as gRPC "
    "core's threads call it",
    Start,
    Invoke,
    Stop,
    KillEventThread,
    nullptr,
    Describe,    nullptr, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    nullptr,
    nullptr,
    0,
    0,
};

}  // namespace

// The interposer: ruby-grpc's CallCredentials#initialize calls this (the
// target joined the global scope first); it records the plugin and forwards
// to libgrpc's own function.
extern "C" HANDOFF_TARGET_EXPORT grpc_call_credentials* grpc_metadata_credentials_create_from_plugin(
    grpc_metadata_credentials_plugin plugin, grpc_security_level min_security_level,
    void* reserved) {
  static auto real =
      reinterpret_cast<CreateFromPlugin>(dlsym(RTLD_NEXT, "grpc_metadata_credentials_create_from_plugin"));
  if (g_plugin_count < kMaxPlugins) g_plugins[g_plugin_count++] = plugin;
  if (real == nullptr) {
    std::fprintf(stderr, "grpc target: libgrpc's grpc_metadata_credentials_create_from_plugin not found\n");
    std::abort();
  }
  return real(plugin, min_security_level, reserved);
}

extern "C" HANDOFF_TARGET_EXPORT const handoff_target* handoff_target_entry(void) {
  return &kTarget;
}
