#include "judge/checker.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "handoff/target.h"
#include "judge/overtaking.h"
#include "judge/payload.h"
#include "judge/post_oracle.h"

namespace handoff {
namespace {

const char* StatusName(uint8_t status) {
  static const char* const kNames[] = {"ok", "raised", "stopped", "timed_out", "forked", "invalid"};
  if (status == kNotReturned) return "never returned";
  if (status == kEscapedInvoke) return "escaped by an exception";
  if (status == kInterrupted) return "interrupted";
  if (status == kNeverMade) return "never made";
  return status < 6 ? kNames[status] : "out-of-range status";
}

struct Finding {
  FailureKind kind;
  std::string detail;
};

// What target.h lets a call come back with, by how its block ended.
bool IsEscape(const CallPlan& plan, EscapeWay way) {
  return plan.behaviour == Behaviour::kEscape && EscapeWayOf(plan.arg) == way;
}
// next returns; break returns its value when the block is yielded to and
// raises LocalJumpError when it is called as a Proc; any other way raises.
bool MayReturn(const CallPlan& plan) {
  if (plan.behaviour == Behaviour::kRaise) return false;
  if (plan.behaviour != Behaviour::kEscape) return true;
  return IsEscape(plan, EscapeWay::kNext) || IsEscape(plan, EscapeWay::kBreak);
}
bool MayRaise(const CallPlan& plan) {
  if (plan.behaviour == Behaviour::kRaise) return true;
  return plan.behaviour == Behaviour::kEscape && !IsEscape(plan, EscapeWay::kNext);
}

class Checker {
 public:
  Checker(const Scenario& s, RunLog& log, std::string scheduling_not_judged)
      : log_(log),
        scheduling_not_judged_(std::move(scheduling_not_judged)),
        may_stop_(s.Has(EventType::kStop) || s.Has(EventType::kKill)),
        deadline_ms_(s.deadline_ms) {}

  // Checks one call; the same thread's earlier calls have ids from
  // first_of_thread (for duplicate_reply). Returns true when the call is right.
  bool Check(const CallPlan& plan, const CallRecord& r, uint64_t first_of_thread) {
    bool named = plan.payload_size >= kPayloadHeaderSize;
    uint32_t ran = log_.ran[plan.call_id].load(std::memory_order_relaxed);
    if (!named) anonymous_calls_ += r.status != kNotReturned && r.status != kNeverMade;
    switch (r.status) {
      case HANDOFF_TARGET_OK:
      case HANDOFF_TARGET_RAISED:
        return CheckReplied(plan, r, first_of_thread, named, ran);
      case HANDOFF_TARGET_STOPPED:
        return CheckStopped(plan, r, ran);
      case HANDOFF_TARGET_TIMED_OUT:
        return CheckTimedOut(plan, r, ran);
      case kNotReturned:
        return Fail(FailureKind::kLostReply, Where(plan) + " never returned");
      case kInterrupted:  // by its thread's interrupt: no reply; the handler ran at most once
        if (ran > 1) {
          return Fail(FailureKind::kHandlerNotOnce, Where(plan) + " was interrupted but its handler ran " +
                                                        std::to_string(ran) + " times");
        }
        return true;
      case kNeverMade:  // its thread was killed first
        if (ran != 0) {
          return Fail(FailureKind::kHandlerNotOnce,
                      Where(plan) + " was never made (its thread was killed before) but its handler ran " +
                          std::to_string(ran) + " times");
        }
        return true;
      case kEscapedInvoke:
        return Fail(FailureKind::kSwallowedException,
                    Where(plan) + ", made by a Ruby thread, was left by a Ruby exception that "
                                  "escaped invoke (unwinding the caller's C frames) instead of "
                                  "coming back raised");
      default:
        return Fail(FailureKind::kUnexpectedStatus,
                    Where(plan) + " returned " + StatusName(r.status));
    }
  }

