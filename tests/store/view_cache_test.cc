#include "store/view_cache.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace parley::store {
namespace {

TEST(ViewCacheTest, KeepsEachViewOfAConversationUntilInvalidated) {
  ViewCache cache(1 << 20);
  std::string body;
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "full", 0, &body));
  cache.Insert(cache.generation(), "t", "us", "c", "full", 0, "FULL");
  cache.Insert(cache.generation(), "t", "us", "c", "basic", 0, "BASIC");
  ASSERT_TRUE(cache.Lookup("t", "us", "c", "full", 0, &body));
  EXPECT_EQ(body, "FULL");
  ASSERT_TRUE(cache.Lookup("t", "us", "c", "basic", 0, &body));
  EXPECT_EQ(body, "BASIC");
  // Other tenants, scopes, ids and views are other keys.
  EXPECT_FALSE(cache.Lookup("t2", "us", "c", "full", 0, &body));
  EXPECT_FALSE(cache.Lookup("t", "eu", "c", "full", 0, &body));
  EXPECT_FALSE(cache.Lookup("t", "us", "c2", "full", 0, &body));
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "other", 0, &body));
  // "t\x1f" + "us" must not meet "t" + "\x1fus"-like neighbours.
  EXPECT_FALSE(cache.Lookup("t\x1f" "us", "c", "", "full", 0, &body));
  EXPECT_FALSE(cache.Lookup("t", "us\x1f" "c", "", "full", 0, &body));

  // Invalidating one scope's conversation leaves the same id elsewhere.
  cache.Insert(cache.generation(), "t", "eu", "c", "full", 0, "EU");
  cache.Invalidate("t", "us", "c");
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "full", 0, &body));
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "basic", 0, &body));
  ASSERT_TRUE(cache.Lookup("t", "eu", "c", "full", 0, &body));
  EXPECT_EQ(body, "EU");
  cache.Invalidate("t", "eu", "c");
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_EQ(cache.stats().bytes, 0);
}

TEST(ViewCacheTest, RefusesWhatWasReadBeforeAnInvalidation) {
  ViewCache cache(1 << 20);
  const uint64_t before = cache.generation();
  cache.Invalidate("t", "us", "other");  // any write, even of another conversation
  cache.Insert(before, "t", "us", "c", "full", 0, "stale?");
  std::string body;
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "full", 0, &body));
  cache.Insert(cache.generation(), "t", "us", "c", "full", 0, "fresh");
  ASSERT_TRUE(cache.Lookup("t", "us", "c", "full", 0, &body));
  EXPECT_EQ(body, "fresh");
}

TEST(ViewCacheTest, ExpiredEntriesMissAndGiveWayToANewConversationWithTheId) {
  ViewCache cache(1 << 20);
  cache.Insert(cache.generation(), "t", "us", "c", "full", /*expire_time_us=*/1000, "old");
  std::string body;
  EXPECT_TRUE(cache.Lookup("t", "us", "c", "full", 999, &body));
  EXPECT_TRUE(cache.Lookup("t", "us", "c", "full", 0, &body));  // 0: expiry not checked
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "full", 1000, &body));
  // The key freed by expiry and taken again: the new conversation's read
  // replaces the expired entry.
  cache.Insert(cache.generation(), "t", "us", "c", "full", /*expire_time_us=*/0, "new");
  ASSERT_TRUE(cache.Lookup("t", "us", "c", "full", 5000, &body));
  EXPECT_EQ(body, "new");
  EXPECT_EQ(cache.stats().entries, 1);
}

TEST(ViewCacheTest, StaysWithinItsBytesDroppingEntriesNotReadLately) {
  // 16 shards of 8 KiB: each conversation of ~1 KiB; 400 of them cannot fit.
  ViewCache cache(16 * 8192);
  const std::string body(1000, 'x');
  for (int i = 0; i < 400; ++i) {
    cache.Insert(cache.generation(), "t", "us", absl::StrCat("c", i), "full", 0, body);
    // Keep c0 in use: it must survive.
    std::string out;
    EXPECT_TRUE(cache.Lookup("t", "us", "c0", "full", 0, &out)) << i;
  }
  ViewCache::Stats stats = cache.stats();
  EXPECT_LE(stats.bytes, 16 * 8192);
  EXPECT_GT(stats.entries, 16 * 3);
  EXPECT_LT(stats.entries, 400);
  std::string out;
  EXPECT_TRUE(cache.Lookup("t", "us", "c399", "full", 0, &out));  // the newest is there
  int kept = 0;
  for (int i = 1; i < 100; ++i) kept += cache.Lookup("t", "us", absl::StrCat("c", i), "full", 0, &out);
  EXPECT_EQ(kept, 0);  // the oldest untouched ones went first
  // An entry larger than a shard is not kept at all.
  cache.Insert(cache.generation(), "t", "us", "huge", "full", 0, std::string(9000, 'y'));
  EXPECT_FALSE(cache.Lookup("t", "us", "huge", "full", 0, &out));
}

