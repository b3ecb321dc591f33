// The outcome of one harness run: the target passed, the target failed with
// a kind of failure, or the harness itself could not do its job. Keeping the
// last two apart matters: a harness error says nothing about the target.
#pragma once

#include <optional>
#include <string>

namespace handoff {

enum class FailureKind {
  kDataRace,            // ThreadSanitizer reported a race (or another TSan error)
  kDeadlock,            // the watchdog saw no progress before its deadline
  kLostReply,           // a call never got its reply (timed out, or nothing came)
  kDuplicateReply,      // a call got a reply that an earlier call already got
  kWrongReply,          // a call got a reply computed from another call's payload
  kHandlerNotOnce,      // the handler ran zero or several times for a call that returned a reply
  kSwallowedException,  // the handler raised but the call did not come back as raised
  kUnexpectedStatus,    // a status the scenario cannot produce (forked, invalid, stopped without a stop)
  kCrash,               // the run died: a signal, abort or Ruby [BUG]
  kUseAfterFree,        // a sanitizer reported a heap-use-after-free, or a race with a free
  kStarvation,          // a call waited far longer than the median (scenario fairness=K)
  kGvlViolation,        // the target called the Ruby C API from a thread without the GVL (gvl_check.h)
  kTooSlow,             // the run's p99 call latency was over the scenario's max_p99_us
  kLeak,                // resident memory grew by more than leak_bytes_per_call per call
};

// "data_race", "deadlock", ...: the names used on the command line, in JSON
// and in a mutant's declaration.
const char* FailureKindName(FailureKind kind);
std::optional<FailureKind> ParseFailureKind(const std::string& name);
// Every name, comma-separated, for error messages.
std::string FailureKindNames();

struct Result {
  enum class Type { kPass, kFailure, kHarnessError };
  Type type = Type::kPass;
  FailureKind kind = FailureKind::kCrash;  // meaningful for kFailure only
  std::string detail;                      // one or more lines, for a human

  static Result Pass() { return {}; }
  static Result Failure(FailureKind kind, std::string detail) {
    return {Type::kFailure, kind, std::move(detail)};
  }
  static Result HarnessError(std::string detail) {
    return {Type::kHarnessError, FailureKind::kCrash, std::move(detail)};
  }
  bool passed() const { return type == Type::kPass; }
  bool failed() const { return type == Type::kFailure; }
  // "pass", the failure kind's name, or "harness_error".
  std::string Verdict() const;
};

}  // namespace handoff
