// The condvar server: the floor a target's speed is judged against
// (min_throughput_ratio, speed_phases.h). One C++ thread answers any number
// of client threads over one mutex and condition variable, with no Ruby and
// no work per call: what a bridge's handoff would cost if running the block
// cost nothing. It hands over the way a good event-thread bridge does: the
// server drains the whole queue per wake, a client wakes the server only
// when it sleeps, every notify comes after the unlock, each client waits on
// its own request's condition variable.
//
// The harness's own copy of the design handoff-bench measures (the bench's
// BM_CondVar_Server); the two are kept apart so that neither build depends on
// the other.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace handoff {

class CondVarServer {
 public:
  // One client's call in flight; a client reuses its own for every call.
  struct Request {
    std::mutex mutex;
    std::condition_variable answered_cv;
    bool answered = false;  // guarded by mutex
  };

  CondVarServer();   // starts the server thread
  ~CondVarServer();  // stops and joins it. REQUIRES: no Call in progress.
  CondVarServer(const CondVarServer&) = delete;
  CondVarServer& operator=(const CondVarServer&) = delete;

  // Blocks until the server has answered `request`. Any thread.
  void Call(Request* request);

 private:
  void Serve();

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::deque<Request*> queue_;  // guarded by mutex_
  bool sleeping_ = false;       // guarded by mutex_
  bool woken_ = false;          // guarded by mutex_: a client has notified the sleeper
  bool done_ = false;           // guarded by mutex_
  std::thread thread_;          // last: started once the rest is built
};

}  // namespace handoff
