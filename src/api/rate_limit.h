// Per-caller token buckets (issue 9): each caller (an API key's id, or in
// development mode the client's address) may make `rate` requests a second
// on average and `burst` at once. Cheap and thread-safe on the request path:
// callers hash to one of kShards shards, each with its own mutex held only
// for a map lookup and a few arithmetic operations, never across I/O.
// Memory is bounded: a bucket that has refilled completely says nothing a
// new bucket would not, so full buckets (idle callers, revoked keys) are
// dropped when a shard grows past its share of max_callers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace parley::api {

class RateLimiter {
 public:
  static constexpr size_t kShards = 16;

  // `rate` tokens a second (> 0) refill a bucket of `burst` tokens (>= 1).
  // At most about `max_callers` buckets are kept.
  RateLimiter(double rate, double burst, size_t max_callers = 65'536);

  // Takes one token from `caller`'s bucket at time `now_us` (monotonic
  // microseconds). nullopt: allowed; else refused, and the value is the
  // whole seconds (>= 1) after which a token will be there (Retry-After).
  std::optional<int> Take(std::string_view caller, int64_t now_us);

  // Whether `caller` has a token at `now_us`, without taking it: nullopt
  // when it has (or has no bucket yet), else the Retry-After seconds as
  // Take. For buckets that count failures: check before the work, Take after
  // a failure.
  std::optional<int> Check(std::string_view caller, int64_t now_us);

  // Buckets held now (tests).
  size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_us = 0;
  };
  struct alignas(64) Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
  };
  // Drops the buckets of `shard` that are full at `now_us`; when none is
  // (every caller active), drops them all: they start again full, which is
  // the generous side, and memory stays bounded.
  void Prune(Shard& shard, int64_t now_us) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Adds the tokens `b` earned since its last use.
  void Refill(Bucket& b, int64_t now_us) const;
  // Whole seconds (>= 1) until `b` holds a token.
  int RetryAfter(const Bucket& b) const;

  const double rate_per_us_;
  const double burst_;
  const int64_t refill_us_;  // time an empty bucket takes to fill
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace parley::api
