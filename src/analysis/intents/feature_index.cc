#include "analysis/intents/feature_index.h"

#include <algorithm>
#include <numeric>

namespace parley::analysis::intents {

FeatureIndex::FeatureIndex(const std::vector<uint64_t>& keys) {
  const size_t n = keys.size();
  n_buckets_ = std::max<uint64_t>(1, n / 2);
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
  // Another salt changes every fingerprint. Two keys of one bucket sharing a
  // fingerprint (for 50,000 keys: about one chance in 10^5) would hide the
  // second, so the build is checked; keys that are not distinct never pass
  // (the first of them wins).
  for (salt_ = 0;; ++salt_) {
    fingerprints_.assign(n + 8, 0);
    for (size_t i = 0; i < n; ++i) fingerprints_[i] = Fingerprint(sorted[i]);
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) ok = Find(keys[i]) == i;
    if (ok || salt_ == 63) break;
  }
}

}  // namespace parley::analysis::intents
