#include "run/condvar_server.h"

namespace handoff {

CondVarServer::CondVarServer() : thread_([this] { Serve(); }) {}

CondVarServer::~CondVarServer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
}

void CondVarServer::Call(Request* request) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(request);
    wake = sleeping_ && !woken_;
    woken_ = woken_ || wake;
  }
  if (wake) work_cv_.notify_one();
  std::unique_lock<std::mutex> lock(request->mutex);
  request->answered_cv.wait(lock, [&] { return request->answered; });
  request->answered = false;
}

void CondVarServer::Serve() {
  std::deque<Request*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_ = true;
      work_cv_.wait(lock, [&] { return !queue_.empty() || done_; });
      sleeping_ = woken_ = false;
      if (done_) return;
      batch.swap(queue_);
    }
    for (Request* request : batch) {
      {
        std::lock_guard<std::mutex> lock(request->mutex);
        request->answered = true;
      }
      request->answered_cv.notify_one();
    }
    batch.clear();
  }
}

}  // namespace handoff
