#include "quiescence.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace handoff {
namespace {

int64_t CpuNanos(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// The CPU clock of thread `tid` of this process: what glibc's
// pthread_getcpuclockid builds (Linux's CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED
// over the thread id), for a thread known only by its id. A thread that is
// gone reads as 0.
clockid_t ThreadCpuClock(long tid) {
  unsigned long bits = (~static_cast<unsigned long>(tid) << 3) | 6;  // shifted unsigned: defined
  return static_cast<clockid_t>(static_cast<long>(bits));
}

// Reads a small /proc file into buf (NUL-terminated); its length, or -1.
ssize_t ReadSmallFile(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

// Paths hold a directory entry's name (up to NAME_MAX bytes).
constexpr size_t kTaskPathSize = 32 + NAME_MAX;

// The state letter of /proc/self/task/<tid>/stat: after the ")" that ends
// the thread's name (which may itself hold ")" and spaces).
char ThreadState(const char* tid) {
  char path[kTaskPathSize], stat[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
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

bool HasChildProcess(const char* tid) {
  char path[kTaskPathSize], children[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
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

int64_t ThreadCpuNanos(long tid) { return CpuNanos(ThreadCpuClock(tid)); }

int64_t OtherThreadsCpuNanos() {
  return CpuNanos(CLOCK_PROCESS_CPUTIME_ID) - CpuNanos(CLOCK_THREAD_CPUTIME_ID);
}

QuiescenceSample SampleQuiescence(const std::vector<long>& ignored) {
  QuiescenceSample sample;
  // Read first, so the threads' CPU includes at least what they used
  // before they were looked at.
  sample.cpu_ns = OtherThreadsCpuNanos();
  for (long tid : ignored) sample.cpu_ns -= ThreadCpuNanos(tid);
  char self[32];
  std::snprintf(self, sizeof self, "%ld", static_cast<long>(syscall(SYS_gettid)));
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) {
    sample.awake = 1;  // cannot tell: never quiescent
    sample.first_awake = "/proc/self/task unreadable";
    return sample;
  }
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    if (!sample.has_children && HasChildProcess(entry->d_name)) sample.has_children = true;
    if (std::strcmp(entry->d_name, self) == 0) continue;
    long tid = std::atol(entry->d_name);
    if (std::find(ignored.begin(), ignored.end(), tid) != ignored.end()) continue;
    char state = ThreadState(entry->d_name);
    if (state == 'X' || state == 'Z') continue;  // exited meanwhile
    ++sample.threads;
    if (state != 'S') {
      if (sample.awake++ == 0) {
        sample.first_awake = std::string("tid ") + entry->d_name + " (state " + state + ")";
      }
    }
  }
  closedir(tasks);
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
