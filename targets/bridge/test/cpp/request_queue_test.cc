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
  for (Request* want : requests) {
    Request* got = q.TryPop();
    EXPECT_EQ(got, want);
    Finish(got);
  }
  EXPECT_EQ(q.TryPop(), nullptr);
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
  std::thread worker([&] { q.WaitForWork(&slot); });
  auto* r = new Request(nullptr, {});
  q.Push(r);
  worker.join();
  EXPECT_EQ(q.queued(), 1u) << "waking takes nothing: the request stays queued";
  EXPECT_TRUE(q.ReserveSpare()) << "the only worker is about to take a request: one more is wanted";
  EXPECT_EQ(q.TryPop(), r);
  Finish(r);

  std::thread interrupted([&] { q.WaitForWork(&slot); });
  q.Interrupt(&slot);
  interrupted.join();

  q.ClearInterrupt(&slot);
  std::thread stopped([&] { q.WaitForWork(&slot); });
  q.Stop();
  stopped.join();
  EXPECT_EQ(q.TryPop(), nullptr);
}

TEST(RequestQueue, PoolNeverGrowsPastItsBound) {
  RequestQueue q(RequestQueue::State::kStopped);
  q.Start(2);  // counts the first worker
  auto requests = Make(4);
  for (Request* r : requests) q.Push(r);
  int spawned = 0;
  for (;;) {
    spawned += q.ReserveSpare();
    Request* r = q.TryPop();
    if (r == nullptr) break;
    Finish(r);
  }
  EXPECT_EQ(spawned, 1);
  EXPECT_EQ(q.workers(), 2);
  EXPECT_TRUE(q.WorkerExited()) << "running: a dead worker is replaced";
  q.Stop();
  EXPECT_FALSE(q.WorkerExited());
  EXPECT_EQ(q.workers(), 1);
}

// A worker waiting for the GVL is in reserve; one inside a block is not.
TEST(RequestQueue, SpareOnlyWhileEveryOtherWorkerIsInsideABlock) {
  RequestQueue q(RequestQueue::State::kStopped);
  q.Start(4);  // counts the first worker
  auto requests = Make(3);
  for (Request* r : requests) q.Push(r);
  EXPECT_TRUE(q.ReserveSpare()) << "the only worker is about to run a block: one more is wanted";
  EXPECT_FALSE(q.ReserveSpare()) << "the new worker, not inside a block, is in reserve";
  q.BlockStarted();  // the caller's block runs, and it may block
  EXPECT_TRUE(q.ReserveSpare()) << "the other worker, asking, has every other one inside a block";
  EXPECT_FALSE(q.ReserveSpare());
  q.BlockEnded();
  EXPECT_EQ(q.workers(), 3);
  for (Request* r : q.Stop()) Finish(r);
}

}  // namespace
}  // namespace handoff
