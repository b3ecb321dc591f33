#include "host/open_handles.h"

#include <dirent.h>

#include <cstdio>
#include <cstring>

namespace handoff {
namespace {

int CountFileDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory's own descriptor
}

int CountThreads() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  int threads = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "Threads: %d", &threads) == 1) break;
  }
  std::fclose(status);
  return threads;
}

std::optional<std::string> DescribeGrowth(const char* what, int before, int after, int allowance,
                                          unsigned long long calls) {
  if (before < 0 || after < 0 || after - before <= allowance) return std::nullopt;
  char text[300];
  std::snprintf(text, sizeof text,
                "%s grew from %d to %d over %llu calls (a run may add %d): the calls leave "
                "them open",
                what, before, after, calls, allowance);
  return std::string(text);
}

}  // namespace

OpenHandles CountOpenHandles() { return {CountFileDescriptors(), CountThreads()}; }

int HandleGrowthAllowance(int threads) { return 64 + 2 * threads; }

std::optional<std::string> DescribeHandleLeak(const OpenHandles& before, const OpenHandles& after,
                                              int allowance, unsigned long long calls) {
  std::optional<std::string> fds =
      DescribeGrowth("open file descriptors", before.file_descriptors, after.file_descriptors,
                     allowance, calls);
  std::optional<std::string> threads =
      DescribeGrowth("threads", before.threads, after.threads, allowance, calls);
  if (fds && threads) return *fds + "; " + *threads;
  return fds ? fds : threads;
}

}  // namespace handoff
