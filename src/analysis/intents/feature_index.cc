#include "analysis/intents/feature_index.h"

#include <emmintrin.h>

#include <algorithm>
#include <numeric>

namespace parley::analysis::intents {

FeatureIndex::FeatureIndex(const std::vector<uint64_t>& keys) {
  const size_t n = keys.size();
  n_buckets_ = std::max<uint64_t>(1, n / 4);
  std::vector<uint64_t> sorted = keys;
  if (!std::is_sorted(keys.begin(), keys.end())) {
    rows_.resize(n);
    std::iota(rows_.begin(), rows_.end(), 0u);
    std::sort(rows_.begin(), rows_.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    for (size_t i = 0; i < n; ++i) sorted[i] = keys[rows_[i]];
  }
  start_.assign(n_buckets_ + 1, 0);
  for (uint64_t key : sorted) ++start_[Bucket(key) + 1];
  std::partial_sum(start_.begin(), start_.end(), start_.begin());
  // Another salt takes other bits for the fingerprints. Two keys of one bucket sharing a
  // fingerprint (for 50,000 keys: about one chance in 10^5) would hide the
  // second, so the build is checked; keys that are not distinct never pass
  // (the first of them wins).
  for (salt_ = 0;; ++salt_) {
    fingerprints_.assign(n + 8, 0);
    for (size_t i = 0; i < n; ++i) fingerprints_[i] = Fingerprint(sorted[i]);
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) ok = Find(keys[i]) == i;
    if (ok || salt_ == 31) break;
  }
}

void FeatureIndex::FindAll(const uint64_t* keys, size_t n, uint32_t* rows) const {
  const uint32_t* const start = start_.data();
  const uint32_t* const fingerprints = fingerprints_.data();
  const uint32_t* const order = rows_.empty() ? nullptr : rows_.data();
  constexpr size_t kBlock = 64;
  uint32_t pos[kBlock], left[kBlock], fp[kBlock];
  for (size_t base = 0; base < n; base += kBlock) {
    const size_t m = std::min(kBlock, n - base);
    for (size_t i = 0; i < m; ++i) {
      const uint64_t key = keys[base + i];
      const size_t b = Bucket(key);
      pos[i] = start[b];
      left[i] = start[b + 1] - start[b];
      fp[i] = Fingerprint(key);
    }
    for (size_t i = 0; i < m; ++i) {
      // The 8 fingerprints from pos (fingerprints_ is padded with 8 zeros,
      // which no fingerprint equals). Those past the run are not masked off:
      // a match there is one more chance in 2^32 of a false positive for a
      // key that is not stored (a stored key is found first in its own run:
      // checked when the index is built).
      const __m128i want = _mm_set1_epi32(static_cast<int>(fp[i]));
      const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(fingerprints + pos[i]));
      const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(fingerprints + pos[i] + 4));
      const uint32_t mask =
          static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, want))) |
                                (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, want))) << 4));
      uint32_t row;
      if (__builtin_expect(mask == 0 && left[i] > 8, 0)) {
        row = FindLong(pos[i], left[i], fp[i]);
      } else {
        const uint32_t at = pos[i] + static_cast<uint32_t>(__builtin_ctz(mask | 0x100));
        row = order == nullptr ? at : order[mask != 0 ? at : 0];
        row = mask != 0 ? row : kMissing;
      }
      rows[base + i] = row;
    }
  }
}

uint32_t FeatureIndex::FindLong(uint32_t pos, uint32_t left, uint32_t fp) const {
  for (uint32_t i = 0; i < left; ++i) {
    if (fingerprints_[pos + i] == fp) return rows_.empty() ? pos + i : rows_[pos + i];
  }
  return kMissing;
}

}  // namespace parley::analysis::intents
