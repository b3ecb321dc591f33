// The controlled schedule's interposition layer (perturb/sync_interposer.h):
// every pthread operation an interposed object imports reaches the routed
// thread's handler, in order, with the real function's result; a thread not
// routed, and an object not interposed on, reach the real functions only.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/target_objects.h"
#include "perturb/sync_interposer.h"

namespace handoff {
namespace {

// Records each operation as "<thread>:<op>" (thread 0: the routed one, 1: a
// thread it created) and does it with the real function.
class RecordingHandler final : public SyncOpHandler {
 public:
  std::vector<std::string> Ops() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ops_;
  }
  int MutexLock(pthread_mutex_t* m, bool point) override {
    return Record(point ? "lock" : "quiet lock", RealSyncFunctions().mutex_lock(m));
  }
  int MutexTrylock(pthread_mutex_t* m, bool point) override {
    return Record(point ? "trylock" : "quiet trylock", RealSyncFunctions().mutex_trylock(m));
  }
  int MutexUnlock(pthread_mutex_t* m, bool point) override {
    return Record(point ? "unlock" : "quiet unlock", RealSyncFunctions().mutex_unlock(m));
  }
  int CondWait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* deadline) override {
    if (deadline == nullptr) return Record("wait", RealSyncFunctions().cond_wait(c, m));
    return Record(clock == CLOCK_REALTIME ? "timedwait" : "clockwait",
                  RealSyncFunctions().cond_clockwait(c, m, clock, deadline));
  }
  int CondSignal(pthread_cond_t* c) override { return Record("signal", RealSyncFunctions().cond_signal(c)); }
  int CondBroadcast(pthread_cond_t* c) override {
    return Record("broadcast", RealSyncFunctions().cond_broadcast(c));
  }
  int Create(pthread_t* t, const pthread_attr_t* a, void* (*start)(void*), void* arg) override {
    auto* child = new Child{this, start, arg};
    Record("create", 0);  // before the child can run
    return RealSyncFunctions().create(t, a, &ChildStart, child);
  }
  int Join(pthread_t t, void** value) override { return Record("join", RealSyncFunctions().join(t, value)); }
  int Yield() override { return Record("yield", RealSyncFunctions().yield()); }
  int Sleep(const timespec* d, timespec* rem) override {
    return Record("sleep", RealSyncFunctions().nanosleep(d, rem));
  }
  int ClockGettime(clockid_t clock, timespec* now) override {
    return Record("clock", RealSyncFunctions().clock_gettime(clock, now));
  }
  int Poll(pollfd* fds, nfds_t count, const timespec* timeout, const sigset_t* mask) override {
    return Record("poll", RealSyncFunctions().ppoll(fds, count, timeout, mask));
  }
  int EpollWait(int epoll, epoll_event* events, int max, int timeout_ms, const sigset_t* mask) override {
    return Record("epoll", RealSyncFunctions().epoll_pwait(epoll, events, max, timeout_ms, mask));
  }
  void Wrote(int) override { Record("wrote", 0); }
  long Futex(uint32_t* address, int op, uint32_t value, const timespec* timeout, uint32_t* address2,
             uint32_t value3) override {
    return Record("futex", static_cast<int>(RealSyncFunctions().syscall(SYS_futex, address, op, value, timeout,
                                                                        address2, value3)));
  }
  void HarnessNap(const timespec* d) override { Record("nap", RealSyncFunctions().nanosleep(d, nullptr)); }

 private:
  struct Child {
    RecordingHandler* handler;
    void* (*start)(void*);
    void* arg;
  };
  static void* ChildStart(void* raw) {
    Child child = *static_cast<Child*>(raw);
    delete static_cast<Child*>(raw);
    t_child = true;
    RouteThreadSyncOps(child.handler);
    return child.start(child.arg);
  }
  int Record(const char* op, int result) {
    std::lock_guard<std::mutex> lock(mutex_);
    ops_.push_back(std::string(t_child ? "1:" : "0:") + op);
    return result;
  }
  static thread_local bool t_child;
  std::mutex mutex_;
  std::vector<std::string> ops_;
};
thread_local bool RecordingHandler::t_child = false;

using Operation = int (*)();

struct Fixture {
  Operation every_operation = nullptr;
  LoadedObject object;
};

Fixture LoadFixture() {
  Fixture f;
  void* handle = dlopen(HANDOFF_SYNC_OPS_FIXTURE, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return f;
  f.every_operation = reinterpret_cast<Operation>(dlsym(handle, "fixture_every_operation"));
  ElfW(Addr) base = ObjectBaseOf(reinterpret_cast<void*>(f.every_operation));
  for (const LoadedObject& o : LoadedObjects()) {
    if (o.base == base) f.object = o;
  }
  return f;
}

const std::vector<std::string> kEveryOperation = {
    "0:lock",  "0:timedwait", "0:signal", "0:broadcast", "0:unlock", "0:trylock", "0:unlock",
    "0:create", "1:lock",     "1:unlock", "0:join",      "0:yield",  "0:sleep",   "0:sleep",
    "0:clock", "0:wrote",     "0:poll",      "0:futex"};

TEST(SyncInterposer, RealFunctionsAreFound) {
  const SyncFunctions& real = RealSyncFunctions();
  for (void* f : {reinterpret_cast<void*>(real.mutex_lock), reinterpret_cast<void*>(real.cond_clockwait),
                  reinterpret_cast<void*>(real.create), reinterpret_cast<void*>(real.nanosleep)}) {
    EXPECT_NE(f, nullptr);
  }
}

// One test does it all, in order: interposing is for the life of the process.
TEST(SyncInterposer, RoutedThreadsReachTheHandlerUnroutedOnesTheRealFunctions) {
  Fixture fixture = LoadFixture();
  ASSERT_NE(fixture.every_operation, nullptr) << dlerror();
  RecordingHandler handler;

  // Not interposed yet: a routed thread's operations are not seen.
  RouteThreadSyncOps(&handler);
  EXPECT_EQ(fixture.every_operation(), ETIMEDOUT);
  RouteThreadSyncOps(nullptr);
  EXPECT_TRUE(handler.Ops().empty());

  std::string error;
  int rewritten = InterposeSyncOps(fixture.object, &error);
  ASSERT_EQ(rewritten, 15) << error;  // the fixture imports 15 of the 19 (no untimed or clock wait, ppoll, timer)
  EXPECT_EQ(InterposeSyncOps(fixture.object, &error), 0) << "interposing twice rewrote slots again";

  // Interposed, not routed: the real functions, nothing recorded.
  EXPECT_EQ(fixture.every_operation(), ETIMEDOUT);
  std::thread([&] { EXPECT_EQ(fixture.every_operation(), ETIMEDOUT); }).join();
  EXPECT_TRUE(handler.Ops().empty());

  // Routed: every operation, in order, with the real result.
  RouteThreadSyncOps(&handler);
  EXPECT_EQ(RoutedSyncOpHandler(), &handler);
  EXPECT_EQ(fixture.every_operation(), ETIMEDOUT);
  RouteThreadSyncOps(nullptr);
  EXPECT_EQ(handler.Ops(), kEveryOperation);

  // Routing is per thread: another thread at the same time is not routed.
  std::thread([&] { EXPECT_EQ(fixture.every_operation(), ETIMEDOUT); }).join();
  EXPECT_EQ(handler.Ops().size(), kEveryOperation.size());
}

}  // namespace
}  // namespace handoff