  // A call of a foreign thread to a target that honours deadlines must come
  // back (with whatever status) by its deadline plus the slack.
  // The caller's own wait for a CPU (run_queue_wait.h) is not the target's.
  bool CheckDeadline(const CallPlan& plan, const CallRecord& r) {
    if (r.status == kNotReturned) return true;  // Check reported it
    int64_t took_ns = r.end_ns - r.start_ns - r.runnable_ns;
    if (took_ns <= static_cast<int64_t>(deadline_ms_) * 1000000 + DeadlineSlackNs(deadline_ms_)) {
      return true;
    }
    return Fail(FailureKind::kDeadlineMissed,
                Where(plan) + ", made by a foreign thread, came back " + StatusName(r.status) +
                    " after " + std::to_string(took_ns / 1000000) + " ms, past its " +
                    std::to_string(deadline_ms_) +
                    " ms deadline (the target declares HANDOFF_TARGET_HAS_DEADLINES: it must "
                    "return timed_out by then)");
  }

  // Every interrupt a caller event sent a Ruby caller thread must reach it
  // (ruby_caller.h): raised out of invoke or after it, handed back as a
  // call's `raised` reply, or, for a kill, ending the thread. One that never
  // did was swallowed by the target.
  void CheckInterruptsSeen(const Scenario& s) {
    for (int t = 0; t < s.threads; ++t) {
      const SentInterrupt& sent = log_.interrupts[t];
      int type = sent.type.load(std::memory_order_relaxed);
      if (type < 0 || sent.seen.load(std::memory_order_relaxed)) continue;
      uint64_t during = sent.during_call.load(std::memory_order_relaxed);
      std::string where = "Ruby caller thread " + std::to_string(t) + " (callers=" +
                          CallerKindName(s.KindOf(t)) + ")" +
                          (during == UINT64_MAX ? " between two calls"
                                                : " during call " + std::to_string(during));
      const char* what = "Thread#raise(HandoffHarness::CallerInterrupt) sent to ";
      if (type == static_cast<int>(EventType::kCallerKill)) what = "Thread#kill sent to ";
      if (type == static_cast<int>(EventType::kCallerTimeout)) {
        what = "Timeout.timeout raised HandoffHarness::CallerTimeout in ";
      }
      Fail(FailureKind::kSwallowedException,
           std::string(EventTypeName(static_cast<EventType>(type))) + ": " + what + where +
               " never reached it: the thread made its later calls and waited " +
               std::to_string(kLateInterruptWaitSeconds) +
               " s more, and no call was left by it or came back raised with it (the target "
               "swallowed the thread's interrupt" +
               (type == static_cast<int>(EventType::kCallerKill) ? "; the thread was never killed)"
                                                                  : ")"));
    }
  }

  // Calls that came back ok or raised with the right content.
  uint64_t replied() const { return replied_; }

  // A nested call whose record is not read but whose handler may have run.
  void AllowAnonymousRun() { ++anonymous_calls_; }

  // Payloads too short to name their call are counted, not named: the
  // handler must have run at least once for each that returned ok and at
  // most once for each that returned at all.
  void CheckAnonymousRuns() {
    uint64_t runs = log_.anonymous_runs.load(std::memory_order_relaxed);
    if (runs < anonymous_ok_) {
      Fail(FailureKind::kHandlerNotOnce,
           std::to_string(anonymous_ok_) + " calls with payloads under " +
               std::to_string(kPayloadHeaderSize) + " bytes returned ok, but the handler ran for " +
               "such payloads only " + std::to_string(runs) + " times (replies made up without it)");
    } else if (runs > anonymous_calls_) {
      Fail(FailureKind::kHandlerNotOnce,
           "the handler ran " + std::to_string(runs) + " times for payloads under " +
               std::to_string(kPayloadHeaderSize) + " bytes, but only " +
               std::to_string(anonymous_calls_) + " such calls returned");
    }
  }

