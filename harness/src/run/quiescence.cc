#include "run/quiescence.h"

#include <limits.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "host/process_threads.h"

namespace handoff {
namespace {

// Paths hold a directory entry's name (up to NAME_MAX bytes).
constexpr size_t kTaskPathSize = 32 + NAME_MAX;

// The state letter of /proc/self/task/<tid>/stat: after the ")" that ends
// the thread's name (which may itself hold ")" and spaces).
char ThreadState(long tid) {
  char path[kTaskPathSize], stat[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
  if (ReadSmallFile(path, stat, sizeof stat) <= 0) return 'X';  // gone meanwhile
  const char* close_paren = std::strrchr(stat, ')');
  if (close_paren == nullptr || close_paren[1] == '\0' || close_paren[2] == '\0') return '?';
  return close_paren[2];
}

// The sanitizer runtime's symbolizer: TSan starts it the first time it
// needs function names (a report, or matching a suppression: with a TSan
// libruby, every suppressed Ruby-internal race) and keeps it, idle, for the
// life of the process. It is not the run's progress.
bool IsSymbolizer(const char* pid) {
  char path[kTaskPathSize], comm[32];
  std::snprintf(path, sizeof path, "/proc/%s/comm", pid);
  if (ReadSmallFile(path, comm, sizeof comm) <= 0) return false;
  return std::strncmp(comm, "llvm-symbolizer", 15) == 0 || std::strcmp(comm, "addr2line\n") == 0;
}

bool HasChildProcess(long tid) {
  char path[kTaskPathSize], children[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/children", tid);
  if (ReadSmallFile(path, children, sizeof children) <= 0) return false;
  char* rest = children;
  while (char* pid = strtok_r(rest, " \n", &rest)) {
    if (!IsSymbolizer(pid)) return true;
  }
  return false;
}

}  // namespace

double QuietWindowSeconds(const Scenario& scenario, double hang_seconds) {
  double window = kQuietFloorSeconds;
  if (scenario.mix[static_cast<int>(Behaviour::kSlow)] != 0) {
    // A slow handler sleeps slow_us with every caller asleep waiting on it.
    window = std::max(window, 4 * scenario.slow_us / 1e6 + kQuietFloorSeconds);
  }
  if (scenario.deadline_ms / 1000.0 < hang_seconds) {
    // A call whose deadline comes before the hang timeout returns timed_out
    // then, which is progress: wait for it.
    window = std::max(window, scenario.deadline_ms / 1000.0 + kQuietFloorSeconds);
  }
  return std::min(window, hang_seconds);
}

QuiescenceSample SampleQuiescence(const std::vector<long>& ignored) {
  QuiescenceSample sample;
  // Read first, so the threads' CPU includes at least what they used
  // before they were looked at.
  sample.cpu_ns = OtherThreadsCpuNanos();
  for (long tid : ignored) sample.cpu_ns -= ThreadCpuNanos(tid);
  const long self = CurrentThreadId();
  std::optional<std::vector<long>> tids = ThreadIdsOfThisProcess();
  if (!tids) {
    sample.awake = 1;  // cannot tell: never quiescent
    sample.first_awake = "/proc/self/task unreadable";
    return sample;
  }
  for (long tid : *tids) {
    if (!sample.has_children && HasChildProcess(tid)) sample.has_children = true;
    if (tid == self) continue;
    if (std::find(ignored.begin(), ignored.end(), tid) != ignored.end()) continue;
    char state = ThreadState(tid);
    if (state == 'X' || state == 'Z') continue;  // exited meanwhile
    ++sample.threads;
    if (state != 'S') {
      if (sample.awake++ == 0) {
        sample.first_awake = "tid " + std::to_string(tid) + " (state " + state + ")";
      }
    }
  }
  return sample;
}

double QuiescenceTracker::Update(const QuiescenceSample& sample, int64_t now_ns, bool progressed) {
  bool asleep = !progressed && sample.awake == 0 && !sample.has_children && sample.threads > 0;
  if (asleep && quiet_since_ns_ >= 0) {
    // Averaged over the quiet stretch: a timer thread's tick is a burst.
    double elapsed = (now_ns - quiet_since_ns_) / 1e9;
    double used = (sample.cpu_ns - quiet_since_cpu_ns_) / 1e9;
    if (used > cpu_budget_ * elapsed + 0.01) asleep = false;
  }
  if (!asleep) {
    quiet_since_ns_ = -1;
    return 0;
  }
  if (quiet_since_ns_ < 0) {
    quiet_since_ns_ = now_ns;
    quiet_since_cpu_ns_ = sample.cpu_ns;
  }
  return (now_ns - quiet_since_ns_) / 1e9;
}

}  // namespace handoff
