#include "handoff/result.h"

namespace handoff {

const std::vector<FailureKindInfo>& FailureKinds() {
  static const std::vector<FailureKindInfo> kinds = {
      {FailureKind::kDataRace, "data_race", "ThreadSanitizer reported a race (or another TSan error)",
       kNeedsThreadSanitizer},
      {FailureKind::kDeadlock, "deadlock", "the run stuck: every thread asleep, or no call returning",
       kNeedsNothing},
      {FailureKind::kLostReply, "lost_reply", "a call never got its reply (timed out, or nothing came)",
       kNeedsNothing},
      {FailureKind::kDuplicateReply, "duplicate_reply", "a call got a reply an earlier call already got",
       kNeedsNothing},
      {FailureKind::kWrongReply, "wrong_reply", "a call's reply is not the one its payload asks for",
       kNeedsNothing},
      {FailureKind::kHandlerNotOnce, "handler_not_once", "the block ran zero or several times for one call",
       kNeedsNothing},
      {FailureKind::kSwallowedException, "swallowed_exception", "the block raised; the call did not say so",
       kNeedsNothing},
      {FailureKind::kUnexpectedStatus, "unexpected_status", "a status the scenario cannot produce",
       kNeedsNothing},
      {FailureKind::kCrash, "crash", "the run died: a signal, an abort, Ruby's [BUG]",
       kNeedsNothing},
      {FailureKind::kUseAfterFree, "use_after_free", "a sanitizer saw memory used after (or racing) its free",
       kNeedsThreadSanitizer},
      {FailureKind::kStarvation, "starvation", "with fairness=K: a call passed by too many later ones",
       kNeedsQuietMachine},
      {FailureKind::kGvlViolation, "gvl_violation", "the Ruby C API called from a thread without the GVL",
       kNeedsNothing},
      {FailureKind::kTooSlow, "too_slow", "with max_p99_us=N: the run's p99 latency over N us",
       kNeedsUndistortedMeasurements | kNeedsQuietMachine},
      {FailureKind::kTooSlowThroughput, "too_slow_throughput",
       "with min_throughput_ratio=R: throughput or p50 under R x the condvar floor measured in the run",
       kNeedsUndistortedMeasurements | kNeedsQuietMachine},
      {FailureKind::kLeak, "leak", "with leak_bytes_per_call=N: resident memory grew faster",
       kNeedsUndistortedMeasurements},
      {FailureKind::kHandleLeak, "handle_leak", "file descriptors or threads left open by the calls",
       kNeedsNothing},
      {FailureKind::kDeadlineMissed, "deadline_missed", "a target that honours deadlines came back long after one",
       kNeedsNothing},
      {FailureKind::kIdleCpu, "idle_cpu", "with idle@N: the target used CPU while no call was in flight",
       kNeedsUndistortedMeasurements},
      {FailureKind::kLostPost, "lost_post",
       "an accepted post never ran and was not counted dropped for a reason its policy or a stop allows",
       kNeedsNothing},
      {FailureKind::kDuplicatePost, "duplicate_post", "an accepted post's handler ran more than once",
       kNeedsNothing},
      {FailureKind::kOutOfOrder, "out_of_order",
       "posts of one thread ran out of order, or one started before the one before it ended",
       kNeedsNothing},
      {FailureKind::kUnboundedQueue, "unbounded_queue",
       "more posts waited at once than the target's post_capacity (and the posts in flight) allow",
       kNeedsNothing},
      {FailureKind::kMiscounted, "miscounted",
       "post_stats' counters disagree with what the posts returned and ran",
       kNeedsNothing},
  };
  return kinds;
}

std::vector<std::string> FailureKindNeedsNames(unsigned needs) {
  std::vector<std::string> names;
  if (needs & kNeedsThreadSanitizer) names.push_back("thread_sanitizer");
  if (needs & kNeedsUndistortedMeasurements) names.push_back("undistorted_measurements");
  if (needs & kNeedsQuietMachine) names.push_back("quiet_machine");
  return names;
}

const FailureKindInfo* FindFailureKind(const std::string& name) {
  for (const FailureKindInfo& k : FailureKinds()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

const char* FailureKindName(FailureKind kind) {
  for (const FailureKindInfo& k : FailureKinds()) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::optional<FailureKind> ParseFailureKind(const std::string& name) {
  const FailureKindInfo* k = FindFailureKind(name);
  return k != nullptr ? std::optional<FailureKind>(k->kind) : std::nullopt;
}

std::string FailureKindNames() {
  std::string names;
  for (const FailureKindInfo& k : FailureKinds()) {
    if (!names.empty()) names += ", ";
    names += k.name;
  }
  return names;
}

namespace {
// Picks the member of each outcome the caller asks for (std::visit).
template <class... Picks>
struct Pick : Picks... {
  using Picks::operator()...;
};
template <class... Picks>
Pick(Picks...) -> Pick<Picks...>;
const std::string kNoText;
}  // namespace

std::optional<FailureKind> Result::kind() const {
  if (const Failed* f = std::get_if<Failed>(&outcome_)) return f->kind;
  return std::nullopt;
}

const std::string& Result::detail() const {
  return std::visit(Pick{[](const Passed&) -> const std::string& { return kNoText; },
                         [](const Failed& f) -> const std::string& { return f.detail; },
                         [](const HarnessError& e) -> const std::string& { return e.detail; },
                         [](const NotApplicable& n) -> const std::string& { return n.reason; }},
                    outcome_);
}

const std::string& Result::replay() const {
  if (const Failed* f = std::get_if<Failed>(&outcome_)) return f->replay;
  if (const HarnessError* e = std::get_if<HarnessError>(&outcome_)) return e->replay;
  return kNoText;
}

std::string Result::Verdict() const {
  return std::visit(Pick{[](const Passed&) -> std::string { return "pass"; },
                         [](const Failed& f) -> std::string { return FailureKindName(f.kind); },
                         [](const HarnessError&) -> std::string { return "harness_error"; },
                         [](const NotApplicable&) -> std::string { return "n/a"; }},
                    outcome_);
}

Result Result::WithDetailAdded(const std::string& lines) const {
  Result added = *this;
  std::visit(Pick{[](Passed&) {}, [&](Failed& f) { f.detail += lines; },
                  [&](HarnessError& e) { e.detail += lines; }, [&](NotApplicable& n) { n.reason += lines; }},
             added.outcome_);
  return added;
}

Result Result::WithReplay(std::string line) const {
  Result with = *this;
  if (Failed* f = std::get_if<Failed>(&with.outcome_)) f->replay = std::move(line);
  if (HarnessError* e = std::get_if<HarnessError>(&with.outcome_)) e->replay = std::move(line);
  return with;
}

}  // namespace handoff
