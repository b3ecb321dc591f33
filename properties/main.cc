// handoff-properties: the RapidCheck properties, one per invocation (one
// ctest each). See --help.
#include <rapidcheck.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/report/json_output.h"
#include "cli/report/junit.h"
#include "handoff/run.h"
#include "lifecycle_model.h"
#include "property_run.h"
#include "scenario_properties.h"

#ifndef HANDOFF_PROPERTY_CASES
#define HANDOFF_PROPERTY_CASES 20
#endif

namespace handoff::properties {
namespace {

constexpr char kUsage[] =
    "usage: handoff-properties (--property NAME | --all) [--target NAME | --target-lib PATH]\n"
    "                          [--cases N] [--shard I/N] [--hang-seconds S]\n"
    "                          [--shrink-seconds S] [--quiet] [--verbose]\n"
    "       handoff-properties --list [--target NAME | --target-lib PATH]\n"
    "\n"
    "Runs one RapidCheck property against a bridge (default: the built-in `bridge`),\n"
    "or with --all every property that applies to it, one after another: a line per\n"
    "property at the end (held, FAILED, harness error, or skipped with the reason:\n"
    "it forks and this is a sanitizer build, it models the handoff bridge itself, or\n"
    "it is a soak property of minutes per case, run by name only). --list says the\n"
    "same of each property for the target given.\n"
    "A failing case is shrunk; the output ends with the shrunk scenario, the\n"
    "handoff-stress line that replays it, and RapidCheck's RC_PARAMS=\"reproduce=...\".\n"
    "  --cases N     cases to generate (default %d in this build; RC_PARAMS=max_success=N wins)\n"
    "  --shard I/N   run shard I of N (0 <= I < N): every shard uses a different seed\n"
    "                derived from the base seed (RC_PARAMS=seed=S, or a random one), so a\n"
    "                CI matrix of N machines given the same base seed runs disjoint seeds.\n"
    "                HANDOFF_PROPERTY_SHARD=I/N does the same.\n"
    "  --hang-seconds S    a run with no call returning for S seconds is a deadlock (default 10)\n"
    "  --shrink-seconds S  stop shrinking a failure after S seconds and report the smallest\n"
    "                      failing case found so far (default 60)\n"
    "  --verbose     with a failure, also RapidCheck's drawn values of the shrunk case\n"
    "  --junit FILE, --json-file FILE   with --all: a report, a test case per property\n"
    "                (held, failed with its message and replay line, or skipped: why)\n"
    "  --schedule controlled [--strategy walk|pct|pos]   run every case under the controlled\n"
    "                schedule (handoff-stress --help): a failing case replays exactly; cases\n"
    "                run without background threads, fork and gc_stress events\n"
    "  --quiet       no progress lines (by default: one per run on stderr, and every 5 s of\n"
    "                a long run: case n of N or shrinking step, verdict, time)\n"
    "Every run is bounded: it returns within --hang-seconds + 5 s of its last progress,\n"
    "and leaves no process behind.\n"
    "Environment: RC_PARAMS (RapidCheck: seed=, max_success=, reproduce=, verbose_progress=1).\n"
    "Exit status: 0 the property held, 1 the target failed it, 2 usage error, or the\n"
    "failing case was the harness's fault (harness error), not the target's.\n";

struct Options {
  std::string property;
  std::string target_name = "bridge";
  std::string target_lib;
  int cases = HANDOFF_PROPERTY_CASES;
  int shard = 0, shards = 1;
  bool list = false;
  bool all = false;
  bool verbose = false;
  std::string junit_file, json_file;  // --all's reports
  PropertyLimits limits;
  std::string schedule = "os", schedule_strategy = "walk";
};

bool ParseShard(const std::string& text, Options* o) {
  int index = 0, count = 0;
  char slash = 0, extra = 0;
  std::istringstream in(text);
  if (!(in >> index >> slash >> count) || slash != '/' || (in >> extra) || count < 1 || index < 0 ||
      index >= count) {
    return false;
  }
  o->shard = index;
  o->shards = count;
  return true;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "handoff-properties: %s (see --help)\n", message.c_str());
  return 2;
}

// RapidCheck reads RC_PARAMS once: sets max_success and the shard's seed
// there unless the user gave them (or a reproduce string) already.
void ConfigureRapidCheck(const Options& o) {
  const char* given = std::getenv("RC_PARAMS");
  std::string params = given ? given : "";
  bool reproducing = params.find("reproduce=") != std::string::npos;
  std::istringstream words(params);
  std::string word, kept;
  uint64_t base_seed = 0;
  bool has_seed = false;
  while (words >> word) {
    if (word.rfind("seed=", 0) == 0) {
      base_seed = std::strtoull(word.c_str() + 5, nullptr, 10);
      has_seed = true;
      continue;
    }
    kept += word + " ";
  }
  if (!reproducing) {
    if (!has_seed) base_seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    uint64_t seed = base_seed * static_cast<uint64_t>(o.shards) + static_cast<uint64_t>(o.shard);
    kept += "seed=" + std::to_string(seed) + " ";
    if (params.find("max_success=") == std::string::npos) {
      kept += "max_success=" + std::to_string(o.cases) + " ";
    }
    if (o.shards > 1) {
      std::fprintf(stderr, "handoff-properties: shard %d/%d of base seed %llu: seed %llu\n", o.shard,
                   o.shards, static_cast<unsigned long long>(base_seed),
                   static_cast<unsigned long long>(seed));
    }
  }
  setenv("RC_PARAMS", kept.c_str(), 1);
}

bool LoadTarget(const Options& o, std::string* error) {
  LoadedTarget loaded;
  std::string path = o.target_lib.empty() ? BuiltinTargetPath(o.target_name) : o.target_lib;
  if (!LoadTargetLibrary(path, &loaded, error)) return false;
  if (std::string warning = SanitizerWarning(loaded); !o.target_lib.empty() && !warning.empty()) {
    std::fprintf(stderr, "handoff-properties: %s\n", warning.c_str());
  }
  PropertyTarget t;
  t.target = loaded.target;
  t.flag = ReplayTargetFlag(o.target_name, o.target_lib);
  t.perturbation = (loaded.target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS) ? "random" : "none";
  if (o.schedule == "controlled") {
    t.perturbation = "none";
    t.schedule = o.schedule;
    t.schedule_strategy = o.schedule_strategy;
  }
  SetPropertyTarget(t);
  return true;
}

// Why `p` does not run against the target `o` names in this build, or
// nothing. `by_name`: the user asked for it alone (a soak property runs then).
std::optional<std::string> WhyRefused(const Property& p, const Options& o, bool by_name) {
  if (p.needs_fork && ForkRefusedBySanitizer() != nullptr) {
    return p.name + " forks, which this sanitizer build cannot: " + ForkRefusedBySanitizer();
  }
  if (p.needs_undistorted_measurements && MeasurementsDistortedBySanitizer() != nullptr) {
    return p.name + " is judged only in a build without a sanitizer: " +
           MeasurementsDistortedBySanitizer();
  }
  if (p.bridge_only && (!o.target_lib.empty() || o.target_name != "bridge")) {
    return p.name + " models the handoff bridge itself (its Ruby API, its workers): it runs "
                    "against --target bridge only";
  }
  if (p.soak_only && !by_name) return p.name + " is a soak property (minutes per case): run it by name";
  return std::nullopt;
}

// rc::check, printing what a user needs first: on a failure, our message
// (verdict, detail, shrunk scenario, replay line), then how many cases ran;
// RapidCheck's drawn values (one line per draw: dozens for a scenario) only
// with --verbose. RapidCheck still prints RC_PARAMS="reproduce=..." at exit.
bool CheckProperty(const Property& p, bool verbose, std::string* failure_message = nullptr) {
  rc::detail::configuration();  // its "Using configuration" line comes first
  std::string description = p.name + ": " + p.description;
  std::fprintf(stderr, "\n- %s\n", description.c_str());
  rc::detail::TestMetadata metadata;
  metadata.id = description;
  metadata.description = description;
  const rc::detail::TestResult result = rc::detail::checkTestable(p.body, metadata);
  if (result.is<rc::detail::FailureResult>()) {
    const auto& failure = result.get<rc::detail::FailureResult>();
    // RC_FAIL's text is "file:line:\nRC_FAIL(expression)\n\nmessage": the message.
    std::string message = failure.description;
    if (size_t at = message.find("RC_FAIL("); at != std::string::npos) {
      if (size_t body = message.find("\n\n", at); body != std::string::npos) message = message.substr(body + 2);
    }
    std::fprintf(stderr, "Falsifiable after %d passing cases, shrunk %zu times:\n%s\n",
                 failure.numSuccess, failure.reproduce.shrinkPath.size(), message.c_str());
    if (failure_message != nullptr) *failure_message = message;
    if (verbose) {
      std::fprintf(stderr, "RapidCheck's drawn values of the shrunk case:\n");
      for (const auto& [type, value] : failure.counterExample) {
        std::fprintf(stderr, "  %s: %s\n", type.c_str(), value.c_str());
      }
    } else {
      std::fprintf(stderr, "(RapidCheck's %zu drawn values: --verbose)\n", failure.counterExample.size());
    }
    return false;
  }
  rc::detail::printResultMessage(result, std::cerr);
  std::cerr << std::endl;
  return result.is<rc::detail::SuccessResult>();
}

// One property of --all as a report's test case: skipped (why), or checked
// (its time, and when it did not hold, its message and whether the target
// failed it or the harness erred).
JUnitCase CheckForAll(const Property& p, const Options& o) {
  JUnitCase c;
  c.suite = CurrentPropertyTarget().flag;
  c.name = p.name;
  if (std::optional<std::string> why = WhyRefused(p, o, /*by_name=*/false)) {
    c.outcome = JUnitCase::Outcome::kSkipped;
    c.message = *why;
    return c;
  }
  ResetPropertyProgress();
  std::fprintf(stderr, "handoff-properties: --all: %s\n", p.name.c_str());
  auto start = std::chrono::steady_clock::now();
  bool held = CheckProperty(p, o.verbose, &c.text);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!held) {
    bool error = LastFailureWasHarnessError();
    c.outcome = error ? JUnitCase::Outcome::kError : JUnitCase::Outcome::kFailure;
    c.message = c.text.substr(0, c.text.find('\n'));  // "the target failed: <kind>"
  }
  return c;
}

