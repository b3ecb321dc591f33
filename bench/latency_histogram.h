// LatencyHistogram: nanosecond latencies in log-linear buckets (every power
// of two split into 32 sub-buckets: a percentile is within ~3% of the true
// sample), cheap to record on the measured thread and to merge across
// threads. Not thread-safe: one per thread, merged afterwards.
#pragma once

#include <array>
#include <cstdint>

namespace handoff::bench {

class LatencyHistogram {
 public:
  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  // The latency below which `fraction` (0..1) of the samples lie, in
  // nanoseconds: the upper edge of that sample's bucket. 0 when empty.
  double Percentile(double fraction) const;

 private:
  static constexpr int kSubBits = 5;  // 32 sub-buckets per power of two
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int BucketOf(uint64_t nanos);
  static double UpperEdgeOf(int bucket);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

}  // namespace handoff::bench
