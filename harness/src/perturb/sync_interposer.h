// The interposition layer of the controlled schedule: the pthread operations
// threads synchronise through, as the objects that call them import them,
// are pointed at wrappers here, the way ThreadSanitizer's interceptors see
// them, so an out-of-tree bridge needs no change. Ruby's GVL is built on the
// same operations (libruby imports them), so interposing on libruby puts the
// GVL's hand-overs under the same control.
//
// Interposed: pthread_mutex_lock, _trylock, _unlock; pthread_cond_wait,
// _timedwait, _clockwait, _signal, _broadcast; pthread_create, pthread_join;
// sched_yield, nanosleep, usleep; clock_gettime (a controlled schedule's
// logical time); poll, ppoll, epoll_wait, epoll_pwait and write (a wait
// for a descriptor, and what wakes one); timer_settime (Ruby's timer that signals blocked threads:
// HoldTimers); syscall, for its futex waits and wakes (GLib's GMutex and
// GCond, abseil's Mutex, and so grpc's, are futexes called through it). Only the calls an interposed object makes
// through its import slots: an object's calls to its own functions, a
// static inline lock, a futex made with an inline syscall instruction and
// the harness's own locks are not seen.
//
// A wrapper hands the operation to the calling thread's SyncOpHandler, or
// calls the real function when the thread has none (every thread, until a
// handler routes it). The real functions are what the slot would have
// called: libc's, or the sanitizer runtime's interceptor in a sanitizer
// build, so the sanitizer still sees every operation.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "host/elf_imports.h"

namespace handoff {

// The real functions, looked up once (dlsym(RTLD_DEFAULT)).
struct SyncFunctions {
  int (*mutex_lock)(pthread_mutex_t*);
  int (*mutex_trylock)(pthread_mutex_t*);
  int (*mutex_unlock)(pthread_mutex_t*);
  int (*cond_wait)(pthread_cond_t*, pthread_mutex_t*);
  int (*cond_timedwait)(pthread_cond_t*, pthread_mutex_t*, const timespec*);
  int (*cond_clockwait)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const timespec*);
  int (*cond_signal)(pthread_cond_t*);
  int (*cond_broadcast)(pthread_cond_t*);
  int (*create)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  int (*join)(pthread_t, void**);
  int (*yield)();
  int (*nanosleep)(const timespec*, timespec*);
  int (*clock_gettime)(clockid_t, timespec*);
  int (*poll)(pollfd*, nfds_t, int);
  int (*ppoll)(pollfd*, nfds_t, const timespec*, const sigset_t*);
  ssize_t (*write)(int, const void*, size_t);
  long (*syscall)(long, ...);
  int (*epoll_pwait)(int, epoll_event*, int, int, const sigset_t*);
};
const SyncFunctions& RealSyncFunctions();

// What a routed thread's operations go to. Each method does the operation
// (through RealSyncFunctions() or otherwise) and returns what the real
// function would. A timed wait arrives as CondWait with its clock and
// deadline (pthread_cond_timedwait's clock is the one the condition
// variable was made with; an untimed wait has deadline nullptr). nanosleep
// and usleep arrive as Sleep; poll as Poll with a relative timeout (nullptr:
// none); write after it was made, as Wrote.
class SyncOpHandler {
 public:
  virtual ~SyncOpHandler() = default;
  // `point`: false for a runtime's own mutexes (InterposeChoice below).
  virtual int MutexLock(pthread_mutex_t* mutex, bool point) = 0;
  virtual int MutexTrylock(pthread_mutex_t* mutex, bool point) = 0;
  virtual int MutexUnlock(pthread_mutex_t* mutex, bool point) = 0;
  virtual int CondWait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock,
                       const timespec* deadline) = 0;
  virtual int CondSignal(pthread_cond_t* cond) = 0;
  virtual int CondBroadcast(pthread_cond_t* cond) = 0;
  virtual int Create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                     void* arg) = 0;
  virtual int Join(pthread_t thread, void** value) = 0;
  virtual int Yield() = 0;
  virtual int Sleep(const timespec* duration, timespec* remaining) = 0;
  virtual int ClockGettime(clockid_t clock, timespec* now) = 0;
  virtual int Poll(pollfd* fds, nfds_t count, const timespec* timeout, const sigset_t* mask) = 0;
  // epoll_wait and epoll_pwait (mask nullptr for the first).
  virtual int EpollWait(int epoll, epoll_event* events, int max, int timeout_ms, const sigset_t* mask) = 0;
  virtual void Wrote(int fd) = 0;
  // syscall(SYS_futex, ...): `op` as given (FUTEX_PRIVATE_FLAG and
  // FUTEX_CLOCK_REALTIME included); returns what syscall would, errno set.
  virtual long Futex(uint32_t* address, int op, uint32_t value, const timespec* timeout,
                     uint32_t* address2, uint32_t value3) = 0;
  // The harness's own nap in a polling loop (SleepMicros below): like Sleep,
  // but it never makes progress of the target's by itself.
  virtual void HarnessNap(const timespec* duration) = 0;
};

// The harness's own naps (its polling loops): nanosleep, which under a
// controlled schedule, on a controlled thread, is a scheduling point like
// the target's sleeps.
void SleepMicros(long micros);

// Routes the calling thread's interposed operations to `handler`; nullptr
// sends them to the real functions again. Thread-local: a new thread starts
// unrouted (a handler's Create routes it from its start routine).
void RouteThreadSyncOps(SyncOpHandler* handler);
SyncOpHandler* RoutedSyncOpHandler();

// While held, a timer_settime of an interposed object arms nothing (and
// says so to nobody: it returns 0). Ruby 3.1 arms a timer whose signal, at
// moments of the kernel's choosing, interrupts whatever thread runs Ruby;
// a controlled schedule holds it off so that nothing interrupts a thread
// but the schedule (Ruby's own time slices come from its GVL timer, a
// timed wait, which runs in logical time).
void HoldTimers(bool hold);

// Where the calling thread's latest interposed operation was called from
// (the return address into the object that called it), for a handler.
void* SyncOpCallSite();

// How to interpose on one object.
struct InterposeChoice {
  // Also the thread, sleep, poll and write functions, not only the mutex,
  // condition-variable and clock ones (false for the C++ runtime: its
  // std::condition_variable::wait is compiled into it, but its std::thread
  // is the harness's own). Its clocks are always read through the wrapper:
  // a deadline from std::chrono::steady_clock::now() is taken there, and it
  // must be on the same clock as the wait it bounds.
  bool threads_and_io = true;
  // Whether the object's mutex operations are scheduling points: false for
  // a runtime (libruby, libstdc++), whose own uncontended locks come and go
  // with its allocator's state, not with the program's logic.
  bool mutexes_are_points = true;
};

// Points `object`'s import slots of the functions above at the wrappers.
// Returns how many slots it rewrote (0: it imports none, or they are bound
// to something other than the real function or the object's own lazy PLT:
// someone else interposes, and is left alone), or -1 with *error when a
// slot could not be written. Idempotent.
int InterposeSyncOps(const LoadedObject& object, std::string* error, InterposeChoice choice = {});

}  // namespace handoff