// A case's outcome as --all's summary and --json-file word it.
const char* OutcomeWord(JUnitCase::Outcome outcome) {
  static const char* const kWords[] = {"held", "FAILED", "ERROR", "skipped"};
  return kWords[static_cast<int>(outcome)];
}

// --all's summary on stdout: a line per property (held, FAILED, ERROR, or skipped: why).
void PrintAllSummary(const std::vector<JUnitCase>& cases) {
  std::printf("\n## handoff-properties --all against %s\n", CurrentPropertyTarget().flag.c_str());
  for (const JUnitCase& c : cases) {
    std::string tail = ": the shrunk case and its replay line are above";
    if (c.outcome == JUnitCase::Outcome::kSkipped) tail = ": " + c.message;
    if (c.outcome == JUnitCase::Outcome::kPass) tail = "";
    std::printf("%-8s %s%s\n", OutcomeWord(c.outcome), c.name.c_str(), tail.c_str());
  }
}

// --json-file's properties: each one's result, why it was skipped, failure message and time.
Json PropertiesJson(const std::vector<JUnitCase>& cases) {
  Json json = Json::array();
  for (const JUnitCase& c : cases) {
    json.push_back(Json{{"property", c.name},
                        {"result", OutcomeWord(c.outcome)},
                        {"why", c.message},
                        {"failure", c.text},
                        {"seconds", c.seconds}});
  }
  return json;
}

