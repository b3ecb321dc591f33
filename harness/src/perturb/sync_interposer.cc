#include "perturb/sync_interposer.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace handoff {
namespace {

thread_local SyncOpHandler* t_handler = nullptr;
thread_local void* t_call_site = nullptr;

// Each wrapper notes where the interposed object called it from.
#define HANDOFF_NOTE_CALL_SITE() (t_call_site = __builtin_return_address(0))

template <typename F>
F Lookup(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

struct Reals {
  SyncFunctions sync;
  int (*usleep)(useconds_t);
  int (*timer_settime)(timer_t, int, const itimerspec*, itimerspec*);
  int (*epoll_wait)(int, epoll_event*, int, int);
};

std::atomic<bool> g_hold_timers{false};

const Reals& RealFunctions() {
  static const Reals reals = [] {
    Reals r;
    r.sync.mutex_lock = Lookup<decltype(r.sync.mutex_lock)>("pthread_mutex_lock");
    r.sync.mutex_trylock = Lookup<decltype(r.sync.mutex_trylock)>("pthread_mutex_trylock");
    r.sync.mutex_unlock = Lookup<decltype(r.sync.mutex_unlock)>("pthread_mutex_unlock");
    r.sync.cond_wait = Lookup<decltype(r.sync.cond_wait)>("pthread_cond_wait");
    r.sync.cond_timedwait = Lookup<decltype(r.sync.cond_timedwait)>("pthread_cond_timedwait");
    r.sync.cond_clockwait = Lookup<decltype(r.sync.cond_clockwait)>("pthread_cond_clockwait");
    r.sync.cond_signal = Lookup<decltype(r.sync.cond_signal)>("pthread_cond_signal");
    r.sync.cond_broadcast = Lookup<decltype(r.sync.cond_broadcast)>("pthread_cond_broadcast");
    r.sync.create = Lookup<decltype(r.sync.create)>("pthread_create");
    r.sync.join = Lookup<decltype(r.sync.join)>("pthread_join");
    r.sync.yield = Lookup<decltype(r.sync.yield)>("sched_yield");
    r.sync.nanosleep = Lookup<decltype(r.sync.nanosleep)>("nanosleep");
    r.sync.clock_gettime = Lookup<decltype(r.sync.clock_gettime)>("clock_gettime");
    r.sync.poll = Lookup<decltype(r.sync.poll)>("poll");
    r.sync.ppoll = Lookup<decltype(r.sync.ppoll)>("ppoll");
    r.sync.write = Lookup<decltype(r.sync.write)>("write");
    r.sync.syscall = Lookup<decltype(r.sync.syscall)>("syscall");
    r.sync.epoll_pwait = Lookup<decltype(r.sync.epoll_pwait)>("epoll_pwait");
    r.epoll_wait = Lookup<decltype(r.epoll_wait)>("epoll_wait");
    r.usleep = Lookup<decltype(r.usleep)>("usleep");
    r.timer_settime = Lookup<decltype(r.timer_settime)>("timer_settime");
    return r;
  }();
  return reals;
}

const SyncFunctions& Real() { return RealFunctions().sync; }

template <bool kPoint>
int WrapMutexLock(pthread_mutex_t* m) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->MutexLock(m, kPoint) : Real().mutex_lock(m);
}
template <bool kPoint>
int WrapMutexTrylock(pthread_mutex_t* m) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->MutexTrylock(m, kPoint) : Real().mutex_trylock(m);
}
template <bool kPoint>
int WrapMutexUnlock(pthread_mutex_t* m) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->MutexUnlock(m, kPoint) : Real().mutex_unlock(m);
}
int WrapCondWait(pthread_cond_t* c, pthread_mutex_t* m) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->CondWait(c, m, CLOCK_REALTIME, nullptr) : Real().cond_wait(c, m);
}
// The clock a condition variable was made with (pthread_condattr_setclock):
// glibc keeps "monotonic" in bit 1 of __wrefs.
clockid_t ClockOf(const pthread_cond_t* c) {
  return (c->__data.__wrefs & 2) != 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

int WrapCondTimedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* t) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->CondWait(c, m, ClockOf(c), t) : Real().cond_timedwait(c, m, t);
}
int WrapCondClockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* t) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->CondWait(c, m, clock, t) : Real().cond_clockwait(c, m, clock, t);
}
int WrapCondSignal(pthread_cond_t* c) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->CondSignal(c) : Real().cond_signal(c);
}
int WrapCondBroadcast(pthread_cond_t* c) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->CondBroadcast(c) : Real().cond_broadcast(c);
}
int WrapCreate(pthread_t* t, const pthread_attr_t* a, void* (*start)(void*), void* arg) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->Create(t, a, start, arg) : Real().create(t, a, start, arg);
}
int WrapJoin(pthread_t t, void** value) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->Join(t, value) : Real().join(t, value);
}
int WrapYield() {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->Yield() : Real().yield();
}
int WrapNanosleep(const timespec* d, timespec* rem) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->Sleep(d, rem) : Real().nanosleep(d, rem);
}
int WrapUsleep(useconds_t micros) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  if (h == nullptr) return RealFunctions().usleep(micros);
  timespec d{static_cast<time_t>(micros / 1000000), static_cast<long>(micros % 1000000) * 1000};
  return h->Sleep(&d, nullptr);
}