  // Scenario max_p99_us: the p99 of ok and raised calls' latency.
  void CheckLatency(const Scenario& s, CheckStats* stats) {
    if (latencies_ns_.empty()) return;
    auto at = [this](double q) {
      size_t k = static_cast<size_t>(q * static_cast<double>(latencies_ns_.size() - 1));
      std::nth_element(latencies_ns_.begin(), latencies_ns_.begin() + static_cast<long>(k),
                       latencies_ns_.end());
      return latencies_ns_[k] / 1000.0;
    };
    stats->p50_us = at(0.50);
    stats->p99_us = at(0.99);
    if (s.max_p99_us == 0) return;
    bool over = stats->p99_us > s.max_p99_us;
    JudgeAgainstScheduler(FailureKind::kTooSlow, over,
                          "p99 call latency " + std::to_string(stats->p99_us) + " us is " +
                              (over ? "over" : "within") + " max_p99_us=" + std::to_string(s.max_p99_us) +
                              " (p50 " + std::to_string(stats->p50_us) + " us, " +
                              std::to_string(latencies_ns_.size()) + " calls)");
  }

  // Notes for the run (RunStats::notes): checks that could not be judged.
  const std::string& notes() const { return notes_; }

  // Scenario fairness=K: a call whose handler more than K x threads later
  // calls' handlers started before (they were made after it) was starved:
  // the bridge served newer callers first, again and again. A
  // FIFO bridge lets a call be passed only by the few calls racing it into
  // the queue; a LIFO one by the stream that arrives while it waits. Taken
  // in dispatch order (when each handler started), so a handler that Ruby
  // preempts mid-block does not count, and counted, not timed, so it does
  // not depend on how fast the build is. What a busy machine did is taken
  // out: a call counts as made once its caller had run (its caller's wait
  // on a CPU run queue during the call is added to its start: a caller
  // preempted before its call reached the target is not overtaken by the
  // target's choice), and as served before the thread that started its
  // handler waited on a run queue (a Ruby thread per request that the OS
  // kept off a CPU is the scheduler's order, not the target's).
  void CheckFairness(const Scenario& s) {
    if (s.fairness == 0) return;
    std::vector<CallSpan> spans;
    for (int t = 0; t < s.threads; ++t) {
      uint64_t first = s.FirstCallOf(t);
      for (uint64_t i = 0; i < log_.calls[t].size(); ++i) {
        int64_t entered = log_.entered_ns[first + i].load(std::memory_order_relaxed);
        if (entered == 0) continue;
        const CallRecord& r = log_.calls[t][i];
        int64_t made = r.start_ns + r.runnable_ns;
        int64_t served = entered - log_.entered_runnable_ns[first + i].load(std::memory_order_relaxed);
        spans.push_back({made, std::max(made, served), first + i});
      }
    }
    uint64_t limit = static_cast<uint64_t>(s.fairness) * static_cast<uint64_t>(s.threads);
    size_t dispatched = spans.size();
    Overtaken worst = MostOvertaken(std::move(spans), limit);
    JudgeAgainstScheduler(FailureKind::kStarvation, worst.count > limit,
           "call " + std::to_string(worst.call_id) + " was passed by " +
               std::to_string(worst.count) + " later calls (made after it, their handlers started " +
               "first; fairness=" + std::to_string(s.fairness) + " allows " +
               std::to_string(limit) + "); its handler started " +
               std::to_string(worst.wait_ns / 1000000) +
               " ms after the call (time its caller and its handler's thread waited for a CPU "
               "not counted); " +
               std::to_string(worst.over_limit) + " of " + std::to_string(dispatched) +
               " calls were passed by more than " + std::to_string(limit));
  }

