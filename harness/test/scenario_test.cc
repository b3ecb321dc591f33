// Scenario text round trip, parse errors, and the payload/reply contract.
#include <gtest/gtest.h>

#include "handoff/scenario.h"
#include "judge/payload.h"

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
  s.callers = {2, 1, 3};
  s.reply_min = 3;
  s.message_max = 77;
  s.max_p99_us = 900;
  s.leak_bytes_per_call = 64;
  s.min_throughput_ratio = 0.015;
  Scenario back;
  std::string error;
  ASSERT_TRUE(ParseScenario(ScenarioToText(s), &back, &error)) << error;
  EXPECT_EQ(ScenarioToText(back), ScenarioToText(s));
  EXPECT_NE(ScenarioToText(s).find("reenter_gvl:3,reenter_nogvl:2"), std::string::npos);
  EXPECT_NE(ScenarioToText(s).find("wakeup@50"), std::string::npos);
  EXPECT_EQ(back.fairness, 12u);
  EXPECT_EQ(back.callers, s.callers);
  EXPECT_EQ(back.max_p99_us, 900u);
  EXPECT_EQ(back.min_throughput_ratio, 0.015);
  EXPECT_NE(ScenarioToText(s).find(" min_throughput_ratio=0.015"), std::string::npos) << ScenarioToText(s);
}

TEST(Scenario, ThroughputRatioIsADecimalNumberOrOff) {
  Scenario s;
  std::string error;
  ASSERT_TRUE(ParseScenario("min_throughput_ratio=0.3333333333333333", &s, &error)) << error;
  Scenario back;
  ASSERT_TRUE(ParseScenario(ScenarioToText(s), &back, &error)) << error;
  EXPECT_EQ(back.min_throughput_ratio, s.min_throughput_ratio);
  ASSERT_TRUE(ParseScenario("min_throughput_ratio=0", &s, &error)) << error;
  EXPECT_EQ(ScenarioToText(s).find("min_throughput_ratio"), std::string::npos);
  for (const char* bad : {"-0.1", "abc", "0.1x", "1e9", "", "nan"}) {
    EXPECT_FALSE(ParseScenario(std::string("min_throughput_ratio=") + bad, &s, &error)) << bad;
  }
  EXPECT_NE(error.find("min_throughput_ratio must be a decimal number"), std::string::npos) << error;
}

TEST(Scenario, EscapeWaysPrintParseAndAreDrawnByWeight) {
  Scenario s;
  std::string error;
  ASSERT_TRUE(ParseScenario("calls=400 payload=16..64 mix=escape:1 escapes=throw:1,exit:3", &s, &error))
      << error;
  EXPECT_NE(ScenarioToText(s).find("escapes=throw:1,exit:3"), std::string::npos) << ScenarioToText(s);
  int thrown = 0, exited = 0;
  for (uint64_t id = 0; id < s.calls; ++id) {
    CallPlan plan = PlanCall(s, 9, id);
    ASSERT_EQ(plan.behaviour, Behaviour::kEscape);
    EscapeWay way = EscapeWayOf(plan.arg);
    ASSERT_TRUE(way == EscapeWay::kThrow || way == EscapeWay::kExit) << EscapeWayName(way);
    (way == EscapeWay::kThrow ? thrown : exited)++;
  }
  EXPECT_GT(exited, 2 * thrown);  // weights 3:1
  EXPECT_FALSE(ParseScenario("mix=escape:1 escapes=exit:0", &s, &error));
  EXPECT_NE(error.find("escapes needs"), std::string::npos) << error;
  EXPECT_FALSE(ParseScenario("escapes=return:1", &s, &error));
}

TEST(Scenario, RubyCallersNeverDrawAWayThatEndsTheirThread) {
  Scenario s;
  std::string error;
  ASSERT_TRUE(ParseScenario("threads=4 calls=403 payload=16..64 mix=escape:1 escapes=exit:1,interrupt:1,"
                            "signal:1 callers=foreign:1,gvl:1,nogvl:2",
                            &s, &error))
      << error;
  int foreign_calls = 0;
  for (uint64_t id = 0; id < s.calls; ++id) {
    int thread = s.ThreadOf(id);
    ASSERT_GE(id, s.FirstCallOf(thread));
    ASSERT_LT(id, s.FirstCallOf(thread) + s.CallsOf(thread));
    EscapeWay way = EscapeWayOf(PlanCall(s, 9, id).arg);
    if (s.KindOf(thread) == CallerKind::kForeign) {
      EXPECT_TRUE(EndsARubyThread(way)) << EscapeWayName(way);
      ++foreign_calls;
    } else {
      EXPECT_EQ(way, EscapeWay::kException) << "call " << id;
    }
  }
  EXPECT_EQ(foreign_calls, 101);  // thread 0 of 4, one of the 3 remainder calls
}

