// Request: the waiter/replier handshake, deadlines, and lifetime.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "request.h"

namespace handoff {
namespace {

Outcome Ok(int64_t value) {
  Outcome o = MakeOutcome(HANDOFF_OK);
  o.value.type = HANDOFF_INT;
  o.value.integer = value;
  return o;
}

TEST(Request, ReplyCompletedBeforeTheWaitIsNotLost) {
  auto* r = new Request(nullptr, {});
  ASSERT_TRUE(r->Claim());
  r->CompleteAndRelease(Ok(7));
  Outcome got = r->WaitAndRelease(0);
  EXPECT_EQ(got.status, HANDOFF_OK);
  EXPECT_EQ(got.value.integer, 7);
}

TEST(Request, ReplyFromAnotherThreadWakesTheWaiter) {
  auto* r = new Request(nullptr, {});
  std::thread replier([r] {
    ASSERT_TRUE(r->Claim());
    r->CompleteAndRelease(Ok(42));
  });
  Outcome got = r->WaitAndRelease(0);
  replier.join();
  EXPECT_EQ(got.value.integer, 42);
}

TEST(Request, DeadlineAbandonsAndALateClaimFails) {
  auto* r = new Request(nullptr, {});
  Outcome got = r->WaitAndRelease(1'000'000);  // 1 ms, nobody replies
  EXPECT_EQ(got.status, HANDOFF_TIMED_OUT);
  EXPECT_FALSE(r->Claim());                    // the replier still holds its reference
  r->CompleteAndRelease(Ok(1));                // dropped, and frees the request
}

TEST(Request, DeadlineAfterClaimStillTimesOutAndTheLateReplyIsDropped) {
  auto* r = new Request(nullptr, {});
  ASSERT_TRUE(r->Claim());
  EXPECT_EQ(r->WaitAndRelease(1'000'000).status, HANDOFF_TIMED_OUT);
  r->CompleteAndRelease(Ok(1));
}

// Waiters give up while repliers complete: under ASan or TSan any use of a
// freed request or condition variable is reported.
TEST(Request, RacingDeadlinesAndRepliesStayMemorySafe) {
  constexpr int kRounds = 2000;
  std::atomic<int> ok{0}, timed_out{0};
  for (int i = 0; i < kRounds; ++i) {
    auto* r = new Request(nullptr, {});
    std::thread replier([r, i] {
      if (i % 2 == 0) std::this_thread::yield();
      if (r->Claim()) {
        r->CompleteAndRelease(Ok(i));
      } else {
        r->CompleteAndRelease(MakeOutcome(HANDOFF_TIMED_OUT));
      }
    });
    Outcome got = r->WaitAndRelease(i % 3 == 0 ? 1 : 20'000);
    (got.status == HANDOFF_OK ? ok : timed_out)++;
    if (got.status == HANDOFF_OK) EXPECT_EQ(got.value.integer, i);
    replier.join();
  }
  EXPECT_EQ(ok + timed_out, kRounds);
}

}  // namespace
}  // namespace handoff
