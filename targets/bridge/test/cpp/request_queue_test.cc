// RequestQueue: FIFO, admission by state, stop drains, workers wake.
#include <gtest/gtest.h>

#include <thread>

#include "request_queue.h"

namespace handoff {
namespace {

// Pops and completes, so requests are freed; returns the order popped.
std::vector<Request*> Make(int n) {
  std::vector<Request*> v;
  for (int i = 0; i < n; ++i) v.push_back(new Request(nullptr, {}));
  return v;
}

void Finish(Request* r) {
  r->CompleteAndRelease(MakeOutcome(HANDOFF_STOPPED));
  r->WaitAndRelease(0);
}

TEST(RequestQueue, RefusesWhenNotRunning) {
  RequestQueue stopped(RequestQueue::State::kStopped);
  RequestQueue forked(RequestQueue::State::kForked);
  auto* r = new Request(nullptr, {});
  EXPECT_EQ(stopped.Push(r), HANDOFF_STOPPED);
  EXPECT_EQ(forked.Push(r), HANDOFF_FORKED);
  EXPECT_EQ(forked.Admission(), HANDOFF_FORKED);
  Finish(r);
}

TEST(RequestQueue, PopsInFifoOrder) {
  RequestQueue q(RequestQueue::State::kStopped);
  ASSERT_TRUE(q.Start(1));
  EXPECT_FALSE(q.Start(1)) << "already running";
  auto requests = Make(5);
  for (Request* r : requests) ASSERT_EQ(q.Push(r), HANDOFF_OK);
  EXPECT_EQ(q.queued(), 5u);
  bool spawn = false;
  for (Request* want : requests) {
    Request* got = q.TryPop(&spawn);
    EXPECT_EQ(got, want);
    Finish(got);
  }
  EXPECT_EQ(q.TryPop(&spawn), nullptr);
}

TEST(RequestQueue, StopHandsBackEveryQueuedRequestInOrder) {
  RequestQueue q(RequestQueue::State::kStopped);
  q.Start(1);
  auto requests = Make(3);
  for (Request* r : requests) q.Push(r);
  std::vector<Request*> drained = q.Stop();
  EXPECT_EQ(drained, requests);
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_EQ(q.Admission(), HANDOFF_STOPPED);
  for (Request* r : drained) Finish(r);
}

TEST(RequestQueue, WaitingWorkerWakesForARequestAStopOrAnInterrupt) {
  RequestQueue q(RequestQueue::State::kStopped);
  q.Start(4);
  RequestQueue::WorkerSlot slot;
  bool spawn = false;
  Request* got = nullptr;
  std::thread worker([&] { got = q.WaitPop(&slot, &spawn); });
  auto* r = new Request(nullptr, {});
  q.Push(r);
  worker.join();
  EXPECT_EQ(got, r);
  EXPECT_TRUE(spawn) << "the only worker took a request: one more is wanted";
  Finish(r);

  std::thread interrupted([&] { got = q.WaitPop(&slot, &spawn); });
  q.Interrupt(&slot);
  interrupted.join();
  EXPECT_EQ(got, nullptr);

  q.ClearInterrupt(&slot);
  std::thread stopped([&] { got = q.WaitPop(&slot, &spawn); });
  q.Stop();
  stopped.join();
  EXPECT_EQ(got, nullptr);
}

TEST(RequestQueue, PoolNeverGrowsPastItsBound) {
  RequestQueue q(RequestQueue::State::kStopped);
  q.Start(2);  // counts the first worker
  auto requests = Make(4);
  for (Request* r : requests) q.Push(r);
  int spawned = 0;
  bool spawn = false;
  while (Request* r = q.TryPop(&spawn)) {
    spawned += spawn;
    Finish(r);
  }
  EXPECT_EQ(spawned, 1);
  EXPECT_EQ(q.workers(), 2);
  EXPECT_TRUE(q.WorkerExited()) << "running: a dead worker is replaced";
  q.Stop();
  EXPECT_FALSE(q.WorkerExited());
  EXPECT_EQ(q.workers(), 1);
}

}  // namespace
}  // namespace handoff
