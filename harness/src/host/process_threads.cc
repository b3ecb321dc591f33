#include "host/process_threads.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
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

}  // namespace

long CurrentThreadId() { return static_cast<long>(syscall(SYS_gettid)); }

std::optional<std::vector<long>> ThreadIdsOfThisProcess() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return std::nullopt;
  std::vector<long> ids;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') ids.push_back(std::atol(entry->d_name));
  }
  closedir(tasks);
  return ids;
}

int64_t ThreadCpuNanos(long tid) { return CpuNanos(ThreadCpuClock(tid)); }

int64_t OtherThreadsCpuNanos() {
  return CpuNanos(CLOCK_PROCESS_CPUTIME_ID) - CpuNanos(CLOCK_THREAD_CPUTIME_ID);
}

std::string ThreadName(long tid) {
  char path[64], name[32];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
  if (ReadSmallFile(path, name, sizeof name) <= 0) return "?";
  name[std::strcspn(name, "\n")] = '\0';
  return name;
}

ssize_t ReadSmallFile(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

}  // namespace handoff
