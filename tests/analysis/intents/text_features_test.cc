#include "analysis/intents/text_features.h"

#include <algorithm>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

std::vector<uint64_t> Features(std::string_view tokens, FeatureOptions options) {
  std::vector<uint64_t> out;
  ExtractFeatures(tokens, options, &out);
  return out;
}

TEST(TextFeaturesTest, CountsEveryKindOfFeature) {
  // "lost my card": 3 words; bigrams over <s> lost my card </s>: 4;
  // character 3-grams of "<lost>" (6 bytes): 4, of "<my>": 2, of "<card>": 4.
  EXPECT_EQ(Features("lost my card", {1, 0, 0, 0}).size(), 3u);
  EXPECT_EQ(Features("lost my card", {2, 0, 0, 0}).size(), 3u + 4u);
  EXPECT_EQ(Features("lost my card", {3, 0, 0, 0}).size(), 3u + 4u + 3u);
  EXPECT_EQ(Features("lost my card", {1, 3, 3, 0}).size(), 3u + 4u + 2u + 4u);
  // Pairs 2 apart: (lost, card) only.
  EXPECT_EQ(Features("lost my card", {1, 0, 0, 4}).size(), 3u + 1u);
  EXPECT_TRUE(Features("", {2, 3, 5, 4}).empty());
}

TEST(TextFeaturesTest, HashesAreStableNonZeroAndKeepKindsApart) {
  FeatureOptions all{2, 3, 5, 4};
  std::vector<uint64_t> a = Features("block my card now", all);
  EXPECT_EQ(a, Features("block my card now", all));
  EXPECT_EQ(std::count(a.begin(), a.end(), 0u), 0);
  // The word "abc" and the character 3-gram "abc" of "<abc>" differ.
  std::vector<uint64_t> word = Features("abc", {1, 0, 0, 0});
  std::vector<uint64_t> chars = Features("xabcx", {1, 3, 3, 0});
  for (uint64_t h : word) EXPECT_EQ(std::count(chars.begin(), chars.end(), h), 0);
  // Word order matters to bigrams, not to the set of words.
  std::vector<uint64_t> ab = Features("a b", {2, 0, 0, 0}), ba = Features("b a", {2, 0, 0, 0});
  EXPECT_NE(std::set<uint64_t>(ab.begin(), ab.end()), std::set<uint64_t>(ba.begin(), ba.end()));
  EXPECT_EQ(std::set<uint64_t>(ab.begin(), ab.begin() + 2), std::set<uint64_t>(ba.begin(), ba.begin() + 2));
}

TEST(TextFeaturesTest, DistinctNgramsOfEveryLengthHashApart) {
  // All character n-grams of "<abcdefghijklmnop>" are different strings, of
  // lengths 1 to 12 (more than the 8 bytes hashed at once): so are their hashes.
  std::vector<uint64_t> f = Features("abcdefghijklmnop", {1, 1, 12, 0});
  EXPECT_EQ(f.size(), 1u + 18 * 12 - (11 * 12) / 2);
  EXPECT_EQ(std::set<uint64_t>(f.begin(), f.end()).size(), f.size());
  // The same bytes at another place give the same hash; another kind another.
  std::vector<uint64_t> a = Features("xyz", {1, 3, 3, 0}), b = Features("qxyz", {1, 3, 3, 0});
  EXPECT_EQ(std::count(b.begin(), b.end(), a[2]), 1);  // "xyz" inside "<qxyz>"
  EXPECT_NE(a[0], Features("<xy", {1, 0, 0, 0})[0]);
}

}  // namespace
}  // namespace parley::analysis::intents
