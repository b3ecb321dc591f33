#include "resident_memory.h"

#include <unistd.h>

#include <cstdio>

namespace handoff::bench {

long ResidentKilobytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long total_pages = 0, resident_pages = 0;
  int fields = std::fscanf(statm, "%ld %ld", &total_pages, &resident_pages);
  std::fclose(statm);
  if (fields != 2) return -1;
  return resident_pages * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace handoff::bench