int WrapClockGettime(clockid_t clock, timespec* now) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->ClockGettime(clock, now) : Real().clock_gettime(clock, now);
}
int WrapPoll(pollfd* fds, nfds_t count, int timeout_ms) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  if (h == nullptr) return Real().poll(fds, count, timeout_ms);
  timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return h->Poll(fds, count, timeout_ms < 0 ? nullptr : &timeout, nullptr);
}
int WrapPpoll(pollfd* fds, nfds_t count, const timespec* timeout, const sigset_t* mask) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->Poll(fds, count, timeout, mask) : Real().ppoll(fds, count, timeout, mask);
}
int WrapEpollWait(int epoll, epoll_event* events, int max, int timeout_ms) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->EpollWait(epoll, events, max, timeout_ms, nullptr)
           : RealFunctions().epoll_wait(epoll, events, max, timeout_ms);
}
int WrapEpollPwait(int epoll, epoll_event* events, int max, int timeout_ms, const sigset_t* mask) {
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  return h ? h->EpollWait(epoll, events, max, timeout_ms, mask) : Real().epoll_pwait(epoll, events, max, timeout_ms, mask);
}
ssize_t WrapWrite(int fd, const void* data, size_t size) {
  ssize_t written = Real().write(fd, data, size);
  if (SyncOpHandler* h = t_handler) {
    int saved = errno;
    h->Wrote(fd);
    errno = saved;
  }
  return written;
}

// syscall() forwards up to six arguments, as glibc's own does: reading six
// where fewer were passed reads registers the caller left alone.
long WrapSyscall(long number, ...) {
  va_list args;
  va_start(args, number);
  long a[6];
  for (long& arg : a) arg = va_arg(args, long);
  va_end(args);
  SyncOpHandler* h = t_handler;
  HANDOFF_NOTE_CALL_SITE();
  if (h != nullptr && number == SYS_futex) {
    return h->Futex(reinterpret_cast<uint32_t*>(a[0]), static_cast<int>(a[1]), static_cast<uint32_t>(a[2]),
                    reinterpret_cast<const timespec*>(a[3]), reinterpret_cast<uint32_t*>(a[4]),
                    static_cast<uint32_t>(a[5]));
  }
  return Real().syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int WrapTimerSettime(timer_t timer, int flags, const itimerspec* value, itimerspec* old) {
  if (!g_hold_timers.load(std::memory_order_relaxed)) return RealFunctions().timer_settime(timer, flags, value, old);
  if (old != nullptr) *old = itimerspec{};
  return 0;
}

struct Wrapper {
  const char* name;
  void* wrapper;
  void* real;
  void* quiet_wrapper;  // a mutex operation that is no scheduling point
};

const Wrapper* Wrappers(size_t* count) {
  const Reals& r = RealFunctions();
  static const Wrapper wrappers[] = {
      {"pthread_mutex_lock", reinterpret_cast<void*>(&WrapMutexLock<true>), reinterpret_cast<void*>(r.sync.mutex_lock),
       reinterpret_cast<void*>(&WrapMutexLock<false>)},
      {"pthread_mutex_trylock", reinterpret_cast<void*>(&WrapMutexTrylock<true>),
       reinterpret_cast<void*>(r.sync.mutex_trylock), reinterpret_cast<void*>(&WrapMutexTrylock<false>)},
      {"pthread_mutex_unlock", reinterpret_cast<void*>(&WrapMutexUnlock<true>),
       reinterpret_cast<void*>(r.sync.mutex_unlock), reinterpret_cast<void*>(&WrapMutexUnlock<false>)},
      {"pthread_cond_wait", reinterpret_cast<void*>(&WrapCondWait), reinterpret_cast<void*>(r.sync.cond_wait), nullptr},
      {"pthread_cond_timedwait", reinterpret_cast<void*>(&WrapCondTimedwait), reinterpret_cast<void*>(r.sync.cond_timedwait), nullptr},
      {"pthread_cond_clockwait", reinterpret_cast<void*>(&WrapCondClockwait), reinterpret_cast<void*>(r.sync.cond_clockwait), nullptr},
      {"pthread_cond_signal", reinterpret_cast<void*>(&WrapCondSignal), reinterpret_cast<void*>(r.sync.cond_signal), nullptr},
      {"pthread_cond_broadcast", reinterpret_cast<void*>(&WrapCondBroadcast), reinterpret_cast<void*>(r.sync.cond_broadcast), nullptr},
      {"pthread_create", reinterpret_cast<void*>(&WrapCreate), reinterpret_cast<void*>(r.sync.create), nullptr},
      {"pthread_join", reinterpret_cast<void*>(&WrapJoin), reinterpret_cast<void*>(r.sync.join), nullptr},
      {"sched_yield", reinterpret_cast<void*>(&WrapYield), reinterpret_cast<void*>(r.sync.yield), nullptr},
      {"nanosleep", reinterpret_cast<void*>(&WrapNanosleep), reinterpret_cast<void*>(r.sync.nanosleep), nullptr},
      {"usleep", reinterpret_cast<void*>(&WrapUsleep), reinterpret_cast<void*>(r.usleep), nullptr},
      {"clock_gettime", reinterpret_cast<void*>(&WrapClockGettime), reinterpret_cast<void*>(r.sync.clock_gettime), nullptr},
      {"poll", reinterpret_cast<void*>(&WrapPoll), reinterpret_cast<void*>(r.sync.poll), nullptr},
      {"ppoll", reinterpret_cast<void*>(&WrapPpoll), reinterpret_cast<void*>(r.sync.ppoll), nullptr},
      {"write", reinterpret_cast<void*>(&WrapWrite), reinterpret_cast<void*>(r.sync.write), nullptr},
      {"timer_settime", reinterpret_cast<void*>(&WrapTimerSettime), reinterpret_cast<void*>(r.timer_settime), nullptr},
      {"syscall", reinterpret_cast<void*>(&WrapSyscall), reinterpret_cast<void*>(r.sync.syscall), nullptr},
      {"epoll_wait", reinterpret_cast<void*>(&WrapEpollWait), reinterpret_cast<void*>(r.epoll_wait), nullptr},
      {"epoll_pwait", reinterpret_cast<void*>(&WrapEpollPwait), reinterpret_cast<void*>(r.sync.epoll_pwait), nullptr},
  };
  *count = sizeof(wrappers) / sizeof(wrappers[0]);
  return wrappers;
}

}  // namespace

