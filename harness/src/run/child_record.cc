#include "run/child_record.h"

#include <nlohmann/json.hpp>

namespace handoff {

using Json = nlohmann::json;

// RunStats to and from JSON, field by field under its own names: the one
// list both directions use (a field left out throws on reading).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RunStats, calls_returned, verified, seconds, sync_points,
                                   schedule_steps, schedule_exact, p50_us, p99_us, post_p50_us, post_p99_us, leak_bytes_per_call, replied, speed, notes)

std::string FormatChildRecord(const ChildRecord& record) {
  Json json{{"verdict", record.result.Verdict()},
            {"detail", record.result.detail()},
            {"report", record.report},
            {"stats", record.stats}};
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool ParseChildRecord(const std::string& line, ChildRecord* record) {
  Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return false;
  try {
    std::string verdict = json.at("verdict").get<std::string>();
    std::string detail = json.at("detail").get<std::string>();
    if (verdict == "pass") {
      record->result = Result::Pass();
    } else if (verdict == "harness_error") {
      record->result = Result::HarnessFailure(detail);
    } else if (verdict == "n/a") {
      record->result = Result::Inapplicable(detail);
    } else if (std::optional<FailureKind> kind = ParseFailureKind(verdict)) {
      record->result = Result::Failure(*kind, detail);
    } else {
      return false;
    }
    record->report = json.at("report").get<std::string>();
    json.at("stats").get_to(record->stats);
  } catch (const Json::exception&) {
    return false;
  }
  return true;
}

std::string LastWordsSchedule(const std::string& child_stderr) {
  size_t at = child_stderr.rfind(kLastWordsScheduleMarker);
  return at == std::string::npos ? "" : child_stderr.substr(at + sizeof(kLastWordsScheduleMarker) - 1);
}

}  // namespace handoff
