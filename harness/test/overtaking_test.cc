// MostOvertaken: the count behind the checker's fairness rule.
#include "overtaking.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(Overtaking, FifoServiceOvertakesNobody) {
  std::vector<CallSpan> spans;
  for (uint64_t i = 0; i < 100; ++i) {
    spans.push_back({static_cast<int64_t>(i * 10), static_cast<int64_t>(i * 10 + 25), i, true});
  }
  EXPECT_EQ(MostOvertaken(spans).count, 0u);
}

TEST(Overtaking, LifoServiceStarvesTheFirstCall) {
  // Call 0 is made first and served last; every later call passes it.
  std::vector<CallSpan> spans = {{0, 1000, 0, true}};
  for (uint64_t i = 1; i <= 50; ++i) {
    spans.push_back({static_cast<int64_t>(i), static_cast<int64_t>(i + 5), i, true});
  }
  Overtaken worst = MostOvertaken(spans);
  EXPECT_EQ(worst.call_id, 0u);
  EXPECT_EQ(worst.count, 50u);
  EXPECT_EQ(worst.wait_ns, 1000);
}

TEST(Overtaking, OnlyCandidatesAreReportedButAllOvertake) {
  std::vector<CallSpan> spans = {{0, 100, 7, false}, {1, 90, 8, true}, {2, 10, 9, false},
                                 {3, 20, 10, false}};
  Overtaken worst = MostOvertaken(spans);
  EXPECT_EQ(worst.call_id, 8u);
  EXPECT_EQ(worst.count, 2u);
}

TEST(Overtaking, SimultaneousStartsAndEndsDoNotCount) {
  std::vector<CallSpan> spans = {{5, 50, 1, true}, {5, 40, 2, true}, {6, 50, 3, true}};
  EXPECT_EQ(MostOvertaken(spans).count, 0u);
}

TEST(Overtaking, NoSpansNoCandidate) {
  EXPECT_EQ(MostOvertaken({}).count, 0u);
}

}  // namespace
}  // namespace handoff
