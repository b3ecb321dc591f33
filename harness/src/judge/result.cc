#include "handoff/result.h"

namespace handoff {

const std::vector<FailureKindInfo>& FailureKinds() {
  static const std::vector<FailureKindInfo> kinds = {
      {FailureKind::kDataRace, "data_race", "ThreadSanitizer reported a race (or another TSan error)"},
      {FailureKind::kDeadlock, "deadlock", "the run stuck: every thread asleep, or no call returning"},
      {FailureKind::kLostReply, "lost_reply", "a call never got its reply (timed out, or nothing came)"},
      {FailureKind::kDuplicateReply, "duplicate_reply", "a call got a reply an earlier call already got"},
      {FailureKind::kWrongReply, "wrong_reply", "a call's reply is not the one its payload asks for"},
      {FailureKind::kHandlerNotOnce, "handler_not_once", "the block ran zero or several times for one call"},
      {FailureKind::kSwallowedException, "swallowed_exception", "the block raised; the call did not say so"},
      {FailureKind::kUnexpectedStatus, "unexpected_status", "a status the scenario cannot produce"},
      {FailureKind::kCrash, "crash", "the run died: a signal, an abort, Ruby's [BUG]"},
      {FailureKind::kUseAfterFree, "use_after_free", "a sanitizer saw memory used after (or racing) its free"},
      {FailureKind::kStarvation, "starvation", "with fairness=K: a call passed by too many later ones"},
      {FailureKind::kGvlViolation, "gvl_violation", "the Ruby C API called from a thread without the GVL"},
      {FailureKind::kTooSlow, "too_slow", "with max_p99_us=N: the run's p99 latency over N us"},
      {FailureKind::kLeak, "leak", "with leak_bytes_per_call=N: resident memory grew faster"},
      {FailureKind::kHandleLeak, "handle_leak", "file descriptors or threads left open by the calls"},
      {FailureKind::kDeadlineMissed, "deadline_missed", "a target that honours deadlines came back long after one"},
      {FailureKind::kIdleCpu, "idle_cpu", "with idle@N: the target used CPU while no call was in flight"},
  };
  return kinds;
}

const char* FailureKindName(FailureKind kind) {
  for (const FailureKindInfo& k : FailureKinds()) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::optional<FailureKind> ParseFailureKind(const std::string& name) {
  for (const FailureKindInfo& k : FailureKinds()) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

std::string FailureKindNames() {
  std::string names;
  for (const FailureKindInfo& k : FailureKinds()) {
    if (!names.empty()) names += ", ";
    names += k.name;
  }
  return names;
}

std::string Result::Verdict() const {
  switch (type) {
    case Type::kPass:
      return "pass";
    case Type::kFailure:
      return FailureKindName(kind);
    case Type::kHarnessError:
      return "harness_error";
    case Type::kNotApplicable:
      return "n/a";
  }
  return "harness_error";
}

}  // namespace handoff
