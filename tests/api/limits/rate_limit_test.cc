#include "api/rate_limit.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace parley::api {
namespace {

constexpr int64_t kSecond = 1'000'000;

// A caller gets `burst` requests at once, then one per 1/rate seconds; the
// refusal says how long to wait, in whole seconds, at least 1.
TEST(RateLimiterTest, BurstThenRate) {
  RateLimiter limits(/*rate=*/2, /*burst=*/3);
  const int64_t t0 = 100 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limits.Take("k1", t0).has_value()) << i;
  std::optional<int> refused = limits.Take("k1", t0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 1);  // half a second to a token, rounded up
  // Another caller has a bucket of its own.
  EXPECT_FALSE(limits.Take("k2", t0).has_value());
  // Half a second later one token is back, and only one.
  EXPECT_FALSE(limits.Take("k1", t0 + kSecond / 2).has_value());
  EXPECT_TRUE(limits.Take("k1", t0 + kSecond / 2).has_value());
  // A long pause refills to the burst, not beyond.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limits.Take("k1", t0 + 60 * kSecond).has_value()) << i;
  EXPECT_TRUE(limits.Take("k1", t0 + 60 * kSecond).has_value());
}

TEST(RateLimiterTest, RetryAfterCoversASlowRate) {
  RateLimiter limits(/*rate=*/0.1, /*burst=*/1);
  EXPECT_FALSE(limits.Take("k", 0).has_value());
  std::optional<int> refused = limits.Take("k", 0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 10);
  EXPECT_TRUE(limits.Take("k", 9 * kSecond).has_value());
  EXPECT_FALSE(limits.Take("k", 10 * kSecond).has_value());
}

// Check looks without taking: a caller with no bucket or a token left
// passes any number of times; once Take has emptied the bucket, Check
// refuses with the same wait as Take, until the refill.
TEST(RateLimiterTest, CheckDoesNotTake) {
  RateLimiter limits(/*rate=*/0.5, /*burst=*/2);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limits.Check("addr", 0).has_value()) << i;
  EXPECT_EQ(limits.size(), 0u);  // looking creates no bucket
  EXPECT_FALSE(limits.Take("addr", 0).has_value());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limits.Check("addr", 0).has_value()) << i;
  EXPECT_FALSE(limits.Take("addr", 0).has_value());
  std::optional<int> refused = limits.Check("addr", 0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 2);
  EXPECT_TRUE(limits.Check("addr", kSecond).has_value());
  EXPECT_FALSE(limits.Check("addr", 2 * kSecond).has_value());
  EXPECT_FALSE(limits.Check("other", 0).has_value());
}

// Memory stays bounded: buckets of callers that went idle (full again) are
// dropped when a shard fills up, and even all-active shards do not grow.
TEST(RateLimiterTest, DropsIdleBucketsAndStaysBounded) {
  RateLimiter limits(/*rate=*/10, /*burst=*/10, /*max_callers=*/RateLimiter::kShards * 4);
  for (int i = 0; i < 1000; ++i) limits.Take("caller-" + std::to_string(i), 0);
  EXPECT_LE(limits.size(), RateLimiter::kShards * 4 + RateLimiter::kShards);
  // Much later every old bucket is full: new callers push them out.
  for (int i = 0; i < 1000; ++i) limits.Take("later-" + std::to_string(i), 10 * kSecond);
  EXPECT_LE(limits.size(), RateLimiter::kShards * 4 + RateLimiter::kShards);
}

// Many threads on one key take exactly the burst (no refill at a fixed time).
TEST(RateLimiterTest, ThreadSafeCounting) {
  RateLimiter limits(/*rate=*/1, /*burst=*/1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!limits.Take("shared", 5 * kSecond)) allowed.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace parley::api
