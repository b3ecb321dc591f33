// The checker on hand-made run logs: every failure kind it can give, and no
// failure for a right run.
#include <gtest/gtest.h>

#include "checker.h"
#include "handoff/target.h"

namespace handoff {
namespace {

// A run of `calls` returning calls on one thread, every one right.
struct FakeRun {
  explicit FakeRun(uint64_t calls, std::array<uint32_t, kBehaviourCount> mix = {1, 0, 0, 0, 0, 0})
      : scenario(Make(calls, mix)), log(scenario) {
    for (uint64_t id = 0; id < calls; ++id) {
      CallPlan plan = PlanCall(scenario, kSeed, id);
      std::string payload;
      WritePayload(plan, kSeed, &payload);
      CallRecord& r = log.calls[0][id];
      r.sent_digest = Digest(payload.data(), payload.size());
      if (plan.behaviour == Behaviour::kRaise) {
        r.status = HANDOFF_TARGET_RAISED;
        r.raised_named = true;
        r.raised_call_id = id;
      } else {
        r.status = HANDOFF_TARGET_OK;
        std::string reply = ComputeReply(payload.data(), payload.size());
        r.reply = ReadReply(reply.data(), reply.size());
      }
      log.ran[id].store(1);
    }
  }
  static Scenario Make(uint64_t calls, std::array<uint32_t, kBehaviourCount> mix) {
    Scenario s;
    s.threads = 1;
    s.calls = calls;
    s.mix = mix;
    return s;
  }
  Result Check() {
    CheckStats stats;
    return CheckRun(scenario, kSeed, log, &stats);
  }
  static constexpr uint64_t kSeed = 5;
  Scenario scenario;
  RunLog log;
};

TEST(Checker, ARightRunPasses) {
  FakeRun run(50, {3, 1, 0, 0, 0, 0});
  EXPECT_TRUE(run.Check().passed()) << run.Check().detail;
}

TEST(Checker, AReplyOfAnEarlierCallIsADuplicate) {
  FakeRun run(10);
  run.log.calls[0][7].reply = run.log.calls[0][3].reply;
  Result r = run.Check();
  EXPECT_EQ(r.Verdict(), "duplicate_reply") << r.detail;
}

TEST(Checker, AReplyOfALaterCallIsWrong) {
  FakeRun run(10);
  run.log.calls[0][2].reply = run.log.calls[0][8].reply;
  EXPECT_EQ(run.Check().Verdict(), "wrong_reply");
}

TEST(Checker, AReplyFromACorruptedPayloadIsWrong) {
  FakeRun run(10);
  run.log.calls[0][4].sent_digest ^= 1;
  EXPECT_EQ(run.Check().Verdict(), "wrong_reply");
}

TEST(Checker, ATimeoutOrNoReturnIsALostReply) {
  FakeRun run(10);
  run.log.calls[0][1].status = HANDOFF_TARGET_TIMED_OUT;
  EXPECT_EQ(run.Check().Verdict(), "lost_reply");
  FakeRun never(10);
  never.log.calls[0][9].status = kNotReturned;
  EXPECT_EQ(never.Check().Verdict(), "lost_reply");
}

TEST(Checker, AHandlerThatRanTwiceOrNeverIsCaught) {
  FakeRun twice(10);
  twice.log.ran[3].store(2);
  EXPECT_EQ(twice.Check().Verdict(), "handler_not_once");
  FakeRun never(10);
  never.log.ran[3].store(0);
  EXPECT_EQ(never.Check().Verdict(), "handler_not_once");
}

TEST(Checker, ARaiseThatCameBackOkIsSwallowed) {
  FakeRun run(40, {1, 1, 0, 0, 0, 0});
  for (uint64_t id = 0; id < 40; ++id) {
    if (PlanCall(run.scenario, FakeRun::kSeed, id).behaviour != Behaviour::kRaise) continue;
    run.log.calls[0][id].status = HANDOFF_TARGET_OK;
    run.log.calls[0][id].reply = ReplyFacts{};
    break;
  }
  EXPECT_EQ(run.Check().Verdict(), "swallowed_exception");
}

TEST(Checker, StoppedNeedsAStopOrKillInTheScenario) {
  FakeRun run(10);
  run.log.calls[0][5].status = HANDOFF_TARGET_STOPPED;
  EXPECT_EQ(run.Check().Verdict(), "unexpected_status");
  FakeRun stopped(10);
  stopped.scenario.events = {{EventType::kStop, 5}};
  stopped.log.calls[0][5].status = HANDOFF_TARGET_STOPPED;
  EXPECT_TRUE(stopped.Check().passed());
  stopped.log.calls[0][6].events_before = EventBit(EventType::kStop);  // ok after a stop
  EXPECT_EQ(stopped.Check().Verdict(), "unexpected_status");
}

TEST(Checker, NestedCallsAreHeldToTheSameRules) {
  FakeRun run(10);
  CallRecord nested;
  nested.status = HANDOFF_TARGET_TIMED_OUT;
  run.log.AddNested(3, nested);
  EXPECT_EQ(run.Check().Verdict(), "lost_reply");
}

}  // namespace
}  // namespace handoff
