// handoff-stress's JSON output: every --json document is built as an
// nlohmann::ordered_json (keys in the order written) and printed by
// PrintJsonLine, one document per line.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>

namespace handoff {

using Json = nlohmann::ordered_json;

// One line on stdout. Bytes that are not UTF-8 (a detail quoting a payload)
// become U+FFFD rather than aborting the output.
inline void PrintJsonLine(const Json& document) {
  std::string text = document.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
}

}  // namespace handoff
