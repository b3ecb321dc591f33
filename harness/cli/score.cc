#include "cli/score.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/report/json_output.h"
#include "handoff/run.h"
#include "handoff/target.h"
#include "perturb/schedule_strategy.h"
#include "perturb/strategy.h"
#include "run/controlled_run.h"

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

// How a mutant is run: under the OS's schedule with a --perturb strategy, or
// under the controlled schedule with a --strategy.
struct Mode {
  bool controlled = false;
  std::string strategy;

  std::string Label() const { return controlled ? "controlled " + strategy : strategy; }
};

// One mutant under one mode, over every seed.
struct Cell {
  std::string strategy;  // the mode's label
  bool controlled = false;
  std::string skipped;  // why this build cannot run it; empty when it ran
  int seeds = 0;
  int detected = 0;
  std::map<std::string, int> verdicts;  // the verdict each seed ended with
  std::vector<double> seconds;          // time to detect, detected seeds only
  std::vector<int> runs;                // runs to detect, detected seeds only
  int not_judged = 0;                   // seeds whose every run the machine's load left unjudged
  // --score-replay N: each detecting run rerun N times.
  int replays = 0;               // reruns in all
  int replays_same_verdict = 0;  // ended with the detecting run's verdict
  int replays_same_schedule = 0; // and printed its schedule byte for byte (controlled only)
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

// The options of one run of `m` under `mode` with `seed`.
RunOptions MutantRun(const CliOptions& o, const Mutant& m, const Mode& mode, uint64_t seed) {
  RunOptions run = o.run;
  run.scenario = m.scenario;
  run.perturbation = mode.controlled ? "none" : mode.strategy;
  run.schedule = mode.controlled ? "controlled" : "os";
  if (mode.controlled) run.schedule_strategy = mode.strategy;
  run.seed = seed;
  run.progress = false;
  run.replay_target = ReplayTargetFlag(m.name, "");
  return run;
}

// Why this build cannot show the mutant's bug under `mode`, or "".
std::string WhyNot(const CliOptions& o, const Mutant& m, const Mode& mode) {
  std::string kind = m.declaration->must_produce;
  const std::string& strategy = mode.strategy;
  if (m.needs() == HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY && !RubyIsInstrumented()) {
    return "its race is with Ruby's own code: needs a ThreadSanitizer Ruby (preset tsan-ruby)";
  }
  if (mode.controlled) {
    std::string why = WhyNotControllable(MutantRun(o, m, mode, 1));
    if (!why.empty()) return why;
  } else if (strategy != "none" && !(m.target->flags & HANDOFF_TARGET_HAS_SYNC_POINTS)) {
    return "--perturb " + strategy + " needs the synchronisation points, compiled into the sanitizer builds";
  }
  const FailureKindInfo* info = FindFailureKind(kind);
  const unsigned kind_needs = info != nullptr ? info->needs : kNeedsNothing;
  if ((kind_needs & kNeedsThreadSanitizer) && !BuiltWithThreadSanitizer()) {
    return kind + " needs a ThreadSanitizer build (only TSan sees it; the ASan build leaves targets uninstrumented)";
  }
  if (m.scenario.Has(EventType::kFork) && ForkRefusedBySanitizer() != nullptr) {
    return "fork events need the release build";
  }
  if ((kind_needs & kNeedsUndistortedMeasurements) && MeasurementsDistortedBySanitizer() != nullptr) {
    return kind + " is judged in the release build only";
  }
  return "";
}

// The part of a failure's detail from the controlled schedule's excerpt on
// ("schedule (N decisions...):" and its steps), or "" when it has none.
std::string ScheduleExcerpt(const std::string& detail) {
  size_t at = detail.find(kScheduleTailHead);
  return at == std::string::npos ? "" : detail.substr(at);
}

// Runs a replay line as a new process, as a user would, its --json document
// read back: false when it could not be run or read.
bool RunReplayLine(const std::string& line, std::string* verdict, std::string* detail) {
  std::string command = line + " --json --quiet 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string out;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  Json document = Json::parse(out, nullptr, false);
  if (document.is_discarded() || !document.contains("verdict")) return false;
  *verdict = document["verdict"].get<std::string>();
  *detail = document.value("detail", "");
  return true;
}

// Reruns the replay line of the run that detected the bug N times, each in a
// new process: how many end with its verdict, and (under the controlled
// schedule) how many print its schedule byte for byte.
void Replay(const CliOptions& o, const Result& detected, Cell* cell) {
  if (detected.replay().empty()) return;
  const std::string excerpt = ScheduleExcerpt(detected.detail());
  for (int i = 0; i < o.score_replay; ++i) {
    std::string verdict, detail;
    ++cell->replays;
    if (!RunReplayLine(detected.replay(), &verdict, &detail) || verdict != detected.Verdict()) continue;
    ++cell->replays_same_verdict;
    if (!excerpt.empty() && ScheduleExcerpt(detail) == excerpt) ++cell->replays_same_schedule;
  }
}

// Seed k of `m` under `mode`: runs seed k, k+1000, ... until the declared
// kind shows (a detection, counted in *cell, its replay line rerun), another
// verdict shows (a miss) or --score-runs is spent. Returns the seed's
// verdict ("not_judged" when the machine's load left its runs unjudged);
// *spent: the time its runs took.
std::string ScoreSeed(const CliOptions& o, const Mutant& m, const Mode& mode, int k, Cell* cell,
                      double* spent) {
  std::string verdict = "pass";
  for (int r = 0; r < o.score_runs; ++r) {
    uint64_t seed = static_cast<uint64_t>(k) + 1000u * static_cast<uint64_t>(r);
    auto start = std::chrono::steady_clock::now();
    SupervisedRun outcome = SuperviseRun(m.target, MutantRun(o, m, mode, seed), false);
    *spent += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
      ++cell->detected;
      cell->seconds.push_back(*spent);
      cell->runs.push_back(r + 1);
      Replay(o, outcome.result, cell);
      break;
    }
    if (verdict != "pass") break;  // another kind: a miss, not a detection
  }
  return verdict;
}

