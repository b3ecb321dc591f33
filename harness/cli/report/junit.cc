#include "cli/report/junit.h"

#include <cstdio>
#include <fstream>

namespace handoff {
namespace {

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += (c < 0x20 && c != '\n' && c != '\t') ? '?' : static_cast<char>(c);  // not in XML 1.0
    }
  }
  return out;
}

// The cases' suites, each once, in the order they first appear.
std::vector<std::string> SuiteNames(const std::vector<JUnitCase>& cases) {
  std::vector<std::string> suites;
  for (const JUnitCase& c : cases) {
    bool seen = false;
    for (const std::string& s : suites) seen = seen || s == c.suite;
    if (!seen) suites.push_back(c.suite);
  }
  return suites;
}

// One <testcase> element of `suite`: its time, its skipped, failure or error
// element, and its system-out.
std::string TestCaseXml(const std::string& suite, const JUnitCase& c) {
  char head[160];
  std::snprintf(head, sizeof head, "\" time=\"%.3f\">\n", c.seconds);
  std::string xml = "    <testcase classname=\"handoff." + XmlEscape(suite) + "\" name=\"" +
                    XmlEscape(c.name) + head;
  switch (c.outcome) {
    case JUnitCase::Outcome::kPass:
      break;
    case JUnitCase::Outcome::kSkipped:
      xml += "      <skipped message=\"" + XmlEscape(c.message) + "\"/>\n";
      break;
    case JUnitCase::Outcome::kFailure:
    case JUnitCase::Outcome::kError: {
      const char* tag = c.outcome == JUnitCase::Outcome::kError ? "error" : "failure";
      xml += std::string("      <") + tag + " message=\"" + XmlEscape(c.message) + "\" type=\"" +
             XmlEscape(c.message) + "\">" + XmlEscape(c.text) + "</" + tag + ">\n";
      break;
    }
  }
  if (!c.output.empty()) xml += "      <system-out>" + XmlEscape(c.output) + "</system-out>\n";
  return xml + "    </testcase>\n";
}

// One <testsuite> element: the cases of `suite`, with their counts and total time.
std::string TestSuiteXml(const std::string& suite, const std::vector<JUnitCase>& cases) {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  std::string body;
  for (const JUnitCase& c : cases) {
    if (c.suite != suite) continue;
    ++tests;
    seconds += c.seconds;
    if (c.outcome == JUnitCase::Outcome::kSkipped) ++skipped;
    if (c.outcome == JUnitCase::Outcome::kFailure) ++failures;
    if (c.outcome == JUnitCase::Outcome::kError) ++errors;
    body += TestCaseXml(suite, c);
  }
  char head[320];
  std::snprintf(head, sizeof head,
                "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                tests, failures, errors, skipped, seconds);
  return "  <testsuite name=\"" + XmlEscape(suite) + head + body + "  </testsuite>\n";
}

}  // namespace

std::string JUnitXml(const std::string& title, const std::vector<JUnitCase>& cases) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
                    XmlEscape(title) + "\">\n";
  for (const std::string& suite : SuiteNames(cases)) xml += TestSuiteXml(suite, cases);
  return xml + "</testsuites>\n";
}

bool WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  return static_cast<bool>(file.flush());
}

}  // namespace handoff