// Writes --junit and --json-file when given; false, having said so, when one could not be.
bool WriteAllReports(const Options& o, const std::vector<JUnitCase>& cases) {
  bool written = true;
  if (!o.junit_file.empty()) {
    written = WriteTextFile(o.junit_file, JUnitXml("handoff-properties --all", cases));
  }
  if (!o.json_file.empty()) {
    Json json{{"target", CurrentPropertyTarget().flag}, {"properties", PropertiesJson(cases)}};
    std::string text = json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
    written = WriteTextFile(o.json_file, text) && written;
  }
  if (!written) {
    std::fprintf(stderr,
                 "handoff-properties: a report (--junit, --json-file) could not be written\n");
  }
  return written;
}

// --all: every property that applies, one CheckProperty each. Exit status: 0
// all held, 1 the target failed one, 2 a harness error (and none failed).
int RunAll(const std::vector<Property>& all, const Options& o) {
  std::vector<JUnitCase> cases;  // one per property, for the summary and the reports
  for (const Property& p : all) cases.push_back(CheckForAll(p, o));
  bool target_failed = false, harness_error = false;
  for (const JUnitCase& c : cases) {
    target_failed = target_failed || c.outcome == JUnitCase::Outcome::kFailure;
    harness_error = harness_error || c.outcome == JUnitCase::Outcome::kError;
  }
  PrintAllSummary(cases);
  bool written = WriteAllReports(o, cases);
  return target_failed ? 1 : (harness_error || !written) ? 2 : 0;
}

std::vector<Property> AllProperties() {
  std::vector<Property> all = ScenarioProperties();
  all.push_back(LifecycleModelProperty());
  return all;
}

// What the command line gives besides Options: --help, --shard's text, and
// whether --shard and --strategy were given.
struct Given {
  bool help = false;
  std::string shard;
  CLI::Option* shard_option = nullptr;
  CLI::Option* strategy_option = nullptr;
};

