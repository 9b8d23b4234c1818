// splitmix64 (Steele, Lea and Flood, 2014): a tiny generator whose sequence is
// fixed by its definition, so its numbers are the same on every platform and
// in every run. Also a good mixer: neighbouring states give unrelated numbers.
#pragma once

#include <cstdint>

namespace parley::core {

// Advances `*state` and returns the next number of its sequence.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace parley::core
