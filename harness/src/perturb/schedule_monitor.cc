// The controlled schedule's monitor (schedule_core.h): a thread outside the
// schedule that lets go, uncontrolled, a thread that holds the schedule but
// is blocked in the kernel outside the controlled operations (or runs with
// none) for too long, so the run goes on; each such let-go is logged and
// makes the schedule inexact.
#include <sys/syscall.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "perturb/schedule_core.h"

namespace handoff::controlled {
namespace {

// The system call thread `tid` is in (/proc's "syscall"), -1 when running.
int SystemCallOf(long tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return -1;
  int number = -1;
  if (std::fscanf(f, "%d", &number) != 1) number = -1;
  std::fclose(f);
  return number;
}

char KernelState(long tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return '?';
  char buffer[512] = {0};
  size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
  std::fclose(f);
  buffer[n] = 0;
  const char* close = std::strrchr(buffer, ')');
  return close != nullptr && close[1] == ' ' ? close[2] : '?';
}

// Lets go the thread that holds the schedule, in system call `system_call`
// (-1: running): it is detached, its mutexes are forgotten, and another
// thread is picked. REQUIRES: the lock; releases it.
void DetachRunning(int system_call) {
  ThreadSlot& t = g->threads[g->running];
  t.op = Op::kDetached;
  ++g->detaches;
  t.object = static_cast<uintptr_t>(static_cast<intptr_t>(system_call));
  t.site = nullptr;
  // Its mutexes are no longer known to be held: a real lock blocks on
  // them if they are (and that thread is detached in its turn).
  for (size_t i = 0; i < kObjectTableSize; ++i) {
    if (g->objects[i].key != 0 && g->objects[i].owner == g->running) {
      g->objects[i].owner = -1;
      g->objects[i].depth = 0;
    }
  }
  Log(g->running);
  HandOver(-1, Decide());
}

void Monitor() {
  uint64_t last_step = ~0ull;
  int last_running = -2;
  int still_ms = 0;
  for (;;) {
    timespec nap{0, 50 * 1000000};
    nanosleep(&nap, nullptr);
    if (g->ended.load(std::memory_order_relaxed)) return;
    Lock();
    if (g->step != last_step || g->running != last_running || g->running < 0) {
      last_step = g->step;
      last_running = g->running;
      still_ms = 0;
      Unlock();
      continue;
    }
    still_ms += 50;
    long tid = g->threads[g->running].tid;
    Unlock();
    char state = KernelState(tid);
    int system_call = state == 'R' ? -1 : SystemCallOf(tid);
    bool blocked = state == 'S' || state == 'D';
    if (!(blocked ? still_ms >= kDetachAfterMs : still_ms >= kDetachBusyMs)) continue;
    Lock();
    if (g->step == last_step && g->running == last_running && !g->ended.load()) {
      DetachRunning(system_call);
    } else {
      Unlock();
    }
    still_ms = 0;
  }
}

}  // namespace

void StartMonitor() { std::thread(Monitor).detach(); }

}  // namespace handoff::controlled
