#include "perturb/decision_log.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

namespace handoff {

DecisionLog* DecisionLog::Shared() {
  static DecisionLog* log = [] () -> DecisionLog* {
    void* memory = mmap(nullptr, sizeof(DecisionLog), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return memory == MAP_FAILED ? nullptr : new (memory) DecisionLog();  // zero-filled: empty
  }();
  return log;
}

void DecisionLog::Clear() { next_.store(0, std::memory_order_relaxed); }

void DecisionLog::Record(const char* point, int thread, uint64_t step, const SyncAction& action) {
  Entry& e = entries_[next_.fetch_add(1, std::memory_order_relaxed) % kCapacity];
  e.step.store(step, std::memory_order_relaxed);
  e.what.store(static_cast<uint64_t>(static_cast<uint32_t>(thread)) << 32 |
                   static_cast<uint64_t>(action.type) << 24 | (action.amount & 0xffffffu),
               std::memory_order_relaxed);
  char name[kNameBytes] = {};
  if (point != nullptr) std::strncpy(name, point, kNameBytes - 1);
  for (size_t i = 0; i < kNameBytes / 8; ++i) {
    uint64_t word;
    std::memcpy(&word, name + 8 * i, 8);
    e.name[i].store(word, std::memory_order_relaxed);
  }
}

std::string DecisionLog::Text() const {
  static const char* const kActions[] = {"none", "yield", "spin", "sleep"};
  uint64_t n = std::min<uint64_t>(recorded(), kCapacity);
  struct Line {
    uint64_t step;
    std::string text;
  };
  std::vector<Line> lines;
  for (uint64_t i = 0; i < n; ++i) {
    const Entry& e = entries_[i];
    uint64_t what = e.what.load(std::memory_order_relaxed);
    char name[kNameBytes + 1] = {};
    for (size_t w = 0; w < kNameBytes / 8; ++w) {
      uint64_t word = e.name[w].load(std::memory_order_relaxed);
      std::memcpy(name + 8 * w, &word, 8);
    }
    unsigned type = (what >> 24) & 0xff;
    uint64_t step = e.step.load(std::memory_order_relaxed);
    std::string text = "step " + std::to_string(step) + " thread " + std::to_string(what >> 32) + " " +
                       (type < 4 ? kActions[type] : "?");
    if (type == 2) text += " " + std::to_string(what & 0xffffff) + " iterations";
    if (type == 3) text += " " + std::to_string(what & 0xffffff) + " us";
    lines.push_back({step, text + " at " + name});
  }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.step < b.step; });
  std::string out;
  for (const Line& l : lines) out += l.text + "\n";
  return out;
}

}  // namespace handoff
