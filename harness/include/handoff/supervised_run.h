// One run of a scenario as handoff-stress does it: in a supervised child
// process that embeds Ruby; and which lifecycle events this build can run.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "handoff/run_options.h"
#include "handoff/supervisor.h"
#include "handoff/target.h"

namespace handoff {

// How long after its last sign of life (its watchdog beats while calls
// return) a run is killed when its own watchdog did not report a hang.
constexpr double kSupervisorMarginSeconds = 5;

// Why `scenario` cannot run against `target` at all, or nothing: it asks for
// an optional function the target does not offer (a kill@ event against a
// target whose kill_event_thread is NULL). Such a run is not a failure and
// not a harness error: SuperviseRun returns Result::NotApplicable with this
// reason, handoff-stress prints "n/a", and the properties never draw it.
std::optional<std::string> WhyNotApplicable(const handoff_target* target, const Scenario& scenario);

// Runs `options` against `target` in a child process (Supervise): a crash,
// sanitizer report or hang of the child is the returned result. Returns
// within hang_seconds + kSupervisorMarginSeconds of the run's last progress,
// with every process the run created gone. `on_tick` as in SuperviseOptions.
// A failed run comes back with the perturbation decisions it acted on. A
// scenario WhyNotApplicable refuses is not run (Result::NotApplicable).
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

}  // namespace handoff