  Result Finish(uint64_t checked) {
    // A payload no call sent is the root cause of what follows: it goes first.
    const StrayEvidence& stray = log_.stray;
    if (uint64_t count = stray.count.load(std::memory_order_relaxed)) {
      std::ostringstream evidence;
      uint64_t named = stray.named_call.load(std::memory_order_relaxed);
      evidence << count << " handler runs got a payload that no call of this run sent; the first: "
               << stray.size.load(std::memory_order_relaxed) << " bytes starting "
               << HexBytes(stray.first_bytes.load(std::memory_order_relaxed),
                           stray.size.load(std::memory_order_relaxed));
      if (named != UINT64_MAX) {
        evidence << ", naming call " << named << ", which sent "
                 << stray.sent_size.load(std::memory_order_relaxed) << " other bytes";
      } else {
        evidence << ", naming no call (truncated or altered)";
      }
      Finding first{FailureKind::kWrongReply, evidence.str()};
      if (findings_count_ > 0) first.detail += "\n  then " + first_.detail;
      first_ = first;
      ++findings_[FailureKind::kWrongReply];
      ++findings_count_;
    }
    if (findings_.empty()) return Result::Pass();
    std::ostringstream detail;
    detail << first_.detail << "\n  " << findings_count_ << " of " << checked
           << " calls wrong:";
    for (const auto& [kind, count] : findings_) detail << " " << FailureKindName(kind) << "=" << count;
    return Result::Failure(first_.kind, detail.str());
  }

 private:
  // A call that came back ok or raised, whose handler ran `ran` times;
  // `named`: its payload names it.
  bool CheckReplied(const CallPlan& plan, const CallRecord& r, uint64_t first_of_thread, bool named,
                    uint32_t ran) {
    bool stop_before = r.events_before & EventBit(EventType::kStop);
    if (stop_before) {
      return Fail(FailureKind::kUnexpectedStatus,
                  Where(plan) + " started after stop but returned " + StatusName(r.status));
    }
    if (!CheckWhatCameBack(plan, r, first_of_thread)) return false;
    ++replied_;
    if (!named) {
      anonymous_ok_ += r.status == HANDOFF_TARGET_OK;
      return true;
    }
    if (ran != 1) {
      return Fail(FailureKind::kHandlerNotOnce, Where(plan) + " returned " +
                                                    StatusName(r.status) + " but its handler ran " +
                                                    std::to_string(ran) + " times");
    }
    latencies_ns_.push_back(r.end_ns - r.start_ns - r.runnable_ns);
    return true;
  }

  // A call that came back stopped, whose handler ran `ran` times.
  bool CheckStopped(const CallPlan& plan, const CallRecord& r, uint32_t ran) {
    // Stopped only once a stop or kill began: a bridge cannot know of
    // one before (a call whose handler raised and that came back
    // stopped earlier lost its exception).
    int64_t stop_began = log_.stop_began_ns.load(std::memory_order_relaxed);
    if (stop_began == 0 || r.end_ns < stop_began) {
      if (MayRaise(plan) && ran > 0) {
        return Fail(FailureKind::kSwallowedException,
                    Where(plan) + ": the handler raised " + ExpectedClassOf(plan) +
                        " (whatever its class, it must come back raised), the call returned "
                        "stopped" + (may_stop_ ? " before any stop or kill" : ""));
      }
      return Fail(FailureKind::kUnexpectedStatus,
                  Where(plan) + " returned stopped, but " +
                      (may_stop_ ? "before the scenario's first stop or kill began"
                                 : "the scenario never stops the bridge"));
    }
    if (ran > 1) {
      return Fail(FailureKind::kHandlerNotOnce,
                  Where(plan) + " returned stopped but its handler ran " + std::to_string(ran) +
                      " times");
    }
    return true;
  }

  // A call that came back timed_out, whose handler ran `ran` times.
  bool CheckTimedOut(const CallPlan& plan, const CallRecord& r, uint32_t ran) {
    // Right when the deadline really passed: the handler may have run
    // longer than it (once at most; its reply dropped) or not started.
    int64_t waited_ms = (r.end_ns - r.start_ns) / 1000000;
    if (waited_ms + 1 < static_cast<int64_t>(deadline_ms_)) {
      return Fail(FailureKind::kLostReply, Where(plan) + " returned timed_out after " +
                                               std::to_string(waited_ms) + " ms, before its " +
                                               std::to_string(deadline_ms_) + " ms deadline");
    }
    if (ran > 1) {
      return Fail(FailureKind::kHandlerNotOnce, Where(plan) + " timed out but its handler ran " +
                                                    std::to_string(ran) + " times");
    }
    return true;
  }

