// handoff/run.h — running a scenario against a target, as handoff-stress,
// handoff-properties and handoff-bench do: what a run is asked to do
// (RunOptions), the target it runs against (loaded from a library), the run
// itself in a supervised child process (SuperviseRun), the one line that
// reruns it (ReplayCommandLine), and what this build can run.
//
// What a run found is handoff/result.h; the child process around it is
// handoff/supervisor.h; the scenario is handoff/scenario.h; the target's own
// contract is handoff/target.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "handoff/result.h"
#include "handoff/scenario.h"
#include "handoff/supervisor.h"
#include "handoff/target.h"

namespace handoff {

// ---- What a run is asked to do ----

constexpr double kDefaultHangSeconds = 20;

struct RunOptions {
  Scenario scenario;
  uint64_t seed = 1;
  std::string perturbation = "none";  // a name from PerturbationStrategies()
  // "os": the OS schedules the threads (perturbed by `perturbation`);
  // "controlled": they run one at a time, switching at scheduling points
  // picked by `schedule_strategy` from the seed, so a seed replays its
  // schedule exactly (handoff-stress --schedule controlled --strategy S).
  std::string schedule = "os";
  std::string schedule_strategy = "walk";
  // A failure under the controlled schedule prints all of its decisions, not
  // only the last ones (handoff-stress --verbose).
  bool whole_schedule = false;
  double hang_seconds = kDefaultHangSeconds;  // no call returning this long is a deadlock
  // Report a deadlock as soon as the run is stuck (quiescence.h) rather than
  // only after hang_seconds. handoff-stress --no-quiescence.
  bool quiescence = true;
  bool progress = true;               // progress lines on stderr for long runs
  // Interpose on the target's Ruby C API imports and report a call made
  // without the GVL as gvl_violation (gvl_check.h). handoff-stress --no-gvl-check.
  bool gvl_check = true;
  // How a replay line names the target ("--target NAME" or "--target-lib
  // '/path'", ReplayTargetFlag): a run that does not pass then comes back
  // with the line that reruns it (Result::replay). Empty: no replay line.
  std::string replay_target;
};

// The names --strategy takes under --schedule controlled, in the order
// --help lists them (the controlled schedule's one registry).
std::vector<std::string> ControlledStrategyNames();

// Why `options` cannot run under the controlled schedule ("" when it can):
// background threads, fork and gc_stress events, a target without the
// controlled schedule's needs.
std::string WhyNotControllable(const RunOptions& options);

// For --schedule controlled: unless done already, turns address-space
// randomisation off for this process and executes it again with the same
// arguments, so that a seed lays memory out, and collects garbage, the same
// way on every run. Returns only when done already or impossible (a run's
// notes then say so).
void ReexecWithFixedAddresses(char** argv);

// ---- The target it runs against ----

struct LoadedTarget {
  const handoff_target* target = nullptr;
  std::string path;
  // The library's handoff_mutant_declaration (handoff/target.h), or nullptr:
  // not a mutant.
  const handoff_mutant* mutant = nullptr;
  // Whether the library imports ThreadSanitizer's hooks (__tsan_*): built
  // with -fsanitize=thread, so a TSan harness sees its memory accesses.
  bool instrumented_by_tsan = false;
};

// Loads `path` and checks its ABI version. False with a one-line *error that
// says what to do (missing file, not a target, built for another ABI, built
// for a sanitizer this harness is not: a ThreadSanitizer library under a
// release harness, gcc's TSan runtime under clang's).
bool LoadTargetLibrary(const std::string& path, LoadedTarget* loaded, std::string* error);

// For a user's library under a ThreadSanitizer harness: a warning when
// TSan sees none of its code (built without -fsanitize=thread); else "".
std::string SanitizerWarning(const LoadedTarget& loaded);

// `path` made absolute (realpath), or `path` itself when it cannot be.
std::string AbsolutePath(const std::string& path);

// The running executable's absolute path (what a replay line should call).
std::string ExecutablePath();

// The folder of built-in targets, and the library of the one called `name`.
std::string BuiltinTargetDir();
std::string BuiltinTargetPath(const std::string& name);
// Names of the built-in targets found there, sorted.
std::vector<std::string> BuiltinTargetNames();

// ---- The run ----

// How long after its last sign of life (its watchdog beats while calls
// return) a run is killed when its own watchdog did not report a hang.
constexpr double kSupervisorMarginSeconds = 5;

// Why `scenario` cannot run against `target` at all, or nothing: it asks for
// an optional function the target does not offer (a kill@ event against a
// target whose kill_event_thread is NULL; post in the mix against a target
// without HANDOFF_TARGET_HAS_POSTS). Such a run is not a failure and
// not a harness error: SuperviseRun returns Result::Inapplicable with this
// reason, handoff-stress prints "n/a", and the properties never draw it.
std::optional<std::string> WhyNotApplicable(const handoff_target* target, const Scenario& scenario);

// Runs `options` against `target` in a child process (Supervise): a crash,
// sanitizer report or hang of the child is the returned result. Returns
// within hang_seconds + kSupervisorMarginSeconds of the run's last progress,
// with every process the run created gone. `on_tick` as in SuperviseOptions.
// A failed run comes back with the perturbation decisions it acted on. A
// scenario WhyNotApplicable refuses is not run (Result::Inapplicable).
SupervisedRun SuperviseRun(const handoff_target* target, const RunOptions& options, bool echo_stderr,
                           const std::function<void(double)>& on_tick = nullptr);

// Whether this build is instrumented by ThreadSanitizer (data_race needs it).
bool BuiltWithThreadSanitizer();

// Whether the libruby this build runs on is ThreadSanitizer-instrumented too
// (preset tsan-ruby): races with Ruby's own code are then seen.
bool RubyIsInstrumented();

// Why this build's sanitizer runtime cannot run fork events, or nullptr.
const char* ForkRefusedBySanitizer();

// Why this build's latency and memory figures say more about its sanitizer
// than about the target (max_p99_us and leak_bytes_per_call are then
// reported, not judged), or nullptr.
const char* MeasurementsDistortedBySanitizer();

// ---- The line that reruns it ----

// `text` in single quotes for a POSIX shell.
std::string ShellQuote(const std::string& text);

// How a replay line names a target: "--target NAME", or "--target-lib
// '/absolute/path'" when `library` is not empty (made absolute, so the line
// runs from any directory).
std::string ReplayTargetFlag(const std::string& name, const std::string& library);

// "<handoff-stress> <replay_target> --seed S --perturb P --scenario '...'",
// then " --hang-seconds H" unless the default, " --no-gvl-check" and
// " --no-quiescence" when those are off. handoff-stress is the one next to
// this executable (it is this executable in handoff-stress itself).
// REQUIRES: options.replay_target not empty.
std::string ReplayCommandLine(const RunOptions& options);

}  // namespace handoff
