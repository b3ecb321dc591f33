// The controlled schedule (controlled_scheduler.h). Built without sanitizer
// instrumentation (harness/CMakeLists.txt): its state is handed from thread
// to thread by the schedule itself, which ThreadSanitizer must not see.
//
// One spin lock guards everything below; it is held only for bookkeeping,
// never across a wait. A thread waits for its turn on its own futex word.
#include "perturbation/controlled_scheduler.h"

#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "frame_names.h"
#include "perturbation/sync_interposer.h"

namespace handoff {
namespace {

enum class Op : uint8_t {
  kStart,      // a new thread, before it ran
  kPoint,      // a sync point, a yield
  kLock,       // pthread_mutex_lock
  kTrylock,
  kUnlock,
  kWait,       // in pthread_cond_wait: waiting, then relocking
  kSignal,
  kBroadcast,
  kCreate,
  kJoin,
  kSleep,
  kPoll,
  kFutexWait,  // in a futex wait, until woken or its deadline
  kFutexWake,
  kFinished,
  kDetached,   // blocked or busy outside the controlled operations
};

const char* OpName(Op op) {
  switch (op) {
    case Op::kStart: return "start";
    case Op::kPoint: return "point";
    case Op::kLock: return "lock";
    case Op::kTrylock: return "trylock";
    case Op::kUnlock: return "unlock";
    case Op::kWait: return "wait";
    case Op::kSignal: return "signal";
    case Op::kBroadcast: return "broadcast";
    case Op::kCreate: return "create";
    case Op::kJoin: return "join";
    case Op::kSleep: return "sleep";
    case Op::kPoll: return "poll";
    case Op::kFutexWait: return "futex wait";
    case Op::kFutexWake: return "futex wake";
    case Op::kFinished: return "finish";
    case Op::kDetached: return "detached";
  }
  return "?";
}

struct ThreadSlot {
  std::atomic<uint32_t> turn{0};  // futex word: 1 = go on
  Op op = Op::kStart;
  uintptr_t object = 0;           // mutex, condition variable, or slot joined (kJoin)
  uintptr_t mutex = 0;            // kWait: the mutex to relock
  const char* point = nullptr;    // kPoint: the sync point's name (or "yield")
  void* site = nullptr;           // where the target (or Ruby) called the operation
  int64_t deadline = -1;          // logical ns since the start; -1: none
  bool woken = false;             // kWait: signalled
  bool timed_out = false;         // kWait, kPoll: the deadline passed
  bool poked = false;             // kPoll: a controlled thread wrote
  bool observer = false;          // kSleep: the harness's polling nap
  uint64_t wait_order = 0;        // kWait: signals wake the lowest
  pthread_t handle{};
  bool has_handle = false;
  long tid = 0;                   // kernel thread id, once running
  char role[48] = {0};
};

// A mutex's shadow: the controlled thread that holds it.
struct ObjectEntry {
  uintptr_t key = 0;
  int owner = -1;
  int depth = 0;           // times its owner holds it (a recursive mutex: more than 1)
  bool recursive = false;  // PTHREAD_MUTEX_RECURSIVE, seen at a lock
};
constexpr size_t kObjectTableSize = 1 << 14;

struct LogEntry {
  uint64_t step;
  int32_t thread;
  Op op;
  bool timed_out;
  int32_t joined;  // kJoin: the thread joined; kDetached: the system call it was in (-1: running)
  const char* point;
  void* site;
};
constexpr size_t kLogCapacity = 1 << 20;

// The deadline of a wait whose timeout's clock is unknown: it times out when
// no thread can go on otherwise, after kQuiescenceTimeoutNanos of logical
// time (so the logical hang check still sees time pass).
constexpr int64_t kAtQuiescence = INT64_MAX - 1;
constexpr int64_t kQuiescenceTimeoutNanos = 1000000;

class Scheduler;

struct State {
  std::atomic<bool> spin{false};
  std::atomic<bool> active{false};
  std::atomic<bool> ended{false};
  ControlledScheduleOptions options;
  ThreadSlot threads[kMaxControlledThreads];
  int count = 0;
  int running = -1;  // the thread that holds the schedule, -1: none
  uint64_t step = 0;
  int64_t logical_ns = 0;
  uint64_t wait_order = 0;
  uint64_t detaches = 0;
  uint64_t returned_seen = 0;     // calls returned at last_progress_ns
  int64_t last_progress_ns = 0;
  int64_t base_realtime_ns = 0, base_monotonic_ns = 0;
  ObjectEntry* objects = nullptr;
  LogEntry* log = nullptr;
  uint64_t logged = 0;
};

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

// Objects are named in the schedule by where they are used (the call
// site), not by address: the allocator reuses addresses differently from
// run to run.
void Log(int thread) {
  const ThreadSlot& t = g->threads[thread];
  LogEntry e{g->step, thread, t.op, false, -1, t.point, t.site};
  if (t.op == Op::kWait || t.op == Op::kFutexWait) e.timed_out = !t.woken;
  if (t.op == Op::kJoin || t.op == Op::kDetached) e.joined = static_cast<int32_t>(static_cast<intptr_t>(t.object));
  g->log[g->logged % kLogCapacity] = e;
  ++g->logged;
}

std::string SiteName(void* site) { return site == nullptr ? "the harness" : FrameName(site); }

// A thread's role, copied with plain loads: a sanitizer's interceptors
// (strlen, memcpy, printf) would check reads of what another thread wrote,
// ordered only by the schedule it cannot see.
std::string RoleOf(int thread) {
  char copy[sizeof(ThreadSlot::role)];
  const char* role = g->threads[thread].role;
  size_t i = 0;
  for (; i + 1 < sizeof copy && role[i] != 0; ++i) copy[i] = role[i];
  copy[i] = 0;
  return copy;
}

std::string Describe(int thread) { return "thread " + std::to_string(thread) + " (" + RoleOf(thread) + ")"; }

// Every thread's state, for a deadlock report.
std::string ThreadStates() {
  std::string out;
  for (int i = 0; i < g->count; ++i) {
    const ThreadSlot& t = g->threads[i];
    if (t.op == Op::kFinished) continue;
    out += "  " + Describe(i) + ": ";
    switch (t.op) {
      case Op::kLock:
        out += "locking a mutex held by thread " + std::to_string(Object(t.object).owner) + " at " +
               SiteName(t.site);
        break;
      case Op::kWait:
        out += (t.woken ? "signalled, relocking a mutex held by thread " +
                              std::to_string(Object(t.mutex).owner)
                        : std::string("waiting on a condition variable, never signalled")) +
               " at " + SiteName(t.site);
        break;
      case Op::kJoin:
        out += "joining thread " + std::to_string(t.object);
        break;
      default:
        out += OpName(t.op);
    }
    out += "\n";
  }
  return out;
}

[[noreturn]] void ReportDeadlock(const std::string& why) {
  std::string report = why + " at step " + std::to_string(g->step) + ":\n" + ThreadStates();
  auto on_deadlock = g->options.on_deadlock;
  g->ended.store(true, std::memory_order_relaxed);
  Unlock();
  on_deadlock(report);
  for (;;) pause();
}

// Picks the next thread and does the shadow part of its operation. Returns
// its number, or -1 when none can go on until a detached thread rejoins.
// REQUIRES: the lock.
int Decide() {
  static std::vector<Runnable> runnable;  // under the lock
  for (;;) {
    runnable.clear();
    for (int i = 0; i < g->count; ++i) {
      if (CanGoOn(g->threads[i])) runnable.push_back({i, ObjectOf(g->threads[i])});
    }
    if (!runnable.empty()) break;
    int64_t earliest = -1;
    int at_quiescence = -1;  // the longest waiting of the waits that time out only now
    bool detached = false, target_deadline = false;
    for (int i = 0; i < g->count; ++i) {
      const ThreadSlot& t = g->threads[i];
      if (t.op == Op::kDetached) detached = true;
      bool timed = t.op == Op::kSleep || t.op == Op::kPoll ||
                   ((t.op == Op::kWait || t.op == Op::kFutexWait) && !t.woken);
      if (!timed || t.deadline < 0) continue;
      if (!(t.op == Op::kSleep && t.observer)) target_deadline = true;
      if (t.deadline == kAtQuiescence) {
        if (at_quiescence < 0 || t.wait_order < g->threads[at_quiescence].wait_order) at_quiescence = i;
        continue;
      }
      if (earliest < 0 || t.deadline < earliest) earliest = t.deadline;
    }
    bool in_flight = g->options.calls_in_flight && g->options.calls_in_flight();
    if (detached) {
      g->running = -1;
      return -1;
    }
    if (in_flight && !target_deadline) {
      ReportDeadlock("calls are in flight and no controlled thread can go on (none waits with a deadline)");
    }
    if (in_flight && g->logical_ns - g->last_progress_ns > g->options.hang_logical_ns) {
      ReportDeadlock("no call returned in " + std::to_string(g->options.hang_logical_ns / 1000000000) +
                     " s of logical time, and no thread can go on but by a timeout");
    }
    if (earliest > g->logical_ns) {
      g->logical_ns = earliest;  // nothing else can happen first
      continue;
    }
    if (at_quiescence >= 0) {
      g->logical_ns += kQuiescenceTimeoutNanos;
      g->threads[at_quiescence].deadline = g->logical_ns;
      continue;
    }
    if (earliest < 0) ReportDeadlock("no controlled thread can go on, and none waits with a deadline");
  }
  if (g->options.calls_returned) {
    uint64_t returned = g->options.calls_returned();
    if (returned != g->returned_seen) {
      g->returned_seen = returned;
      g->last_progress_ns = g->logical_ns;
    }
  }
  size_t pick = g->options.strategy->Pick(runnable, g->step);
  int next = runnable[pick < runnable.size() ? pick : 0].thread;
  ThreadSlot& t = g->threads[next];
  if (t.op == Op::kLock) TakeMutex(t.object, next);
  if (t.op == Op::kWait) {
    t.timed_out = !t.woken;
    TakeMutex(t.mutex, next);
  }
  if (t.op == Op::kUnlock) ReleaseMutex(t.object);
  if (t.op == Op::kPoll) t.timed_out = !t.poked;
  if (t.op == Op::kFutexWait) t.timed_out = !t.woken;
  Log(next);
  g->options.strategy->Picked(next, ObjectOf(t));
  ++g->step;
  g->logical_ns += kStepNanos;
  g->running = next;
  return next;
}

// Hands the schedule to `next` (the lock held), then, unlocked, waits for
// this thread's turn unless it is `next`.
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

// The calling thread reached an operation: it waits until the schedule
// picks it. REQUIRES: the lock; releases it.
void Arrive(Op op, uintptr_t object, const char* point = nullptr, void* site = nullptr) {
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

// Ends the calling thread's part in the schedule.
void Finish() {
  Lock();
  g->threads[t_id].op = Op::kFinished;
  int next = g->ended.load(std::memory_order_relaxed) ? -1 : Decide();
  int self = t_id;
  t_id = -1;
  RouteThreadSyncOps(nullptr);
  HandOver(-1, next);
  (void)self;
}

struct StartArgs {
  int id;
  void* (*start)(void*);
  void* arg;
};

class SchedulerOps final : public SyncOpHandler {
 public:
  int MutexLock(pthread_mutex_t* m, bool point) override {
    if (Controlled()) {
      auto key = reinterpret_cast<uintptr_t>(m);
      Lock();
      Object(key).recursive = IsRecursive(m);
      if (!point && MutexTakable(key, t_id)) {  // a runtime's lock: a point only when it would block
        TakeMutex(key, t_id);
        Unlock();
      } else {
        Arrive(Op::kLock, key, nullptr, SyncOpCallSite());
      }
    }
    return RealSyncFunctions().mutex_lock(m);
  }
  int MutexTrylock(pthread_mutex_t* m, bool point) override {
    if (!Controlled()) return RealSyncFunctions().mutex_trylock(m);
    auto key = reinterpret_cast<uintptr_t>(m);
    Lock();
    if (point) {
      Arrive(Op::kTrylock, key, nullptr, SyncOpCallSite());
      Lock();
    }
    ObjectEntry& shadow = Object(key);
    int result = EBUSY;
    shadow.recursive = IsRecursive(m);
    if (MutexTakable(key, t_id)) {
      result = RealSyncFunctions().mutex_trylock(m);
      if (result == 0) TakeMutex(key, t_id);
    }
    Unlock();
    return result;
  }
  int MutexUnlock(pthread_mutex_t* m, bool point) override {
    if (Controlled()) {
      Lock();
      if (point) {
        Arrive(Op::kUnlock, reinterpret_cast<uintptr_t>(m), nullptr, SyncOpCallSite());
      } else {
        ReleaseMutex(reinterpret_cast<uintptr_t>(m));
        Unlock();
      }
    }
    return RealSyncFunctions().mutex_unlock(m);
  }
  int CondWait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* deadline) override {
    if (!Controlled()) {
      return deadline == nullptr ? RealSyncFunctions().cond_wait(c, m)
                                 : RealSyncFunctions().cond_clockwait(c, m, clock, deadline);
    }
    Lock();
    ThreadSlot& me = g->threads[t_id];
    me.op = Op::kWait;
    me.object = reinterpret_cast<uintptr_t>(c);
    me.mutex = reinterpret_cast<uintptr_t>(m);
    me.point = nullptr;
    me.site = SyncOpCallSite();
    me.woken = false;
    me.timed_out = false;
    me.deadline = deadline == nullptr ? -1 : LogicalDeadline(clock, *deadline);
    me.wait_order = ++g->wait_order;
    ReleaseMutex(me.mutex);  // a wait lets go of it (once: a recursive mutex held twice is undefined)
    RealSyncFunctions().mutex_unlock(m);  // nobody else runs until this thread hands over
    HandOver(t_id, Decide());
    RealSyncFunctions().mutex_lock(m);
    return me.timed_out && !g->ended.load(std::memory_order_relaxed) ? ETIMEDOUT : 0;
  }
  int CondSignal(pthread_cond_t* c) override { return Wake(c, false); }
  int CondBroadcast(pthread_cond_t* c) override { return Wake(c, true); }
  int Create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) override {
    if (!Controlled()) return RealSyncFunctions().create(thread, attr, start, arg);
    Lock();
    Arrive(Op::kCreate, 0, nullptr, SyncOpCallSite());
    Lock();
    int id = NewThread(("made by thread " + std::to_string(t_id)).c_str());
    Unlock();
    if (id < 0) return RealSyncFunctions().create(thread, attr, start, arg);  // over the limit: uncontrolled
    int result = RealSyncFunctions().create(thread, attr, &Trampoline, new StartArgs{id, start, arg});
    Lock();
    if (result == 0) {
      g->threads[id].handle = *thread;
      g->threads[id].has_handle = true;
    } else {
      g->threads[id].op = Op::kFinished;
    }
    Unlock();
    return result;
  }
  int Join(pthread_t thread, void** value) override {
    if (Controlled()) {
      Lock();
      int joined = -1;
      for (int i = 0; i < g->count; ++i) {
        if (g->threads[i].has_handle && pthread_equal(g->threads[i].handle, thread)) joined = i;
      }
      if (joined >= 0) {
        Arrive(Op::kJoin, static_cast<uintptr_t>(joined), nullptr, SyncOpCallSite());
      } else {
        Unlock();
      }
    }
    return RealSyncFunctions().join(thread, value);
  }
  int Yield() override {
    if (!Controlled()) return RealSyncFunctions().yield();
    Lock();
    Arrive(Op::kPoint, 0, "yield", SyncOpCallSite());
    return 0;
  }
  int Sleep(const timespec* duration, timespec* remaining) override {
    if (!Controlled()) return RealSyncFunctions().nanosleep(duration, remaining);
    SleepFor(*duration, false, SyncOpCallSite());
    if (remaining != nullptr) *remaining = timespec{0, 0};
    return 0;
  }
  void HarnessNap(const timespec* duration) override {
    if (!Controlled()) {
      RealSyncFunctions().nanosleep(duration, nullptr);
      return;
    }
    SleepFor(*duration, true, nullptr);
  }
  int ClockGettime(clockid_t clock, timespec* now) override {
    bool logical = clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
                   clock == CLOCK_MONOTONIC_RAW || clock == CLOCK_REALTIME_COARSE ||
                   clock == CLOCK_MONOTONIC_COARSE || clock == CLOCK_BOOTTIME;
    if (!Controlled() || !logical) return RealSyncFunctions().clock_gettime(clock, now);
    Lock();
    int64_t base = clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE ? g->base_realtime_ns
                                                                               : g->base_monotonic_ns;
    int64_t at = base + g->logical_ns;
    Unlock();
    *now = timespec{static_cast<time_t>(at / 1000000000), static_cast<long>(at % 1000000000)};
    return 0;
  }
  int Poll(pollfd* fds, nfds_t count, const timespec* timeout, const sigset_t* mask) override {
    if (!Controlled()) return RealSyncFunctions().ppoll(fds, count, timeout, mask);
    const timespec zero{0, 0};
    return WaitForDescriptors([&] { return RealSyncFunctions().ppoll(fds, count, &zero, mask); },
                              timeout ? ToNanos(*timeout) : -1);
  }
  int EpollWait(int epoll, epoll_event* events, int max, int timeout_ms, const sigset_t* mask) override {
    if (!Controlled()) return RealSyncFunctions().epoll_pwait(epoll, events, max, timeout_ms, mask);
    return WaitForDescriptors([&] { return RealSyncFunctions().epoll_pwait(epoll, events, max, 0, mask); },
                              timeout_ms < 0 ? -1 : timeout_ms * 1000000LL);
  }
  void Wrote(int) override {
    if (!Controlled()) return;
    Lock();
    for (int i = 0; i < g->count; ++i) {
      if (g->threads[i].op == Op::kPoll) g->threads[i].poked = true;
    }
    Unlock();
  }