TEST(ViewCacheTest, ZeroCapacityKeepsNothing) {
  ViewCache cache(0);
  cache.Insert(cache.generation(), "t", "us", "c", "full", 0, "x");
  std::string body;
  EXPECT_FALSE(cache.Lookup("t", "us", "c", "full", 0, &body));
  cache.Invalidate("t", "us", "c");
  EXPECT_EQ(cache.stats().entries, 0);
}

// A SQLite store in a new directory with one conversation, (t, us, hot),
// created at time 1 with `views` and `labels`.
struct HotStore {
  std::string dir;
  std::unique_ptr<Store> store;
  core::Conversation conversation;

  void Open(const ConversationViews& views, const std::map<std::string, std::string>& labels = {}) {
    char dir_template[] = "/tmp/parley-view-cache-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir = dir_template;
    auto opened = OpenSqliteStore(dir);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store = std::move(*opened);
    conversation.set_tenant("t");
    conversation.set_id("hot");
    conversation.set_scope("us");
    conversation.set_create_time_us(1);
    conversation.set_update_time_us(1);
    for (const auto& [k, v] : labels) (*conversation.mutable_labels())[k] = v;
    ASSERT_TRUE(store->CreateConversation(conversation, views).ok());
  }
};

// The store's contract with the cache in front of it: once an update is
// acknowledged, no read anywhere returns an older rendering, while other
// threads keep reading (and filling the cache) as fast as they can.
TEST(ViewCacheTest, StoreReadsNeverGoBackInTimeUnderConcurrentUpdates) {
  HotStore hot;
  ASSERT_NO_FATAL_FAILURE(hot.Open({{"full", "v1"}}));
  Store& store = *hot.store;
  const std::string& dir = hot.dir;
  core::Conversation c = hot.conversation;

  std::atomic<int> acknowledged{1};
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::string body;
      while (!stop.load()) {
        const int floor = acknowledged.load();
        if (!store.ReadConversationView("t", "us", "hot", 0, "full", &body).ok()) {
          violations.fetch_add(1);
          continue;
        }
        if (body.empty() || std::stoi(body.substr(1)) < floor) violations.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  for (int v = 2; v <= 150; ++v) {
    c.set_update_time_us(v);
    ASSERT_TRUE(store.UpdateConversation(c, v - 1, {{"full", absl::StrCat("v", v)}}).ok());
    acknowledged.store(v);
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(reads.load(), 150);
  std::string body;
  ASSERT_TRUE(store.ReadConversationView("t", "us", "hot", 0, "full", &body).ok());
  EXPECT_EQ(body, "v150");
  store.Close();
  std::filesystem::remove_all(dir);
}

// The same contract for the conversation bodies the SQLite store keeps in
// the cache (ViewCache::kBodyView), which updates write through from the
// writer thread: with two writers racing on one conversation (each update
// conditional on the update time it read, retried when it lost), no read
// after an acknowledged update returns an older conversation, and once the
// writers stop, every read returns the last one stored.
TEST(ViewCacheTest, CachedBodiesNeverGoBackInTimeUnderRacingWriters) {
  HotStore hot;
  ASSERT_NO_FATAL_FAILURE(hot.Open({}, {{"v", "1"}}));
  Store& store = *hot.store;
  const std::string& dir = hot.dir;

  constexpr int64_t kNow = 1;  // reads that check expiry go through the cache
  std::atomic<int64_t> acknowledged{1};
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, reads{0}, updates{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const int64_t floor = acknowledged.load();
        auto read = store.GetConversation("t", "us", "hot", kNow);
        if (!read.ok() || read->update_time_us() < floor ||
            read->labels().at("v") != absl::StrCat(read->update_time_us())) {
          violations.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&] {
      // A writer that keeps reading an old conversation (a stale cache)
      // keeps losing: bounded, so that shows as a failure, not a hang.
      int lost = 0;
      for (int i = 0; i < 100;) {
        if (lost > 20'000) {
          violations.fetch_add(1);
          return;
        }
        auto read = store.GetConversation("t", "us", "hot", kNow);
        ASSERT_TRUE(read.ok()) << read.status();
        core::Conversation next = *read;
        next.set_update_time_us(read->update_time_us() + 1);
        (*next.mutable_labels())["v"] = absl::StrCat(next.update_time_us());
        absl::Status s = store.UpdateConversation(next, read->update_time_us());
        if (absl::IsAborted(s)) {
          ++lost;
          continue;
        }
        ASSERT_TRUE(s.ok()) << s;
        ++i;
        updates.fetch_add(1);
        int64_t seen = acknowledged.load();
        while (seen < next.update_time_us() &&
               !acknowledged.compare_exchange_weak(seen, next.update_time_us())) {
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(updates.load(), 200);
  EXPECT_GT(reads.load(), 200);
  auto last = store.GetConversation("t", "us", "hot", kNow);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->update_time_us(), 201);
  EXPECT_EQ(last->labels().at("v"), "201");
  store.Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::store