TEST(Scenario, TheDefaultRunHasALifecycle) {
  Scenario s = DefaultMixedScenario();
  s.calls = 100000;
  // An idle window, the heap moved, the Ruby callers interrupted early (one
  // that runs its blocks itself finishes its share long before the foreign
  // callers may), the event thread killed, a stop with calls in flight.
  AddDefaultLifecycle(&s, true);
  EXPECT_NE(ScenarioToText(s).find("events=idle@4000,move@4000,caller_raise@6000,caller_timeout@8000,caller_kill@10000,caller_kill@12000,caller_kill@14000,move@40000,kill@50000,move@70000,stop@95000 "), std::string::npos) << ScenarioToText(s);
  Scenario kill_less = DefaultMixedScenario();
  kill_less.calls = 1000;
  AddDefaultLifecycle(&kill_less, false);  // a target without kill_event_thread
  EXPECT_NE(ScenarioToText(kill_less).find("events=idle@40,move@40,caller_raise@60,caller_timeout@80,caller_kill@100,caller_kill@120,caller_kill@140,move@400,move@700,stop@950 "), std::string::npos);
  Scenario tiny = DefaultMixedScenario();
  tiny.calls = 39;
  AddDefaultLifecycle(&tiny, true);
  EXPECT_TRUE(tiny.events.empty());
}

TEST(Scenario, AimedEventsPrintParseAndKeepTheirOrder) {
  Scenario s;
  std::string error;
  ASSERT_TRUE(ParseScenario("events=kill@handler:3,stop@sync:40,fork@100", &s, &error)) << error;
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(s.events[0].aim, EventAim::kInHandler);
  EXPECT_EQ(s.events[0].after_calls, 3u);
  EXPECT_EQ(s.events[1].aim, EventAim::kAtSyncPoint);
  EXPECT_EQ(s.events[2].aim, EventAim::kAfterCalls);
  EXPECT_NE(ScenarioToText(s).find("events=kill@handler:3,stop@sync:40,fork@100"), std::string::npos);
  EXPECT_FALSE(ParseScenario("events=stop@handler:x", &s, &error));
}

TEST(Scenario, CallerKindsSplitTheThreadsByWeight) {
  Scenario s;
  s.threads = 6;
  s.callers = {2, 0, 1};
  EXPECT_EQ(s.KindOf(0), CallerKind::kForeign);
  EXPECT_EQ(s.KindOf(3), CallerKind::kForeign);
  EXPECT_EQ(s.KindOf(4), CallerKind::kRubyNoGvl);
  EXPECT_EQ(s.KindOf(5), CallerKind::kRubyNoGvl);
}

TEST(Scenario, RejectsBadInputWithAReason) {
  Scenario s;
  std::string error;
  EXPECT_FALSE(ParseScenario("threads=0", &s, &error));
  EXPECT_NE(error.find("threads"), std::string::npos);
  EXPECT_FALSE(ParseScenario("payload=300..200", &s, &error));
  EXPECT_FALSE(ParseScenario("reply=9..8", &s, &error));
  EXPECT_FALSE(ParseScenario("callers=foreign:0", &s, &error));
  EXPECT_FALSE(ParseScenario("callers=martian:1", &s, &error));
  EXPECT_FALSE(ParseScenario("mix=return:0", &s, &error));
  EXPECT_FALSE(ParseScenario("mix=fly:3", &s, &error));
  EXPECT_FALSE(ParseScenario("events=stop@x", &s, &error));
  EXPECT_FALSE(ParseScenario("calls=-3", &s, &error));
  EXPECT_FALSE(ParseScenario("nonsense", &s, &error));
  EXPECT_FALSE(ParseScenario("fairness=-1", &s, &error));
  EXPECT_FALSE(ParseScenario("events=nap@3", &s, &error));
  EXPECT_NE(error.find("wakeup"), std::string::npos) << "the error lists every event name";
  // Caller events interrupt Ruby callers: a scenario with none is refused.
  EXPECT_FALSE(ParseScenario("callers=foreign:1 events=caller_kill@3", &s, &error));
  EXPECT_NE(error.find("gvl or nogvl"), std::string::npos) << error;
}

