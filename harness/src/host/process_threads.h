// This process's threads as Linux shows them (/proc/self/task, per-thread
// CPU clocks): the one place the quiescence judge, the idle window, the
// watchdog and the callers read them.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace handoff {

// The calling thread's id (gettid).
long CurrentThreadId();

// The ids of every thread of this process now, the caller's included;
// nullopt when /proc/self/task cannot be read.
std::optional<std::vector<long>> ThreadIdsOfThisProcess();

// CPU time used so far by thread `tid` of this process, in ns (0: gone).
int64_t ThreadCpuNanos(long tid);

// CPU time used so far by every thread of this process but the calling one
// (a watcher's own sampling is not the run's progress), in ns.
int64_t OtherThreadsCpuNanos();

// Thread `tid`'s name (/proc/self/task/<tid>/comm), "?" when it is gone.
std::string ThreadName(long tid);

// Reads a small /proc file into buf (NUL-terminated); its length, or -1.
ssize_t ReadSmallFile(const char* path, char* buf, size_t size);

}  // namespace handoff
