// Feature hash -> weight row, for the intent model (built when a model is
// trained or loaded; not part of the model file).
//
// The keys in ascending order, cut into n/4 buckets by their high bits (a
// key's bucket is floor(key * buckets / 2^64), which grows with the key), so
// each bucket's keys are a contiguous run: `start_` says where each run
// begins, and `fingerprints_` holds a 32-bit fingerprint of each key in that
// order. A lookup reads start_[b], start_[b + 1] and compares the ~4
// fingerprints of the run (8 at once with SSE2, without branching on the
// outcome, which follows the text unpredictably). For banking77's 50,000
// features: 50 KB of starts, which stay in cache, and 200 KB of
// fingerprints, one line of which a lookup fetches (a hash table of 16-byte
// slots took 2 MB). The model's rows are already in key order, so row =
// position; other key orders keep a position -> row table.
//
// Every key that was inserted is found with its row (checked when the index
// is built). A key that was not inserted is reported missing unless its
// fingerprint equals one of the 8 it is compared with (about one lookup in
// 2^29), when it gets that key's row, like any collision of hashed features.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::analysis::intents {

class FeatureIndex {
 public:
  static constexpr uint32_t kMissing = ~0u;

  FeatureIndex() = default;
  // `keys` must be distinct; row i is keys[i]. Fewer than 2^32 - 1 keys.
  explicit FeatureIndex(const std::vector<uint64_t>& keys);

  // The row of `key`, or kMissing.
  uint32_t Find(uint64_t key) const {
    uint32_t row;
    FindAll(&key, 1, &row);
    return row;
  }

  // rows[i] = Find(keys[i]) for i < n, in two passes over blocks of keys:
  // all the bucket starts (which stay in cache), then all the fingerprint
  // comparisons, so that the ~n cache misses of the second pass overlap
  // instead of waiting on each other.
  void FindAll(const uint64_t* keys, size_t n, uint32_t* rows) const;

  size_t bytes() const {
    return start_.size() * sizeof(uint32_t) + fingerprints_.size() * sizeof(uint32_t) +
           rows_.size() * sizeof(uint32_t);
  }

 private:
  size_t Bucket(uint64_t key) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(key) * n_buckets_) >> 64);
  }
  // 32 bits of the key (which is a well-mixed hash) that its bucket does
  // not depend on: the low ones; other salts take others.
  uint32_t Fingerprint(uint64_t key) const {
    uint32_t f = static_cast<uint32_t>(std::rotr(key, static_cast<int>(salt_)));
    return f != 0 ? f : 1;
  }

  // Find in a run of more than 8 keys (~2% of buckets at ~4 keys per bucket).
  uint32_t FindLong(uint32_t pos, uint32_t left, uint32_t fp) const;

  uint64_t n_buckets_ = 1;
  uint64_t salt_ = 0;
  std::vector<uint32_t> start_ = {0, 0};              // n_buckets_ + 1
  std::vector<uint32_t> fingerprints_ = std::vector<uint32_t>(8);  // by key order, + 8 zeros
  std::vector<uint32_t> rows_;  // position in key order -> row; empty if the same
};

}  // namespace parley::analysis::intents
