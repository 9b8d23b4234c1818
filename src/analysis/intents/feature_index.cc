#include "analysis/intents/feature_index.h"

#include <algorithm>
#include <cstring>

namespace parley::analysis::intents {

FeatureIndex::FeatureIndex(const std::vector<uint64_t>& keys) {
  // Another salt changes every fingerprint; two keys sharing a fingerprint
  // where one would hide the other are (for 50,000 keys) a one-in-10^5
  // event, so the second salt is practically never needed.
  // (Keys that are not distinct never pass; the first of them wins.)
  for (salt_ = 0; !Build(keys) && salt_ < 63;) ++salt_;
}

bool FeatureIndex::Build(const std::vector<uint64_t>& keys) {
  n_buckets_ = std::max<uint64_t>(1, (keys.size() + 3) / 4);
  buckets_.assign(n_buckets_, Bucket{});
  std::vector<uint8_t> used(n_buckets_, 0);
  for (size_t i = 0; i < keys.size(); ++i) {
    size_t b = Home(keys[i]);
    while (used[b] == 8) b = b + 1 == n_buckets_ ? 0 : b + 1;
    buckets_[b].fingerprint[used[b]] = Fingerprint(keys[i]);
    buckets_[b].row[used[b]] = static_cast<uint32_t>(i);
    ++used[b];
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Find(keys[i]) != i) return false;
  }
  return true;
}

}  // namespace parley::analysis::intents
