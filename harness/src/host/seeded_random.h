// Small deterministic random numbers: the same seed gives the same sequence on
// every machine and compiler (unlike std::uniform_int_distribution), which is
// what makes a printed seed replayable.
#pragma once

#include <cstdint>

namespace handoff {

// SplitMix64: one step mixes a 64-bit state into a well-spread value.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Bits needed to write v: 0 for 0, 1 for 1, 2 for 2-3, ... (a size class).
inline int BitLength(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_++ * 0x2545f4914f6cdd1dull + 1); }
  // Uniform in [0, bound); bound > 0. (Modulo bias is irrelevant here.)
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  // Uniform in [low, high].
  uint64_t Between(uint64_t low, uint64_t high) { return low + Below(high - low + 1); }
  // Log-uniform in [low, high]: a bit length (0 for the value 0, 1 for 1,
  // 2 for 2-3, ...) is drawn uniformly among those the range holds, then a
  // value of that length inside the range. Every size class is as likely.
  uint64_t LogUniform(uint64_t low, uint64_t high) {
    if (low >= high) return low;
    int low_bits = BitLength(low), high_bits = BitLength(high);
    int bits = low_bits + static_cast<int>(Below(static_cast<uint64_t>(high_bits - low_bits + 1)));
    uint64_t from = bits == 0 ? 0 : uint64_t{1} << (bits - 1);
    uint64_t to = bits == 0 ? 0 : bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    if (from < low) from = low;
    if (to > high) to = high;
    return Between(from, to);
  }

 private:
  uint64_t state_;
};

}  // namespace handoff
