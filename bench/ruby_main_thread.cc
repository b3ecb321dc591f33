#include "ruby_main_thread.h"

#include <ruby.h>
#include <ruby/thread.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "handoff/embedded_ruby.h"

namespace handoff::bench {
namespace {

struct JobSlot {
  std::mutex mutex;
  std::condition_variable cv;
  std::function<void()>* job = nullptr;  // guarded by mutex: posted, not yet run
  bool job_done = false;                 // guarded by mutex
  bool body_done = false;                // guarded by mutex: stop serving
};

JobSlot* g_slot = nullptr;  // set while ServeRubyJobsUntil runs

// Without the GVL: waits for a job or the end of the body.
void* WaitForJob(void*) {
  std::unique_lock<std::mutex> lock(g_slot->mutex);
  g_slot->cv.wait(lock, [] { return g_slot->job != nullptr || g_slot->body_done; });
  return nullptr;
}

// Unblocking function for WaitForJob (an interrupt, e.g. a signal): it only
// wakes the wait; the loop below waits again.
void WakeWaiter(void*) { g_slot->cv.notify_all(); }

}  // namespace

void RunOnRubyMain(std::function<void()> job) {
  std::unique_lock<std::mutex> lock(g_slot->mutex);
  g_slot->job = &job;
  g_slot->job_done = false;
  g_slot->cv.notify_all();
  g_slot->cv.wait(lock, [] { return g_slot->job_done; });
}

int ServeRubyJobsUntil(std::function<int()> body) {
  JobSlot slot;
  g_slot = &slot;
  int result = 0;
  std::thread runner([&] {
    result = body();
    std::lock_guard<std::mutex> lock(slot.mutex);
    slot.body_done = true;
    slot.cv.notify_all();
  });
  for (;;) {
    rb_thread_call_without_gvl(WaitForJob, nullptr, WakeWaiter, nullptr);
    std::function<void()>* job = nullptr;
    {
      std::lock_guard<std::mutex> lock(slot.mutex);
      if (slot.job == nullptr && slot.body_done) break;
      job = slot.job;
    }
    if (job == nullptr) continue;
    (*job)();
    std::lock_guard<std::mutex> lock(slot.mutex);
    slot.job = nullptr;
    slot.job_done = true;
    slot.cv.notify_all();
  }
  CallWithoutGvl([&] { runner.join(); });
  g_slot = nullptr;
  return result;
}

}  // namespace handoff::bench
