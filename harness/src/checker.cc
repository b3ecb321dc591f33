#include "checker.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "handoff/target.h"
#include "overtaking.h"

namespace handoff {
namespace {

const char* StatusName(uint8_t status) {
  static const char* const kNames[] = {"ok", "raised", "stopped", "timed_out", "forked", "invalid"};
  if (status == kNotReturned) return "never returned";
  return status < 6 ? kNames[status] : "out-of-range status";
}

struct Finding {
  FailureKind kind;
  std::string detail;
};

class Checker {
 public:
  Checker(const Scenario& s, RunLog& log)
      : log_(log), may_stop_(s.Has(EventType::kStop) || s.Has(EventType::kKill)) {}

  // Checks one call; the same thread's earlier calls have ids from
  // first_of_thread (for duplicate_reply). Returns true when the call is right.
  bool Check(const CallPlan& plan, const CallRecord& r, uint64_t first_of_thread) {
    uint32_t ran = log_.ran[plan.call_id].load();
    bool stop_before = r.events_before & EventBit(EventType::kStop);
    switch (r.status) {
      case HANDOFF_TARGET_OK:
      case HANDOFF_TARGET_RAISED: {
        if (stop_before) {
          return Fail(FailureKind::kUnexpectedStatus,
                      Where(plan) + " started after stop but returned " + StatusName(r.status));
        }
        if (ran != 1) {
          return Fail(FailureKind::kHandlerNotOnce, Where(plan) + " returned " +
                                                        StatusName(r.status) + " but its handler ran " +
                                                        std::to_string(ran) + " times");
        }
        if (plan.behaviour == Behaviour::kRaise && r.status == HANDOFF_TARGET_OK) {
          return Fail(FailureKind::kSwallowedException,
                      Where(plan) + ": the handler raised, the call returned ok");
        }
        if (plan.behaviour != Behaviour::kRaise && r.status == HANDOFF_TARGET_RAISED) {
          return Fail(FailureKind::kWrongReply, Where(plan) + " did not raise but returned raised");
        }
        if (r.status == HANDOFF_TARGET_RAISED) {
          if (!r.raised_named) {
            return Fail(FailureKind::kSwallowedException,
                        Where(plan) + " returned raised without the exception's message");
          }
          if (r.raised_call_id != plan.call_id) {
            return Fail(FailureKind::kWrongReply, Where(plan) + " got the exception of call " +
                                                      std::to_string(r.raised_call_id));
          }
          return true;
        }
        if (!r.reply.well_formed) {
          return Fail(FailureKind::kWrongReply, Where(plan) + " got a malformed or truncated reply");
        }
        if (r.reply.call_id != plan.call_id) {
          bool earlier = r.reply.call_id >= first_of_thread && r.reply.call_id < plan.call_id;
          return Fail(earlier ? FailureKind::kDuplicateReply : FailureKind::kWrongReply,
                      Where(plan) + " got the reply of call " + std::to_string(r.reply.call_id) +
                          (earlier ? ", an earlier call of the same thread" : ""));
        }
        if (r.reply.payload_digest != r.sent_digest) {
          return Fail(FailureKind::kWrongReply,
                      Where(plan) + " got a reply computed from a different (corrupted) payload");
        }
        return true;
      }
      case HANDOFF_TARGET_STOPPED:
        if (!may_stop_) {
          return Fail(FailureKind::kUnexpectedStatus,
                      Where(plan) + " returned stopped, but the scenario never stops the bridge");
        }
        if (ran > 1) {
          return Fail(FailureKind::kHandlerNotOnce, Where(plan) + " returned stopped but its handler ran " +
                                                        std::to_string(ran) + " times");
        }
        return true;
      case HANDOFF_TARGET_TIMED_OUT:
        return Fail(FailureKind::kLostReply, Where(plan) + " timed out after " +
                                                 std::to_string((r.end_ns - r.start_ns) / 1000000) +
                                                 " ms (handler ran " + std::to_string(ran) + " times)");
      case kNotReturned:
        return Fail(FailureKind::kLostReply, Where(plan) + " never returned");
      default:
        return Fail(FailureKind::kUnexpectedStatus,
                    Where(plan) + " returned " + StatusName(r.status));
    }
  }

