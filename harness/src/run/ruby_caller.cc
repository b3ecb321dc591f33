#include "run/ruby_caller.h"

#include <ruby/thread.h>
#include <time.h>

#include <cmath>

#include "handoff/target.h"
#include "host/process_threads.h"
#include "host/seeded_random.h"
#include "perturb/run_clock.h"
#include "perturb/sync_point.h"

namespace handoff {

struct RubyCallers::Caller {
  const CallSite* site;
  int thread;
  uint64_t index = 0;
  std::string buffer;                  // the payload of its calls
  std::unique_ptr<RunQueueWait> wait;  // made on the caller's own thread
  bool in_gate = false;                // entered the call gate, not yet left
  // caller_timeout: its next call runs inside Timeout.timeout of this many
  // microseconds (0: none). Set by the Ruby main thread.
  std::atomic<uint32_t> timeout_us{0};
  std::atomic<bool> timed_call{false};  // a call under Timeout.timeout is being made
  VALUE ruby_thread = Qnil;  // the Ruby thread making its calls now (GVL)
  VALUE* all_threads;        // RubyCallers::threads_, where a successor is rooted
  bool successor = false;    // ruby_thread took over from a killed one
};

namespace {

using Caller = RubyCallers::Caller;

// Ruby's jump tags (vm_core.h): an exception, and a Thread#kill (whose
// errinfo is a Fixnum, or nil once a bridge that caught it cleared it
// before jumping on; a `fatal` error carries an exception instead).
constexpr int kTagRaise = 6;
constexpr int kTagFatal = 8;

// HandoffHarness::<name> (harness_handler.cc defines them).
VALUE HarnessClass(const char* name) {
  return rb_const_get(rb_const_get(rb_cObject, rb_intern("HandoffHarness")), rb_intern(name));
}

bool IsKill(int state, VALUE error) {
  return state == kTagFatal && !rb_obj_is_kind_of(error, rb_eException);
}

// The caller event whose interrupt `error` is (-1: none of the harness's).
int InterruptTypeOf(int state, VALUE error) {
  if (IsKill(state, error)) return static_cast<int>(EventType::kCallerKill);
  if (state != kTagRaise || !rb_obj_is_kind_of(error, rb_eException)) return -1;
  if (rb_obj_is_kind_of(error, HarnessClass("CallerInterrupt"))) {
    return static_cast<int>(EventType::kCallerRaise);
  }
  if (rb_obj_is_kind_of(error, HarnessClass("CallerTimeout"))) {
    return static_cast<int>(EventType::kCallerTimeout);
  }
  return -1;
}

void CallNow(Caller* c) {
  if (c->site->scenario->KindOf(c->thread) == CallerKind::kRubyGvl) {
    CallAndRecord(*c->site, c->thread, c->index, &c->buffer, c->wait.get());
    return;
  }
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* rc = static_cast<Caller*>(arg);
        CallAndRecord(*rc->site, rc->thread, rc->index, &rc->buffer, rc->wait.get());
        return nullptr;
      },
      c, nullptr, nullptr);
}

VALUE TimedCall(RB_BLOCK_CALL_FUNC_ARGLIST(yielded, arg)) {
  (void)yielded, (void)argc, (void)argv, (void)blockarg;
  CallNow(reinterpret_cast<Caller*>(arg));
  return Qnil;
}

// One call: through the gate (GVL released), then made, inside
// Timeout.timeout when a caller_timeout armed it.
VALUE CallIteration(VALUE arg) {
  auto* c = reinterpret_cast<Caller*>(arg);
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* rc = static_cast<Caller*>(arg);
        rc->site->log->gate.Enter();
        rc->in_gate = true;
        return nullptr;
      },
      c, nullptr, nullptr);
  uint32_t timeout_us = c->timeout_us.exchange(0, std::memory_order_relaxed);
  if (timeout_us == 0) {
    CallNow(c);
    return Qnil;
  }
  c->timed_call.store(true, std::memory_order_relaxed);
  VALUE argv[3] = {rb_float_new(timeout_us / 1e6), HarnessClass("CallerTimeout"),
                   rb_sprintf("caller %d", c->thread)};
  rb_block_call(rb_const_get(rb_cObject, rb_intern("Timeout")), rb_intern("timeout"), 3, argv,
                TimedCall, arg);
  return Qnil;
}

VALUE NapThunk(VALUE) {
  rb_thread_wait_for(timeval{0, 10000});  // GVL released; an interrupt ends it
  return Qnil;
}

// The calls from `first` to `last` (indexes of this thread) that an
// interrupt ended: stopped, or raised with the interrupt's class.
void AttributeInterrupt(Caller* c, uint64_t first, uint64_t last) {
  RunLog& log = *c->site->log;
  std::vector<CallRecord>& records = log.calls[c->thread];
  for (uint64_t i = first; i <= last && i < records.size(); ++i) {
    CallRecord& r = records[i];
    if (r.post_tick != 0) continue;  // a post that returned by itself: not the interrupt's
    bool ended_by_it = r.status == HANDOFF_TARGET_STOPPED ||
                       (r.status == HANDOFF_TARGET_RAISED && r.check.harness_interrupt != 0);
    if (ended_by_it) r.status = kInterrupted;
  }
}

