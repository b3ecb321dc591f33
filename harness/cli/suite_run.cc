#include "cli/suite_run.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/report/json_output.h"
#include "cli/report/junit.h"
#include "cli/suite.h"
#include "run/controlled_run.h"

namespace handoff {
namespace {

using Clock = std::chrono::steady_clock;

// One target through one scenario, and what its run said.
struct Job {
  const SuiteTarget* target = nullptr;
  const SuiteScenario* scenario = nullptr;
  std::string verdict = "not_run";  // pass, a failure kind, harness_error, n/a
  std::string detail, replay;
  std::vector<std::string> notes;
  double seconds = 0;  // wall time of its process
};

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs argv (argv[0] a path) with stdout into a pipe and stderr discarded;
// returns what it printed on stdout, and sets *status (waitpid's).
std::string RunProcess(const std::vector<std::string>& args, int* status) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    *status = -1;
    return "";
  }
  pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    dup2(out[1], STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) != 0;) {
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
    else if (errno != EINTR) break;
  }
  close(out[0]);
  if (pid < 0 || waitpid(pid, status, 0) != pid) *status = -1;
  return text;
}

// The handoff-stress line that runs `job` (this executable, --json).
std::vector<std::string> JobCommand(const CliOptions& o, const Job& job) {
  std::vector<std::string> command = {"/proc/self/exe", job.target->flag, job.target->value,
                                      "--seed", std::to_string(o.run.seed),
                                      "--perturb", job.target->perturbation,
                                      "--hang-seconds", std::to_string(o.run.hang_seconds),
                                      "--scenario", job.scenario->scenario,
                                      "--json", "--quiet"};
  if (o.run.schedule == "controlled") {
    command.insert(command.end(), {"--schedule", "controlled", "--strategy", o.run.schedule_strategy});
  }
  return command;
}

// Why the suite's scenario cannot run under the controlled schedule, or "".
std::string NotControllable(const CliOptions& o, const SuiteScenario& scenario) {
  if (o.run.schedule != "controlled") return "";
  RunOptions run = o.run;
  std::string error;
  if (!ParseScenario(scenario.scenario, &run.scenario, &error)) return "";  // the run reports it
  return WhyNotControllable(run);
}

void RunJob(const CliOptions& o, Job* job) {
  std::string not_controllable = NotControllable(o, *job->scenario);
  if (!not_controllable.empty()) {
    job->verdict = "n/a";
    job->detail = not_controllable;
    return;
  }
  auto start = Clock::now();
  int status = 0;
  std::string out = RunProcess(JobCommand(o, *job), &status);
  job->seconds = Since(start);
  Json j = Json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    job->verdict = "harness_error";
    job->detail = "handoff-stress printed no JSON (exit status " + std::to_string(status) + ")";
    return;
  }
  job->verdict = j.value("verdict", "harness_error");
  job->detail = j.value("detail", "");
  job->replay = j.value("replay", "");
  if (j.contains("notes") && j["notes"].is_array()) {
    for (const auto& note : j["notes"]) job->notes.push_back(note.get<std::string>());
  }
}

bool Failed(const Job& j) { return j.verdict != "pass" && j.verdict != "n/a"; }