  long Futex(uint32_t* address, int op, uint32_t value, const timespec* timeout, uint32_t* address2,
             uint32_t value3) override {
    int command = op & FUTEX_CMD_MASK;
    bool wait = command == FUTEX_WAIT || command == FUTEX_WAIT_BITSET;
    bool wake = command == FUTEX_WAKE || command == FUTEX_WAKE_BITSET;
    if (!Controlled() || !(wait || wake)) {
      return RealSyncFunctions().syscall(SYS_futex, address, op, value, timeout, address2, value3);
    }
    auto key = reinterpret_cast<uintptr_t>(address);
    void* site = SyncOpCallSite();
    if (wake) {
      Lock();
      Arrive(Op::kFutexWake, key, nullptr, site);
      Lock();
      long woken = 0;
      while (woken < static_cast<long>(value)) {  // the longest waiting first
        int first = -1;
        for (int i = 0; i < g->count; ++i) {
          const ThreadSlot& t = g->threads[i];
          if (t.op == Op::kFutexWait && t.object == key && !t.woken &&
              (first < 0 || t.wait_order < g->threads[first].wait_order)) {
            first = i;
          }
        }
        if (first < 0) break;
        g->threads[first].woken = true;
        ++woken;
      }
      Unlock();
      long real = RealSyncFunctions().syscall(SYS_futex, address, op, value - woken, timeout, address2, value3);
      return woken + (real > 0 ? real : 0);
    }
    // A wait: the value check and the sleep are one step, as in the kernel
    // (nobody else runs in between).
    Lock();
    if (__atomic_load_n(address, __ATOMIC_RELAXED) != value) {
      Unlock();
      errno = EAGAIN;
      return -1;
    }
    ThreadSlot& me = g->threads[t_id];
    me.op = Op::kFutexWait;
    me.object = key;
    me.point = nullptr;
    me.site = site;
    me.woken = false;
    me.timed_out = false;
    me.wait_order = ++g->wait_order;
    // A futex's timeout may come from a clock no import reads (abseil's
    // reads the CPU's cycle counter): it times out when nothing else can
    // go on (Decide), the same step on every run.
    me.deadline = timeout != nullptr ? kAtQuiescence : -1;
    HandOver(t_id, Decide());
    if (me.timed_out && !g->ended.load(std::memory_order_relaxed)) {
      errno = ETIMEDOUT;
      return -1;
    }
    return 0;  // woken (or the schedule ended: a spurious wakeup, which callers allow)
  }

