#include "run/run_queue_wait.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

namespace handoff {

RunQueueWait::RunQueueWait() : fd_(open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)) {}

RunQueueWait::~RunQueueWait() {
  if (fd_ >= 0) close(fd_);
}

int64_t RunQueueWait::Nanos() const {
  if (fd_ < 0) return -1;
  char text[128];
  ssize_t n = pread(fd_, text, sizeof(text) - 1, 0);
  if (n <= 0) return -1;
  text[n] = '\0';
  // "<ns on a CPU> <ns waiting on a run queue> <timeslices>"
  char* end = nullptr;
  std::strtoll(text, &end, 10);
  if (end == text) return -1;
  char* second = end;
  long long waited = std::strtoll(second, &end, 10);
  return end == second ? -1 : waited;
}

std::unique_ptr<RunQueueWait> CallerRunQueueWait(const Scenario& scenario) {
  return MeasuresRunQueueWait(scenario) ? std::make_unique<RunQueueWait>() : nullptr;
}

bool MeasuresRunQueueWait(const Scenario& scenario) {
  // A deadline the scenario chose (under the default 30 s, whose slack no
  // wait for a CPU comes near): the deadline check subtracts the wait.
  return scenario.fairness != 0 || scenario.max_p99_us != 0 ||
         scenario.deadline_ms < Scenario{}.deadline_ms;
}

}  // namespace handoff