// The first `lines` lines of a detail, each indented.
std::string FirstLines(const std::string& text, int lines) {
  std::string out;
  size_t at = 0;
  for (int i = 0; i < lines && at < text.size(); ++i) {
    size_t end = text.find('\n', at);
    out += "    " + text.substr(at, end == std::string::npos ? std::string::npos : end - at) + "\n";
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

// Per-target lists of jobs, in suite order.
using Table = std::vector<std::vector<Job>>;

void PrintTable(const std::string& size, const CliOptions& o, const std::vector<SuiteScenario>& suite,
                const std::vector<SuiteTarget>& targets, const Table& table) {
  size_t label_width = 6;
  for (const SuiteTarget& t : targets) label_width = std::max(label_width, t.label.size());
  std::vector<int> width(suite.size());  // each column as wide as its name and verdicts
  for (size_t i = 0; i < suite.size(); ++i) {
    size_t w = suite[i].name.size();
    for (const auto& row : table) w = std::max(w, row[i].verdict.size());
    width[i] = static_cast<int>(w);
  }
  std::printf("\n## handoff-stress --suite %s (seed %llu)\n", size.c_str(),
              static_cast<unsigned long long>(o.run.seed));
  std::printf("| %-*s |", static_cast<int>(label_width), "target");
  for (size_t i = 0; i < suite.size(); ++i) std::printf(" %-*s |", width[i], suite[i].name.c_str());
  std::printf(" time (s) |\n|%s|", std::string(label_width + 2, '-').c_str());
  for (size_t i = 0; i < suite.size(); ++i) std::printf("%s|", std::string(width[i] + 2, '-').c_str());
  std::printf("----------|\n");
  for (size_t t = 0; t < targets.size(); ++t) {
    std::printf("| %-*s |", static_cast<int>(label_width), targets[t].label.c_str());
    double seconds = 0;
    for (size_t i = 0; i < suite.size(); ++i) {
      std::printf(" %-*s |", width[i], table[t][i].verdict.c_str());
      seconds += table[t][i].seconds;
    }
    std::printf(" %8.1f |\n", seconds);
  }
  for (size_t t = 0; t < targets.size(); ++t) {
    for (const Job& j : table[t]) {
      if (!Failed(j) && j.notes.empty()) continue;
      std::printf("\n%s / %s: %s\n", targets[t].label.c_str(), j.scenario->name.c_str(), j.verdict.c_str());
      if (Failed(j)) std::printf("%s", FirstLines(j.detail, 6).c_str());
      for (const std::string& note : j.notes) std::printf("    note: %s\n", note.c_str());
      if (!j.replay.empty()) std::printf("    replay: %s\n", j.replay.c_str());
    }
  }
}

Json TableJson(const std::string& size, const CliOptions& o, const std::vector<SuiteTarget>& targets,
               const Table& table) {
  Json rows = Json::array();
  for (size_t t = 0; t < targets.size(); ++t) {
    Json runs = Json::array();
    for (const Job& j : table[t]) {
      runs.push_back(Json{{"scenario", j.scenario->name}, {"text", j.scenario->scenario},
                          {"verdict", j.verdict}, {"detail", j.detail}, {"replay", j.replay},
                          {"notes", j.notes}, {"seconds", j.seconds}});
    }
    rows.push_back(Json{{"target", targets[t].label}, {"perturbation", targets[t].perturbation},
                        {"schedule", o.run.schedule}, {"runs", runs}});
  }
  return Json{{"suite", size}, {"seed", o.run.seed}, {"targets", rows}};
}

std::string JUnit(const std::string& size, const std::vector<SuiteTarget>& targets, const Table& table) {
  std::vector<JUnitCase> cases;
  for (size_t t = 0; t < targets.size(); ++t) {
    for (const Job& j : table[t]) {
      JUnitCase c;
      c.suite = targets[t].label;
      c.name = j.scenario->name;
      c.seconds = j.seconds;
      c.message = j.verdict == "n/a" ? "n/a: " + j.detail : j.verdict;
      c.outcome = j.verdict == "n/a"             ? JUnitCase::Outcome::kSkipped
                  : j.verdict == "harness_error" ? JUnitCase::Outcome::kError
                  : Failed(j)                    ? JUnitCase::Outcome::kFailure
                                                 : JUnitCase::Outcome::kPass;
      c.text = FirstLines(j.detail, 6) + (j.replay.empty() ? "" : "replay: " + j.replay + "\n");
      c.output = "scenario: " + j.scenario->scenario + "\n";
      for (const std::string& note : j.notes) c.output += "note: " + note + "\n";
      cases.push_back(c);
    }
  }
  return JUnitXml("handoff-stress --suite " + size, cases);
}

// The suite's scenarios; with --only, just those it names.
std::vector<SuiteScenario> SelectedScenarios(const CliOptions& o) {
  std::vector<SuiteScenario> suite = Suite(o.suite, o.suite_threads, o.suite_calls);
  if (!o.only.empty()) {
    std::vector<std::string> only = SplitList(o.only);
    suite.erase(std::remove_if(suite.begin(), suite.end(),
                               [&](const SuiteScenario& s) {
                                 return std::find(only.begin(), only.end(), s.name) == only.end();
                               }),
                suite.end());
  }
  return suite;
}

// A job per target and scenario, none run yet.
Table MakeTable(const std::vector<SuiteTarget>& targets, const std::vector<SuiteScenario>& suite) {
  Table table(targets.size());
  for (size_t t = 0; t < targets.size(); ++t) {
    for (const SuiteScenario& s : suite) {
      Job job;
      job.target = &targets[t];
      job.scenario = &s;
      table[t].push_back(job);
    }
  }
  return table;
}

// The table's jobs in the order they run: first those that run alone (with
// --jobs above 1), one at a time; then the others, heaviest first.
struct RunOrder {
  std::vector<Job*> alone, together;
};

RunOrder OrderJobs(const CliOptions& o, Table* table) {
  RunOrder order;
  for (auto& row : *table) {
    for (Job& j : row) {
      (j.scenario->alone && o.jobs > 1 ? order.alone : order.together).push_back(&j);
    }
  }
  std::stable_sort(order.together.begin(), order.together.end(),
                   [](const Job* a, const Job* b) { return a->scenario->weight > b->scenario->weight; });
  return order;
}

// Counts the jobs done; as a target's last one finishes (unless --quiet),
// a line on stderr: its tally, the runs done and the time left.
class SuiteProgress {
 public:
  SuiteProgress(const CliOptions& o, const std::vector<SuiteTarget>& targets, const Table& table,
                size_t total, Clock::time_point start)
      : o_(o), targets_(targets), table_(table), total_(total), start_(start) {
    for (const auto& row : table) left_of_.push_back(row.size());
  }

  // From any thread, once per job.
  void Finished(const Job* job) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    size_t t = static_cast<size_t>(job->target - targets_.data());
    if (--left_of_[t] > 0 || o_.quiet) return;
    int passed = 0, failed = 0, na = 0;
    for (const Job& j : table_[t]) {
      (j.verdict == "pass" ? passed : j.verdict == "n/a" ? na : failed)++;
    }
    double elapsed = Since(start_);
    double left = done_ < total_
                      ? elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_)
                      : 0;
    std::fprintf(stderr,
                 "handoff-stress: suite: %s: %d pass, %d failed, %d n/a "
                 "(%zu of %zu runs done, %.0f s; about %.0f s left)\n",
                 targets_[t].label.c_str(), passed, failed, na, done_, total_, elapsed, left);
  }

 private:
  const CliOptions& o_;
  const std::vector<SuiteTarget>& targets_;
  const Table& table_;
  const size_t total_;
  const Clock::time_point start_;
  std::mutex mutex_;
  size_t done_ = 0;              // guarded by mutex_
  std::vector<size_t> left_of_;  // guarded by mutex_: per target, its jobs not done yet
};

