#include "store/view_cache.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
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
  std::string location, body;
  EXPECT_FALSE(cache.Lookup("t", "c", "full", 0, &location, &body));
  cache.Insert(cache.generation(), "t", "c", "full", "us", 0, "FULL");
  cache.Insert(cache.generation(), "t", "c", "basic", "us", 0, "BASIC");
  ASSERT_TRUE(cache.Lookup("t", "c", "full", 0, &location, &body));
  EXPECT_EQ(location, "us");
  EXPECT_EQ(body, "FULL");
  ASSERT_TRUE(cache.Lookup("t", "c", "basic", 0, &location, &body));
  EXPECT_EQ(body, "BASIC");
  // Other tenants, ids and views are other keys.
  EXPECT_FALSE(cache.Lookup("t2", "c", "full", 0, &location, &body));
  EXPECT_FALSE(cache.Lookup("t", "c2", "full", 0, &location, &body));
  EXPECT_FALSE(cache.Lookup("t", "c", "other", 0, &location, &body));
  // "t\x1f" + "c" must not meet "t" + "\x1fc"-like neighbours.
  EXPECT_FALSE(cache.Lookup("t\x1f" "c", "", "full", 0, &location, &body));

  cache.Invalidate("t", "c");
  EXPECT_FALSE(cache.Lookup("t", "c", "full", 0, &location, &body));
  EXPECT_FALSE(cache.Lookup("t", "c", "basic", 0, &location, &body));
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_EQ(cache.stats().bytes, 0);
}

TEST(ViewCacheTest, RefusesWhatWasReadBeforeAnInvalidation) {
  ViewCache cache(1 << 20);
  const uint64_t before = cache.generation();
  cache.Invalidate("t", "other");  // any write, even of another conversation
  cache.Insert(before, "t", "c", "full", "us", 0, "stale?");
  std::string location, body;
  EXPECT_FALSE(cache.Lookup("t", "c", "full", 0, &location, &body));
  cache.Insert(cache.generation(), "t", "c", "full", "us", 0, "fresh");
  ASSERT_TRUE(cache.Lookup("t", "c", "full", 0, &location, &body));
  EXPECT_EQ(body, "fresh");
}

TEST(ViewCacheTest, ExpiredEntriesMissAndGiveWayToANewConversationWithTheId) {
  ViewCache cache(1 << 20);
  cache.Insert(cache.generation(), "t", "c", "full", "us", /*expire_time_us=*/1000, "old");
  std::string location, body;
  EXPECT_TRUE(cache.Lookup("t", "c", "full", 999, &location, &body));
  EXPECT_TRUE(cache.Lookup("t", "c", "full", 0, &location, &body));  // 0: expiry not checked
  EXPECT_FALSE(cache.Lookup("t", "c", "full", 1000, &location, &body));
  // The id freed by expiry and taken again: the new conversation's read
  // replaces the expired entry.
  cache.Insert(cache.generation(), "t", "c", "full", "eu", /*expire_time_us=*/0, "new");
  ASSERT_TRUE(cache.Lookup("t", "c", "full", 5000, &location, &body));
  EXPECT_EQ(body, "new");
  EXPECT_EQ(location, "eu");
  EXPECT_EQ(cache.stats().entries, 1);
}

TEST(ViewCacheTest, StaysWithinItsBytesDroppingEntriesNotReadLately) {
  // 16 shards of 8 KiB: each conversation of ~1 KiB; 400 of them cannot fit.
  ViewCache cache(16 * 8192);
  const std::string body(1000, 'x');
  for (int i = 0; i < 400; ++i) {
    cache.Insert(cache.generation(), "t", absl::StrCat("c", i), "full", "us", 0, body);
    // Keep c0 in use: it must survive.
    std::string location, out;
    EXPECT_TRUE(cache.Lookup("t", "c0", "full", 0, &location, &out)) << i;
  }
  ViewCache::Stats stats = cache.stats();
  EXPECT_LE(stats.bytes, 16 * 8192);
  EXPECT_GT(stats.entries, 16 * 3);
  EXPECT_LT(stats.entries, 400);
  std::string location, out;
  EXPECT_TRUE(cache.Lookup("t", "c399", "full", 0, &location, &out));  // the newest is there
  int kept = 0;
  for (int i = 1; i < 100; ++i) kept += cache.Lookup("t", absl::StrCat("c", i), "full", 0, &location, &out);
  EXPECT_EQ(kept, 0);  // the oldest untouched ones went first
  // An entry larger than a shard is not kept at all.
  cache.Insert(cache.generation(), "t", "huge", "full", "us", 0, std::string(9000, 'y'));
  EXPECT_FALSE(cache.Lookup("t", "huge", "full", 0, &location, &out));
}

TEST(ViewCacheTest, ZeroCapacityKeepsNothing) {
  ViewCache cache(0);
  cache.Insert(cache.generation(), "t", "c", "full", "us", 0, "x");
  std::string location, body;
  EXPECT_FALSE(cache.Lookup("t", "c", "full", 0, &location, &body));
  cache.Invalidate("t", "c");
  EXPECT_EQ(cache.stats().entries, 0);
}

// The store's contract with the cache in front of it: once an update is
// acknowledged, no read anywhere returns an older rendering, while other
// threads keep reading (and filling the cache) as fast as they can.
TEST(ViewCacheTest, StoreReadsNeverGoBackInTimeUnderConcurrentUpdates) {
  char dir_template[] = "/tmp/parley-view-cache-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto opened = OpenSqliteStore(dir);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  core::Conversation c;
  c.set_tenant("t");
  c.set_id("hot");
  c.set_location("us");
  c.set_create_time_us(1);
  c.set_update_time_us(1);
  ASSERT_TRUE(store.CreateConversation(c, {{"full", "v1"}}).ok());

  std::atomic<int> acknowledged{1};
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::string location, body;
      while (!stop.load()) {
        const int floor = acknowledged.load();
        if (!store.ReadConversationView("t", "hot", 0, "full", &location, &body).ok()) {
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
  std::string location, body;
  ASSERT_TRUE(store.ReadConversationView("t", "hot", 0, "full", &location, &body).ok());
  EXPECT_EQ(body, "v150");
  store.Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::store
