// The controlled schedule's core (controlled_scheduler.h), shared by the
// files that implement it: the threads' states, the mutex shadows, the
// decision log, and the one lock over all of them. Internal: only
// schedule_*.cc and controlled_scheduler.cc include it.
//
// Every file that includes it is built without sanitizer instrumentation
// (harness/CMakeLists.txt): the schedule hands this state from thread to
// thread, which ThreadSanitizer must not see, or each hand-over would order
// the target's accesses and hide its races. For the same reason the state
// is read and written with plain loads and stores only, never through a
// function a sanitizer intercepts (memcpy, strlen, printf).
//
// One spin lock guards all of it; it is held for bookkeeping only, never
// across a wait. A thread waits for its turn on its own futex word.
#pragma once

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "perturb/controlled_scheduler.h"
#include "perturb/sync_interposer.h"

namespace handoff::controlled {

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


const char* OpName(Op op);

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

extern State* g;
extern thread_local int t_id;  // the calling thread's number, -1: not controlled

void Lock();
void Unlock();
int64_t ToNanos(const timespec& t);
bool Controlled();  // the calling thread is controlled and the schedule runs

// Mutex shadows.
ObjectEntry& Object(uintptr_t key);
bool MutexTakable(uintptr_t mutex, int thread);
void TakeMutex(uintptr_t mutex, int thread);
void ReleaseMutex(uintptr_t mutex);
bool IsRecursive(const pthread_mutex_t* m);

// Picks the next thread and does the shadow part of its operation. Returns
// its number, or -1 when none can go on until a detached thread rejoins.
// REQUIRES: the lock.
int Decide();
// Hands the schedule to `next` (the lock held), then, unlocked, waits for
// this thread's turn unless it is `next` (self < 0: does not wait).
void HandOver(int self, int next);
// The calling thread reached an operation: it waits until the schedule
// picks it. REQUIRES: the lock; releases it.
void Arrive(Op op, uintptr_t object, const char* point = nullptr, void* site = nullptr);
// A deadline on `clock` in logical nanoseconds since the schedule began.
int64_t LogicalDeadline(clockid_t clock, const timespec& deadline);
// Ends the calling thread's part in the schedule.
void Finish();
// Futex waits and wakes on a thread's turn word.
void FutexWait(std::atomic<uint32_t>* word);
void FutexWake(std::atomic<uint32_t>* word);

// The decision log (schedule_log.cc): records the picked thread's
// operation; describes threads for reports.
void Log(int thread);
std::string SiteName(void* site);
std::string RoleOf(int thread);
std::string ThreadStates();

// The SyncOpHandler every controlled thread is routed to (schedule_ops.cc),
// and a new controlled thread (REQUIRES: the lock; -1 over the limit).
SyncOpHandler* ScheduleOps();
int NewThread(const char* role);

// The monitor thread that lets go a thread blocked outside the controlled
// operations (schedule_monitor.cc). Started once, by the schedule's start.
void StartMonitor();

}  // namespace handoff::controlled
