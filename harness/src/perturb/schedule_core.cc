// The controlled schedule's core (schedule_core.h): the mutex shadows, which
// threads can go on, the decision at each scheduling point and the
// hand-over of the schedule from thread to thread.
#include "perturb/schedule_core.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "perturb/sync_interposer.h"

namespace handoff::controlled {

State* g = nullptr;
thread_local int t_id = -1;

void Lock() {
  while (g->spin.exchange(true, std::memory_order_acquire)) {
    while (g->spin.load(std::memory_order_relaxed)) __builtin_ia32_pause();
  }
}
void Unlock() { g->spin.store(false, std::memory_order_release); }

void FutexWait(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}
void FutexWake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

int64_t ToNanos(const timespec& t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

ObjectEntry& Object(uintptr_t key) {
  size_t i = (key >> 4) * 0x9E3779B97F4A7C15ull % kObjectTableSize;
  for (;; i = (i + 1) % kObjectTableSize) {
    ObjectEntry& e = g->objects[i];
    if (e.key == key) return e;
    if (e.key == 0) {
      e.key = key;
      e.owner = -1;  // the table is zeroed memory
      return e;
    }
  }
}

// Whether `thread` may take `mutex` now: it is free, or recursive and
// `thread`'s already.
bool MutexTakable(uintptr_t mutex, int thread) {
  const ObjectEntry& e = Object(mutex);
  return e.owner < 0 || (e.recursive && e.owner == thread);
}

void TakeMutex(uintptr_t mutex, int thread) {
  ObjectEntry& e = Object(mutex);
  e.depth = e.owner == thread ? e.depth + 1 : 1;
  e.owner = thread;
}

void ReleaseMutex(uintptr_t mutex) {
  ObjectEntry& e = Object(mutex);
  if (--e.depth <= 0) {
    e.depth = 0;
    e.owner = -1;
  }
}

// glibc keeps a mutex's type in the low bits of __kind.
bool IsRecursive(const pthread_mutex_t* m) {
  return (m->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE_NP;
}

bool CanGoOn(const ThreadSlot& t) {
  switch (t.op) {
    case Op::kStart: case Op::kPoint: case Op::kTrylock: case Op::kUnlock: case Op::kSignal:
    case Op::kBroadcast: case Op::kCreate: case Op::kFutexWake:
      return true;
    case Op::kFutexWait:
      return t.woken || (t.deadline >= 0 && t.deadline <= g->logical_ns);
    case Op::kLock:
      return MutexTakable(t.object, static_cast<int>(&t - g->threads));
    case Op::kWait:
      return (t.woken || (t.deadline >= 0 && t.deadline <= g->logical_ns)) &&
             MutexTakable(t.mutex, static_cast<int>(&t - g->threads));
    case Op::kJoin:
      return g->threads[t.object].op == Op::kFinished;
    case Op::kSleep:
      return t.deadline <= g->logical_ns;
    case Op::kPoll:
      return t.poked || (t.deadline >= 0 && t.deadline <= g->logical_ns);
    case Op::kFinished: case Op::kDetached:
      return false;
  }
  return false;
}

uintptr_t ObjectOf(const ThreadSlot& t) {
  return t.op == Op::kWait ? t.mutex : t.op == Op::kJoin ? 0 : t.object;
}

[[noreturn]] void ReportDeadlock(const std::string& why) {
  std::string report = why + " at step " + std::to_string(g->step) + ":\n" + ThreadStates();
  auto on_deadlock = g->options.on_deadlock;
  g->ended.store(true, std::memory_order_relaxed);
  Unlock();
  on_deadlock(report);
  for (;;) pause();
}

namespace {

// Every thread that can go on now, with the object it is at, into
// `runnable` (emptied first; its room is made for every thread already).
void CollectRunnable(std::vector<Runnable>* runnable) {
  runnable->clear();
  for (int i = 0; i < g->count; ++i) {
    if (CanGoOn(g->threads[i])) runnable->push_back({i, ObjectOf(g->threads[i])});
  }
}

// What the threads wait for when none can go on.
struct Waits {
  int64_t earliest = -1;         // the nearest deadline, -1: none
  int at_quiescence = -1;        // the longest waiting of the waits that time out only now
  bool detached = false;         // a thread is blocked outside the controlled operations
  bool target_deadline = false;  // a wait with a deadline, other than the harness's polling nap
};

// Looks at every thread's wait.
void SurveyWaits(Waits* w) {
  for (int i = 0; i < g->count; ++i) {
    const ThreadSlot& t = g->threads[i];
    if (t.op == Op::kDetached) w->detached = true;
    bool timed = t.op == Op::kSleep || t.op == Op::kPoll ||
                 ((t.op == Op::kWait || t.op == Op::kFutexWait) && !t.woken);
    if (!timed || t.deadline < 0) continue;
    if (!(t.op == Op::kSleep && t.observer)) w->target_deadline = true;
    if (t.deadline == kAtQuiescence) {
      if (w->at_quiescence < 0 || t.wait_order < g->threads[w->at_quiescence].wait_order) {
        w->at_quiescence = i;
      }
      continue;
    }
    if (w->earliest < 0 || t.deadline < w->earliest) w->earliest = t.deadline;
  }
}

// Reports a deadlock (and does not return) when calls are in flight and
// only a timeout could let a thread go on, but none will come, or none
// within the scenario's hang or quiet limits.
void ReportDeadlockIfStuck(const Waits& w, bool in_flight) {
  if (in_flight && !w.target_deadline) {
    ReportDeadlock(
        "calls are in flight and no controlled thread can go on (none waits with a deadline)");
  }
  if (in_flight && g->logical_ns - g->last_progress_ns > g->options.hang_logical_ns) {
    ReportDeadlock("no call returned in " +
                   std::to_string(g->options.hang_logical_ns / 1000000000) +
                   " s of logical time, and no thread can go on but by a timeout");
  }
  if (in_flight && w.earliest - g->last_progress_ns > g->options.quiet_logical_ns) {
    char why[256];
    std::snprintf(why, sizeof(why),
                  "calls are in flight, every controlled thread waits, and the nearest deadline is "
                  "%.3f s after the last call returned: longer than a healthy run of this scenario "
                  "waits with every thread asleep (%.3f s)",
                  (w.earliest - g->last_progress_ns) / 1e9, g->options.quiet_logical_ns / 1e9);
    ReportDeadlock(why);
  }
}

// Moves logical time on to the nearest deadline, or else times out the
// longest wait that times out only at quiescence; reports a deadlock when
// no thread waits with a deadline.
void LetTimePass(const Waits& w) {
  if (w.earliest > g->logical_ns) {
    g->logical_ns = w.earliest;  // nothing else can happen first
  } else if (w.at_quiescence >= 0) {
    g->logical_ns += kQuiescenceTimeoutNanos;
    g->threads[w.at_quiescence].deadline = g->logical_ns;
  } else if (w.earliest < 0) {
    ReportDeadlock("no controlled thread can go on, and none waits with a deadline");
  }
}

// Notes the logical time of the last progress: when the count of calls
// returned last changed.
void NoteProgress() {
  if (g->options.calls_returned != nullptr) {
    uint64_t returned = g->options.calls_returned->load(std::memory_order_relaxed);
    if (returned != g->returned_seen) {
      g->returned_seen = returned;
      g->last_progress_ns = g->logical_ns;
    }
  }
}

// Does the shadow part of the operation of `next`, the picked thread: the
// mutex it takes or lets go, whether its wait timed out.
void DoShadowOperation(int next) {
  ThreadSlot& t = g->threads[next];
  if (t.op == Op::kLock) TakeMutex(t.object, next);
  if (t.op == Op::kWait) {
    t.timed_out = !t.woken;
    TakeMutex(t.mutex, next);
  }
  if (t.op == Op::kUnlock) ReleaseMutex(t.object);
  if (t.op == Op::kPoll) t.timed_out = !t.poked;
  if (t.op == Op::kFutexWait) t.timed_out = !t.woken;
}

}  // namespace

int Decide() {
  // Under the lock. Its room is made once, for every thread there can be:
  // growing it would move its elements with memmove, which ThreadSanitizer
  // intercepts even in this uninstrumented file, and the moves, made by
  // whichever thread decides, were reported as a race between the target's
  // threads (the movable-without-compact mutant's runs, under every strategy).
  static std::vector<Runnable> runnable = [] {
    std::vector<Runnable> room;
    room.reserve(kMaxControlledThreads);
    return room;
  }();
  for (;;) {
    CollectRunnable(&runnable);
    if (!runnable.empty()) break;
    Waits waits;
    SurveyWaits(&waits);
    bool in_flight = g->options.calls_in_flight != nullptr &&
                     g->options.calls_in_flight->load(std::memory_order_relaxed) != 0;
    if (waits.detached) {
      g->running = -1;
      return -1;
    }
    ReportDeadlockIfStuck(waits, in_flight);
    LetTimePass(waits);
  }
  NoteProgress();
  size_t pick = g->options.strategy->Pick(runnable, g->step);
  int next = runnable[pick < runnable.size() ? pick : 0].thread;
  DoShadowOperation(next);
  Log(next);
  g->options.strategy->Picked(next, ObjectOf(g->threads[next]));
  ++g->step;
  g->logical_ns += kStepNanos;
  g->running = next;
  return next;
}

void HandOver(int self, int next) {
  if (next >= 0 && next != self) {
    g->threads[next].turn.store(1, std::memory_order_release);
    FutexWake(&g->threads[next].turn);
  }
  Unlock();
  if (next == self || self < 0) return;
  std::atomic<uint32_t>& turn = g->threads[self].turn;
  while (turn.load(std::memory_order_acquire) == 0) FutexWait(&turn);
  turn.store(0, std::memory_order_relaxed);
}

bool Controlled() { return t_id >= 0 && g != nullptr && !g->ended.load(std::memory_order_relaxed); }

void Arrive(Op op, uintptr_t object, const char* point, void* site) {
  ThreadSlot& me = g->threads[t_id];
  bool rejoining = me.op == Op::kDetached;
  me.op = op;
  me.object = object;
  me.point = point;
  me.site = site;
  if (rejoining && g->running >= 0) {
    HandOver(t_id, -1);  // the running thread picks it at one of its points
    return;
  }
  HandOver(t_id, Decide());
}

int64_t LogicalDeadline(clockid_t clock, const timespec& deadline) {
  int64_t base = clock == CLOCK_REALTIME ? g->base_realtime_ns : g->base_monotonic_ns;
  int64_t at = ToNanos(deadline) - base;
  return at < 0 ? 0 : at;
}

void Finish() {
  Lock();
  g->threads[t_id].op = Op::kFinished;
  int next = g->ended.load(std::memory_order_relaxed) ? -1 : Decide();
  t_id = -1;
  RouteThreadSyncOps(nullptr);
  HandOver(-1, next);
}

}  // namespace handoff::controlled
