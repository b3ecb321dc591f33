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

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_++ * 0x2545f4914f6cdd1dull + 1); }
  // Uniform in [0, bound); bound > 0. (Modulo bias is irrelevant here.)
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  // Uniform in [low, high].
  uint64_t Between(uint64_t low, uint64_t high) { return low + Below(high - low + 1); }

 private:
  uint64_t state_;
};

}  // namespace handoff
