// The checker on hand-made run logs: every failure kind it can give, and no
// failure for a right run.
#include <gtest/gtest.h>

#include "handoff/target.h"
#include "judge/checker.h"

namespace handoff {
namespace {

using Mix = std::array<uint32_t, kBehaviourCount>;
using Escapes = std::array<uint32_t, kEscapeWayCount>;

// A run of `calls` calls on one thread, every one right, recorded as
// MakeCall records them. `named`: every payload names its call (16+ bytes)
// and every reply carries a header (24+ bytes).
struct FakeRun {
  explicit FakeRun(uint64_t calls, Mix mix = {1, 0, 0, 0, 0, 0, 0, 0}, bool named = true,
                   Escapes escapes = Scenario().escapes)
      : scenario(Make(calls, mix, named, escapes)), log(scenario, kSeed), payloads(calls) {
    for (uint64_t id = 0; id < calls; ++id) {
      CallPlan plan = PlanCall(scenario, kSeed, id);
      WritePayload(plan, kSeed, &payloads[id]);
      CallRecord& r = log.calls[0][id];
      r.sent_digest = Digest(payloads[id].data(), payloads[id].size());
      r.start_ns = 1000;
      r.end_ns = 2000;
      bool returns = plan.behaviour != Behaviour::kRaise && plan.behaviour != Behaviour::kEscape;
      if (plan.behaviour == Behaviour::kEscape) {
        EscapeWay way = EscapeWayOf(plan.arg);
        returns = way == EscapeWay::kNext || way == EscapeWay::kBreak;
      }
      if (!returns) {
        r.status = HANDOFF_TARGET_RAISED;
        ExpectedException e = ExpectedExceptionFor(payloads[id].data(), payloads[id].size());
        Raise(id, e.class_name + ": " + e.message);
      } else {
        r.status = HANDOFF_TARGET_OK;
        Reply(id, ComputeReply(payloads[id].data(), payloads[id].size()));
      }
      if (plan.payload_size >= kPayloadHeaderSize) {
        log.ran[id].store(1);
      } else {
        log.anonymous_runs.fetch_add(1);
      }
    }
  }
  static Scenario Make(uint64_t calls, Mix mix, bool named, Escapes escapes) {
    Scenario s;
    s.threads = 1;
    s.calls = calls;
    s.mix = mix;
    s.escapes = escapes;
    if (named) {
      s.payload_min = 16;
      s.payload_max = 300;
      s.reply_min = 24;
      s.reply_max = 300;
    }
    return s;
  }
  std::string Message(uint64_t id) const {
    return RaisedMessageFor(payloads[id].data(), payloads[id].size());
  }
  std::string ReplyOf(uint64_t id) const {
    return ComputeReply(payloads[id].data(), payloads[id].size());
  }
  void Reply(uint64_t id, const std::string& reply) {
    log.calls[0][id].check =
        CheckReply(payloads[id].data(), payloads[id].size(), reply.data(), reply.size());
  }
  void Raise(uint64_t id, const std::string& text) {
    log.calls[0][id].check =
        CheckRaised(payloads[id].data(), payloads[id].size(), text.data(), text.size());
  }
  uint64_t FirstWith(Behaviour behaviour) const {
    for (uint64_t id = 0; id < scenario.calls; ++id) {
      if (PlanCall(scenario, kSeed, id).behaviour == behaviour) return id;
    }
    return UINT64_MAX;
  }
  Result Check(const std::string& scheduling_not_judged = "") {
    CheckStats stats;
    Result result = CheckRun(scenario, kSeed, log, &stats, false, scheduling_not_judged);
    notes = stats.notes;
    return result;
  }
  std::string notes;  // the last Check's
  static constexpr uint64_t kSeed = 5;
  Scenario scenario;
  RunLog log;
  std::vector<std::string> payloads;
};

TEST(Checker, ARightRunPasses) {
  FakeRun run(50, {3, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(run.Check().passed()) << run.Check().detail();
  FakeRun any_size(200, {3, 1, 0, 0, 0, 0, 0, 0}, /*named=*/false);  // empty, tiny, large
  EXPECT_TRUE(any_size.Check().passed()) << any_size.Check().detail();
}

TEST(Checker, AReplyOfAnEarlierCallIsADuplicate) {
  FakeRun run(10);
  run.Reply(7, run.ReplyOf(3));
  Result r = run.Check();
  EXPECT_EQ(r.Verdict(), "duplicate_reply") << r.detail();
}

TEST(Checker, AReplyOfALaterCallIsWrong) {
  FakeRun run(10);
  run.Reply(2, run.ReplyOf(8));
  EXPECT_EQ(run.Check().Verdict(), "wrong_reply");
}

TEST(Checker, ACorruptedTruncatedOrPaddedReplyIsWrong) {
  for (int how = 0; how < 3; ++how) {
    FakeRun run(10);
    std::string reply = run.ReplyOf(4);
    if (how == 0) reply[reply.size() - 1] ^= 1;
    if (how == 1) reply.resize(reply.size() / 2);
    if (how == 2) reply.push_back('\0');
    run.Reply(4, reply);
    Result r = run.Check();
    EXPECT_EQ(r.Verdict(), "wrong_reply") << how;
    EXPECT_NE(r.detail().find("expected"), std::string::npos) << r.detail();
  }
}

TEST(Checker, AnEmptyReplyForAnEmptyPayloadIsRightOnlyIfTheHandlerRan) {
  FakeRun run(300, {1, 0, 0, 0, 0, 0, 0, 0}, /*named=*/false);
  ASSERT_TRUE(run.Check().passed()) << run.Check().detail();
  run.log.anonymous_runs.fetch_sub(1);  // a reply made up without the handler
  EXPECT_EQ(run.Check().Verdict(), "handler_not_once");
  run.log.anonymous_runs.fetch_add(5);  // the handler ran more often than such calls returned
  EXPECT_EQ(run.Check().Verdict(), "handler_not_once");
}

TEST(Checker, TimedOutIsRightOnlyOnceTheDeadlinePassed) {
  FakeRun early(10);
  early.log.calls[0][1].status = HANDOFF_TARGET_TIMED_OUT;  // after 1 µs of a 30 s deadline
  EXPECT_EQ(early.Check().Verdict(), "lost_reply");
  FakeRun late(10);
  late.scenario.deadline_ms = 1;
  late.log.calls[0][1].status = HANDOFF_TARGET_TIMED_OUT;
  late.log.calls[0][1].end_ns = late.log.calls[0][1].start_ns + 3000000;  // 3 ms: a slow handler
  EXPECT_TRUE(late.Check().passed()) << late.Check().detail();
  late.log.ran[1].store(2);
  EXPECT_EQ(late.Check().Verdict(), "handler_not_once");
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

TEST(Checker, ARaiseMustComeBackWithItsClassAndItsWholeMessage) {
  Mix raising = {1, 1, 0, 0, 0, 0, 0, 0};
  FakeRun ok(40, raising);
  uint64_t id = ok.FirstWith(Behaviour::kRaise);
  ASSERT_NE(id, UINT64_MAX);
  ok.log.calls[0][id].status = HANDOFF_TARGET_OK;
  ok.Reply(id, "");
  EXPECT_EQ(ok.Check().Verdict(), "swallowed_exception");

  FakeRun wrapped(40, raising);  // any text around class and message is fine
  wrapped.Raise(id, "Ruby says (" + std::string(kRaisedClass) + ") <" + wrapped.Message(id) + ">");
  EXPECT_TRUE(wrapped.Check().passed()) << wrapped.Check().detail();

  FakeRun no_class(40, raising);
  no_class.Raise(id, no_class.Message(id));
  EXPECT_EQ(no_class.Check().Verdict(), "swallowed_exception");

  FakeRun cut(40, raising);  // a message cut short (at a NUL byte, a fixed buffer)
  std::string message = cut.Message(id);
  cut.Raise(id, std::string(kRaisedClass) + ": " + message.substr(0, message.size() - 1));
  Result r = cut.Check();
  EXPECT_EQ(r.Verdict(), "swallowed_exception") << r.detail();
  EXPECT_NE(r.detail().find("whole"), std::string::npos) << r.detail();

  FakeRun other(40, raising);  // another call's exception
  uint64_t second = UINT64_MAX;
  for (uint64_t k = id + 1; k < 40 && second == UINT64_MAX; ++k) {
    if (PlanCall(other.scenario, FakeRun::kSeed, k).behaviour == Behaviour::kRaise) second = k;
  }
  ASSERT_NE(second, UINT64_MAX);
  other.Raise(id, std::string(kRaisedClass) + ": " + other.Message(second));
  EXPECT_EQ(other.Check().Verdict(), "wrong_reply");
}

TEST(Checker, AnExceptionThatEscapedInvokeIsSwallowed) {
  FakeRun run(40, {1, 1, 0, 0, 0, 0, 0, 0});
  run.log.calls[0][run.FirstWith(Behaviour::kRaise)].status = kEscapedInvoke;
  EXPECT_EQ(run.Check().Verdict(), "swallowed_exception");
}

// Interrupts of Ruby caller threads (ruby_caller.h).
TEST(Checker, AnInterruptedCallIsRightIfItsHandlerRanAtMostOnce) {
  FakeRun run(20);
  run.log.calls[0][4].status = kInterrupted;  // left by the interrupt, handler ran once
  run.log.calls[0][5].status = kInterrupted;
  run.log.ran[5].store(0);  // ... before its handler started
  run.log.interrupts[0].type.store(static_cast<int>(EventType::kCallerRaise));
  run.log.interrupts[0].seen.store(true);
  EXPECT_TRUE(run.Check().passed()) << run.Check().detail();
  run.log.ran[4].store(2);
  EXPECT_EQ(run.Check().Verdict(), "handler_not_once");
}

TEST(Checker, ACallNeverMadeAfterAKillMustNotHaveRun) {
  FakeRun run(20);
  for (uint64_t id = 10; id < 20; ++id) {
    run.log.calls[0][id].status = kNeverMade;
    run.log.ran[id].store(0);
  }
  run.log.interrupts[0].type.store(static_cast<int>(EventType::kCallerKill));
  run.log.interrupts[0].seen.store(true);
  EXPECT_TRUE(run.Check().passed()) << run.Check().detail();
  run.log.ran[15].store(1);
  EXPECT_EQ(run.Check().Verdict(), "handler_not_once");
}

TEST(Checker, AnInterruptThatNeverReachedItsThreadWasSwallowed) {
  for (EventType type : {EventType::kCallerRaise, EventType::kCallerKill, EventType::kCallerTimeout}) {
    FakeRun run(20);
    run.log.calls[0][7].status = HANDOFF_TARGET_STOPPED;  // its symptom: comes second
    run.log.interrupts[0].type.store(static_cast<int>(type));
    run.log.interrupts[0].during_call.store(7);
    Result result = run.Check();
    EXPECT_EQ(result.Verdict(), "swallowed_exception") << EventTypeName(type);
    EXPECT_NE(result.detail().find(std::string(EventTypeName(type)) + ": "), std::string::npos)
        << result.detail();
    EXPECT_NE(result.detail().find("during call 7 never reached it"), std::string::npos) << result.detail();
  }
}

TEST(Checker, TheHarnessInterruptHandedBackAsRaisedIsNamed) {
  FakeRun run(4);
  run.Raise(2, "HandoffHarness::CallerInterrupt: Thread#raise from the harness (caller_raise)");
  EXPECT_EQ(run.log.calls[0][2].check.harness_interrupt, 1);
  run.Raise(3, "HandoffHarness::CallerTimeout: caller 0");
  EXPECT_EQ(run.log.calls[0][3].check.harness_interrupt, 2);
  run.Raise(1, "HandoffHarness::CallError: call 1");
  EXPECT_EQ(run.log.calls[0][1].check.harness_interrupt, 0);
}

// Escape calls: what target.h asks for each way out of the block.
constexpr Mix kEscapesOnly = {0, 0, 0, 0, 0, 0, 0, 0, 1};
Escapes Only(EscapeWay way) {
  Escapes escapes{};
  escapes[static_cast<int>(way)] = 1;
  return escapes;
}

TEST(Checker, EveryWayOutOfTheBlockHandedBackAsTargetHSaysPasses) {
  for (int way = 0; way < kEscapeWayCount; ++way) {
    FakeRun run(12, kEscapesOnly, true, Only(static_cast<EscapeWay>(way)));
    Result result = run.Check();
    EXPECT_TRUE(result.passed()) << EscapeWayName(static_cast<EscapeWay>(way)) << ": " << result.detail();
  }
  FakeRun all(200, kEscapesOnly);  // every way, drawn per call
  EXPECT_TRUE(all.Check().passed()) << all.Check().detail();
}

// A call whose block left by `way` and that came back stopped (the scenario
// stops nothing) or ok lost its exception.
void ExpectStoppedOrOkIsSwallowed(EscapeWay way) {
  FakeRun stopped(12, kEscapesOnly, true, Only(way));
  stopped.log.calls[0][3].status = HANDOFF_TARGET_STOPPED;
  EXPECT_EQ(stopped.Check().Verdict(), "swallowed_exception") << EscapeWayName(way);
  FakeRun returned(12, kEscapesOnly, true, Only(way));
  returned.log.calls[0][3].status = HANDOFF_TARGET_OK;
  returned.Reply(3, returned.ReplyOf(3));
  EXPECT_EQ(returned.Check().Verdict(), "swallowed_exception") << EscapeWayName(way);
}

TEST(Checker, AnExceptionThatIsNoStandardErrorMustComeBackRaised) {
  for (EscapeWay way : {EscapeWay::kException, EscapeWay::kNoMemory, EscapeWay::kStackOverflow,
                        EscapeWay::kScriptError, EscapeWay::kThrow}) {
    ExpectStoppedOrOkIsSwallowed(way);
    FakeRun renamed(12, kEscapesOnly, true, Only(way));  // another class, same message
    renamed.Raise(3, std::string("RuntimeError: ") + ExpectedExceptionFor(renamed.payloads[3].data(),
                                                                        renamed.payloads[3].size())
                                                        .message);
    EXPECT_EQ(renamed.Check().Verdict(), "swallowed_exception") << EscapeWayName(way);
    FakeRun escaped(12, kEscapesOnly, true, Only(way));
    escaped.log.calls[0][3].status = kEscapedInvoke;
    EXPECT_EQ(escaped.Check().Verdict(), "swallowed_exception") << EscapeWayName(way);
  }
}

// A foreign caller has no Ruby thread for exit or a signal to end: they
// come back raised like any exception (Ruby callers never draw them).
TEST(Checker, ExitAndSignalsFromAForeignCallerMustComeBackRaised) {
  for (EscapeWay way : {EscapeWay::kExit, EscapeWay::kInterrupt, EscapeWay::kSignal}) {
    ExpectStoppedOrOkIsSwallowed(way);
  }
}

TEST(Checker, NextReturnsAndBreakReturnsOrRaisesLocalJumpError) {
  FakeRun next_raised(12, kEscapesOnly, true, Only(EscapeWay::kNext));
  next_raised.log.calls[0][3].status = HANDOFF_TARGET_RAISED;
  next_raised.Raise(3, "LocalJumpError: break from proc-closure");
  EXPECT_EQ(next_raised.Check().Verdict(), "wrong_reply");
  FakeRun break_raised(12, kEscapesOnly, true, Only(EscapeWay::kBreak));
  break_raised.log.calls[0][3].status = HANDOFF_TARGET_RAISED;
  break_raised.Raise(3, "LocalJumpError: break from proc-closure");
  EXPECT_TRUE(break_raised.Check().passed()) << break_raised.Check().detail();
}

TEST(Checker, StoppedNeedsAStopOrKillInTheScenario) {
  FakeRun run(10);
  run.log.calls[0][5].status = HANDOFF_TARGET_STOPPED;
  EXPECT_EQ(run.Check().Verdict(), "unexpected_status");
  FakeRun stopped(10);
  stopped.scenario.events = {{EventType::kStop, 5}};
  stopped.log.calls[0][5].status = HANDOFF_TARGET_STOPPED;
  stopped.log.stop_began_ns = 1500;  // the call returned at 2000
  EXPECT_TRUE(stopped.Check().passed());
  stopped.log.calls[0][6].events_before = EventBit(EventType::kStop);  // ok after a stop
  EXPECT_EQ(stopped.Check().Verdict(), "unexpected_status");
}

// A call that came back stopped before the first stop or kill began: the
// bridge had no reason yet. Its handler's exception, when it raised, is lost.
TEST(Checker, StoppedBeforeTheFirstStopOrKillBeganIsWrong) {
  FakeRun early(10);
  early.scenario.events = {{EventType::kKill, 5}, {EventType::kStop, 8}};
  early.log.calls[0][5].status = HANDOFF_TARGET_STOPPED;
  early.log.stop_began_ns = 2500;  // the call returned at 2000
  EXPECT_EQ(early.Check().Verdict(), "unexpected_status");
  FakeRun raised(12, kEscapesOnly, true, Only(EscapeWay::kException));
  raised.scenario.events = {{EventType::kStop, 8}};
  raised.log.calls[0][3].status = HANDOFF_TARGET_STOPPED;
  raised.log.stop_began_ns = 2500;
  EXPECT_EQ(raised.Check().Verdict(), "swallowed_exception");
  raised.log.stop_began_ns = 1500;  // stopped after the stop began: allowed
  EXPECT_TRUE(raised.Check().passed()) << raised.Check().detail();
}

TEST(Checker, NestedCallsAreHeldToTheSameRules) {
  FakeRun run(10);
  CallRecord* nested = run.log.ClaimNested(3);
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(run.log.ClaimNested(3), nullptr);  // once per outer call
  nested->status = HANDOFF_TARGET_TIMED_OUT;
  EXPECT_EQ(run.Check().Verdict(), "lost_reply");
}

TEST(Checker, APayloadNoCallSentIsReportedFirstAsWrongReply) {
  FakeRun run(10);
  run.log.ran[6].store(0);  // what the stray run did to call 6's count
  run.log.stray.count.store(1);
  run.log.stray.size.store(5);
  run.log.stray.first_bytes.store(0x0000000300020001ull);
  Result r = run.Check();
  EXPECT_EQ(r.Verdict(), "wrong_reply") << r.detail();
  EXPECT_EQ(r.detail().find("1 handler runs got a payload that no call of this run sent"), 0u)
      << r.detail();
  EXPECT_NE(r.detail().find("0100020003"), std::string::npos) << r.detail();
  EXPECT_NE(r.detail().find("handler_not_once=1"), std::string::npos) << r.detail();
}

TEST(Checker, AP99OverTheBudgetIsTooSlow) {
  FakeRun run(100);
  run.scenario.max_p99_us = 5;
  EXPECT_TRUE(run.Check().passed());  // every call took 1 µs
  for (int k = 0; k < 5; ++k) run.log.calls[0][k].end_ns += 9000;
  Result r = run.Check();
  EXPECT_EQ(r.Verdict(), "too_slow") << r.detail();
}

// The time a caller waited for a CPU is the machine's, not the target's.
TEST(Checker, TheCallersWaitForACpuIsNotLatency) {
  FakeRun run(100);
  run.scenario.max_p99_us = 5;
  for (int k = 0; k < 5; ++k) {
    run.log.calls[0][k].end_ns += 9000;
    run.log.calls[0][k].runnable_ns = 9000;
  }
  EXPECT_TRUE(run.Check().passed());
}

// Made calls served newest first: the oldest call passed by every later one.
// Handlers entered in reverse order of the calls' starts.
void ServeNewestFirst(FakeRun& run) {
  run.scenario.fairness = 1;  // one thread: allows 1 overtake
  for (uint64_t id = 0; id < run.scenario.calls; ++id) {
    run.log.calls[0][id].start_ns = 1000 + static_cast<int64_t>(id);
    run.log.calls[0][id].end_ns = 100000;
    run.log.entered_ns[id].store(50000 - static_cast<int64_t>(id));
  }
}

TEST(Checker, CallsServedNewestFirstAreStarvation) {
  FakeRun run(20);
  ServeNewestFirst(run);
  Result r = run.Check();
  EXPECT_EQ(r.Verdict(), "starvation") << r.detail();
}

// A caller that waited for a CPU before its call reached the target was
// not overtaken by the target's choice: its call counts as made once it ran.
TEST(Checker, ACallerKeptOffTheCpuIsNotStarved) {
  FakeRun run(20);
  ServeNewestFirst(run);
  for (uint64_t id = 0; id < 20; ++id) run.log.calls[0][id].runnable_ns = 49000;
  EXPECT_TRUE(run.Check().passed()) << run.Check().detail();
}

// On a machine busy with other work, fairness and p99 are notes, not failures.
TEST(Checker, SchedulingChecksAreNotJudgedOnABusyMachine) {
  FakeRun run(20);
  ServeNewestFirst(run);
  run.scenario.max_p99_us = 5;
  run.log.calls[0][0].end_ns += 900000;
  Result r = run.Check("other work used 63% of the machine's CPU");
  EXPECT_TRUE(r.passed()) << r.detail();
  EXPECT_NE(run.notes.find("starvation not judged: other work used 63%"), std::string::npos) << run.notes;
  EXPECT_NE(run.notes.find("too_slow not judged: other work used 63%"), std::string::npos) << run.notes;
}

// A busy machine can hide unfairness as well as fake it: a fair run there
// is not judged either (a note, so a mutant's test counts it as not judged).
TEST(Checker, AFairRunOnABusyMachineIsNotJudgedEither) {
  FakeRun run(20);
  run.scenario.fairness = 1;
  run.scenario.max_p99_us = 5000;
  for (uint64_t id = 0; id < 20; ++id) run.log.entered_ns[id].store(1500 + static_cast<int64_t>(id));
  EXPECT_TRUE(run.Check().passed());
  EXPECT_EQ(run.notes, "");
  EXPECT_TRUE(run.Check("other work used 63% of the machine's CPU").passed());
  EXPECT_NE(run.notes.find("starvation not judged: other work used 63%"), std::string::npos) << run.notes;
  EXPECT_NE(run.notes.find("too_slow not judged: other work used 63%"), std::string::npos) << run.notes;
}

}  // namespace
}  // namespace handoff
