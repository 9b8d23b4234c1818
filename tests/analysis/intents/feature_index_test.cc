#include "analysis/intents/feature_index.h"

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

// Random distinct keys, their rows in an unordered_map as the reference.
std::vector<uint64_t> RandomKeys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::unordered_map<uint64_t, int> seen;
  std::vector<uint64_t> keys;
  while (keys.size() < n) {
    uint64_t k = rng();
    if (seen.emplace(k, 0).second) keys.push_back(k);
  }
  return keys;
}

TEST(FeatureIndexTest, AgreesWithAHashMap) {
  for (size_t n : {0, 1, 7, 8, 9, 33, 1000, 50000}) {
    std::vector<uint64_t> keys = RandomKeys(n, n + 1);
    FeatureIndex index(keys);
    std::unordered_map<uint64_t, uint32_t> reference;
    for (size_t i = 0; i < keys.size(); ++i) reference[keys[i]] = static_cast<uint32_t>(i);
    for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(index.Find(keys[i]), i) << n;
    // Keys that are not in the index (a 32-bit fingerprint could collide
    // once in ~10^9 lookups; none do with these seeds).
    std::mt19937_64 rng(n + 1000);
    for (int i = 0; i < 100000; ++i) {
      uint64_t k = rng();
      if (reference.count(k)) continue;
      ASSERT_EQ(index.Find(k), FeatureIndex::kMissing) << n;
    }
  }
}

TEST(FeatureIndexTest, HandlesCrowdedBucketsAndWrapAround) {
  // Keys sharing their high bits fall in one bucket: runs longer than the 8
  // fingerprints compared at once, in the first and the last bucket.
  std::vector<uint64_t> keys;
  for (uint64_t i = 0; i < 40; ++i) keys.push_back(~uint64_t{0} - i * 977);  // the last bucket
  for (uint64_t i = 1; i <= 40; ++i) keys.push_back(i * 1315423911ull);      // the first one
  FeatureIndex index(keys);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(index.Find(keys[i]), i);
  EXPECT_EQ(index.Find(12345), FeatureIndex::kMissing);
  EXPECT_EQ(index.Find(~uint64_t{0} - 1), FeatureIndex::kMissing);
}

TEST(FeatureIndexTest, SortedAndUnsortedKeysGiveTheirRows) {
  std::vector<uint64_t> keys = RandomKeys(5000, 9);
  std::vector<uint64_t> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  FeatureIndex by_position(sorted), permuted(keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(by_position.Find(sorted[i]), i);
    ASSERT_EQ(permuted.Find(keys[i]), i);
  }
  // Sorted keys need no position -> row table.
  EXPECT_LT(by_position.bytes(), permuted.bytes());
}

TEST(FeatureIndexTest, EmptyIndexFindsNothing) {
  FeatureIndex empty;
  EXPECT_EQ(empty.Find(1), FeatureIndex::kMissing);
  FeatureIndex built(std::vector<uint64_t>{});
  EXPECT_EQ(built.Find(0), FeatureIndex::kMissing);
}

}  // namespace
}  // namespace parley::analysis::intents
