#include "run/harness_handler.h"

#include <ruby/thread.h>

#include <cstdio>
#include <string>
#include <thread>

#include "handoff/embedded_ruby.h"
#include "perturb/aimed_event.h"
#include "perturb/controlled_scheduler.h"
#include "perturb/run_clock.h"
#include "run/ruby_caller.h"
#include "run/run_queue_wait.h"

namespace handoff {
namespace {

const CallSite* g_site = nullptr;
VALUE g_handler = Qnil;

constexpr char kHandlerSource[] = R"RUBY(
require "timeout"

module HandoffHarness
  class CallError < StandardError; end
  class Abort < Exception; end  # a library's own, not a StandardError

  # The interrupts caller events send a Ruby caller thread (ruby_caller.h).
  class CallerInterrupt < Exception; end  # caller_raise: Thread#raise
  class CallerTimeout < Exception         # caller_timeout: Timeout.timeout(t, CallerTimeout, "caller N")
    # Made by the thread that raises it: so the harness knows it was sent.
    def self.exception(*args)
      HandoffHarness.caller_timeout_fired(args.first.to_s)
      super
    end
  end

  # The move@ event: the heap moved toward its emptiest pages, as far as
  # there is room (GC.compact moves only what fills holes). The room: from
  # Ruby 3.3 the heap is grown first (expand_heap:); before, 100,000 fresh
  # objects, every other one garbage, leave half-empty pages (none freed)
  # ahead of the old, full ones. Ruby 3.1's own growth (double_heap:) frees
  # whole pages, and its compaction reads one VM stack slot past each
  # thread's top frame (ruby/ruby#7081, fixed in 3.2.1), where a dead
  # object's address may be left: that read of an unmapped page crashed the
  # process in GC, blaming any bridge that parks a Ruby thread after a block.
  GROW_HEAP = RUBY_VERSION >= "3.3" ? { expand_heap: true } : {}
  def self.move_everything
    room = []
    200_000.times { |i| object = Object.new; room << object if i.even? } if GROW_HEAP.empty?
    GC.verify_compaction_references(toward: :empty, **GROW_HEAP)
    room.clear
    nil
  end

  # A post's handler (behaviour 9): acts out its own behaviour (arg >> 24:
  # return, raise, slow, gc), its end recorded however it ends (a raise, a
  # Thread#kill): the next post of its thread must not start before.
  def self.run_post(payload, arg, call_id)
    case arg >> 24
    when 1 then raise CallError, raised_message(payload)
    when 2 then sleep((arg & 0xffffff) / 1_000_000.0)
    when 3
      garbage = Array.new(arg & 0xffffff) { |i| "garbage #{i}" }
      GC.start(full_mark: false) if (call_id % 16).zero?
      garbage.clear
    end
    reply(payload)
  ensure
    post_left(call_id)
  end