Cell Score(const CliOptions& o, const Mutant& m, const Mode& mode) {
  Cell cell;
  cell.strategy = mode.Label();
  cell.controlled = mode.controlled;
  cell.skipped = WhyNot(o, m, mode);
  if (!cell.skipped.empty()) return cell;
  for (int k = 1; k <= o.score_seeds; ++k) {
    ++cell.seeds;
    double spent = 0;
    std::string verdict = ScoreSeed(o, m, mode, k, &cell, &spent);
    ++cell.verdicts[verdict];
    if (verdict == "not_judged") ++cell.not_judged;
    if (!o.quiet) {
      std::fprintf(stderr, "handoff-stress: score %s %s seed %d: %s (%.1f s)\n", m.name.c_str(),
                   cell.strategy.c_str(), k, verdict.c_str(), spent);
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

// "same verdict / same schedule of reruns" ("-" for the schedule under the
// OS's schedule, which prints none), or "-" when none was rerun.
std::string ReplayColumn(const Cell& c) {
  if (c.replays == 0) return "-";
  std::string schedule = c.controlled ? std::to_string(c.replays_same_schedule) : "-";
  return std::to_string(c.replays_same_verdict) + " / " + schedule + " of " + std::to_string(c.replays);
}

void PrintText(const CliOptions& o, const std::vector<Mutant>& mutants,
               const std::vector<std::vector<Cell>>& cells) {
  bool replay = o.score_replay > 0;
  std::printf("| mutant | class | must produce | strategy | detected | verdicts | median / worst time | median / worst runs |%s\n",
              replay ? " replay line rerun: same verdict / same schedule |" : "");
  std::printf("|---|---|---|---|---|---|---|---|%s\n", replay ? "---|" : "");
  for (size_t i = 0; i < mutants.size(); ++i) {
    for (const Cell& c : cells[i]) {
      std::printf("| %s | %s | %s | %s | ", mutants[i].name.c_str(), mutants[i].declaration->bug_class,
                  mutants[i].declaration->must_produce, c.strategy.c_str());
      if (!c.skipped.empty()) {
        std::printf("skipped: %s | | | |%s\n", c.skipped.c_str(), replay ? " |" : "");
        continue;
      }
      std::printf("%d/%d | %s | ", c.detected, c.seeds, Verdicts(c).c_str());
      if (c.detected == 0) {
        std::printf("- | - |");
      } else {
        std::printf("%.2f s / %.2f s | %d / %d |", Median(c.seconds), Worst(c.seconds),
                    Median(c.runs), Worst(c.runs));
      }
      std::printf("%s\n", replay ? (" " + ReplayColumn(c) + " |").c_str() : "");
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
                           {"worst_runs", Worst(c.runs)},
                           {"replays", c.replays},
                           {"replays_same_verdict", c.replays_same_verdict},
                           {"replays_same_schedule",
                            c.controlled ? Json(c.replays_same_schedule) : Json(nullptr)}});
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
    std::vector<Mode> modes;
    if (o.run.schedule == "controlled") {
      // Every controlled strategy, or the one --strategy names (and with
      // --declared, its default).
      for (const ScheduleStrategyInfo& s : ScheduleStrategies()) {
        bool chosen = (o.strategy_given || o.score_declared) ? s.name == o.run.schedule_strategy : true;
        if (chosen) modes.push_back({true, s.name});
      }
    } else if (o.score_declared) {
      modes.push_back({false, mutants[i].perturbation()});
    } else {
      for (const PerturbationStrategyInfo& s : PerturbationStrategies()) modes.push_back({false, s.name});
    }
    for (const Mode& mode : modes) {
      cells[i].push_back(Score(o, mutants[i], mode));
      const Cell& c = cells[i].back();
      ran = ran || c.skipped.empty();
      found = found || (c.skipped.empty() && c.detected == c.seeds);
    }
    if (ran && !found) all_found = false;
  }
  if (o.json) {
    PrintJson(mutants, cells);
  } else {
    PrintText(o, mutants, cells);
  }
  return all_found ? 0 : 1;
}

}  // namespace handoff
