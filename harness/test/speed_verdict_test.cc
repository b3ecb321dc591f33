// The speed verdict (judge/speed_verdict.h) on measurements made up here:
// the ratios it reads, a failure with its figures, and the cases it leaves
// unjudged (a busy machine, floor phases that disagree) or fails regardless
// (a wrong probe reply).
#include <gtest/gtest.h>

#include "judge/speed_verdict.h"

namespace handoff {
namespace {

SpeedMeasurement Measured(double floor_rate, double target_rate, double floor_p50, double target_p50) {
  SpeedMeasurement m;
  m.threads = 8;
  m.floor_rates = {floor_rate, floor_rate * 1.1, floor_rate * 0.95};
  m.target_rates = {target_rate * 0.8, target_rate};
  m.floor_p50_us = {floor_p50, floor_p50, floor_p50 * 1.2};
  m.target_p50_us = {target_p50 * 1.5, target_p50};
  m.target_calls = 1000;
  return m;
}

TEST(SpeedVerdict, ComparesTheTargetsBestWithTheFloorsMedian) {
  SpeedRatios r = RatiosOf(Measured(400000, 100000, 2, 20));
  EXPECT_DOUBLE_EQ(r.throughput, 0.25);
  EXPECT_DOUBLE_EQ(r.p50, 0.1);
  EXPECT_NEAR(r.floor_spread, 1.1 / 0.95, 1e-9);
}

TEST(SpeedVerdict, PassesAFastTargetAndFailsASlowOneWithItsFigures) {
  std::string notes;
  EXPECT_TRUE(JudgeSpeed(Measured(400000, 100000, 2, 20), 0.01, "", &notes).passed());
  Result slow = JudgeSpeed(Measured(400000, 900, 2, 1100), 0.01, "", &notes);
  ASSERT_EQ(slow.kind(), FailureKind::kTooSlowThroughput);
  EXPECT_NE(slow.detail().find("throughput 900 calls/s = 0.00225x the condvar-server floor (400000 calls/s"),
            std::string::npos) << slow.detail();
  EXPECT_NE(slow.detail().find("min_throughput_ratio=0.01"), std::string::npos) << slow.detail();
  // A good throughput does not excuse a slow round trip.
  EXPECT_EQ(JudgeSpeed(Measured(400000, 100000, 2, 1100), 0.01, "", &notes).kind(),
            FailureKind::kTooSlowThroughput);
  EXPECT_EQ(notes, "");
}

TEST(SpeedVerdict, ABusyOrUnsteadyMachineLeavesASlowTargetUnjudged) {
  std::string notes;
  EXPECT_TRUE(JudgeSpeed(Measured(400000, 900, 2, 1100), 0.01, "other work used 60%", &notes).passed());
  EXPECT_EQ(notes.rfind("too_slow_throughput not judged: other work used 60%; measured: throughput 900", 0), 0u)
      << notes;
  SpeedMeasurement unsteady = Measured(400000, 900, 2, 1100);
  unsteady.floor_rates = {400000, 150000, 300000};
  notes.clear();
  EXPECT_TRUE(JudgeSpeed(unsteady, 0.01, "", &notes).passed());
  EXPECT_NE(notes.find("the condvar floor's phases disagreed by 2.67x"), std::string::npos) << notes;
}

TEST(SpeedVerdict, AWrongProbeReplyFailsEvenUnjudged) {
  SpeedMeasurement m = Measured(400000, 100000, 2, 20);
  m.wrong = 3;
  m.first_wrong = "came back with status 2";
  std::string notes;
  Result wrong = JudgeSpeed(m, 0, "busy", &notes);
  ASSERT_EQ(wrong.kind(), FailureKind::kWrongReply);
  EXPECT_NE(wrong.detail().find("3 of 1000 speed probe calls came back wrong"), std::string::npos);
}

}  // namespace
}  // namespace handoff
