#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "absl/hash/hash.h"
#include "core/absl_compat.h"

namespace parley::api {

RateLimiter::RateLimiter(double rate, double burst, size_t max_callers)
    : rate_per_us_(rate / 1e6),
      burst_(std::max(1.0, burst)),
      refill_us_(static_cast<int64_t>(std::ceil(std::max(1.0, burst) / (rate / 1e6)))),
      max_per_shard_(std::max<size_t>(1, max_callers / kShards)) {}

std::optional<int> RateLimiter::Take(std::string_view caller, int64_t now_us) {
  Shard& shard = shards_[absl::HashOf(Sv(caller)) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(Sv(caller));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) Prune(shard, now_us);
    it = shard.buckets.emplace(std::string(caller), Bucket{burst_, now_us}).first;
  }
  Bucket& b = it->second;
  Refill(b, now_us);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return RetryAfter(b);
}

std::optional<int> RateLimiter::Check(std::string_view caller, int64_t now_us) {
  Shard& shard = shards_[absl::HashOf(Sv(caller)) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(Sv(caller));
  if (it == shard.buckets.end()) return std::nullopt;
  Bucket& b = it->second;
  Refill(b, now_us);
  if (b.tokens >= 1.0) return std::nullopt;
  return RetryAfter(b);
}

void RateLimiter::Refill(Bucket& b, int64_t now_us) const {
  if (now_us <= b.last_us) return;
  b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_us - b.last_us) * rate_per_us_);
  b.last_us = now_us;
}

int RateLimiter::RetryAfter(const Bucket& b) const {
  const double wait_s = (1.0 - b.tokens) / (rate_per_us_ * 1e6);
  return std::max(1, static_cast<int>(std::ceil(wait_s)));
}

void RateLimiter::Prune(Shard& shard, int64_t now_us) {
  const size_t before = shard.buckets.size();
  absl::erase_if(shard.buckets, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return now_us - b.last_us >= refill_us_ ||
           b.tokens + static_cast<double>(now_us - b.last_us) * rate_per_us_ >= burst_;
  });
  if (shard.buckets.size() == before) shard.buckets.clear();
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace parley::api
