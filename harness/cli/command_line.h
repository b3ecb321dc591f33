// What handoff-stress and handoff-properties share on their command lines,
// parsed with CLI11 (Debian libcli11-dev; link CLI11::CLI11): the options'
// defaults, a value in seconds, and errors as one line each.
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace handoff {

// An App for a tool whose --help is its own text (the caller adds
// "-h,--help" as a flag): an option given twice takes its last value.
inline void UseHandoffDefaults(CLI::App& app) {
  app.set_help_flag();
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// A whole number from `min` to `max` in decimal (CLI11's own Range accepts
// "-3" for an unsigned option and saturates what overflows).
inline CLI::Validator WholeNumber(uint64_t min, uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        unsigned long long value = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || value < min ||
            value > max) {
          return "takes a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                 " (got '" + text + "')";
        }
        return "";
      },
      "N");
}

// A number of seconds above 0, up to a day.
inline CLI::Validator Seconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(value > 0) || value > 86400) {
          return "takes a number of seconds above 0, up to 86400 (got '" + text + "')";
        }
        return "";
      },
      "SECONDS");
}

// Parses argv with `app`; false with CLI11's one-line message in *error.
inline bool ParseCommandLine(CLI::App& app, int argc, char** argv, std::string* error) {
  try {
    app.parse(argc, argv);
    return true;
  } catch (const CLI::ParseError& e) {
    *error = e.what();
    return false;
  }
}

}  // namespace handoff
