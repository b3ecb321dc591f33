// LatencyHistogram: percentiles within a bucket of the true sample, merge.
#include "latency_histogram.h"

#include <gtest/gtest.h>

namespace handoff::bench {
namespace {

TEST(LatencyHistogram, PercentilesOfAUniformSpread) {
  LatencyHistogram h;
  for (int ns = 1; ns <= 100000; ++ns) h.Record(ns);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_NEAR(h.Percentile(0.50), 50000, 50000 * 0.035);
  EXPECT_NEAR(h.Percentile(0.99), 99000, 99000 * 0.035);
  EXPECT_NEAR(h.Percentile(0.999), 99900, 99900 * 0.035);
  EXPECT_GE(h.Percentile(0.50), 50000) << "the upper edge of the bucket";
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.Record(7);
  h.Record(20);
  EXPECT_EQ(h.Percentile(0.5), 8);  // bucket [7, 8)
  EXPECT_EQ(h.Percentile(1.0), 21);
}

TEST(LatencyHistogram, MergeAddsSamples) {
  LatencyHistogram fast, slow;
  for (int i = 0; i < 900; ++i) fast.Record(1000);
  for (int i = 0; i < 100; ++i) slow.Record(1000000);
  fast.Merge(slow);
  EXPECT_EQ(fast.count(), 1000u);
  EXPECT_LT(fast.Percentile(0.90), 1100);
  EXPECT_GT(fast.Percentile(0.95), 990000);
}

TEST(LatencyHistogram, EmptyAndHugeValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.5), 0);
  h.Record(-5);  // clamped to 0
  h.Record(INT64_MAX);
  EXPECT_EQ(h.Percentile(0.5), 1);
  EXPECT_GT(h.Percentile(1.0), 9e18);
}

}  // namespace
}  // namespace handoff::bench
