// The outcome of one harness run: the target passed, the target failed with
// a kind of failure, or the harness itself could not do its job. Keeping the
// last two apart matters: a harness error says nothing about the target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace handoff {

// Adding a kind: its enumerator here, its row in result.cc's table (which
// --help, JSON, a mutant's declaration and the fork channel all read), its
// row in README's failure kind table (harness.cli checks the two agree), and
// the check that reports it.
enum class FailureKind {
  kDataRace,
  kDeadlock,
  kLostReply,
  kDuplicateReply,
  kWrongReply,
  kHandlerNotOnce,
  kSwallowedException,
  kUnexpectedStatus,
  kCrash,
  kUseAfterFree,
  kStarvation,
  kGvlViolation,
  kTooSlow,
  kLeak,
  kHandleLeak,
  kDeadlineMissed,
  kIdleCpu,
};

// One kind as everything that lists them sees it.
struct FailureKindInfo {
  FailureKind kind;
  const char* name;     // "data_race", ...: the command line's, JSON's and a mutant's name
  const char* summary;  // one line for --help
};

// Every kind, in the order --help lists them.
const std::vector<FailureKindInfo>& FailureKinds();

// "data_race", "deadlock", ...: the names used on the command line, in JSON
// and in a mutant's declaration.
const char* FailureKindName(FailureKind kind);
std::optional<FailureKind> ParseFailureKind(const std::string& name);
// Every name, comma-separated, for error messages.
std::string FailureKindNames();

struct Result {
  // kNotApplicable: the scenario asks for something the target declares it
  // cannot do (target.h's optional functions and flags); nothing was run and
  // nothing is said about the target.
  enum class Type { kPass, kFailure, kHarnessError, kNotApplicable };
  Type type = Type::kPass;
  FailureKind kind = FailureKind::kCrash;  // meaningful for kFailure only
  std::string detail;                      // one or more lines, for a human
  // A failure's (or harness error's) handoff-stress line that reruns the
  // run, built once where its options are known (SuperviseRun, from
  // RunOptions::replay_target); empty for a pass or a run without one.
  std::string replay;

  static Result Pass() { return {}; }
  static Result Failure(FailureKind kind, std::string detail) {
    return {Type::kFailure, kind, std::move(detail), ""};
  }
  static Result HarnessError(std::string detail) {
    return {Type::kHarnessError, FailureKind::kCrash, std::move(detail), ""};
  }
  static Result NotApplicable(std::string reason) {
    return {Type::kNotApplicable, FailureKind::kCrash, std::move(reason), ""};
  }
  bool passed() const { return type == Type::kPass; }
  bool not_applicable() const { return type == Type::kNotApplicable; }
  bool failed() const { return type == Type::kFailure; }
  // "pass", the failure kind's name, "harness_error" or "n/a".
  std::string Verdict() const;
};

// What a run measured (handoff-stress --json prints it).
struct RunStats {
  uint64_t calls_returned = 0;
  uint64_t verified = 0;  // calls checked and right, nested calls included
  double seconds = 0;     // from the first call to the last return
  uint64_t sync_points = 0;
  uint64_t schedule_steps = 0;  // decisions of the controlled schedule (0: not controlled)
  bool schedule_exact = true;   // no thread was let go on uncontrolled
  double p50_us = 0;      // latency of ok and raised calls, invoke to return
  double p99_us = 0;
  double leak_bytes_per_call = 0;  // resident growth per call, the smaller of the last two quarters' (0: not measured)
  uint64_t replied = 0;   // calls that came back ok or raised, their reply or message checked
  // What the run could not do as asked, one line each (an aimed event that
  // never found its aim, a run in which no reply was checked): a pass with
  // notes proves less than it seems to.
  std::string notes;
};

}  // namespace handoff
