// Scenario text round trip, parse errors, and the payload/reply contract.
#include <gtest/gtest.h>

#include "payload.h"
#include "scenario.h"

namespace handoff {
namespace {

TEST(Scenario, PrintsAndParsesBackTheSameScenario) {
  Scenario s = DefaultMixedScenario();
  s.threads = 7;
  s.calls = 12345;
  s.payload_min = 20;
  s.payload_max = 900;
  s.background = 2;
  s.mix[static_cast<int>(Behaviour::kReenterGvl)] = 3;
  s.mix[static_cast<int>(Behaviour::kReenterNoGvl)] = 2;
  s.events = {{EventType::kKill, 10}, {EventType::kWakeup, 50}, {EventType::kStop, 99}};
  s.fairness = 12;
  Scenario back;
  std::string error;
  ASSERT_TRUE(ParseScenario(ScenarioToText(s), &back, &error)) << error;
  EXPECT_EQ(ScenarioToText(back), ScenarioToText(s));
  EXPECT_NE(ScenarioToText(s).find("reenter_gvl:3,reenter_nogvl:2"), std::string::npos);
  EXPECT_NE(ScenarioToText(s).find("wakeup@50"), std::string::npos);
  EXPECT_EQ(back.fairness, 12u);
}

TEST(Scenario, RejectsBadInputWithAReason) {
  Scenario s;
  std::string error;
  EXPECT_FALSE(ParseScenario("threads=0", &s, &error));
  EXPECT_NE(error.find("threads"), std::string::npos);
  EXPECT_FALSE(ParseScenario("payload=300..200", &s, &error));
  EXPECT_FALSE(ParseScenario("payload=4", &s, &error));  // below the header
  EXPECT_FALSE(ParseScenario("mix=return:0", &s, &error));
  EXPECT_FALSE(ParseScenario("mix=fly:3", &s, &error));
  EXPECT_FALSE(ParseScenario("events=stop@x", &s, &error));
  EXPECT_FALSE(ParseScenario("calls=-3", &s, &error));
  EXPECT_FALSE(ParseScenario("nonsense", &s, &error));
  EXPECT_FALSE(ParseScenario("fairness=-1", &s, &error));
  EXPECT_FALSE(ParseScenario("events=nap@3", &s, &error));
  EXPECT_NE(error.find("wakeup"), std::string::npos) << "the error lists every event name";
}

TEST(Scenario, SplitsCallsEvenlyAndContiguously) {
  Scenario s;
  s.threads = 3;
  s.calls = 10;
  EXPECT_EQ(s.CallsOf(0) + s.CallsOf(1) + s.CallsOf(2), 10u);
  EXPECT_EQ(s.FirstCallOf(0), 0u);
  EXPECT_EQ(s.FirstCallOf(1), s.CallsOf(0));
  EXPECT_EQ(s.FirstCallOf(2), s.CallsOf(0) + s.CallsOf(1));
}

TEST(Scenario, PlansAreAFunctionOfSeedAndCall) {
  Scenario s = DefaultMixedScenario();
  int differs = 0;
  for (uint64_t id = 0; id < 200; ++id) {
    CallPlan a = PlanCall(s, 42, id), b = PlanCall(s, 42, id), c = PlanCall(s, 43, id);
    EXPECT_EQ(a.behaviour, b.behaviour);
    EXPECT_EQ(a.payload_size, b.payload_size);
    differs += a.payload_size != c.payload_size;
  }
  EXPECT_GT(differs, 100);
}

TEST(Payload, TheReplyNamesItsCallAndPayload) {
  Scenario s = DefaultMixedScenario();
  std::string payload;
  CallPlan plan{17, Behaviour::kLarge, 5000, 64};
  WritePayload(plan, 9, &payload);
  PayloadHeader header;
  ASSERT_TRUE(ReadPayloadHeader(payload.data(), payload.size(), &header));
  EXPECT_EQ(header.call_id, 17u);
  EXPECT_EQ(header.arg, 5000u);
  std::string reply = ComputeReply(payload.data(), payload.size());
  EXPECT_EQ(reply.size(), kReplyHeaderSize + 5000);
  ReplyFacts facts = ReadReply(reply.data(), reply.size());
  EXPECT_TRUE(facts.well_formed);
  EXPECT_EQ(facts.call_id, 17u);
  EXPECT_EQ(facts.payload_digest, Digest(payload.data(), payload.size()));
  reply[kReplyHeaderSize + 100] ^= 1;  // a corrupted large reply
  EXPECT_FALSE(ReadReply(reply.data(), reply.size()).well_formed);
  EXPECT_FALSE(ReadReply(reply.data(), 10).well_formed);  // truncated
}

TEST(Payload, RaisedMessagesNameTheirCall) {
  std::string message = RaisedMessageFor(123456);
  uint64_t id = 0;
  ASSERT_TRUE(ReadRaisedMessage(message.data(), message.size(), &id));
  EXPECT_EQ(id, 123456u);
  EXPECT_FALSE(ReadRaisedMessage("something else", 14, &id));
}

}  // namespace
}  // namespace handoff