  static int NewThread(const char* role) {
    if (g->count == kMaxControlledThreads) return -1;
    int id = g->count++;
    ThreadSlot& t = g->threads[id];
    t.op = Op::kStart;
    size_t i = 0;  // plain stores (RoleOf)
    for (; i + 1 < sizeof t.role && role[i] != 0; ++i) t.role[i] = role[i];
    t.role[i] = 0;
    g->options.strategy->ThreadAdded(id);
    return id;
  }

 private:
  // A wait for descriptors (poll, ppoll, epoll_wait): `poll_now` looks
  // without waiting. Waits in logical time until `timeout_ns` (-1: none)
  // passes; a controlled thread's write wakes it to look again. No timeout
  // is a wait of kNoTimeoutPollNanos at a time.
  template <typename PollNow>
  static int WaitForDescriptors(PollNow poll_now, int64_t timeout_ns) {
    constexpr int64_t kNoTimeoutPollNanos = 10000000000LL;
    void* site = SyncOpCallSite();
    int ready = poll_now();
    if (ready != 0 || timeout_ns == 0) return ready;
    Lock();
    const int64_t deadline = g->logical_ns + (timeout_ns >= 0 ? timeout_ns : kNoTimeoutPollNanos);
    for (;;) {
      ThreadSlot& me = g->threads[t_id];
      me.deadline = deadline;
      me.poked = false;
      Arrive(Op::kPoll, 0, nullptr, site);
      ready = poll_now();
      if (ready != 0 || !Controlled()) return ready;
      Lock();
      if (g->logical_ns >= deadline) {
        Unlock();
        return timeout_ns >= 0 ? 0 : poll_now();
      }
    }
  }

