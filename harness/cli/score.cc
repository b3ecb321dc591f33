#include "cli/score.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/json_output.h"
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
  Scenario scenario;

  std::string needs() const { return declaration->needs ? declaration->needs : ""; }
  std::string perturbation() const { return handoff_mutant_perturbation(declaration); }
  // The declared kind, its also-accepted one, and with an instrumented
  // libruby use_after_free for a crash (Ruby touching what the GC freed is
  // seen by TSan first, by schedule).
  bool Accepts(const std::string& verdict) const {
    if (verdict == declaration->must_produce) return true;
    if (declaration->also_accepted && verdict == declaration->also_accepted) return true;
    return verdict == "use_after_free" && std::string(declaration->must_produce) == "crash" &&
           RubyIsInstrumented();
  }
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
  int not_judged = 0;                   // seeds whose every run the machine's load left unjudged
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

bool ValidDeclaration(const handoff_mutant& d, std::string* error) {
  if (!ParseFailureKind(d.must_produce ? d.must_produce : "")) {
    *error = "must_produce is not a failure kind (" + FailureKindNames() + ")";
  } else if (d.also_accepted && !ParseFailureKind(d.also_accepted)) {
    *error = "also_accepted is not a failure kind";
  } else if (d.perturbation && *d.perturbation && !MakePerturbation(d.perturbation)) {
    *error = "perturbation is not one of " + PerturbationNames();
  } else if (d.needs && std::string(d.needs) != HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY) {
    *error = "needs '" + std::string(d.needs) + "', which this harness does not know";
  } else {
    return true;
  }
  return false;
}

bool FindMutants(const CliOptions& o, std::vector<Mutant>* mutants, std::string* error) {
  for (const std::string& name : BuiltinTargetNames()) {
    if (!o.target_name.empty() && name != o.target_name) continue;
    LoadedTarget loaded;
    if (!LoadTargetLibrary(BuiltinTargetPath(name), &loaded, error)) return false;
    const handoff_mutant* declaration = loaded.mutant;
    if (declaration == nullptr) continue;
    Mutant m{name, loaded.target, declaration, {}};
    if (!ParseScenario(declaration->scenario, &m.scenario, error) ||
        !ValidDeclaration(*declaration, error)) {
      *error = name + ": bad mutant declaration: " + *error;
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

// Why this build cannot show the mutant's bug under `strategy`, or "".
std::string WhyNot(const Mutant& m, const std::string& strategy) {
  std::string kind = m.declaration->must_produce;
  if (m.needs() == HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY && !RubyIsInstrumented()) {
    return "its race is with Ruby's own code: needs a ThreadSanitizer Ruby (preset tsan-ruby)";
  }
  if (strategy != "none" && !(m.target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS)) {
    return "--perturb " + strategy + " needs the synchronisation points, compiled into the sanitizer builds";
  }
  if ((kind == "data_race" || kind == "use_after_free") && !BuiltWithThreadSanitizer()) {
    return kind + " needs a ThreadSanitizer build (only TSan sees it; the ASan build leaves targets uninstrumented)";
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
  cell.skipped = WhyNot(m, strategy);
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
      // A check judged against the scheduler that the machine's other work
      // kept from judging (other_cpu_load.h): neither found nor missed.
      if (verdict == "pass" &&
          outcome.stats.notes.find(std::string(m.declaration->must_produce) + " not judged") !=
              std::string::npos) {
        verdict = "not_judged";
        continue;
      }
      if (m.Accepts(verdict)) {
        ++cell.detected;
        cell.seconds.push_back(spent);
        cell.runs.push_back(r + 1);
        break;
      }
      if (verdict != "pass") break;  // another kind: a miss, not a detection
    }
    ++cell.verdicts[verdict];
    if (verdict == "not_judged") ++cell.not_judged;
    if (!o.quiet) {
      std::fprintf(stderr, "handoff-stress: score %s %s seed %d: %s (%.1f s)\n", m.name.c_str(),
                   strategy.c_str(), k, verdict.c_str(), spent);
    }
  }
  if (cell.not_judged > 0 && cell.detected + cell.not_judged == cell.seeds) {
    // Every seed it could judge found the bug; the others say nothing.
    cell.skipped = std::to_string(cell.not_judged) + " of " + std::to_string(cell.seeds) +
                   " seeds not judged: the machine was busy with other work (" +
                   m.declaration->must_produce + " is judged against the scheduler)";
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
  Json score = Json::array();
  for (size_t i = 0; i < mutants.size(); ++i) {
    for (const Cell& c : cells[i]) {
      score.push_back(Json{{"mutant", mutants[i].name},
                           {"class", std::string(mutants[i].declaration->bug_class ? mutants[i].declaration->bug_class : "")},
                           {"must_produce", mutants[i].declaration->must_produce},
                           {"strategy", c.strategy},
                           {"skipped", c.skipped},
                           {"seeds", c.seeds},
                           {"detected", c.detected},
                           {"verdicts", c.verdicts},
                           {"median_seconds", Median(c.seconds)},
                           {"worst_seconds", Worst(c.seconds)},
                           {"median_runs", Median(c.runs)},
                           {"worst_runs", Worst(c.runs)}});
    }
  }
  PrintJsonLine(Json{{"score", score}});
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
    std::vector<std::string> strategies;
    if (o.score_declared) {
      strategies.push_back(mutants[i].perturbation());
    } else {
      for (const PerturbationStrategyInfo& s : PerturbationStrategies()) strategies.push_back(s.name);
    }
    for (const std::string& strategy : strategies) {
      cells[i].push_back(Score(o, mutants[i], strategy));
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
