// The controlled schedule's handling of each interposed operation
// (sync_interposer.h): what it means in the model, where it is a
// scheduling point, and the real operation around it (schedule_core.h).
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <cerrno>
#include <string>

#include "perturb/schedule_core.h"
#include "perturb/sync_interposer.h"

namespace handoff::controlled {
namespace {

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
    g->options.strategy->Yielded(t_id);
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
      long woken = MarkFutexWaitersWoken(key, value);
      Unlock();
      long real = RealSyncFunctions().syscall(SYS_futex, address, op, value - woken, timeout, address2, value3);
      return woken + (real > 0 ? real : 0);
    }
    return WaitOnFutex(address, key, value, timeout, site);
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
  // Marks woken up to `count` of the controlled threads waiting on the futex
  // at `key`, the longest waiting first; returns how many. REQUIRES: the lock.
  static long MarkFutexWaitersWoken(uintptr_t key, uint32_t count) {
    long woken = 0;
    while (woken < static_cast<long>(count)) {  // the longest waiting first
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
    return woken;
  }

  // A futex wait on `address` (`key`) while it holds `value`: the value
  // check and the sleep are one step, as in the kernel (nobody else runs in
  // between).
  static long WaitOnFutex(uint32_t* address, uintptr_t key, uint32_t value, const timespec* timeout,
                          void* site) {
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

}  // namespace

SyncOpHandler* ScheduleOps() { return &g_ops; }

int NewThread(const char* role) { return SchedulerOps::NewThread(role); }

}  // namespace handoff::controlled