  static void SleepFor(const timespec& duration, bool observer, void* site) {
    Lock();
    ThreadSlot& me = g->threads[t_id];
    me.deadline = g->logical_ns + ToNanos(duration);
    me.observer = observer;
    Arrive(Op::kSleep, 0, nullptr, site);
  }

  int Wake(pthread_cond_t* c, bool all) {
    if (Controlled()) {
      auto key = reinterpret_cast<uintptr_t>(c);
      Lock();
      Arrive(all ? Op::kBroadcast : Op::kSignal, key, nullptr, SyncOpCallSite());
      Lock();
      int first = -1;
      for (int i = 0; i < g->count; ++i) {
        ThreadSlot& t = g->threads[i];
        if (t.op != Op::kWait || t.object != key || t.woken) continue;
        if (all) {
          t.woken = true;
        } else if (first < 0 || t.wait_order < g->threads[first].wait_order) {
          first = i;
        }
      }
      if (first >= 0) g->threads[first].woken = true;
      Unlock();
    }
    return all ? RealSyncFunctions().cond_broadcast(c) : RealSyncFunctions().cond_signal(c);
  }

  static void* Trampoline(void* raw) {
    StartArgs args = *static_cast<StartArgs*>(raw);
    delete static_cast<StartArgs*>(raw);
    AttachControlledThread(args.id);
    struct AtExit {
      ~AtExit() {
        if (t_id >= 0) Finish();
      }
    } at_exit;
    return args.start(args.arg);
  }
};

SchedulerOps g_ops;

// Detaches a thread that holds the schedule but is blocked in the kernel
// outside the controlled operations, or busy with none, for too long.
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

const char* SystemCallName(int number) {
  switch (number) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_poll: return "poll";
    case SYS_select: return "select";
    case SYS_futex: return "futex";
    case SYS_epoll_wait: return "epoll_wait";
    case SYS_epoll_pwait: return "epoll_pwait";
    case SYS_ppoll: return "ppoll";
    case SYS_nanosleep: return "nanosleep";
    case SYS_clock_nanosleep: return "clock_nanosleep";
    case SYS_wait4: return "wait4";
    case SYS_accept: return "accept";
    case SYS_recvfrom: return "recvfrom";
    default: return "a system call";
  }
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
    } else {
      Unlock();
    }
    still_ms = 0;
  }
}

}  // namespace