// What unwound the call (state, error), or nothing (state 0): sees this
// thread's interrupt, records the call. Returns true when the thread must
// end (a kill).
bool AfterCall(Caller* c, int state, VALUE error) {
  RunLog& log = *c->site->log;
  CallRecord& r = log.calls[c->thread][c->index];
  SentInterrupt& sent = log.interrupts[c->thread];
  int type = state != 0 ? InterruptTypeOf(state, error) : -1;
  if (state == 0 && r.status == HANDOFF_TARGET_RAISED && r.check.harness_interrupt != 0) {
    // handed back as the call's reply
    type = static_cast<int>(r.check.harness_interrupt == 1 ? EventType::kCallerRaise
                                                           : EventType::kCallerTimeout);
  }
  if (state != 0 && r.status == kNotReturned) {  // left before invoke returned
    r.status = type >= 0 ? kInterrupted : kEscapedInvoke;
    if (type >= 0) log.abandoned.fetch_add(1, std::memory_order_relaxed);
    log.CountReturned(c->thread);
  }
  if (type >= 0 && type == sent.type.load(std::memory_order_relaxed) &&
      !sent.seen.load(std::memory_order_relaxed)) {
    uint64_t during = sent.during_call.load(std::memory_order_relaxed);
    uint64_t first = c->site->scenario->FirstCallOf(c->thread);
    AttributeInterrupt(c, during == UINT64_MAX ? c->index : during - first, c->index);
    sent.seen.store(true, std::memory_order_relaxed);
  }
  return state != 0 && IsKill(state, error);
}

VALUE CallerBody(void* arg);

VALUE StartThread(VALUE arg) { return rb_thread_create(CallerBody, reinterpret_cast<void*>(arg)); }

// A killed thread's later calls (from c->index on) are made by a new Ruby
// thread of the same caller, so a kill costs the run no coverage. Returns
// false when it could not be started. REQUIRES: GVL held; the killed thread
// touches `c` no more after this.
bool StartSuccessor(Caller* c) {
  int state = 0;
  c->successor = true;
  VALUE successor = rb_protect(StartThread, reinterpret_cast<VALUE>(c), &state);
  if (state != 0) {
    rb_set_errinfo(Qnil);
    return false;
  }
  c->ruby_thread = successor;
  rb_ary_push(*c->all_threads, successor);
  return true;
}

// A killed thread's later calls when no successor could make them: never
// made, counted as returned so that events waiting for a number of returned
// calls still come.
void GiveUpLaterCalls(Caller* c) {
  RunLog& log = *c->site->log;
  std::vector<CallRecord>& records = log.calls[c->thread];
  for (uint64_t i = c->index; i < records.size(); ++i) {
    records[i].status = kNeverMade;
    log.CountReturned(c->thread);
  }
}

// After its last call: an interrupt sent and not yet seen gets a while to
// arrive. Returns the jump state of a kill that did (0: none).
int WaitForLateInterrupt(Caller* c) {
  SentInterrupt& sent = c->site->log->interrupts[c->thread];
  if (sent.type.load(std::memory_order_relaxed) < 0 || c->site->log->calls[c->thread].empty()) {
    return 0;
  }
  c->index = c->site->log->calls[c->thread].size() - 1;
  const int64_t give_up = RunClockNanos() + kLateInterruptWaitSeconds * 1000000000LL;
  int kill_state = 0;
  c->site->log->late_interrupt_waits.fetch_add(1, std::memory_order_relaxed);
  while (!sent.seen.load(std::memory_order_relaxed) && RunClockNanos() < give_up) {
    int state = 0;
    rb_protect(NapThunk, Qnil, &state);
    if (state == 0) continue;
    VALUE error = rb_errinfo();
    if (AfterCall(c, state, error)) {
      kill_state = state;
      break;
    }
    rb_set_errinfo(Qnil);
  }
  c->site->log->late_interrupt_waits.fetch_sub(1, std::memory_order_relaxed);
  return kill_state;
}

VALUE CallerBody(void* arg) {
  auto* c = static_cast<Caller*>(arg);
  // A successor takes a perturbation slot of its own (the first free one),
  // not its killed predecessor's: nothing orders their use of one.
  if (!c->successor) SetSyncThreadIndex(c->thread);
  c->wait = CallerRunQueueWait(*c->site->scenario);
  RunLog& log = *c->site->log;
  log.activity[c->thread].tid.store(CurrentThreadId(), std::memory_order_relaxed);
  // From c->index: 0, or the call after the one its killed predecessor was in.
  for (; c->index < log.calls[c->thread].size(); ++c->index) {
    int state = 0;
    rb_protect(CallIteration, reinterpret_cast<VALUE>(c), &state);
    c->timed_call.store(false, std::memory_order_relaxed);
    if (c->in_gate) log.gate.Leave();
    c->in_gate = false;
    VALUE error = state != 0 ? rb_errinfo() : Qnil;
    if (AfterCall(c, state, error)) {  // killed: the kill goes on, the thread ends
      c->wait.reset();  // its descriptor is not the target's to count (handle_leak)
      ++c->index;
      if (c->index < log.calls[c->thread].size() && !StartSuccessor(c)) GiveUpLaterCalls(c);
      rb_jump_tag(state);
    }
    if (state != 0) rb_set_errinfo(Qnil);
  }
  int kill_state = WaitForLateInterrupt(c);
  c->wait.reset();
  if (kill_state != 0) rb_jump_tag(kill_state);
  return Qnil;
}

