#include "result.h"

namespace handoff {
namespace {

struct KindName {
  FailureKind kind;
  const char* name;
};

constexpr KindName kKindNames[] = {
    {FailureKind::kDataRace, "data_race"},
    {FailureKind::kDeadlock, "deadlock"},
    {FailureKind::kLostReply, "lost_reply"},
    {FailureKind::kDuplicateReply, "duplicate_reply"},
    {FailureKind::kWrongReply, "wrong_reply"},
    {FailureKind::kHandlerNotOnce, "handler_not_once"},
    {FailureKind::kSwallowedException, "swallowed_exception"},
    {FailureKind::kUnexpectedStatus, "unexpected_status"},
    {FailureKind::kCrash, "crash"},
    {FailureKind::kUseAfterFree, "use_after_free"},
    {FailureKind::kStarvation, "starvation"},
    {FailureKind::kGvlViolation, "gvl_violation"},
    {FailureKind::kTooSlow, "too_slow"},
    {FailureKind::kLeak, "leak"},
};

}  // namespace

const char* FailureKindName(FailureKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::optional<FailureKind> ParseFailureKind(const std::string& name) {
  for (const KindName& k : kKindNames) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

std::string FailureKindNames() {
  std::string names;
  for (const KindName& k : kKindNames) {
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
  }
  return "harness_error";
}

}  // namespace handoff
