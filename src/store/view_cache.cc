#include "store/view_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace parley::store {
namespace {

// Fixed cost of an entry besides its strings: list node, index slot, vector.
constexpr size_t kEntryOverhead = 160;

// The key in a per-thread buffer: lookups allocate nothing.
absl::string_view KeyView(std::string_view tenant, std::string_view scope, std::string_view id) {
  thread_local std::string buffer;
  buffer.assign(tenant);
  buffer.push_back('\x1f');
  buffer.append(scope);
  buffer.push_back('\x1f');
  buffer.append(id);
  return absl::string_view(buffer.data(), buffer.size());
}

}  // namespace

ViewCache::ViewCache(size_t capacity_bytes)
    : shard_capacity_(capacity_bytes / kShards), shards_(new Shard[kShards]) {}

ViewCache::Shard& ViewCache::ShardOf(absl::string_view key) {
  return shards_[absl::Hash<absl::string_view>{}(key) % kShards];
}

void ViewCache::EraseLocked(Shard& shard, std::list<Entry>::iterator it) {
  shard.bytes -= it->bytes;
  shard.index.erase(it->key);
  shard.clock.erase(it);
}

bool ViewCache::Lookup(std::string_view tenant, std::string_view scope, std::string_view id,
                       std::string_view view, int64_t now_us, std::string* body) {
  if (shard_capacity_ == 0) return false;
  const absl::string_view key = KeyView(tenant, scope, id);
  Shard& shard = ShardOf(key);
  // Readers share the lock: a hot conversation read on every thread at once
  // is copied in parallel. Recency is a flag (CLOCK), not a list move.
  absl::ReaderMutexLock lock(&shard.mu);
  auto found = shard.index.find(key);
  if (found != shard.index.end()) {
    const Entry& entry = *found->second;
    // An expired entry misses (the database decides) and is left for
    // eviction: it is never marked used again.
    if (now_us == 0 || entry.expire_time_us == 0 || entry.expire_time_us > now_us) {
      for (const View& v : entry.views) {
        if (v.name != view) continue;
        entry.used.store(true, std::memory_order_relaxed);
        if (body != nullptr) body->assign(v.body);
        shard.hits.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
    }
  }
  shard.misses.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void ViewCache::Insert(uint64_t generation, std::string_view tenant, std::string_view scope,
                       std::string_view id, std::string_view view, int64_t expire_time_us,
                       std::string_view body) {
  if (shard_capacity_ == 0 || body.empty()) return;
  const size_t view_bytes = view.size() + body.size();
  const absl::string_view key = KeyView(tenant, scope, id);
  if (kEntryOverhead + key.size() + view_bytes > shard_capacity_) return;
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  // Under the shard lock: an Invalidate that advanced the generation after
  // this check erases (under the same lock) what is inserted here.
  if (generation_.load(std::memory_order_seq_cst) != generation) return;
  auto found = shard.index.find(key);
  if (found != shard.index.end() && found->second->expire_time_us != expire_time_us) {
    // An expired conversation whose id now names another one.
    EraseLocked(shard, found->second);
    found = shard.index.end();
  }
  std::list<Entry>::iterator it;
  if (found != shard.index.end()) {
    it = found->second;
    for (const View& v : it->views) {
      if (v.name == view) return;  // another reader got there first
    }
  } else {
    shard.clock.emplace_front();
    it = shard.clock.begin();
    it->key.assign(key.data(), key.size());
    it->expire_time_us = expire_time_us;
    it->bytes = kEntryOverhead + key.size();
    shard.bytes += it->bytes;
    shard.index.emplace(it->key, it);
  }
  it->views.push_back(View{std::string(view), std::string(body)});
  it->bytes += view_bytes;
  shard.bytes += view_bytes;
  // CLOCK: from the oldest end, an entry read since it last came round gets
  // a second chance at the front; one not read goes.
  while (shard.bytes > shard_capacity_ && shard.clock.size() > 1) {
    auto oldest = std::prev(shard.clock.end());
    if (oldest != it && oldest->used.exchange(false, std::memory_order_relaxed)) {
      shard.clock.splice(shard.clock.begin(), shard.clock, oldest);
    } else {
      EraseLocked(shard, oldest);
    }
  }
}

void ViewCache::Invalidate(std::string_view tenant, std::string_view scope, std::string_view id) {
  Notify(tenant, scope, id);
  if (shard_capacity_ == 0) return;
  generation_.fetch_add(1, std::memory_order_seq_cst);
  const absl::string_view key = KeyView(tenant, scope, id);
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto found = shard.index.find(key);
  if (found != shard.index.end()) EraseLocked(shard, found->second);
}

void ViewCache::Clear() {
  Notify("", "", "");
  generation_.fetch_add(1, std::memory_order_seq_cst);
  for (int i = 0; i < kShards; ++i) {
    absl::MutexLock lock(&shards_[i].mu);
    shards_[i].index.clear();
    shards_[i].clock.clear();
    shards_[i].bytes = 0;
  }
}

void ViewCache::AddObserver(Observer observer) {
  absl::MutexLock lock(&observers_mu_);
  observers_.push_back(std::move(observer));
  observed_.store(true, std::memory_order_release);
}

void ViewCache::Notify(std::string_view tenant, std::string_view scope, std::string_view id) {
  if (!observed_.load(std::memory_order_acquire)) return;
  absl::ReaderMutexLock lock(&observers_mu_);
  for (const Observer& o : observers_) o(tenant, scope, id);
}

ViewCache::Stats ViewCache::stats() const {
  Stats s;
  for (int i = 0; i < kShards; ++i) {
    absl::ReaderMutexLock lock(&shards_[i].mu);
    s.hits += shards_[i].hits.load(std::memory_order_relaxed);
    s.misses += shards_[i].misses.load(std::memory_order_relaxed);
    s.entries += static_cast<int64_t>(shards_[i].clock.size());
    s.bytes += static_cast<int64_t>(shards_[i].bytes);
  }
  return s;
}

}  // namespace parley::store
