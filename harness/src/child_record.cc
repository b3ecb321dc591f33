#include "child_record.h"

#include <nlohmann/json.hpp>

namespace handoff {

using Json = nlohmann::json;

std::string FormatChildRecord(const ChildRecord& record) {
  const RunStats& s = record.stats;
  Json json{{"verdict", record.result.Verdict()},
            {"detail", record.result.detail},
            {"report", record.report},
            {"stats",
             {{"calls_returned", s.calls_returned},
              {"verified", s.verified},
              {"seconds", s.seconds},
              {"sync_points", s.sync_points},
              {"p50_us", s.p50_us},
              {"p99_us", s.p99_us},
              {"leak_bytes_per_call", s.leak_bytes_per_call},
              {"replied", s.replied},
              {"notes", s.notes}}}};
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
      record->result = Result::HarnessError(detail);
    } else if (std::optional<FailureKind> kind = ParseFailureKind(verdict)) {
      record->result = Result::Failure(*kind, detail);
    } else {
      return false;
    }
    record->report = json.at("report").get<std::string>();
    const Json& s = json.at("stats");
    RunStats& stats = record->stats;
    s.at("calls_returned").get_to(stats.calls_returned);
    s.at("verified").get_to(stats.verified);
    s.at("seconds").get_to(stats.seconds);
    s.at("sync_points").get_to(stats.sync_points);
    s.at("p50_us").get_to(stats.p50_us);
    s.at("p99_us").get_to(stats.p99_us);
    s.at("leak_bytes_per_call").get_to(stats.leak_bytes_per_call);
    s.at("replied").get_to(stats.replied);
    s.at("notes").get_to(stats.notes);
  } catch (const Json::exception&) {
    return false;
  }
  return true;
}

}  // namespace handoff