VALUE JoinThunk(VALUE thread) { return rb_funcall(thread, rb_intern("join"), 0); }

struct InterruptCall {
  VALUE thread;
  EventType type;
};

VALUE SendInterrupt(VALUE arg) {
  auto* call = reinterpret_cast<InterruptCall*>(arg);
  if (call->type == EventType::kCallerKill) return rb_funcall(call->thread, rb_intern("kill"), 0);
  return rb_funcall(call->thread, rb_intern("raise"), 2, HarnessClass("CallerInterrupt"),
                    rb_str_new_cstr("Thread#raise from the harness (caller_raise)"));
}

}  // namespace

void MarkInterruptSent(RunLog* log, int thread, EventType type) {
  SentInterrupt& sent = log->interrupts[thread];
  if (sent.type.load(std::memory_order_relaxed) >= 0 && !sent.seen.load(std::memory_order_relaxed)) {
    return;  // one pending at a time
  }
  sent.during_call.store(log->activity[thread].call_id.load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
  sent.seen.store(false, std::memory_order_relaxed);
  sent.type.store(static_cast<int>(type), std::memory_order_relaxed);
}

RubyCallers::RubyCallers(const CallSite& site) : site_(site), threads_(rb_ary_new()) {
  rb_gc_register_address(&threads_);
  for (int t = 0; t < site.scenario->threads; ++t) {
    if (site.scenario->KindOf(t) == CallerKind::kForeign) continue;
    callers_.push_back(std::make_unique<Caller>());
    Caller* c = callers_.back().get();
    c->site = &site_;
    c->thread = t;
    c->all_threads = &threads_;
    c->ruby_thread = rb_thread_create(CallerBody, c);
    rb_ary_push(threads_, c->ruby_thread);
  }
}

RubyCallers::~RubyCallers() { rb_gc_unregister_address(&threads_); }

void RubyCallers::Join() {
  // A killed caller's successor is appended before the killed one ends.
  for (long i = 0; i < RARRAY_LEN(threads_); ++i) {
    int state = 0;
    rb_protect(JoinThunk, rb_ary_entry(threads_, i), &state);
    if (state != 0) rb_set_errinfo(Qnil);
  }
}

void RubyCallers::Interrupt(EventType type, uint64_t pick, std::string* notes) {
  RunLog& log = *site_.log;
  std::vector<size_t> in_call, between_calls;
  for (size_t i = 0; i < callers_.size(); ++i) {
    const Caller& c = *callers_[i];
    const SentInterrupt& sent = log.interrupts[c.thread];
    bool pending = (sent.type.load(std::memory_order_relaxed) >= 0 &&
                    !sent.seen.load(std::memory_order_relaxed)) ||
                   c.timeout_us.load(std::memory_order_relaxed) != 0 ||
                   c.timed_call.load(std::memory_order_relaxed);
    uint64_t left = log.calls[c.thread].size() -
                    log.activity[c.thread].returned.load(std::memory_order_relaxed);
    if (pending || left < 2) continue;
    bool calling = log.activity[c.thread].call_id.load(std::memory_order_relaxed) != UINT64_MAX;
    (calling ? in_call : between_calls).push_back(i);
  }
  const std::vector<size_t>& candidates = in_call.empty() ? between_calls : in_call;
  if (candidates.empty()) {
    *notes += std::string(EventTypeName(type)) +
              ": no Ruby caller thread had two calls left and no interrupt pending; none sent\n";
    return;
  }
  Caller& victim = *callers_[candidates[pick % candidates.size()]];
  if (type == EventType::kCallerTimeout) {
    // 50 us to 2 ms, log-uniform: before, inside and after the block.
    uint32_t us = static_cast<uint32_t>(50.0 * std::pow(40.0, Mix64(pick) % 1000 / 1000.0));
    victim.timeout_us.store(us, std::memory_order_relaxed);
    return;
  }
  MarkInterruptSent(&log, victim.thread, type);
  InterruptCall call{victim.ruby_thread, type};
  int state = 0;
  rb_protect(SendInterrupt, reinterpret_cast<VALUE>(&call), &state);
  if (state != 0) {
    rb_set_errinfo(Qnil);
    log.interrupts[victim.thread].type.store(-1, std::memory_order_relaxed);
    *notes += std::string(EventTypeName(type)) + ": the interrupt could not be sent\n";
  }
}

}  // namespace handoff
