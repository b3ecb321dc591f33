// annotated_mutex.h — a std::mutex that clang's thread-safety analysis
// understands, and the annotation macros, so "guarded by" is checked by the
// compiler (-Wthread-safety, an error in the clang presets), not a comment.
//
//   Mutex mutex_;
//   int count_ GUARDED_BY(mutex_) = 0;
//   void Add() { MutexLock lock(&mutex_); ++count_; }
//   void Wait() { MutexLock lock(&mutex_); while (count_ == 0) lock.Wait(&cv_); }
//
// Under other compilers the macros are empty and Mutex is a std::mutex.
//
// One definition, shared: the harness (its watchdog, the GVL check) and the
// bridge use it. The bridge's CMake build copies this one file into its
// include path; a gem built from targets/bridge carries a copy that its
// gemspec takes from here (targets/bridge/shared/, not kept in git).
#ifndef HANDOFF_SRC_ANNOTATED_MUTEX_H
#define HANDOFF_SRC_ANNOTATED_MUTEX_H

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define HANDOFF_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define HANDOFF_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) HANDOFF_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY HANDOFF_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) HANDOFF_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) HANDOFF_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) HANDOFF_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) HANDOFF_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) HANDOFF_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) HANDOFF_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) HANDOFF_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS HANDOFF_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace handoff {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mutex_.lock(); }
  void Unlock() RELEASE() { mutex_.unlock(); }
  // Tells the analysis the mutex is held where it cannot see it (a lambda
  // its caller runs under the lock). Checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope. Wait/WaitUntil release it while blocked on a
// condition variable and hold it again when they return, as the analysis
// assumes throughout the scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ACQUIRE(mutex) : lock_(mutex->mutex_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Wait(std::condition_variable* cv) { cv->wait(lock_); }
  // false when `deadline` passed (the caller rechecks its condition either way).
  bool WaitUntil(std::condition_variable* cv, std::chrono::steady_clock::time_point deadline) {
    return cv->wait_until(lock_, deadline) == std::cv_status::no_timeout;
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace handoff

#endif
