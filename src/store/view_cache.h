// ViewCache: recently read stored views of conversations, in memory, so that
// a GET of a conversation read a moment ago costs a hash lookup and a copy
// instead of a database read transaction (which on SQLite is two b-tree
// searches, WAL-index locks and an LZ4 decode).
//
// Bounded by bytes; when full, entries not read lately go first (CLOCK, a
// second chance for those read since the hand last passed). Sharded, and
// readers share a shard's lock, so a hot conversation read on every thread
// at once does not serialise them.
//
// Entries are keyed like conversations: (tenant, scope, id).
//
// Consistency with the database. A store calls Invalidate(tenant, scope, id) after
// every committed write that changes a conversation or its views (and before
// acknowledging the write), and reads through the cache like this:
//
//   if (cache.Lookup(...)) return;           // hit
//   uint64_t g = cache.generation();         // BEFORE the read transaction
//   ... read from the database ...
//   cache.Insert(g, ...);                    // dropped if a write came since
//
// Insert refuses entries read before any invalidation that happened since
// `g` was taken, so a read that raced with a write can never put the old
// version back after the write's Invalidate. Expiry needs no invalidation:
// entries carry the conversation's expire time and Lookup honours it. Nor
// does creating a conversation: a new id has no entry, an id freed by a
// delete was invalidated by it, and an id freed by expiry has an expired
// entry, which misses.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace parley::store {

class ViewCache {
 public:
  // capacity_bytes = 0 turns the cache off (every Lookup misses, Insert
  // keeps nothing).
  explicit ViewCache(size_t capacity_bytes);

  // The name under which a store keeps a conversation's serialized body
  // next to its views (no view is named so: view names are printable), with
  // the same invalidation rule. The SQLite store also writes it through on
  // each update, from the writer thread in commit order.
  static constexpr std::string_view kBodyView = "\x01body";

  // True, setting *body, if view `view` of (tenant, scope, id) is cached and
  // the conversation has not expired at `now_us` (0 = ignore expiry). An
  // expired entry is dropped and misses: the database decides (its id may
  // have been taken by a new conversation since). A null `body` only asks
  // whether it is there.
  bool Lookup(std::string_view tenant, std::string_view scope, std::string_view id,
              std::string_view view, int64_t now_us, std::string* body);

  // A counter that every Invalidate advances; read it before reading the
  // database for a later Insert.
  uint64_t generation() const { return generation_.load(std::memory_order_seq_cst); }

  // Keeps `body` (non-empty) as view `view` of (tenant, scope, id), unless
  // an Invalidate happened after `generation` was read or the entry alone is
  // larger than a shard. expire_time_us = 0: never expires.
  void Insert(uint64_t generation, std::string_view tenant, std::string_view scope,
              std::string_view id, std::string_view view, int64_t expire_time_us,
              std::string_view body);

  // Drops every view of (tenant, scope, id).
  void Invalidate(std::string_view tenant, std::string_view scope, std::string_view id);
  // Drops everything.
  void Clear();

  // Each observer is called by every Invalidate (with its key) and Clear
  // (with an empty id) before it returns, whether or not the cache is on:
  // how a store passes its write notices on (Store::NoticeConversationWrites).
  using Observer =
      std::function<void(std::string_view tenant, std::string_view scope, std::string_view id)>;
  void AddObserver(Observer observer);

  struct Stats {
    int64_t hits = 0, misses = 0, entries = 0, bytes = 0;
  };
  Stats stats() const;

 private:
  struct View {
    std::string name, body;
  };
  struct Entry {
    std::string key;  // tenant \x1f scope \x1f id
    int64_t expire_time_us = 0;
    std::vector<View> views;
    size_t bytes = 0;
    mutable std::atomic<bool> used{false};  // read since the CLOCK hand passed
  };
  struct Shard {
    mutable absl::Mutex mu;
    // CLOCK order: new and second-chanced entries at the front, the hand at
    // the back.
    std::list<Entry> clock ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, std::list<Entry>::iterator> index ABSL_GUARDED_BY(mu);
    size_t bytes ABSL_GUARDED_BY(mu) = 0;
    std::atomic<int64_t> hits{0}, misses{0};
  };
  static constexpr int kShards = 16;

  Shard& ShardOf(absl::string_view key);
  static void EraseLocked(Shard& shard, std::list<Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const size_t shard_capacity_;
  std::atomic<uint64_t> generation_{0};
  std::unique_ptr<Shard[]> shards_;
  void Notify(std::string_view tenant, std::string_view scope, std::string_view id);
  absl::Mutex observers_mu_;
  std::vector<Observer> observers_ ABSL_GUARDED_BY(observers_mu_);
  std::atomic<bool> observed_{false};
};

}  // namespace parley::store
