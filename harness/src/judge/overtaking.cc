#include "judge/overtaking.h"

#include <algorithm>

namespace handoff {
namespace {

// Counts inserted values by rank: a Fenwick tree over 1..size.
class RankCounter {
 public:
  explicit RankCounter(size_t size) : tree_(size + 1, 0) {}
  void Insert(size_t rank) {
    for (size_t i = rank + 1; i < tree_.size(); i += i & (~i + 1)) ++tree_[i];
  }
  // Inserted values with a rank below `rank`.
  uint64_t CountBelow(size_t rank) const {
    uint64_t n = 0;
    for (size_t i = rank; i > 0; i -= i & (~i + 1)) n += tree_[i];
    return n;
  }

 private:
  std::vector<uint64_t> tree_;
};

}  // namespace

Overtaken MostOvertaken(std::vector<CallSpan> spans, uint64_t limit) {
  std::vector<int64_t> ends;
  ends.reserve(spans.size());
  for (const CallSpan& s : spans) ends.push_back(s.end_ns);
  std::sort(ends.begin(), ends.end());
  auto rank_of = [&](int64_t end) {
    return static_cast<size_t>(std::lower_bound(ends.begin(), ends.end(), end) - ends.begin());
  };
  // Latest start first: when a span is reached, every span that started
  // strictly after it is in the counter; equal starts are queried as a group
  // before any of them is inserted.
  std::sort(spans.begin(), spans.end(),
            [](const CallSpan& a, const CallSpan& b) { return a.start_ns > b.start_ns; });
  RankCounter counter(ends.size());
  Overtaken worst;
  for (size_t group = 0; group < spans.size();) {
    size_t next = group;
    while (next < spans.size() && spans[next].start_ns == spans[group].start_ns) ++next;
    for (size_t i = group; i < next; ++i) {
      uint64_t count = counter.CountBelow(rank_of(spans[i].end_ns));
      if (count > limit) ++worst.over_limit;
      if (count > worst.count) {
        worst.call_id = spans[i].call_id;
        worst.count = count;
        worst.wait_ns = spans[i].end_ns - spans[i].start_ns;
      }
    }
    for (size_t i = group; i < next; ++i) counter.Insert(rank_of(spans[i].end_ns));
    group = next;
  }
  return worst;
}

}  // namespace handoff