TEST(Scenario, CallerEventsAndMovePrintAndParseBack) {
  Scenario s;
  std::string error;
  const std::string text =
      "callers=foreign:1,nogvl:1 events=caller_raise@10,caller_kill@handler:3,caller_timeout@sync:4,"
      "move@handler:2";
  ASSERT_TRUE(ParseScenario(text, &s, &error)) << error;
  ASSERT_EQ(s.events.size(), 4u);
  EXPECT_EQ(s.events[1].type, EventType::kCallerKill);
  EXPECT_TRUE(InterruptsACaller(s.events[2].type));
  EXPECT_FALSE(InterruptsACaller(s.events[3].type));
  EXPECT_NE(ScenarioToText(s).find("events=caller_raise@10,caller_kill@handler:3,"
                                   "caller_timeout@sync:4,move@handler:2 "),
            std::string::npos)
      << ScenarioToText(s);
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

TEST(Payload, ANamedPayloadCarriesItsCallAndItsReplySize) {
  std::string payload;
  CallPlan plan{17, Behaviour::kLarge, 0, 64, 5000};
  WritePayload(plan, 9, &payload);
  PayloadHeader header = ReadPayloadHeader(payload.data(), payload.size());
  ASSERT_TRUE(header.named);
  EXPECT_EQ(header.call_id, 17u);
  EXPECT_EQ(header.behaviour, static_cast<uint8_t>(Behaviour::kLarge));
  EXPECT_EQ(header.reply_size, 5000u);
  std::string reply = ComputeReply(payload.data(), payload.size());
  EXPECT_EQ(reply.size(), 5000u);
  EXPECT_TRUE(CheckReply(payload.data(), payload.size(), reply.data(), reply.size()).right);
  ReplyCheck truncated = CheckReply(payload.data(), payload.size(), reply.data(), 10);
  EXPECT_FALSE(truncated.right);
  EXPECT_EQ(truncated.expected_size, 5000u);
}

TEST(Payload, ShortPayloadsAreAnonymousAndRepliedByContent) {
  for (uint32_t size : {0u, 1u, 7u, 15u}) {
    std::string a, b;
    WritePayload(CallPlan{3, Behaviour::kReturn, 0, size, size}, 9, &a);
    WritePayload(CallPlan{4, Behaviour::kReturn, 0, size, size}, 9, &b);
    EXPECT_FALSE(ReadPayloadHeader(a.data(), a.size()).named);
    std::string reply = ComputeReply(a.data(), a.size());
    EXPECT_EQ(reply.size(), size);
    EXPECT_TRUE(CheckReply(a.data(), a.size(), reply.data(), reply.size()).right);
    if (size >= 2) {  // another call's short payload gets another reply
      std::string other = ComputeReply(b.data(), b.size());
      EXPECT_FALSE(CheckReply(a.data(), a.size(), other.data(), other.size()).right) << size;
    }
  }
}

TEST(Payload, BytesOfEveryValueAppear) {
  std::string payload;
  WritePayload(CallPlan{5, Behaviour::kReturn, 0, 4096, 4096}, 1, &payload);
  std::string reply = ComputeReply(payload.data(), payload.size());
  bool nul = false, ff = false;
  for (const std::string* bytes : {&payload, &reply}) {
    nul = nul || bytes->find('\0', kPayloadHeaderSize) != std::string::npos;
    ff = ff || bytes->find('\xff') != std::string::npos;
  }
  EXPECT_TRUE(nul && ff);
}

TEST(Payload, RaisedMessagesNameTheirCallAndCarryArbitraryBytes) {
  std::string payload;
  WritePayload(CallPlan{123456, Behaviour::kRaise, 300, 32, 0}, 2, &payload);
  std::string message = RaisedMessageFor(payload.data(), payload.size());
  EXPECT_EQ(message.find("handoff-harness: call 123456 raised on purpose: "), 0u);
  std::string text = std::string(kRaisedClass) + ": " + message;
  EXPECT_TRUE(CheckRaised(payload.data(), payload.size(), text.data(), text.size()).right);
  ReplyCheck cut = CheckRaised(payload.data(), payload.size(), text.data(), text.size() - 1);
  EXPECT_FALSE(cut.right);
  EXPECT_TRUE(cut.names_call);
  EXPECT_EQ(cut.named_call, 123456u);
}

TEST(Payload, SizesAreLogUniform) {
  Scenario s;
  s.payload_min = 0;
  s.payload_max = 1 << 20;
  int tiny = 0, mid = 0, big = 0;
  for (uint64_t id = 0; id < 4200; ++id) {
    uint32_t size = PlanCall(s, 3, id).payload_size;
    ASSERT_LE(size, 1u << 20);
    tiny += size < 16;
    mid += size >= 1024 && size < 16384;
    big += size >= (1 << 19);
  }
  // 22 size classes (0, 1, 2-3, ..., 2^19-2^20 and 2^20 itself): ~190 calls each
  EXPECT_GT(tiny, 700);  // 0, 1, 2-3, 4-7, 8-15: five classes
  EXPECT_GT(mid, 600);   // four classes
  EXPECT_GT(big, 100);
}

}  // namespace
}  // namespace handoff
