// handoff-properties: the RapidCheck properties, one per invocation (one
// ctest each). See --help.
#include <rapidcheck.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "handoff/replay_line.h"
#include "handoff/supervised_run.h"
#include "handoff/target_loader.h"
#include "lifecycle_model.h"
#include "property_run.h"
#include "scenario_properties.h"

#ifndef HANDOFF_PROPERTY_CASES
#define HANDOFF_PROPERTY_CASES 20
#endif

namespace handoff::properties {
namespace {

constexpr char kUsage[] =
    "usage: handoff-properties --property NAME [--target NAME | --target-lib PATH]\n"
    "                          [--cases N] [--shard I/N] [--hang-seconds S]\n"
    "                          [--shrink-seconds S] [--quiet]\n"
    "       handoff-properties --list\n"
    "\n"
    "Runs one RapidCheck property against a bridge (default: the built-in `bridge`).\n"
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
    "  --quiet       no progress lines (by default: one per run on stderr, and every 5 s of\n"
    "                a long run: case n of N or shrinking step, verdict, time)\n"
    "Every run is bounded: it returns within --hang-seconds + 5 s of its last progress,\n"
    "and leaves no process behind.\n"
    "Environment: RC_PARAMS (RapidCheck: seed=, max_success=, reproduce=, verbose_progress=1).\n"
    "Exit status: 0 the property held, 1 it failed, 2 usage or harness error.\n";

struct Options {
  std::string property;
  std::string target_name = "bridge";
  std::string target_lib;
  int cases = HANDOFF_PROPERTY_CASES;
  int shard = 0, shards = 1;
  bool list = false;
  PropertyLimits limits;
};

bool ParseSeconds(const std::string& text, double* out) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0) || value > 86400) return false;
  *out = value;
  return true;
}

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
  PropertyTarget t;
  t.target = loaded.target;
  t.flag = ReplayTargetFlag(o.target_name, o.target_lib);
  t.perturbation = (loaded.target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS) ? "random" : "none";
  SetPropertyTarget(t);
  return true;
}

std::vector<Property> AllProperties() {
  std::vector<Property> all = ScenarioProperties();
  all.push_back(LifecycleModelProperty());
  return all;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string text;
    if (flag == "--help" || flag == "-h") {
      std::printf(kUsage, HANDOFF_PROPERTY_CASES);
      return 0;
    } else if (flag == "--list") {
      o.list = true;
    } else if (flag == "--property") {
      if (!value(&o.property)) return UsageError("--property needs a name (--list shows them)");
    } else if (flag == "--target") {
      if (!value(&o.target_name)) return UsageError("--target needs a built-in target name");
    } else if (flag == "--target-lib") {
      if (!value(&o.target_lib)) return UsageError("--target-lib needs a path to a target library");
    } else if (flag == "--cases") {
      if (!value(&text) || (o.cases = std::atoi(text.c_str())) < 1) {
        return UsageError("--cases takes a positive number");
      }
    } else if (flag == "--hang-seconds") {
      if (!value(&text) || !ParseSeconds(text, &o.limits.hang_seconds)) {
        return UsageError("--hang-seconds takes a positive number of seconds");
      }
    } else if (flag == "--shrink-seconds") {
      if (!value(&text) || !ParseSeconds(text, &o.limits.shrink_seconds)) {
        return UsageError("--shrink-seconds takes a positive number of seconds");
      }
    } else if (flag == "--quiet") {
      o.limits.progress = false;
    } else if (flag == "--shard") {
      if (!value(&text) || !ParseShard(text, &o)) return UsageError("--shard takes I/N with 0 <= I < N");
    } else {
      return UsageError("unknown option '" + flag + "'");
    }
  }
  if (const char* env = std::getenv("HANDOFF_PROPERTY_SHARD"); env != nullptr && *env != '\0' &&
                                                              o.shards == 1) {
    if (!ParseShard(env, &o)) return UsageError("HANDOFF_PROPERTY_SHARD takes I/N with 0 <= I < N");
  }
  std::vector<Property> all = AllProperties();
  if (o.list) {
    for (const Property& p : all) {
      std::string notes = std::string(p.needs_fork ? " [forks: release builds]" : "") +
                          (p.bridge_only ? " [bridge only]" : "");
      std::printf("%-26s %s%s\n", p.name.c_str(), p.description.c_str(), notes.c_str());
    }
    return 0;
  }
  const Property* chosen = nullptr;
  for (const Property& p : all) chosen = p.name == o.property ? &p : chosen;
  if (chosen == nullptr) {
    return UsageError(o.property.empty() ? "--property NAME is required"
                                         : "no property '" + o.property + "' (--list shows them)");
  }
  if (chosen->needs_fork && ForkRefusedBySanitizer() != nullptr) {
    return UsageError(chosen->name + " forks, which this sanitizer build cannot: " +
                      ForkRefusedBySanitizer());
  }
  if (chosen->bridge_only && (!o.target_lib.empty() || o.target_name != "bridge")) {
    return UsageError(chosen->name + " models the handoff bridge itself (its Ruby API, its "
                      "workers): it runs against --target bridge only");
  }
  std::string error;
  if (!LoadTarget(o, &error)) {
    std::fprintf(stderr, "handoff-properties: %s\n", error.c_str());
    return 2;
  }
  ConfigureRapidCheck(o);
  PropertyLimits limits = o.limits;
  limits.cases = o.cases;
  if (const char* params = std::getenv("RC_PARAMS")) {
    if (const char* at = std::strstr(params, "max_success=")) limits.cases = std::atoi(at + 12);
  }
  SetPropertyLimits(limits);
  bool held = rc::check(chosen->name + ": " + chosen->description, chosen->body);
  return held ? 0 : 1;
}

}  // namespace
}  // namespace handoff::properties

int main(int argc, char** argv) { return handoff::properties::Main(argc, argv); }