  HANDLER = proc do |payload|
    behaviour, arg, call_id = HandoffHarness.enter(payload)
    next HandoffHarness.run_post(payload, arg, call_id) if behaviour == 9
    case behaviour
    when 1 then raise CallError, HandoffHarness.raised_message(payload)
    when 8  # escape: leave the block by way arg >> 24 (EscapeWay; payload.cc names what each raises)
      case arg >> 24
      when 0 then raise Abort, HandoffHarness.raised_message(payload)
      when 1 then raise Interrupt, HandoffHarness.raised_message(payload)
      when 2 then raise SignalException, "TERM"
      when 3 then raise NoMemoryError, HandoffHarness.raised_message(payload)
      when 4 then raise SystemStackError, HandoffHarness.raised_message(payload)
      when 5 then raise NotImplementedError, HandoffHarness.raised_message(payload)
      when 6 then throw :"handoff_call_#{call_id}"
      when 7 then break HandoffHarness.reply(payload)
      when 8 then next HandoffHarness.reply(payload)
      when 9 then exit
      end
    when 2 then sleep(arg / 1_000_000.0)
    when 3
      garbage = Array.new(arg) { |i| "garbage #{i}" }
      GC.start(full_mark: false) if (call_id % 16).zero?
      garbage.clear
    when 4 then HandoffHarness.reenter(call_id, 0)
    when 6 then HandoffHarness.reenter(call_id, 1)
    when 7 then HandoffHarness.reenter(call_id, 2)
    end
    HandoffHarness.reply(payload)
  end
end
HandoffHarness::HANDLER
)RUBY";

struct Bytes {
  const char* data;
  size_t size;
};

Bytes BytesOf(VALUE payload) {
  StringValue(payload);
  return {RSTRING_PTR(payload), static_cast<size_t>(RSTRING_LEN(payload))};
}

// A payload no call of this run sent: kept as evidence (the first one only).
void RecordStray(const Bytes& got, uint64_t named_call) {
  StrayEvidence& stray = g_site->log->stray;
  if (stray.count.fetch_add(1, std::memory_order_relaxed) != 0) return;
  uint64_t first = 0;
  for (size_t i = 0; i < got.size && i < 8; ++i) {
    first |= static_cast<uint64_t>(static_cast<uint8_t>(got.data[i])) << (8 * i);
  }
  stray.first_bytes.store(first, std::memory_order_relaxed);
  stray.size.store(got.size, std::memory_order_relaxed);
  stray.named_call.store(named_call, std::memory_order_relaxed);
  if (named_call != UINT64_MAX) {
    const Scenario& s = *g_site->scenario;
    CallPlan plan = named_call < s.calls ? PlanCall(s, g_site->seed, named_call)
                                         : ReturnPlan(s, g_site->seed, named_call);
    stray.sent_size.store(plan.payload_size, std::memory_order_relaxed);
  }
}

// How long this thread waited on a CPU run queue since it last started a
// handler here (or since it began: a thread per request starts at 0). Opened
// per handler run: handler threads come and go with some targets.
int64_t RunQueueWaitSinceLastHandler() {
  thread_local int64_t seen = 0;
  int64_t now = RunQueueWait().Nanos();
  if (now < 0) return 0;
  int64_t since = now - seen;
  seen = now;
  return since;
}

// HandoffHarness.enter(payload) -> [behaviour, arg, call_id]; counts the run
// and checks the payload is one a call of this run sent (else: evidence, and
// the handler only returns).
VALUE Enter(VALUE, VALUE payload) {
  Bytes got = BytesOf(payload);
  RunLog& log = *g_site->log;
  uint64_t digest = Digest(got.data, got.size);
  PayloadHeader header = ReadPayloadHeader(got.data, got.size);
  if (!header.named) {
    if (log.IsAnonymousPayload(digest)) {
      log.anonymous_runs.fetch_add(1, std::memory_order_relaxed);
    } else if (!IsSpeedProbe(got.data, got.size)) {  // a speed phase's call: only returns
      RecordStray(got, UINT64_MAX);
    }
    return rb_ary_new_from_args(3, INT2FIX(0), INT2FIX(0), rb_ull2inum(UINT64_MAX));
  }
  if (header.call_id >= log.ran_size) {
    RecordStray(got, UINT64_MAX);
    return rb_ary_new_from_args(3, INT2FIX(0), INT2FIX(0), rb_ull2inum(UINT64_MAX));
  }
  if (log.ran[header.call_id].fetch_add(1, std::memory_order_relaxed) == 0) {
    log.entered_ns[header.call_id].store(RunClockNanos(), std::memory_order_relaxed);
    if (header.behaviour == static_cast<uint8_t>(Behaviour::kPost)) {
      log.entered_tick[header.call_id].store(log.PostTick(), std::memory_order_relaxed);
    }
    if (g_site->scenario->fairness != 0) {
      log.entered_runnable_ns[header.call_id].store(RunQueueWaitSinceLastHandler(),
                                                    std::memory_order_relaxed);
    }
  }
  AimedHandlerHit();  // an event aimed at this handler run happens now
  if (log.sent_digest[header.call_id].load(std::memory_order_relaxed) != digest) {
    RecordStray(got, header.call_id);
    header.behaviour = 0;  // altered: do not act on it
  }
  return rb_ary_new_from_args(3, rb_int2inum(header.behaviour), rb_int2inum(header.arg),
                              rb_ull2inum(header.call_id));
}

// HandoffHarness.post_left(call_id): a post's handler run is ending.
VALUE PostLeft(VALUE, VALUE call_id) {
  uint64_t id = NUM2ULL(call_id);
  RunLog& log = *g_site->log;
  if (id >= log.ran_size) return Qnil;
  log.left_tick[id].store(log.PostTick(), std::memory_order_relaxed);
  log.posts_left.fetch_add(1, std::memory_order_relaxed);
  return Qnil;
}

VALUE Reply(VALUE, VALUE payload) {
  Bytes got = BytesOf(payload);
  std::string reply = ComputeReply(got.data, got.size);
  return rb_str_new(reply.data(), static_cast<long>(reply.size()));
}

VALUE RaisedMessage(VALUE, VALUE payload) {
  Bytes got = BytesOf(payload);
  std::string message = RaisedMessageFor(got.data, got.size);
  return rb_str_new(message.data(), static_cast<long>(message.size()));
}

struct NestedJob {
  uint64_t outer;
  CallRecord* record;
};

void NestedCall(void* arg) {
  auto* job = static_cast<NestedJob*>(arg);
  std::string buffer;
  MakeCall(*g_site, NestedCallOf(*g_site->scenario, g_site->seed, job->outer), &buffer, job->record);
}

void* NestedCallWithoutGvl(void* arg) {
  NestedCall(arg);
  return nullptr;
}

// HandoffHarness.reenter(call_id, from): a nested call through the target,
// waited for by the handler (reentrancy), made from
//   0: a new foreign thread (the handler waits without the GVL);
//   1: the handler's own Ruby thread, holding the GVL;
//   2: the handler's own Ruby thread after releasing the GVL.
// Once per outer call: a second run of the same handler makes none.
VALUE Reenter(VALUE, VALUE call_id, VALUE from) {
  uint64_t outer = NUM2ULL(call_id);
  if (outer >= g_site->scenario->calls) return Qnil;
  CallRecord* record = g_site->log->ClaimNested(outer);
  if (record == nullptr) return Qnil;
  NestedJob job{outer, record};
  switch (rb_num2long(from)) {
    case 0:
      rb_thread_call_without_gvl(
          [](void* arg) -> void* {
            // Under the controlled schedule the new thread is one of its own.
            int controlled_id = ReserveControlledThread("nested caller");
            std::thread nested([arg, controlled_id] {
              AttachControlledThread(controlled_id);
              NestedCall(arg);
              EndControlledThread();
            });
            JoinControlledThread(controlled_id);
            nested.join();
            return nullptr;
          },
          &job, nullptr, nullptr);
      break;
    case 1:
      NestedCall(&job);
      break;
    default:
      rb_thread_call_without_gvl(NestedCallWithoutGvl, &job, nullptr, nullptr);
      break;
  }
  return Qnil;
}


// HandoffHarness.caller_timeout_fired("caller N"): a caller_timeout's
// Timeout.timeout is raising CallerTimeout in Ruby caller thread N.
VALUE CallerTimeoutFired(VALUE, VALUE message) {
  std::string text = StringValueCStr(message);
  int thread = -1;
  if (std::sscanf(text.c_str(), "caller %d", &thread) == 1 && thread >= 0 &&
      thread < g_site->scenario->threads) {
    MarkInterruptSent(g_site->log, thread, EventType::kCallerTimeout);
  }
  return Qnil;
}

}  // namespace

VALUE DefineHarnessHandler(const CallSite* site) {
  g_site = site;
  VALUE module = rb_define_module("HandoffHarness");
  rb_define_module_function(module, "enter", RUBY_METHOD_FUNC(Enter), 1);
  rb_define_module_function(module, "reply", RUBY_METHOD_FUNC(Reply), 1);
  rb_define_module_function(module, "post_left", RUBY_METHOD_FUNC(PostLeft), 1);
  rb_define_module_function(module, "raised_message", RUBY_METHOD_FUNC(RaisedMessage), 1);
  rb_define_module_function(module, "reenter", RUBY_METHOD_FUNC(Reenter), 2);
  rb_define_module_function(module, "caller_timeout_fired", RUBY_METHOD_FUNC(CallerTimeoutFired), 1);
  std::string error;
  if (!EvalRuby(kHandlerSource, &error, &g_handler)) {
    rb_fatal("handoff-stress: the harness's own handler does not load: %s", error.c_str());
  }
  rb_gc_register_address(&g_handler);
  return g_handler;
}

}  // namespace handoff