  // Whether what came back with ok or raised is right for this call.
  bool CheckWhatCameBack(const CallPlan& plan, const CallRecord& r, uint64_t first_of_thread) {
    const ReplyCheck& c = r.check;
    bool raised = r.status == HANDOFF_TARGET_RAISED;
    if (!MayReturn(plan) && !raised) {
      return Fail(FailureKind::kSwallowedException, Where(plan) + ": the handler raised " +
                                                        ExpectedClassOf(plan) +
                                                        ", the call returned ok");
    }
    if (!MayRaise(plan) && raised) {
      return Fail(FailureKind::kWrongReply, Where(plan) + " did not raise but returned raised");
    }
    if (c.right) return true;
    if (c.names_call && c.named_call != plan.call_id) {
      bool earlier = !raised && c.named_call >= first_of_thread && c.named_call < plan.call_id;
      return Fail(earlier ? FailureKind::kDuplicateReply : FailureKind::kWrongReply,
                  Where(plan) + " got the " + (raised ? "exception" : "reply") + " of call " +
                      std::to_string(c.named_call) +
                      (earlier ? ", an earlier call of the same thread" : ""));
    }
    if (raised) {
      return Fail(FailureKind::kSwallowedException,
                  Where(plan) + " returned raised without the exception's class (" +
                      ExpectedClassOf(plan) + ") and its whole " + std::to_string(c.expected_size) +
                      "-byte message (got " + std::to_string(c.size) + " bytes)");
    }
    return Fail(FailureKind::kWrongReply,
                Where(plan) + " got a wrong reply: " + std::to_string(c.size) + " bytes, expected " +
                    std::to_string(c.expected_size) +
                    (c.size == c.expected_size ? " (same length, other bytes: corrupted, or "
                                                 "computed from an altered payload)"
                                               : " (truncated, padded or another call's)"));
  }

  static std::string HexBytes(uint64_t bytes, uint64_t size) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (uint64_t i = 0; i < size && i < 8; ++i) {
      uint8_t b = static_cast<uint8_t>(bytes >> (8 * i));
      out += kDigits[b >> 4];
      out += kDigits[b & 15];
    }
    return out.empty() ? "(empty)" : out + (size > 8 ? "..." : "");
  }

  // How a failure names its call; built only on the failure path.
  static std::string Where(const CallPlan& plan) {
    std::string behaviour = BehaviourName(plan.behaviour);
    if (plan.behaviour == Behaviour::kEscape) {
      behaviour += std::string(" by ") + EscapeWayName(EscapeWayOf(plan.arg));
    }
    return "call " + std::to_string(plan.call_id) + " (" + behaviour + ", " +
           std::to_string(plan.payload_size) + " B payload, " + std::to_string(plan.reply_size) +
           " B reply)";
  }

  // A check judged against the scheduler: a failure when `failed`, or,
  // when the run's machine was busy with other work (other_cpu_load.h),
  // neither a failure nor a pass but a note that says it was not judged and
  // what was measured (a busy machine can hide unfairness as well as fake it).
  void JudgeAgainstScheduler(FailureKind kind, bool failed, std::string detail) {
    if (scheduling_not_judged_.empty()) {
      if (failed) Fail(kind, std::move(detail));
      return;
    }
    notes_ += std::string(FailureKindName(kind)) + " not judged: " + scheduling_not_judged_ +
              "; measured: " + detail + "\n";
  }

  bool Fail(FailureKind kind, std::string detail) {
    if (findings_count_++ == 0) first_ = {kind, std::move(detail)};
    ++findings_[kind];
    return false;
  }

