#include "judge/speed_verdict.h"

#include <algorithm>
#include <cstdio>

namespace handoff {
namespace {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double Best(const std::vector<double>& values, bool highest) {
  if (values.empty()) return 0;
  return highest ? *std::max_element(values.begin(), values.end())
                 : *std::min_element(values.begin(), values.end());
}

// The fastest of `values` over the slowest (0: none measured).
double Spread(const std::vector<double>& values) {
  double lowest = Best(values, false);
  return lowest > 0 ? Best(values, true) / lowest : 0;
}

// Why the failing ratios cannot be trusted, or "": the floor phases behind
// a failing ratio disagree.
std::string Untrusted(const SpeedMeasurement& m, const SpeedRatios& r, double min_ratio,
                      const std::string& busy) {
  if (!busy.empty()) return busy;
  double spread = std::max(r.throughput < min_ratio ? r.floor_spread : 0,
                           r.p50 < min_ratio ? Spread(m.floor_p50_us) : 0);
  if (spread <= kMaxFloorSpread) return "";
  char text[200];
  std::snprintf(text, sizeof text,
                "the condvar floor's phases disagreed by %.2fx (over %.1fx: the machine's speed "
                "changed during the measurement)",
                spread, kMaxFloorSpread);
  return text;
}

}  // namespace

SpeedRatios RatiosOf(const SpeedMeasurement& m) {
  SpeedRatios r;
  double floor_rate = Median(m.floor_rates), target_p50 = Best(m.target_p50_us, false);
  if (floor_rate > 0) r.throughput = Best(m.target_rates, true) / floor_rate;
  if (target_p50 > 0) r.p50 = Median(m.floor_p50_us) / target_p50;
  r.floor_spread = Spread(m.floor_rates);
  return r;
}

std::string SpeedSummary(const SpeedMeasurement& m, double min_ratio) {
  SpeedRatios r = RatiosOf(m);
  char text[400];
  std::snprintf(text, sizeof text,
                "throughput %.0f calls/s = %.3gx the condvar-server floor (%.0f calls/s measured "
                "in this run, %d threads); p50 %.1f us = %.3gx the floor's %.1f us (1 thread); "
                "min_throughput_ratio=%g",
                Best(m.target_rates, true), r.throughput, Median(m.floor_rates), m.threads,
                Best(m.target_p50_us, false), r.p50, Median(m.floor_p50_us), min_ratio);
  return text;
}

Result JudgeSpeed(const SpeedMeasurement& m, double min_ratio, const std::string& busy,
                  std::string* notes) {
  if (m.wrong > 0) {
    return Result::Failure(FailureKind::kWrongReply,
                           std::to_string(m.wrong) + " of " + std::to_string(m.target_calls) +
                               " speed probe calls came back wrong; the first " + m.first_wrong);
  }
  SpeedRatios r = RatiosOf(m);
  if (r.throughput >= min_ratio && r.p50 >= min_ratio) return Result::Pass();
  std::string untrusted = Untrusted(m, r, min_ratio, busy);
  if (!untrusted.empty()) {
    *notes += std::string(FailureKindName(FailureKind::kTooSlowThroughput)) + " not judged: " +
              untrusted + "; measured: " + SpeedSummary(m, min_ratio) + "\n";
    return Result::Pass();
  }
  return Result::Failure(FailureKind::kTooSlowThroughput, SpeedSummary(m, min_ratio));
}

}  // namespace handoff
