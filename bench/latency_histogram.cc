#include "latency_histogram.h"

#include <cmath>

namespace handoff::bench {

// Values below 2^kSubBits get a bucket each; above, the bucket is the
// position of the top bit (the power of two) and the kSubBits bits below it.
int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < (1u << kSubBits)) return static_cast<int>(nanos);
  int top = 63 - __builtin_clzll(nanos);
  int shift = top - kSubBits;
  int sub = static_cast<int>((nanos >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

double LatencyHistogram::UpperEdgeOf(int bucket) {
  if (bucket < (1 << kSubBits)) return bucket + 1;
  int shift = (bucket >> kSubBits) - 1;
  int sub = bucket & ((1 << kSubBits) - 1);
  return std::ldexp(static_cast<double>((1 << kSubBits) + sub + 1), shift);
}

void LatencyHistogram::Record(int64_t nanos) {
  ++counts_[BucketOf(nanos < 0 ? 0 : static_cast<uint64_t>(nanos))];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
}

void LatencyHistogram::Clear() {
  counts_.fill(0);
  count_ = 0;
}

double LatencyHistogram::Percentile(double fraction) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return UpperEdgeOf(i);
  }
  return UpperEdgeOf(kBuckets - 1);
}

}  // namespace handoff::bench