  RunLog& log_;
  const std::string scheduling_not_judged_;  // SchedulingNotJudgedReason, or ""
  std::string notes_;
  const bool may_stop_;  // the scenario stops the bridge or kills its event thread
  const uint32_t deadline_ms_;
  uint64_t replied_ = 0;
  uint64_t anonymous_calls_ = 0;  // calls with payloads too short to name them, returned
  uint64_t anonymous_ok_ = 0;     // ... and returned ok
  std::vector<int64_t> latencies_ns_;  // ok and raised calls of named payloads
  Finding first_{FailureKind::kCrash, ""};
  uint64_t findings_count_ = 0;
  std::map<FailureKind, uint64_t> findings_;
};

// Checks every call of the scenario's threads, and with
// `target_honours_deadlines` a foreign thread's call's deadline too; returns
// how many calls it checked.
uint64_t CheckCalls(const Scenario& scenario, uint64_t seed, const RunLog& log,
                    bool target_honours_deadlines, Checker* checker, CheckStats* stats) {
  uint64_t checked = 0;
  for (int t = 0; t < scenario.threads; ++t) {
    uint64_t first = scenario.FirstCallOf(t);
    bool deadline_judged = target_honours_deadlines && scenario.KindOf(t) == CallerKind::kForeign;
    for (uint64_t i = 0; i < log.calls[t].size(); ++i) {
      CallPlan plan = PlanCall(scenario, seed, first + i);
      if (plan.behaviour == Behaviour::kPost) continue;  // the post oracle's (post_oracle.h)
      ++checked;
      const CallRecord& record = log.calls[t][i];
      if (checker->Check(plan, record, first) &&
          (!deadline_judged || checker->CheckDeadline(plan, record))) {
        ++stats->verified;
      }
    }
  }
  return checked;
}

// Checks the nested calls whose records are complete; returns how many. A
// nested call's record is complete once its outer call came back with its
// handler's reply (the bridge orders the handler before that).
uint64_t CheckNestedCalls(const Scenario& scenario, uint64_t seed, const RunLog& log,
                          Checker* checker, CheckStats* stats) {
  uint64_t checked = 0;
  for (int t = 0; t < scenario.threads; ++t) {
    uint64_t first = scenario.FirstCallOf(t);
    for (uint64_t i = 0; i < log.calls[t].size(); ++i) {
      uint64_t outer = first + i;
      uint8_t status = log.calls[t][i].status;
      if (!log.nested_made[outer].load(std::memory_order_relaxed)) continue;
      CallPlan plan = NestedCallOf(scenario, seed, outer);
      if (status != HANDOFF_TARGET_OK && status != HANDOFF_TARGET_RAISED) {
        // Not read (nothing orders it before this), but its handler may have
        // run: an anonymous one may count among the anonymous runs.
        if (plan.payload_size < kPayloadHeaderSize) checker->AllowAnonymousRun();
        continue;
      }
      ++checked;
      if (checker->Check(plan, log.nested[outer], plan.call_id)) ++stats->verified;
    }
  }
  return checked;
}

}  // namespace

int64_t DeadlineSlackNs(uint32_t deadline_ms) {
  return std::max<int64_t>(1000, deadline_ms) * 1000000;
}

Result CheckRun(const Scenario& scenario, uint64_t seed, RunLog& log, CheckStats* stats,
                bool target_honours_deadlines, const std::string& scheduling_not_judged) {
  Checker checker(scenario, log, scheduling_not_judged);
  // A swallowed interrupt first: a call it stopped is its symptom.
  checker.CheckInterruptsSeen(scenario);
  uint64_t checked = CheckCalls(scenario, seed, log, target_honours_deadlines, &checker, stats);
  checked += CheckNestedCalls(scenario, seed, log, &checker, stats);
  stats->replied = checker.replied();
  checker.CheckAnonymousRuns();
  checker.CheckLatency(scenario, stats);
  checker.CheckFairness(scenario);
  stats->notes = checker.notes();
  PostCheck posts;
  Result posts_result = CheckPosts(scenario, seed, log, &posts);
  stats->verified += posts.verified;
  stats->post_p50_us = posts.p50_us;
  stats->post_p99_us = posts.p99_us;
  Result calls_result = checker.Finish(checked);
  return calls_result.passed() ? posts_result : calls_result;
}

}  // namespace handoff
