// MostOvertaken: the count behind the checker's fairness rule.
#include "judge/overtaking.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(Overtaking, FifoServiceOvertakesNobody) {
  std::vector<CallSpan> spans;
  for (uint64_t i = 0; i < 100; ++i) {
    spans.push_back({static_cast<int64_t>(i * 10), static_cast<int64_t>(i * 10 + 25), i});
  }
  EXPECT_EQ(MostOvertaken(spans).count, 0u);
}

TEST(Overtaking, LifoServiceStarvesTheFirstCall) {
  // Call 0 is made first and served last; every later call passes it.
  std::vector<CallSpan> spans = {{0, 1000, 0}};
  for (uint64_t i = 1; i <= 50; ++i) {
    spans.push_back({static_cast<int64_t>(i), static_cast<int64_t>(i + 5), i});
  }
  Overtaken worst = MostOvertaken(spans);
  EXPECT_EQ(worst.call_id, 0u);
  EXPECT_EQ(worst.count, 50u);
  EXPECT_EQ(worst.wait_ns, 1000);
}

TEST(Overtaking, CountsHowManyArePassedBeyondTheLimit) {
  // Calls 0 and 1 are both passed by calls 2 and 3.
  std::vector<CallSpan> spans = {{0, 100, 0}, {1, 90, 1}, {2, 10, 2}, {3, 20, 3}};
  Overtaken worst = MostOvertaken(spans, /*limit=*/1);
  EXPECT_EQ(worst.count, 3u) << "call 0 is passed by 1, 2 and 3";
  EXPECT_EQ(worst.call_id, 0u);
  EXPECT_EQ(worst.over_limit, 2u);
}

TEST(Overtaking, SimultaneousStartsAndEndsDoNotCount) {
  std::vector<CallSpan> spans = {{5, 50, 1}, {5, 40, 2}, {6, 50, 3}};
  EXPECT_EQ(MostOvertaken(spans).count, 0u);
}

TEST(Overtaking, NoSpansNoCandidate) {
  EXPECT_EQ(MostOvertaken({}).count, 0u);
}

}  // namespace
}  // namespace handoff
