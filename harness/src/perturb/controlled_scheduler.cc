// The controlled schedule's public face (controlled_scheduler.h); its parts
// are in schedule_core (state, model, decisions), schedule_ops (each
// operation), schedule_log (the log and its texts) and schedule_monitor.
#include "perturb/controlled_scheduler.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "perturb/schedule_core.h"
#include "perturb/sync_interposer.h"

namespace handoff {

using namespace controlled;

// The object table and the log are mapped in whole at the start
// (MAP_POPULATE): a log that grew into fresh pages during the run would show
// as resident memory gained per call (a `leak`), 40 bytes a decision.
void BeginControlledSchedule(const ControlledScheduleOptions& options) {
  g = new State;
  g->options = options;
  g->objects = static_cast<ObjectEntry*>(mmap(nullptr, sizeof(ObjectEntry) * kObjectTableSize,
                                              PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
  g->log = static_cast<LogEntry*>(mmap(nullptr, sizeof(LogEntry) * kLogCapacity, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
  timespec now;
  RealSyncFunctions().clock_gettime(CLOCK_REALTIME, &now);
  g->base_realtime_ns = ToNanos(now);
  RealSyncFunctions().clock_gettime(CLOCK_MONOTONIC, &now);
  g->base_monotonic_ns = ToNanos(now);
  options.strategy->NewRun(options.seed, options.expected_steps);
  int main_id = NewThread("main");
  g->threads[main_id].op = Op::kPoint;
  g->running = main_id;
  t_id = main_id;
  g->threads[main_id].tid = syscall(SYS_gettid);
  HoldTimers(true);
  StartMonitor();  // before this thread's operations are routed: not controlled
  RouteThreadSyncOps(ScheduleOps());
  g->active.store(true, std::memory_order_release);
}

bool ControlledScheduleActive() {
  return g != nullptr && g->active.load(std::memory_order_relaxed) && !g->ended.load(std::memory_order_relaxed);
}

int ReserveControlledThread(const std::string& role) {
  if (!Controlled()) return -1;
  Lock();
  int id = NewThread(role.c_str());
  Unlock();
  return id;
}

void AttachControlledThread(int id) {
  if (id < 0 || g == nullptr) return;
  t_id = id;
  ThreadSlot& me = g->threads[id];
  me.tid = syscall(SYS_gettid);
  RouteThreadSyncOps(ScheduleOps());
  while (me.turn.load(std::memory_order_acquire) == 0) FutexWait(&me.turn);
  me.turn.store(0, std::memory_order_relaxed);
}

void EndControlledThread() {
  if (t_id >= 0 && g != nullptr) Finish();
}

void JoinControlledThread(int id) {
  if (!Controlled() || id < 0) return;
  Lock();
  Arrive(Op::kJoin, static_cast<uintptr_t>(id));
}

void ControlledSyncPoint(const char* name) {
  if (!Controlled()) return;
  Lock();
  Arrive(Op::kPoint, 0, name);
}

void EndControlledSchedule() {
  if (g == nullptr) return;
  HoldTimers(false);
  Lock();
  g->ended.store(true, std::memory_order_relaxed);
  for (int i = 0; i < g->count; ++i) {
    g->threads[i].turn.store(1, std::memory_order_release);
    FutexWake(&g->threads[i].turn);
  }
  Unlock();
}

bool OnControlledThread() { return Controlled(); }

bool ControlledClockNanos(int64_t* nanos) {
  if (!Controlled()) return false;
  Lock();
  *nanos = g->base_monotonic_ns + g->logical_ns;
  Unlock();
  return true;
}

uint64_t ControlledSteps() { return g == nullptr ? 0 : g->step; }

bool ScheduleExact() { return g == nullptr || g->detaches == 0; }

}  // namespace handoff
