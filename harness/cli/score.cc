#include "cli/score.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "handoff/mutant.h"
#include "handoff/supervised_run.h"
#include "handoff/target_loader.h"
#include "perturbation/strategy.h"

namespace handoff {
namespace {

struct Mutant {
  std::string name;
  const handoff_target* target;
  const handoff_mutant* declaration;
  std::string needs;  // handoff_mutant_needs, empty when it exports none
  Scenario scenario;
};

// One mutant under one strategy, over every seed.
struct Cell {
  std::string strategy;
  std::string skipped;  // why this build cannot run it; empty when it ran
  int seeds = 0;
  int detected = 0;
  std::map<std::string, int> verdicts;  // the verdict each seed ended with
  std::vector<double> seconds;          // time to detect, detected seeds only
  std::vector<int> runs;                // runs to detect, detected seeds only
};

template <typename T>
T Median(std::vector<T> v) {
  if (v.empty()) return T{};
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename T>
T Worst(const std::vector<T>& v) {
  return v.empty() ? T{} : *std::max_element(v.begin(), v.end());
}

bool FindMutants(const CliOptions& o, std::vector<Mutant>* mutants, std::string* error) {
  for (const std::string& name : BuiltinTargetNames()) {
    if (!o.target_name.empty() && name != o.target_name) continue;
    LoadedTarget loaded;
    if (!LoadTargetLibrary(BuiltinTargetPath(name), &loaded, error)) return false;
    void* library = dlopen(loaded.path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    auto* declaration = library ? static_cast<const handoff_mutant*>(dlsym(library, HANDOFF_MUTANT_SYMBOL))
                                : nullptr;
    if (declaration == nullptr) continue;
    auto* needs = static_cast<const char* const*>(dlsym(library, HANDOFF_MUTANT_NEEDS_SYMBOL));
    Mutant m{name, loaded.target, declaration, needs && *needs ? *needs : "", {}};
    if (!ParseFailureKind(declaration->must_produce) ||
        !ParseScenario(declaration->scenario, &m.scenario, error)) {
      *error = name + ": bad mutant declaration: " +
               (error->empty() ? "unknown kind " + std::string(declaration->must_produce) : *error);
      return false;
    }
    mutants->push_back(m);
  }
  if (mutants->empty()) {
    *error = o.target_name.empty() ? "no mutants found in " + BuiltinTargetDir()
                                   : "--target " + o.target_name + " is not a built-in mutant";
    return false;
  }
  return true;
}

std::string WhyNot(const Mutant& m) {
  std::string kind = m.declaration->must_produce;
  if (m.needs == HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY && !RubyIsInstrumented()) {
    return "its race is with Ruby's own code: needs a ThreadSanitizer Ruby (preset tsan-ruby)";
  }
  if (!m.needs.empty() && m.needs != HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY) {
    return "needs '" + m.needs + "', which this harness does not know";
  }
  if ((kind == "data_race" || kind == "use_after_free") && !BuiltWithThreadSanitizer()) {
    return kind + " needs a ThreadSanitizer build (the ASan build does not instrument targets)";
  }
  if (m.scenario.Has(EventType::kFork) && ForkRefusedBySanitizer() != nullptr) {
    return "fork events need the release build";
  }
  if ((kind == "too_slow" || kind == "leak") && MeasurementsDistortedBySanitizer() != nullptr) {
    return kind + " is judged in the release build only";
  }
  return "";
}

Cell Score(const CliOptions& o, const Mutant& m, const std::string& strategy) {
  Cell cell;
  cell.strategy = strategy;
  cell.skipped = WhyNot(m);
  if (!cell.skipped.empty()) return cell;
  for (int k = 1; k <= o.score_seeds; ++k) {
    ++cell.seeds;
    double spent = 0;
    std::string verdict = "pass";
    for (int r = 0; r < o.score_runs; ++r) {
      RunOptions run = o.run;
      run.scenario = m.scenario;
      run.perturbation = strategy;
      run.seed = static_cast<uint64_t>(k) + 1000u * static_cast<uint64_t>(r);
      run.progress = false;
      auto start = std::chrono::steady_clock::now();
      SupervisedRun outcome = SuperviseRun(m.target, run, false);
      spent += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      verdict = outcome.result.Verdict();
      if (verdict == m.declaration->must_produce) {
        ++cell.detected;
        cell.seconds.push_back(spent);
        cell.runs.push_back(r + 1);
        break;
      }
      if (verdict != "pass") break;  // another kind: a miss, not a detection
    }
    ++cell.verdicts[verdict];
    if (!o.quiet) {
      std::fprintf(stderr, "handoff-stress: score %s %s seed %d: %s (%.1f s)\n", m.name.c_str(),
                   strategy.c_str(), k, verdict.c_str(), spent);
    }
  }
  return cell;
}

std::string Verdicts(const Cell& c) {
  std::string text;
  for (const auto& [verdict, count] : c.verdicts) {
    text += (text.empty() ? "" : ",") + verdict + "=" + std::to_string(count);
  }
  return text;
}

void PrintText(const std::vector<Mutant>& mutants, const std::vector<std::vector<Cell>>& cells) {
  std::printf("| mutant | class | must produce | strategy | detected | verdicts | median / worst time | median / worst runs |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < mutants.size(); ++i) {
    for (const Cell& c : cells[i]) {
      std::printf("| %s | %s | %s | %s | ", mutants[i].name.c_str(), mutants[i].declaration->bug_class,
                  mutants[i].declaration->must_produce, c.strategy.c_str());
      if (!c.skipped.empty()) {
        std::printf("skipped: %s | | | |\n", c.skipped.c_str());
        continue;
      }
      std::printf("%d/%d | %s | ", c.detected, c.seeds, Verdicts(c).c_str());
      if (c.detected == 0) {
        std::printf("- | - |\n");
      } else {
        std::printf("%.2f s / %.2f s | %d / %d |\n", Median(c.seconds), Worst(c.seconds),
                    Median(c.runs), Worst(c.runs));
      }
    }
  }
}

void PrintJson(const std::vector<Mutant>& mutants, const std::vector<std::vector<Cell>>& cells) {
  std::printf("{\"score\":[");
  bool first = true;
  for (size_t i = 0; i < mutants.size(); ++i) {
    for (const Cell& c : cells[i]) {
      std::printf("%s{\"mutant\":\"%s\",\"class\":\"%s\",\"must_produce\":\"%s\",\"strategy\":\"%s\",",
                  first ? "" : ",", mutants[i].name.c_str(), mutants[i].declaration->bug_class,
                  mutants[i].declaration->must_produce, c.strategy.c_str());
      first = false;
      std::printf("\"skipped\":\"%s\",\"seeds\":%d,\"detected\":%d,\"verdicts\":{", c.skipped.c_str(),
                  c.seeds, c.detected);
      bool first_verdict = true;
      for (const auto& [verdict, count] : c.verdicts) {
        std::printf("%s\"%s\":%d", first_verdict ? "" : ",", verdict.c_str(), count);
        first_verdict = false;
      }
      std::printf("},\"median_seconds\":%.3f,\"worst_seconds\":%.3f,\"median_runs\":%d,\"worst_runs\":%d}",
                  Median(c.seconds), Worst(c.seconds), Median(c.runs), Worst(c.runs));
    }
  }
  std::printf("]}\n");
}

}  // namespace

int RunScore(const CliOptions& o) {
  std::vector<Mutant> mutants;
  std::string error;
  if (!FindMutants(o, &mutants, &error)) {
    std::fprintf(stderr, "handoff-stress: --score: %s\n", error.c_str());
    return 2;
  }
  std::vector<std::vector<Cell>> cells(mutants.size());
  bool all_found = true;
  for (size_t i = 0; i < mutants.size(); ++i) {
    bool found = false, ran = false;
    for (const PerturbationStrategyInfo& strategy : PerturbationStrategies()) {
      cells[i].push_back(Score(o, mutants[i], strategy.name));
      const Cell& c = cells[i].back();
      ran = ran || c.skipped.empty();
      found = found || (c.skipped.empty() && c.detected == c.seeds);
    }
    if (ran && !found) all_found = false;
  }
  if (o.json) {
    PrintJson(mutants, cells);
  } else {
    PrintText(mutants, cells);
  }
  return all_found ? 0 : 1;
}

}  // namespace handoff