  // Scenario fairness=K: a call whose handler more than K x threads later
  // calls' handlers started before (they were made after it) was starved:
  // the bridge served newer callers first, again and again (class 14). A
  // FIFO bridge lets a call be passed only by the few calls racing it into
  // the queue; a LIFO one by the stream that arrives while it waits. Taken
  // in dispatch order (when each handler started), so a handler that Ruby
  // preempts mid-block does not count, and counted, not timed, so it does
  // not depend on how fast the build or the machine is.
  void CheckFairness(const Scenario& s) {
    if (s.fairness == 0) return;
    std::vector<CallSpan> spans;
    for (int t = 0; t < s.threads; ++t) {
      uint64_t first = s.FirstCallOf(t);
      for (uint64_t i = 0; i < log_.calls[t].size(); ++i) {
        int64_t entered = log_.entered_ns[first + i].load(std::memory_order_relaxed);
        if (entered == 0) continue;
        spans.push_back({log_.calls[t][i].start_ns, entered, first + i});
      }
    }
    uint64_t limit = static_cast<uint64_t>(s.fairness) * static_cast<uint64_t>(s.threads);
    size_t dispatched = spans.size();
    Overtaken worst = MostOvertaken(std::move(spans), limit);
    if (worst.count > limit) {
      Fail(FailureKind::kStarvation,
           "call " + std::to_string(worst.call_id) + " was passed by " +
               std::to_string(worst.count) + " later calls (made after it, their handlers started " +
               "first; fairness=" + std::to_string(s.fairness) + " allows " +
               std::to_string(limit) + "); its handler started " +
               std::to_string(worst.wait_ns / 1000000) + " ms after the call; " +
               std::to_string(worst.over_limit) + " of " + std::to_string(dispatched) +
               " calls were passed by more than " + std::to_string(limit));
    }
  }

  Result Finish(uint64_t checked) {
    uint64_t stray = log_.stray_runs.load();
    if (stray != 0 && findings_.empty()) {
      Fail(FailureKind::kWrongReply,
           std::to_string(stray) + " handler runs got a payload that names no call of this run");
    }
    if (findings_.empty()) return Result::Pass();
    std::ostringstream detail;
    detail << first_.detail << "\n  " << findings_count_ << " of " << checked
           << " calls wrong:";
    for (const auto& [kind, count] : findings_) detail << " " << FailureKindName(kind) << "=" << count;
    return Result::Failure(first_.kind, detail.str());
  }

 private:
  // How a failure names its call; built only on the failure path.
  static std::string Where(const CallPlan& plan) {
    return "call " + std::to_string(plan.call_id) + " (" + BehaviourName(plan.behaviour) + ", " +
           std::to_string(plan.payload_size) + " B)";
  }

  bool Fail(FailureKind kind, std::string detail) {
    if (findings_count_++ == 0) first_ = {kind, std::move(detail)};
    ++findings_[kind];
    return false;
  }

  RunLog& log_;
  const bool may_stop_;  // the scenario stops the bridge or kills its event thread
  Finding first_{FailureKind::kCrash, ""};
  uint64_t findings_count_ = 0;
  std::map<FailureKind, uint64_t> findings_;
};

}  // namespace

Result CheckRun(const Scenario& scenario, uint64_t seed, RunLog& log, CheckStats* stats) {
  Checker checker(scenario, log);
  uint64_t checked = 0;
  for (int t = 0; t < scenario.threads; ++t) {
    uint64_t first = scenario.FirstCallOf(t);
    for (uint64_t i = 0; i < log.calls[t].size(); ++i) {
      ++checked;
      if (checker.Check(PlanCall(scenario, seed, first + i), log.calls[t][i], first)) {
        ++stats->verified;
      }
    }
  }
  for (const NestedRecord& nested : log.Nested()) {
    ++checked;
    CallPlan plan = NestedCallOf(scenario, nested.outer_call_id);
    if (checker.Check(plan, nested.record, plan.call_id)) ++stats->verified;
  }
  checker.CheckFairness(scenario);
  return checker.Finish(checked);
}

}  // namespace handoff
