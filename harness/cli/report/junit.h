// JUnit XML for CI (what `--junit FILE` writes): test cases grouped into a
// testsuite each, failures with a message and text, skipped ones with why.
#pragma once

#include <string>
#include <vector>

namespace handoff {

struct JUnitCase {
  std::string suite;    // the testsuite it belongs to (a target, a property run)
  std::string name;     // the testcase
  double seconds = 0;
  enum class Outcome { kPass, kFailure, kError, kSkipped } outcome = Outcome::kPass;
  std::string message;  // failure/error: the verdict; skipped: why
  std::string text;     // failure/error: detail lines and the replay line
  std::string output;   // system-out
};

// The whole document; cases of one suite are written together, in the order
// their suite first appears.
std::string JUnitXml(const std::string& title, const std::vector<JUnitCase>& cases);

// Writes `text` to `path`; false when it could not.
bool WriteTextFile(const std::string& path, const std::string& text);

}  // namespace handoff
