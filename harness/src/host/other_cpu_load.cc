#include "host/other_cpu_load.h"

#include <cstdio>
#include <cstring>

namespace handoff {
namespace {

// /proc/stat's first line: cpu user nice system idle iowait irq softirq steal ...
bool ReadMachine(long long* busy, long long* total) {
  FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return false;
  long long v[8] = {0};
  int got = std::fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
                        &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (got < 4) return false;
  *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  *busy = *total - v[3] - v[4];  // less idle and I/O wait
  return true;
}

// /proc/self/stat fields 14 and 15 (utime, stime), after the parenthesised name.
bool ReadOwn(long long* ticks) {
  FILE* f = std::fopen("/proc/self/stat", "r");
  if (f == nullptr) return false;
  char line[1024];
  bool ok = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  if (!ok) return false;
  const char* after_name = std::strrchr(line, ')');
  if (after_name == nullptr) return false;
  long long utime = 0, stime = 0;
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(after_name + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime,
                  &stime) != 2) {
    return false;
  }
  *ticks = utime + stime;
  return true;
}

}  // namespace

CpuSample SampleCpu() {
  CpuSample s;
  if (!ReadMachine(&s.machine_busy, &s.machine_total) || !ReadOwn(&s.own)) return CpuSample{};
  return s;
}

std::optional<double> OtherWorkShare(const CpuSample& from, const CpuSample& to) {
  if (from.own < 0 || to.own < 0) return std::nullopt;
  long long total = to.machine_total - from.machine_total;
  if (total <= 0) return std::nullopt;
  long long other = (to.machine_busy - from.machine_busy) - (to.own - from.own);
  if (other < 0) other = 0;  // the two files are read at slightly different moments
  return static_cast<double>(other) / static_cast<double>(total);
}

std::string SchedulingNotJudgedReason(const CpuSample& from, const CpuSample& to) {
  std::optional<double> share = OtherWorkShare(from, to);
  if (!share || *share <= kOtherWorkLimit) return "";
  char text[160];
  std::snprintf(text, sizeof text,
                "other work used %.0f%% of the machine's CPU during the run (over %.0f%%: the "
                "scheduler, not the target, decided who ran when)",
                *share * 100, kOtherWorkLimit * 100);
  return text;
}

}  // namespace handoff