// Runs the jobs in `order`: those alone one after another, then the others
// on --jobs threads.
void RunJobs(const CliOptions& o, const RunOrder& order, SuiteProgress* progress) {
  for (Job* job : order.alone) {
    RunJob(o, job);
    progress->Finished(job);
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < order.together.size();) {
      RunJob(o, order.together[i]);
      progress->Finished(order.together[i]);
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, o.jobs); ++w) workers.emplace_back(worker);
  for (std::thread& w : workers) w.join();
}

// Whether a target failed a scenario, and whether a run was a harness error.
void FindFailures(const Table& table, bool* any_failed, bool* any_error) {
  for (const auto& row : table) {
    for (const Job& j : row) {
      *any_error = *any_error || j.verdict == "harness_error";
      *any_failed = *any_failed || (Failed(j) && j.verdict != "harness_error");
    }
  }
}

// Writes --json-file and --junit when given; false when one could not be written.
bool WriteReports(const CliOptions& o, const std::vector<SuiteTarget>& targets,
                  const Table& table) {
  bool reports_ok = true;
  if (!o.json_file.empty()) {
    Json json = TableJson(o.suite, o, targets, table);
    std::string text = json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
    if (!WriteTextFile(o.json_file, text)) {
      std::fprintf(stderr, "handoff-stress: cannot write --json-file %s\n", o.json_file.c_str());
      reports_ok = false;
    }
  }
  if (!o.junit_file.empty() && !WriteTextFile(o.junit_file, JUnit(o.suite, targets, table))) {
    std::fprintf(stderr, "handoff-stress: cannot write --junit %s\n", o.junit_file.c_str());
    reports_ok = false;
  }
  return reports_ok;
}

}  // namespace

int RunSuite(const CliOptions& o, const std::vector<SuiteTarget>& targets) {
  std::vector<SuiteScenario> suite = SelectedScenarios(o);
  Table table = MakeTable(targets, suite);
  RunOrder order = OrderJobs(o, &table);
  const auto start = Clock::now();
  const size_t total = order.alone.size() + order.together.size();
  SuiteProgress progress(o, targets, table, total, start);
  RunJobs(o, order, &progress);

  PrintTable(o.suite, o, suite, targets, table);
  bool any_failed = false, any_error = false;
  FindFailures(table, &any_failed, &any_error);
  bool reports_ok = WriteReports(o, targets, table);
  std::printf("\nhandoff-stress: suite %s: %zu runs in %.0f s: %s\n", o.suite.c_str(), total, Since(start),
              any_failed ? "FAIL" : any_error ? "ERROR (harness errors above)" : "PASS");
  if (any_failed) return 1;
  return any_error || !reports_ok ? 2 : 0;
}

}  // namespace handoff
