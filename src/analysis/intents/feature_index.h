// Feature hash -> weight row, for the intent model (built when a model is
// trained or loaded; not part of the model file).
//
// The keys in ascending order, cut into n/2 buckets by their high bits (a
// key's bucket is floor(key * buckets / 2^64), which grows with the key), so
// each bucket's keys are a contiguous run: `start_` says where each run
// begins, and `fingerprints_` holds a 32-bit fingerprint of each key in that
// order. A lookup reads start_[b], start_[b + 1] and compares the ~2
// fingerprints of the run (8 at once with SSE2). For banking77's 50,000
// features that is 300 KB, which stays in L2 while the 7 MB of weight rows
// stream past; a hash table of 16-byte slots took 2 MB and a trip to L3 or
// memory per feature. The model's rows are already in key order, so row =
// position; other key orders keep a position -> row table.
//
// Every key that was inserted is found with its row (checked when the index
// is built). A key that was not inserted is reported missing unless its
// fingerprint equals that of a key in its bucket (about one lookup in 2^31),
// when it gets that key's row, like any collision of hashed features.
#pragma once

#include <emmintrin.h>

#include <cstdint>
#include <vector>

namespace parley::analysis::intents {

class FeatureIndex {
 public:
  static constexpr uint32_t kMissing = ~0u;

  FeatureIndex() = default;
  // `keys` must be distinct; row i is keys[i]. Fewer than 2^32 - 1 keys.
  explicit FeatureIndex(const std::vector<uint64_t>& keys);

  // Starts loading what Find(key) reads into the cache.
  void Prefetch(uint64_t key) const { __builtin_prefetch(&start_[Bucket(key)]); }

  // The row of `key`, or kMissing.
  uint32_t Find(uint64_t key) const {
    const size_t b = Bucket(key);
    uint32_t pos = start_[b];
    const uint32_t end = start_[b + 1];
    const __m128i want = _mm_set1_epi32(static_cast<int>(Fingerprint(key)));
    for (;;) {
      // 8 fingerprints from pos (fingerprints_ is padded with 8 zeros, which
      // no fingerprint equals), those past the run masked off.
      const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&fingerprints_[pos]));
      const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&fingerprints_[pos + 4]));
      const uint32_t left = end - pos;
      const uint32_t mask =
          static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, want))) |
                                (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, want))) << 4)) &
          (left >= 8 ? 0xFFu : (1u << left) - 1);
      if (mask != 0) {
        const uint32_t at = pos + static_cast<uint32_t>(__builtin_ctz(mask));
        return rows_.empty() ? at : rows_[at];
      }
      if (left <= 8) return kMissing;
      pos += 8;  // a run longer than 8 (rare: ~2 keys per bucket)
    }
  }

  size_t bytes() const {
    return start_.size() * sizeof(uint32_t) + fingerprints_.size() * sizeof(uint32_t) +
           rows_.size() * sizeof(uint32_t);
  }

 private:
  size_t Bucket(uint64_t key) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(key) * n_buckets_) >> 64);
  }
  uint32_t Fingerprint(uint64_t key) const {
    uint32_t f = static_cast<uint32_t>(((key ^ salt_) * 0x9E3779B97F4A7C15ull) >> 32);
    return f != 0 ? f : 1;
  }

  uint64_t n_buckets_ = 1;
  uint64_t salt_ = 0;
  std::vector<uint32_t> start_ = {0, 0};              // n_buckets_ + 1
  std::vector<uint32_t> fingerprints_ = std::vector<uint32_t>(8);  // by key order, + 8 zeros
  std::vector<uint32_t> rows_;  // position in key order -> row; empty if the same
};

}  // namespace parley::analysis::intents