void BeginControlledSchedule(const ControlledScheduleOptions& options) {
  g = new State;
  g->options = options;
  g->objects = static_cast<ObjectEntry*>(mmap(nullptr, sizeof(ObjectEntry) * kObjectTableSize,
                                              PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  g->log = static_cast<LogEntry*>(mmap(nullptr, sizeof(LogEntry) * kLogCapacity, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  timespec now;
  RealSyncFunctions().clock_gettime(CLOCK_REALTIME, &now);
  g->base_realtime_ns = ToNanos(now);
  RealSyncFunctions().clock_gettime(CLOCK_MONOTONIC, &now);
  g->base_monotonic_ns = ToNanos(now);
  options.strategy->NewRun(options.seed, options.expected_steps);
  int main_id = SchedulerOps::NewThread("main");
  g->threads[main_id].op = Op::kPoint;
  g->running = main_id;
  t_id = main_id;
  g->threads[main_id].tid = syscall(SYS_gettid);
  HoldTimers(true);
  std::thread(Monitor).detach();  // before this thread's operations are routed: not controlled
  RouteThreadSyncOps(&g_ops);
  g->active.store(true, std::memory_order_release);
}

bool ControlledScheduleActive() {
  return g != nullptr && g->active.load(std::memory_order_relaxed) && !g->ended.load(std::memory_order_relaxed);
}

int ReserveControlledThread(const std::string& role) {
  if (!Controlled()) return -1;
  Lock();
  int id = SchedulerOps::NewThread(role.c_str());
  Unlock();
  return id;
}

void AttachControlledThread(int id) {
  if (id < 0 || g == nullptr) return;
  t_id = id;
  ThreadSlot& me = g->threads[id];
  me.tid = syscall(SYS_gettid);
  RouteThreadSyncOps(&g_ops);
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

uint64_t ControlledSteps() { return g == nullptr ? 0 : g->step; }

bool ScheduleExact() { return g == nullptr || g->detaches == 0; }

std::string ScheduleText(int lines) {
  if (g == nullptr) return "";
  Lock();
  uint64_t total = g->logged;
  uint64_t kept = total < kLogCapacity ? total : kLogCapacity;
  uint64_t shown = lines < 0 || static_cast<uint64_t>(lines) > kept ? kept : static_cast<uint64_t>(lines);
  std::string out;
  if (shown < total) {
    out += "  ... " + std::to_string(total - shown) + " earlier steps (--verbose prints them all)\n";
  }
  for (uint64_t i = total - shown; i < total; ++i) {
    const LogEntry& e = g->log[i % kLogCapacity];
    std::string what = OpName(e.op);
    if (e.op == Op::kPoint) what = e.point ? e.point : "point";
    if (e.op == Op::kWait) what = e.timed_out ? "wait timed out" : "woken";
    if (e.op == Op::kFutexWait) what = e.timed_out ? "futex wait timed out" : "futex woken";
    if (e.op == Op::kJoin) what += " thread " + std::to_string(e.joined);
    if (e.op == Op::kDetached) {
      what = e.joined < 0 ? "let go uncontrolled: ran 5 s with no scheduling point"
                          : std::string("let go uncontrolled: blocked in ") + SystemCallName(e.joined) +
                                " (syscall " + std::to_string(e.joined) + ") outside the controlled operations";
    }
    if (e.site != nullptr) what += "  " + SiteName(e.site);
    char head[96];
    std::snprintf(head, sizeof head, "  step %-7llu thread %-3d %-22s ",
                  static_cast<unsigned long long>(e.step), e.thread, RoleOf(e.thread).c_str());
    out += head + what + "\n";
  }
  Unlock();
  return out;
}

}  // namespace handoff
