// The outcome of one harness run: the target passed, the target failed with
// a kind of failure, or the harness itself could not do its job. Keeping the
// last two apart matters: a harness error says nothing about the target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace handoff {

// Adding a kind: its enumerator here, its row in result.cc's table (which
// --help, JSON, a mutant's declaration, the score, the mutants' ctest labels
// and the fork channel all read; with what seeing it needs), its
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
  kTooSlowThroughput,
  kLeak,
  kHandleLeak,
  kDeadlineMissed,
  kIdleCpu,
  // Fire-and-forget posts (post_oracle.h).
  kLostPost,
  kDuplicatePost,
  kOutOfOrder,
  kUnboundedQueue,
  kMiscounted,
};

// What seeing or judging a kind takes, as bits (FailureKindInfo::needs):
// what the score, a mutant's test and its ctest labels read.
enum FailureKindNeeds : unsigned {
  kNeedsNothing = 0,
  // Only ThreadSanitizer sees it: a release or ASan build cannot.
  kNeedsThreadSanitizer = 1u << 0,
  // Judged only where no sanitizer distorts time and memory (release).
  kNeedsUndistortedMeasurements = 1u << 1,
  // Judged against the scheduler: not while other work takes the CPU.
  kNeedsQuietMachine = 1u << 2,
};

// One kind as everything that lists them sees it.
struct FailureKindInfo {
  FailureKind kind;
  const char* name;     // "data_race", ...: the command line's, JSON's and a mutant's name
  const char* summary;  // one line for --help
  unsigned needs;       // FailureKindNeeds bits
};

// The names of `needs`' bits ("thread_sanitizer", "undistorted_measurements",
// "quiet_machine"), as --list-targets --json prints a mutant's.
std::vector<std::string> FailureKindNeedsNames(unsigned needs);

// Every kind, in the order --help lists them.
const std::vector<FailureKindInfo>& FailureKinds();

// The kind called `name`, or nullptr.
const FailureKindInfo* FindFailureKind(const std::string& name);
// "data_race", "deadlock", ...: the names used on the command line, in JSON
// and in a mutant's declaration.
const char* FailureKindName(FailureKind kind);
std::optional<FailureKind> ParseFailureKind(const std::string& name);
// Every name, comma-separated, for error messages.
std::string FailureKindNames();

// What one run found: exactly one outcome, each carrying its own evidence.
//   Passed        the target did what the scenario asks;
//   Failed        the target failed: a kind, the detail that shows it, and
//                 the line that reruns it;
//   HarnessError  the harness could not do its job (says nothing about the
//                 target): what went wrong, and the line that reruns it;
//   NotApplicable the scenario asks for something the target declares it
//                 cannot do (target.h's optional functions and flags):
//                 nothing was run and nothing is said about the target.
// A replay line is the handoff-stress command line that reruns the run,
// built once where its options are known (SuperviseRun, from
// RunOptions::replay_target); empty for a run without one.
class Result {
 public:
  struct Passed {};
  struct Failed {
    FailureKind kind;
    std::string detail;  // one or more lines, for a human
    std::string replay;
  };
  struct HarnessError {
    std::string detail;
    std::string replay;
  };
  struct NotApplicable {
    std::string reason;
  };
  using Outcome = std::variant<Passed, Failed, HarnessError, NotApplicable>;

  Result() = default;  // a pass
  static Result Pass() { return Result(Passed{}); }
  static Result Failure(FailureKind kind, std::string detail) {
    return Result(Failed{kind, std::move(detail), ""});
  }
  static Result HarnessFailure(std::string detail) { return Result(HarnessError{std::move(detail), ""}); }
  static Result Inapplicable(std::string reason) { return Result(NotApplicable{std::move(reason)}); }

  const Outcome& outcome() const { return outcome_; }
  bool passed() const { return std::holds_alternative<Passed>(outcome_); }
  bool failed() const { return std::holds_alternative<Failed>(outcome_); }
  bool harness_error() const { return std::holds_alternative<HarnessError>(outcome_); }
  bool not_applicable() const { return std::holds_alternative<NotApplicable>(outcome_); }
  // The failure's kind; nothing for any other outcome.
  std::optional<FailureKind> kind() const;
  // The failure's or harness error's detail, or why it was not applicable;
  // "" for a pass.
  const std::string& detail() const;
  // The line that reruns a failure or harness error; "" otherwise.
  const std::string& replay() const;
  // "pass", the failure kind's name, "harness_error" or "n/a".
  std::string Verdict() const;

  // The same outcome with `lines` added to its detail (a failure's schedule,
  // say); a pass stays a pass.
  Result WithDetailAdded(const std::string& lines) const;
  // The same failure or harness error with the line that reruns it.
  Result WithReplay(std::string line) const;

 private:
  explicit Result(Outcome outcome) : outcome_(std::move(outcome)) {}
  Outcome outcome_;
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
  // Posts (mix=...,post:W): post call return to handler start, over posts
  // that ran (0: no post ran).
  double post_p50_us = 0;
  double post_p99_us = 0;
  double leak_bytes_per_call = 0;  // resident growth per call, the smaller of the last two quarters' (0: not measured)
  uint64_t replied = 0;   // calls that came back ok or raised, their reply or message checked
  // With min_throughput_ratio: what the speed phases measured, one line
  // (speed_verdict.h's SpeedSummary); "" without.
  std::string speed;
  // What the run could not do as asked, one line each (an aimed event that
  // never found its aim, a run in which no reply was checked): a pass with
  // notes proves less than it seems to.
  std::string notes;
};

}  // namespace handoff