const SyncFunctions& RealSyncFunctions() { return Real(); }

void SleepMicros(long micros) {
  timespec delay{micros / 1000000, (micros % 1000000) * 1000};
  if (SyncOpHandler* h = t_handler) {
    h->HarnessNap(&delay);
  } else {
    nanosleep(&delay, nullptr);
  }
}

void* SyncOpCallSite() { return t_call_site; }

void HoldTimers(bool hold) { g_hold_timers.store(hold, std::memory_order_relaxed); }

void RouteThreadSyncOps(SyncOpHandler* handler) { t_handler = handler; }
SyncOpHandler* RoutedSyncOpHandler() { return t_handler; }

int InterposeSyncOps(const LoadedObject& object, std::string* error, InterposeChoice choice) {
  size_t count = 0;
  const Wrapper* wrappers = Wrappers(&count);
  int rewritten = 0;
  bool failed = false;
  // Waits for a dlopen of this object still under way (the loader's lock),
  // so its relocations are done before they are rewritten.
  void* handle = object.path.empty() ? nullptr : dlopen(object.path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  ForEachImport(object, [&](const ImportSlot& import) {
    for (size_t i = 0; i < count && !failed; ++i) {
      const Wrapper& w = wrappers[i];
      if (std::strcmp(import.name, w.name) != 0 || w.real == nullptr) continue;
      bool mutex = w.quiet_wrapper != nullptr;
      bool always = mutex || std::strncmp(w.name, "pthread_cond_", 13) == 0 ||
                    std::strcmp(w.name, "clock_gettime") == 0;
      if (!choice.threads_and_io && !always) return;
      void* wrapper = mutex && !choice.mutexes_are_points ? w.quiet_wrapper : w.wrapper;
      void* current = __atomic_load_n(import.slot, __ATOMIC_RELAXED);
      if (current == w.wrapper || current == w.quiet_wrapper) return;
      Dl_info info;
      bool lazy = dladdr(current, &info) != 0 &&
                  reinterpret_cast<ElfW(Addr)>(info.dli_fbase) == object.base;
      if (current != w.real && !lazy) return;  // bound elsewhere: someone else's interposition
      if (!WriteSlot(object, import.slot, wrapper, error)) {
        failed = true;
        return;
      }
      ++rewritten;
      return;
    }
  });
  if (handle != nullptr) dlclose(handle);
  return failed ? -1 : rewritten;
}

}  // namespace handoff