// Declares every option on `app`, bound to *o and *given.
void AddOptions(CLI::App& app, Options* o, Given* given) {
  app.add_flag("-h,--help", given->help);
  app.add_flag("--list", o->list);
  app.add_flag("--all", o->all);
  app.add_flag("--verbose", o->verbose);
  app.add_option("--junit", o->junit_file);
  app.add_option("--json-file", o->json_file);
  app.add_option("--property", o->property);
  app.add_option("--target", o->target_name);
  app.add_option("--target-lib", o->target_lib);
  app.add_option("--cases", o->cases)->check(WholeNumber(1, 1000000));
  app.add_option("--hang-seconds", o->limits.hang_seconds)->check(Seconds());
  app.add_option("--shrink-seconds", o->limits.shrink_seconds)->check(Seconds());
  app.add_flag_callback("--quiet", [o] { o->limits.progress = false; });
  given->shard_option = app.add_option("--shard", given->shard);
  app.add_option("--schedule", o->schedule)->check(CLI::IsMember({"os", "controlled"}));
  std::vector<std::string> strategies = ControlledStrategyNames();
  given->strategy_option =
      app.add_option("--strategy", o->schedule_strategy)->check(CLI::IsMember(strategies));
}

// The shard: --shard's, else HANDOFF_PROPERTY_SHARD's; false with *error when malformed.
bool ApplyShard(const Given& given, Options* o, std::string* error) {
  if (given.shard_option->count() > 0 && !ParseShard(given.shard, o)) {
    *error = "--shard takes I/N with 0 <= I < N (got '" + given.shard + "')";
    return false;
  }
  if (const char* env = std::getenv("HANDOFF_PROPERTY_SHARD"); env != nullptr && *env != '\0' &&
                                                              o->shards == 1) {
    if (!ParseShard(env, o)) {
      *error = "HANDOFF_PROPERTY_SHARD takes I/N with 0 <= I < N";
      return false;
    }
  }
  return true;
}

// --list: each property, its description, and why it is not in --all here.
int ListProperties(const std::vector<Property>& all, const Options& o) {
  for (const Property& p : all) {
    std::optional<std::string> why = WhyRefused(p, o, /*by_name=*/false);
    std::printf("%-26s %s%s\n", p.name.c_str(), p.description.c_str(),
                why ? (" [not in --all: " + *why + "]").c_str() : "");
  }
  return 0;
}

// The property --property names (nullptr with --all); false with *error when
// the options conflict, none is named, or it cannot run against this target.
bool ChooseProperty(const std::vector<Property>& all, const Options& o, const Property** chosen,
                    std::string* error) {
  if (o.all && !o.property.empty()) {
    *error = "--all and --property exclude each other";
    return false;
  }
  if (!o.all && (!o.junit_file.empty() || !o.json_file.empty())) {
    *error = "--junit and --json-file go with --all";
    return false;
  }
  for (const Property& p : all) *chosen = p.name == o.property ? &p : *chosen;
  if (*chosen == nullptr && !o.all) {
    *error = o.property.empty() ? "--property NAME or --all is required"
                                : "no property '" + o.property + "' (--list shows them)";
    return false;
  }
  if (*chosen != nullptr) {
    if (std::optional<std::string> why = WhyRefused(**chosen, o, /*by_name=*/true)) {
      *error = *why;
      return false;
    }
  }
  return true;
}

// The limits every run gets: the options', with "case n of N" counting to
// RC_PARAMS's max_success (as ConfigureRapidCheck left it), else --cases.
PropertyLimits LimitsFor(const Options& o) {
  PropertyLimits limits = o.limits;
  limits.cases = o.cases;
  if (const char* params = std::getenv("RC_PARAMS")) {
    if (const char* at = std::strstr(params, "max_success=")) limits.cases = std::atoi(at + 12);
  }
  return limits;
}

int Main(int argc, char** argv) {
  Options o;
  Given given;
  CLI::App app("handoff-properties", "handoff-properties");
  UseHandoffDefaults(app);
  AddOptions(app, &o, &given);
  std::string error;
  if (!ParseCommandLine(app, argc, argv, &error)) return UsageError(error);
  if (given.strategy_option->count() > 0 && o.schedule != "controlled") {
    return UsageError("--strategy goes with --schedule controlled");
  }
  if (o.schedule == "controlled") ReexecWithFixedAddresses(argv);  // returns if it cannot
  if (given.help) {
    std::printf(kUsage, HANDOFF_PROPERTY_CASES);
    return 0;
  }
  if (!ApplyShard(given, &o, &error)) return UsageError(error);
  std::vector<Property> all = AllProperties();
  if (o.list) return ListProperties(all, o);
  const Property* chosen = nullptr;
  if (!ChooseProperty(all, o, &chosen, &error)) return UsageError(error);
  if (!LoadTarget(o, &error)) {
    std::fprintf(stderr, "handoff-properties: %s\n", error.c_str());
    return 2;
  }
  ConfigureRapidCheck(o);
  SetPropertyLimits(LimitsFor(o));
  if (o.all) return RunAll(all, o);
  bool held = CheckProperty(*chosen, o.verbose);
  if (held) return 0;
  return LastFailureWasHarnessError() ? 2 : 1;
}

}  // namespace
}  // namespace handoff::properties

int main(int argc, char** argv) { return handoff::properties::Main(argc, argv); }
