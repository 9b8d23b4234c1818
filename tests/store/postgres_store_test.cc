// The PostgreSQL backend: the store conformance suite (the same one SQLite
// passes) plus what is PostgreSQL's own: migrations under an advisory lock,
// UNAVAILABLE on a lost database and reconnecting by itself, the list cost
// bound as a statement timeout.
//
// Runs against the throwaway cluster of scripts/pg-cluster.sh, which the
// CTest fixture `postgres` starts; PARLEY_PG_STATE names its state
// directory (its `url` file holds the superuser URL). Each test gets a schema
// of its own (the URL's search_path), so tests and test programs share the
// cluster without seeing each other's rows.
#include <libpq-fe.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "jobs/job_queue.h"
#include "store/postgres/postgres_store.h"
#include "store/store_conformance.h"

namespace parley::store {
namespace {

using testing::StoreBackend;
using testing::StoreConformanceTest;

// The cluster's superuser URL, or "" (with a test failure) without one.
std::string AdminUrl() {
  const char* state = getenv("PARLEY_PG_STATE");
  if (state == nullptr) {
    ADD_FAILURE() << "PARLEY_PG_STATE is not set: run through ctest (the `postgres` fixture starts a "
                     "cluster with scripts/pg-cluster.sh start DIR) or set it to such a DIR";
    return "";
  }
  std::ifstream in(std::string(state) + "/url");
  std::string url;
  std::getline(in, url);
  if (url.empty()) ADD_FAILURE() << "no PostgreSQL cluster URL in " << state << "/url";
  return url;
}

// Runs `sql` as the superuser; returns the first value of the first row.
std::string Admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(AdminUrl().c_str());
  std::string out;
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else if (PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  PQfinish(conn);
  return out;
}

// A name PostgreSQL takes unquoted, unique to `dir`.
std::string NameFor(const std::string& dir) {
  return absl::StrCat("t_", std::hash<std::string>()(dir) % 1'000'000'000'000ull);
}

// The URL of schema `schema` (created if absent) as role `role` (empty: the
// superuser), with the application name `schema` (to find its backends).
std::string SchemaUrl(const std::string& schema, const std::string& role = "") {
  Admin(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", schema));
  std::string url = AdminUrl();
  if (!role.empty()) url = absl::StrReplaceAll(url, {{"//parley@", absl::StrCat("//", role, "@")}});
  return absl::StrCat(url, "&application_name=", schema, "&options=-csearch_path%3D", schema);
}

std::unique_ptr<Store> OpenForTest(const std::string& dir) {
  auto store = OpenStore(SchemaUrl(NameFor(dir)));
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"postgres", &OpenForTest}),
                         testing::BackendName);

core::Conversation Conv(const std::string& tenant, const std::string& id) {
  core::Conversation c;
  c.set_tenant(tenant);
  c.set_id(id);
  c.set_scope("global");
  c.set_create_time_us(1000);
  c.set_update_time_us(1000);
  return c;
}

// Waits (up to 5 s) until `node` holds its view lease and serves its cache
// without round trips (ADR 0050); true if it does.
bool WaitForViewLease(PostgresStore& node) {
  for (int i = 0; i < 500 && !node.listener_fast(); ++i) absl::SleepFor(absl::Milliseconds(10));
  return node.listener_fast();
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = NameFor(absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                   getpid(), time(nullptr)));
  }
  // Ends every backend the store under test has open.
  int TerminateBackends() {
    return std::stoi(Admin(absl::StrCat(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '",
        schema_, "'")));
  }
  // A store on this test's schema with a view cache: one node of several.
  absl::StatusOr<std::unique_ptr<PostgresStore>> OpenCachingNode() {
    PostgresStoreOptions options;
    options.view_cache_bytes = 8 << 20;
    return PostgresStore::Open(SchemaUrl(schema_), options);
  }
  std::string schema_;
};

TEST_F(PostgresStoreTest, OpenStoreKnowsBothBackendsAndRefusesOthers) {
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgres://u@h/db"));
  EXPECT_FALSE(IsPostgresUrl("sqlite:/tmp/x"));
  const std::string dir = testing::MakeTempDir();
  auto sqlite = OpenStore("sqlite:" + dir);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  (*sqlite)->Close();
  EXPECT_EQ(OpenStore("mysql://x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("/var/data").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PostgresStoreTest, AnUnreachableDatabaseIsUnavailable) {
  auto store = OpenStore("postgresql://parley@/postgres?host=/nonexistent&port=1&connect_timeout=2");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

// Two nodes starting together on an empty database: both open, the schema is
// migrated once (the second waits for the first's advisory lock, then finds
// every version applied; without the lock it would fail creating tables
// that exist).
TEST_F(PostgresStoreTest, NodesStartingTogetherMigrateOnce) {
  const std::string url = SchemaUrl(schema_);
  constexpr int kNodes = 4;
  std::vector<absl::StatusOr<std::unique_ptr<Store>>> opened(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) threads.emplace_back([&, i] { opened[i] = OpenStore(url); });
  for (std::thread& t : threads) t.join();
  for (auto& s : opened) ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".parley_schema_migrations")),
            std::to_string(kPostgresSchemaVersion));
  // A write on one node is read on another at once.
  ASSERT_TRUE((*opened[0])->CreateConversation(Conv("t", "c")).ok());
  EXPECT_TRUE((*opened[3])->GetConversation("t", "global", "c", 0).ok());
  for (auto& s : opened) (*s)->Close();
}

TEST_F(PostgresStoreTest, RefusesANewerSchemaAndForeignTables) {
  {
    auto store = OpenStore(SchemaUrl(schema_));
    ASSERT_TRUE(store.ok()) << store.status();
  }
  Admin(absl::StrCat("INSERT INTO ", schema_, ".parley_schema_migrations (version) VALUES (",
                     kPostgresSchemaVersion + 1, ")"));
  auto newer = OpenStore(SchemaUrl(schema_));
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos) << newer.status();

  const std::string foreign = schema_ + "_f";
  Admin(absl::StrCat("CREATE SCHEMA ", foreign, "; CREATE TABLE ", foreign, ".conversations (x int)"));
  EXPECT_EQ(OpenStore(SchemaUrl(foreign)).status().code(), absl::StatusCode::kFailedPrecondition);
}

// pg_terminate_backend of every connection the store holds (a database
// restart, a failover): the next calls reconnect by themselves.
TEST_F(PostgresStoreTest, ReconnectsAfterItsConnectionsAreTerminated) {
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  for (int round = 0; round < 3; ++round) {
    const std::string id = absl::StrCat("c", round);
    ASSERT_TRUE((*store)->CreateConversation(Conv("t", id)).ok());
    EXPECT_GE(TerminateBackends(), 1);
    auto got = (*store)->GetConversation("t", "global", id, 0);
    EXPECT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE((*store)->CreateConversation(Conv("t", id + "b")).ok());
    EXPECT_GE(TerminateBackends(), 1);
    EXPECT_TRUE((*store)->CreateConversation(Conv("t", id + "c")).ok());
  }
  auto page = (*store)->ListConversations(core::ConversationQuery{.tenant = "t", .page_size = 100});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->conversations.size(), 9u);
}

// Two nodes with view caches on one database (ADR 0033): every write on A is
// read on B at once, although B served the same view from its cache just
// before; also right after B's listen connection was cut (the notification
// of that write is lost: B must not serve its cache until it listens again
// and has cleared it). Without the invalidation, or without the round trip
// before a hit, B returns the value it cached.
TEST_F(PostgresStoreTest, AWriteOnOneNodeIsReadOnAnotherAtOnce) {
  auto a = OpenCachingNode();
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = OpenCachingNode();
  ASSERT_TRUE(b.ok()) << b.status();
  core::Conversation c = Conv("t", "shared");
  ASSERT_TRUE((*a)->CreateConversation(c, {{"full", "v0"}}, nullptr).ok());
  const int64_t now = 2000;
  auto read_on_b = [&](std::string* view, core::Conversation* body) {
    ASSERT_TRUE((*b)->ReadConversationView("t", "global", "shared", now, "full", view).ok());
    ASSERT_TRUE((*b)->ReadConversation("t", "global", "shared", now, body).ok());
  };
  // B's listener connects in the background; until then it serves no hits.
  for (int i = 0; i < 200 && (*b)->listener_connects() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  auto write_then_read = [&](int round) {
    const int64_t before = c.update_time_us();
    c.set_update_time_us(before + 1);
    c.set_language_code(absl::StrCat("l", round));
    ASSERT_TRUE((*a)->UpdateConversation(c, before, {{"full", absl::StrCat("v", round)}}).ok());
    std::string view;
    core::Conversation body;
    read_on_b(&view, &body);
    EXPECT_EQ(view, absl::StrCat("v", round)) << "round " << round;
    EXPECT_EQ(body.language_code(), absl::StrCat("l", round)) << "round " << round;
  };
  std::string view;
  core::Conversation body;
  // Reads until B serves from its cache (a read that raced with the
  // notification of a write does not insert: ADR 0007's generation rule).
  auto hits_again = [&] {
    const int64_t hits = (*b)->view_cache_stats().hits;
    for (int i = 0; i < 50 && (*b)->view_cache_stats().hits == hits; ++i) {
      read_on_b(&view, &body);
      if (i > 1) absl::SleepFor(absl::Milliseconds(5));
    }
    return (*b)->view_cache_stats().hits > hits;
  };
  EXPECT_TRUE(hits_again()) << "B does not cache";
  EXPECT_EQ(view, "v0");
  for (int round = 1; round <= 100; ++round) {
    // Half the rounds with round trips, half (once B holds its view lease,
    // ADR 0050) without them: then A waits for B instead.
    if (round == 51) {
      EXPECT_TRUE(WaitForViewLease(**b)) << "B never took its view lease";
    }
    write_then_read(round);
    if (round % 10 == 0) EXPECT_TRUE(hits_again()) << "round " << round;  // cached again
    read_on_b(&view, &body);
  }

  // Cut every listen connection, then write at once: the notification of
  // this write reaches no node.
  const int64_t connects = (*b)->listener_connects();
  EXPECT_GE(std::stoi(Admin(absl::StrCat(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '",
                schema_, "' AND query LIKE '%parley_views%'"))),
            2);
  write_then_read(101);
  for (int i = 0; i < 500 && (*b)->listener_connects() == connects; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GT((*b)->listener_connects(), connects) << "B's listener did not reconnect";
  for (int round = 102; round <= 110; ++round) {
    read_on_b(&view, &body);
    write_then_read(round);
  }
  EXPECT_TRUE(hits_again()) << "B serves no hits since it listens again";

  ASSERT_TRUE((*a)->DeleteConversation("t", "global", "shared", /*force=*/true).ok());
  EXPECT_EQ((*b)->ReadConversationView("t", "global", "shared", now, "full", &view).code(),
            absl::StatusCode::kNotFound);
}

// The same without waiting (ReadCachedConversationView, what an Insights GET
// on PostgreSQL uses, ADR 0038): a cached view comes back only after the
// listener's round trip, so a write on A is never answered on B with the
// view B cached before it; also right after B's listen connection was cut.
// Without the round trip (the first lookup's copy served) round 1 fails.
TEST_F(PostgresStoreTest, ACachedReadThatDoesNotWaitServesNoStaleView) {
  auto a = OpenCachingNode();
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = OpenCachingNode();
  ASSERT_TRUE(b.ok()) << b.status();
  core::Conversation c = Conv("t", "shared");
  ASSERT_TRUE((*a)->CreateConversation(c, {{"full", "v0"}}, nullptr).ok());
  const int64_t now = 2000;
  for (int i = 0; i < 200 && (*b)->listener_connects() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  // B's answer without waiting: the view, "" (not served: read the
  // database), or "-" (no copy, not taken).
  auto cached_on_b = [&]() -> std::string {
    absl::Notification answered;
    std::optional<std::string> got;
    Store::CachedViewDone done = [&](std::optional<std::string> body) {
      got = std::move(body);
      answered.Notify();
    };
    if (!(*b)->ReadCachedConversationView("t", "global", "shared", now, "full", done)) return "-";
    EXPECT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(5)));
    return got.value_or("");
  };
  // B reads through the database (and caches) until it serves `want` without waiting.
  auto warm = [&](const std::string& want) {
    for (int i = 0; i < 50; ++i) {
      std::string view;
      EXPECT_TRUE((*b)->ReadConversationView("t", "global", "shared", now, "full", &view).ok());
      EXPECT_EQ(view, want);
      const std::string got = cached_on_b();
      if (got == want) return true;
      EXPECT_TRUE(got == "" || got == "-") << got;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  };
  auto write = [&](int round) {
    const int64_t before = c.update_time_us();
    c.set_update_time_us(before + 1);
    ASSERT_TRUE((*a)->UpdateConversation(c, before, {{"full", absl::StrCat("v", round)}}).ok());
  };
  EXPECT_TRUE(warm("v0")) << "B serves no cached view without waiting";
  int warmed = 0;
  for (int round = 1; round <= 60; ++round) {
    write(round);
    const std::string got = cached_on_b();
    EXPECT_TRUE(got == "" || got == "-") << "round " << round << ": B served " << got;
    if (warm(absl::StrCat("v", round))) ++warmed;
  }
  EXPECT_GE(warmed, 30) << "B rarely serves its cache without waiting";

  // Cut every listen connection, then write at once: that notification is lost.
  EXPECT_TRUE(warm("v60"));
  EXPECT_GE(std::stoi(Admin(absl::StrCat(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '",
                schema_, "' AND query LIKE '%parley_views%'"))),
            2);
  write(61);
  for (int i = 0; i < 20; ++i) {
    const std::string got = cached_on_b();
    EXPECT_TRUE(got == "" || got == "-" || got == "v61") << "after the cut: B served " << got;
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(warm("v61")) << "B serves no cache since it listens again";
}

// Round trips are pipelined and shared (ADR 0040): one answers every read
// that arrived before it was sent, and a read that arrives while others are
// on the way waits for the next one sent, never for one already under way.
// Under concurrency (two writers on A, bursts of reads in flight on B at
// once) every write acknowledged on A before a read on B began is seen by
// that read, whichever round trip answers it; and reads share round trips.
// Answering a read without a round trip serves stale views here at once;
// answering it with one sent before it arrived could too, but that race is
// too narrow to count on within the test's time.
TEST_F(PostgresStoreTest, ConcurrentCachedReadsSeeEveryWriteAcknowledgedBeforeThem) {
  auto a = OpenCachingNode();
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = OpenCachingNode();
  ASSERT_TRUE(b.ok()) << b.status();
  constexpr int kConvs = 6;
  std::vector<core::Conversation> convs;
  for (int i = 0; i < kConvs; ++i) {
    convs.push_back(Conv("t", absl::StrCat("c", i)));
    ASSERT_TRUE((*a)->CreateConversation(convs.back(), {{"full", "v0"}}, nullptr).ok());
  }
  for (int i = 0; i < 200 && (*b)->listener_connects() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  const int64_t now = 2000;
  const std::string ids[kConvs] = {"c0", "c1", "c2", "c3", "c4", "c5"};
  // The version of each conversation's view last acknowledged by A.
  std::atomic<int64_t> acked[kConvs];
  for (auto& v : acked) v.store(0);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> writes{0}, stale{0}, from_cache{0}, reads{0};
  auto version = [](const std::string& body) {
    int64_t v = -1;
    return body.size() > 1 && absl::SimpleAtoi(body.substr(1), &v) ? v : -1;
  };
  // A read served from B's cache (or, not served, from the database, which
  // also warms the cache) must be no older than what A acknowledged before.
  auto check = [&](int i, int64_t floor, const std::string& body) {
    if (version(body) < floor) {
      if (stale.fetch_add(1) < 5) ADD_FAILURE() << ids[i] << ": read " << body << " after v" << floor << " was acknowledged";
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int64_t round = 1; !stop.load(); ++round) {
        for (int i = w; i < kConvs; i += 2) {
          core::Conversation& c = convs[i];
          const int64_t before = c.update_time_us();
          c.set_update_time_us(before + 1);
          ASSERT_TRUE((*a)->UpdateConversation(c, before, {{"full", absl::StrCat("v", round)}}).ok());
          acked[i].store(round);  // acknowledged: every read that begins now must see it
          writes.fetch_add(1);
        }
        absl::SleepFor(absl::Microseconds(300));
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      for (int burst = 0; !stop.load(); ++burst) {
        // 16 reads in flight at once: they wait for round trips together.
        constexpr int kBurst = 16;
        absl::Mutex mu;
        int pending = 0;  // reads not answered yet
        std::vector<std::pair<int, int64_t>> misses;  // (conversation, floor): not from the cache
        for (int k = 0; k < kBurst; ++k) {
          const int i = (burst * kBurst + k + r) % kConvs;
          const int64_t floor = acked[i].load();  // before the read begins
          Store::CachedViewDone done = [&, i, floor](std::optional<std::string> body) {
            if (body) {
              check(i, floor, *body);
              from_cache.fetch_add(1);
            }
            absl::MutexLock lock(&mu);
            if (!body) misses.emplace_back(i, floor);
            --pending;
          };
          reads.fetch_add(1);
          {
            absl::MutexLock lock(&mu);
            ++pending;
          }
          if (!(*b)->ReadCachedConversationView("t", "global", ids[i], now, "full", done)) {
            absl::MutexLock lock(&mu);  // not cached: `done` is not called
            misses.emplace_back(i, floor);
            --pending;
          }
        }
        const bool all_answered =
            mu.LockWhenWithTimeout(absl::Condition(+[](int* n) { return *n == 0; }, &pending), absl::Seconds(5));
        mu.Unlock();
        if (!all_answered) {
          ADD_FAILURE() << "a cached read was not answered in 5 s";
          std::abort();  // its callback still refers to this frame
        }
        for (auto [i, floor] : misses) {
          std::string body;
          ASSERT_TRUE((*b)->ReadConversationView("t", "global", ids[i], now, "full", &body).ok());
          check(i, floor, body);
        }
      }
    });
  }
  // B joins while the writes go on: first it serves after round trips, then
  // (once it holds its view lease, ADR 0050) without them, A's writes
  // waiting for B's answers instead.
  absl::SleepFor(absl::Milliseconds(1500));
  const int64_t round_trips_joining = (*b)->listener_round_trips();
  const int64_t from_cache_joining = from_cache.load();
  EXPECT_TRUE(WaitForViewLease(**b)) << "B never took its view lease";
  const int64_t round_trips_fast = (*b)->listener_round_trips();
  const int64_t from_cache_fast = from_cache.load();
  const int64_t awaited = (*a)->listener_awaited();
  absl::SleepFor(absl::Milliseconds(1500));
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_GE(writes.load(), 100) << "too few writes to race with";
  EXPECT_GE(from_cache_joining, 500) << "B rarely served its cache (of " << reads.load() << " reads)";
  EXPECT_LT(round_trips_joining, from_cache_joining / 2) << "reads do not share round trips";
  EXPECT_GE(from_cache.load() - from_cache_fast, 500) << "B rarely served its cache while holding its lease";
  EXPECT_LT((*b)->listener_round_trips() - round_trips_fast, 5) << "B made round trips while holding its lease";
  EXPECT_GE((*a)->listener_awaited() - awaited, 50) << "A's writes did not wait for B";
}

// View leases (ADR 0050). B serves its cache without round trips while it
// holds its lease; then A's writes wait for B's answers. B killed (its
// listener ends with no goodbye): A's writes wait until B's lease has run
// out on PostgreSQL's clock (2 s), then no more. B stopping cleanly says
// goodbye: A's writes do not wait for it at all. A node with its cache off
// writes too, and waits for B all the same.
TEST_F(PostgresStoreTest, WritesWaitForLeaseholdersUntilTheyGoOrTheirLeaseRunsOut) {
  PostgresStoreOptions no_cache;
  auto a = PostgresStore::Open(SchemaUrl(schema_), no_cache);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = OpenCachingNode();
  ASSERT_TRUE(b.ok()) << b.status();
  core::Conversation c = Conv("t", "leased");
  ASSERT_TRUE((*a)->CreateConversation(c, {{"full", "v0"}}, nullptr).ok());
  ASSERT_TRUE(WaitForViewLease(**b)) << "B never took its view lease";
  EXPECT_FALSE((*a)->listener_fast()) << "a node without a cache holds no lease";
  const int64_t now = 2000;
  auto write = [&](int round) {
    const int64_t before = c.update_time_us();
    c.set_update_time_us(before + 1);
    const absl::Time start = absl::Now();
    EXPECT_TRUE((*a)->UpdateConversation(c, before, {{"full", absl::StrCat("v", round)}}).ok());
    return absl::Now() - start;
  };
  std::string view;
  const int64_t round_trips = (*b)->listener_round_trips();
  for (int round = 1; round <= 40; ++round) {
    ASSERT_TRUE((*b)->ReadConversationView("t", "global", "leased", now, "full", &view).ok());  // warm
    write(round);
    ASSERT_TRUE((*b)->ReadConversationView("t", "global", "leased", now, "full", &view).ok());
    EXPECT_EQ(view, absl::StrCat("v", round)) << "round " << round;
  }
  EXPECT_GE((*b)->view_cache_stats().hits, 20) << "B does not serve its cache";
  EXPECT_LT((*b)->listener_round_trips() - round_trips, 5) << "B's hits made round trips";
  EXPECT_GE((*a)->listener_awaited(), 40) << "A's writes did not wait for B";

  // Killed: the first write waits for B's lease to run out, the next do not.
  (*b)->AbandonListenerForTest();
  const absl::Duration first = write(41);
  EXPECT_LT(first, absl::Seconds(4)) << "A waited for a dead node past its lease";
  EXPECT_LT(write(42), absl::Milliseconds(500));
  (*b)->Close();

  // A node that stops cleanly is not waited for.
  auto b2 = OpenCachingNode();
  ASSERT_TRUE(b2.ok()) << b2.status();
  ASSERT_TRUE(WaitForViewLease(**b2));
  const int64_t awaited = (*a)->listener_awaited();
  write(43);
  EXPECT_GT((*a)->listener_awaited(), awaited) << "A's write did not wait for B2";
  (*b2)->Close();
  EXPECT_LT(write(44), absl::Milliseconds(500)) << "A waited for a node that said goodbye";
  (*a)->Close();
}

// A leaseholder that missed a write's notification (its listen connection
// was cut, and the database refused it a new one until after the write had
// committed) never answers the write itself: the writer's marks, sent while
// it waits, are answered once the node listens again, long before its lease
// would run out. Without the marks the write waits for the lease (~2 s).
TEST_F(PostgresStoreTest, ANodeThatMissedAWriteAnswersItsMarks) {
  const std::string role = schema_ + "_b";
  auto a = OpenCachingNode();
  ASSERT_TRUE(a.ok()) << a.status();
  Admin(absl::StrCat("CREATE ROLE ", role, " LOGIN SUPERUSER"));
  PostgresStoreOptions options;
  options.view_cache_bytes = 8 << 20;
  auto b = PostgresStore::Open(SchemaUrl(schema_, role), options);
  ASSERT_TRUE(b.ok()) << b.status();
  core::Conversation c = Conv("t", "missed");
  ASSERT_TRUE((*a)->CreateConversation(c, {{"full", "v0"}}, nullptr).ok());
  ASSERT_TRUE(WaitForViewLease(**b)) << "B never took its view lease";
  const int64_t now = 2000;
  std::string view;
  ASSERT_TRUE((*b)->ReadConversationView("t", "global", "missed", now, "full", &view).ok());  // cached

  Admin(absl::StrCat("ALTER ROLE ", role, " NOLOGIN"));
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '",
                               role, "' AND query LIKE '%parley_views%'")),
            "1");
  std::thread let_in([&] {
    absl::SleepFor(absl::Milliseconds(300));
    Admin(absl::StrCat("ALTER ROLE ", role, " LOGIN"));
  });
  const absl::Time start = absl::Now();
  c.set_update_time_us(c.update_time_us() + 1);
  EXPECT_TRUE((*a)->UpdateConversation(c, c.update_time_us() - 1, {{"full", "v1"}}).ok());
  const absl::Duration took = absl::Now() - start;
  let_in.join();
  EXPECT_GE(took, absl::Milliseconds(250)) << "A did not wait for B";
  EXPECT_LT(took, absl::Milliseconds(1500)) << "A waited for B's lease instead of its answer to a mark";
  ASSERT_TRUE((*b)->ReadConversationView("t", "global", "missed", now, "full", &view).ok());
  EXPECT_EQ(view, "v1");
  (*b)->Close();
  (*a)->Close();
  Admin(absl::StrCat("DROP SCHEMA ", schema_, " CASCADE; DROP ROLE ", role));
}

// While the database refuses the store's connections every call fails with
// UNAVAILABLE and changes nothing; once it accepts them again calls work
// without a restart of the store.
TEST_F(PostgresStoreTest, ALostDatabaseIsUnavailableUntilItComesBack) {
  const std::string role = schema_ + "_r";
  Admin(absl::StrCat("CREATE ROLE ", role, " LOGIN SUPERUSER"));
  auto store = OpenStore(SchemaUrl(schema_, role));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreateConversation(Conv("t", "before")).ok());

  Admin(absl::StrCat("ALTER ROLE ", role, " NOLOGIN"));
  TerminateBackends();
  EXPECT_EQ((*store)->CreateConversation(Conv("t", "during")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->GetConversation("t", "global", "before", 0).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->ListConversations(core::ConversationQuery{.tenant = "t", .page_size = 10}).status().code(),
            absl::StatusCode::kUnavailable);

  Admin(absl::StrCat("ALTER ROLE ", role, " LOGIN"));
  EXPECT_TRUE((*store)->GetConversation("t", "global", "before", 0).ok());
  EXPECT_EQ((*store)->GetConversation("t", "global", "during", 0).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE((*store)->CreateConversation(Conv("t", "after")).ok());
  (*store)->Close();
  Admin(absl::StrCat("DROP SCHEMA ", schema_, " CASCADE; DROP ROLE ", role));
}

// Operations claimed by nodes for a lease (ADR 0022): one node holds an
// operation until its lease ends; then another may take it, and the first
// learns it lost it when renewing. Finished operations are never claimed.
TEST_F(PostgresStoreTest, OperationsAreClaimedByOneNodeForALease) {
  auto a = OpenStore(SchemaUrl(schema_));
  auto b = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->SharesOperations());
  for (const char* id : {"op1", "op2", "op3"}) {
    core::Operation op;
    op.set_tenant("t");
    op.set_id(id);
    op.set_create_time_us(id[2]);
    if (std::string(id) == "op3") op.set_state(core::OPERATION_SUCCEEDED);
    ASSERT_TRUE((*a)->CreateOperation(op).ok());
  }
  auto claimed = (*a)->ClaimOperation("t", "op1", "node-a", 100, 1000);
  ASSERT_TRUE(claimed.ok() && *claimed);
  EXPECT_FALSE(*(*b)->ClaimOperation("t", "op1", "node-b", 500, 1500));  // held until 1000
  EXPECT_FALSE(*(*b)->ClaimOperation("t", "op3", "node-b", 500, 1500));  // finished
  // node-b polls: only op2 is free.
  auto polled = (*b)->ClaimOperations("node-b", 500, 1500, 10);
  ASSERT_TRUE(polled.ok()) << polled.status();
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].id(), "op2");
  // node-a renews op1; node-b still cannot take it.
  auto lost = (*a)->RenewOperationLeases("node-a", {{"t", "op1"}}, 2000);
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(lost->empty());
  EXPECT_TRUE((*b)->ClaimOperations("node-b", 1500, 2500, 10)->size() == 1);  // its own op2 again
  // node-a stops renewing: after 2000 node-b takes op1, and node-a hears so.
  auto taken = (*b)->ClaimOperations("node-b", 2001, 3000, 10);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 2u);
  lost = (*a)->RenewOperationLeases("node-a", {{"t", "op1"}}, 4000);
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ(lost->size(), 1u);
  (*a)->Close();
  (*b)->Close();
}

// JobQueue::ClaimFree on a shared store: a node's claim polls return its own
// unfinished operations, so a poll whose query ran just before this node
// stored the end of an operation it ran (cancelled from another node) hands
// back a stale, unfinished copy with cancel_requested. Ending that copy again
// overwrote the stored end time (seen in CI as crash-pg/cancel_across_nodes).
// The hook lands the real end between the poll's query and its handling.
TEST_F(PostgresStoreTest, AStaleClaimPollDoesNotEndACancelledOperationAgain) {
  auto a = OpenStore(SchemaUrl(schema_));
  auto b = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(a.ok() && b.ok());
  auto queue = std::make_unique<jobs::JobQueue>(a->get(), 1);
  queue->ShareOperations("node-a", 60'000'000);
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};  // the runner stops only once the hook says so
  queue->SetRunner(core::Operation::kAnalyze, [&](jobs::JobContext& ctx) {
    started = true;
    while (!(ctx.should_stop() && release)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return absl::OkStatus();
  });
  std::string id;
  std::atomic<bool> stale_seen{false};
  int64_t ended_at = 0;
  queue->SetClaimPollHookForTest([&](const std::vector<core::Operation>& polled) {
    for (const core::Operation& op : polled) {
      if (op.id() != id || !op.cancel_requested() || stale_seen) continue;
      // The poll saw it running with the cancel asked. Now end it for real
      // (as the node's own lease renewal would have), before the poll is handled.
      stale_seen = true;
      release = true;
      ASSERT_TRUE(queue->Cancel("t1", id).ok());
      for (int tries = 0; tries < 500; ++tries) {
        absl::StatusOr<core::Operation> now = (*b)->GetOperation("t1", id);
        if (now.ok() && now->state() == core::OPERATION_CANCELLED) {
          ended_at = now->end_time_us();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ADD_FAILURE() << "the operation did not end after its cancel";
    }
  });
  ASSERT_TRUE(queue->Start().ok());
  core::Operation op;
  op.set_tenant("t1");
  op.set_location("us");
  op.mutable_analyze()->set_conversation_id("c1");
  absl::StatusOr<core::Operation> submitted = queue->Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  id = submitted->id();
  for (int tries = 0; !started && tries < 1000; ++tries) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(started);
  // Cancelled from another node: only the stored request, seen by polls.
  ASSERT_TRUE((*b)->RequestOperationCancel("t1", id).ok());
  for (int tries = 0; !stale_seen && tries < 1000; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(stale_seen) << "no claim poll returned the running operation with its cancel";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll handled, and more polls
  absl::StatusOr<core::Operation> stored = (*b)->GetOperation("t1", id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->state(), core::OPERATION_CANCELLED);
  EXPECT_GT(ended_at, 0);
  EXPECT_EQ(stored->end_time_us(), ended_at) << "the stale copy was ended again";
  queue->Shutdown();
  queue.reset();
  (*a)->Close();
  (*b)->Close();
}

// An operation submitted on a node is stored held by it (JobQueue::Submit):
// no other node's claim poll can take it before its lease ends, even before
// the node has queued it; then it is free like any other. On a store that
// does not share operations the claim is ignored.
TEST_F(PostgresStoreTest, AnOperationCreatedHeldIsOnlyItsNodesUntilTheLeaseEnds) {
  auto a = OpenStore(SchemaUrl(schema_));
  auto b = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(a.ok() && b.ok());
  core::Operation op;
  op.set_tenant("t");
  op.set_id("held");
  op.set_create_time_us(1);
  ASSERT_TRUE((*a)->CreateHeldOperation(op, "node-a", 1000).ok());
  EXPECT_EQ((*a)->CreateHeldOperation(op, "node-a", 1000).code(), absl::StatusCode::kAlreadyExists);
  auto polled = (*b)->ClaimOperations("node-b", 500, 1500, 10);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_TRUE(polled->empty());
  EXPECT_FALSE(*(*b)->ClaimOperation("t", "held", "node-b", 999, 1500));
  // Its node renews it as any of its claims, and still holds it.
  auto lost = (*a)->RenewOperationLeases("node-a", {{"t", "held"}}, 2000);
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(lost->empty());
  EXPECT_TRUE(*(*a)->ClaimOperation("t", "held", "node-a", 1500, 2000));
  // Not renewed past 2000: node-b takes it.
  polled = (*b)->ClaimOperations("node-b", 2001, 3000, 10);
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].id(), "held");
  auto got = (*a)->GetOperation("t", "held");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->create_time_us(), 1);
  (*a)->Close();
  (*b)->Close();
}

// A cancel asked on another node (ADR 0022): kept beside the operation's
// body, so the holder's progress writes do not undo it; the holder hears it
// when renewing, a node claiming the operation sees cancel_requested, and a
// finished operation is left as it is.
TEST_F(PostgresStoreTest, ACancelAskedElsewhereReachesTheHolder) {
  auto a = OpenStore(SchemaUrl(schema_));
  auto b = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* id : {"run", "free", "over"}) {
    core::Operation op;
    op.set_tenant("t");
    op.set_id(id);
    if (std::string(id) == "over") op.set_state(core::OPERATION_SUCCEEDED);
    ASSERT_TRUE((*a)->CreateOperation(op).ok());
  }
  ASSERT_TRUE(*(*a)->ClaimOperation("t", "run", "node-a", 100, 1000));
  std::vector<std::pair<std::string, std::string>> cancels;
  ASSERT_TRUE((*a)->RenewOperationLeases("node-a", {{"t", "run"}}, 1000, &cancels).ok());
  EXPECT_TRUE(cancels.empty());
  auto asked = (*b)->RequestOperationCancel("t", "run");
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_TRUE(asked->cancel_requested());
  // node-a rewrites the body (progress): the request stands.
  core::Operation progress = *(*a)->GetOperation("t", "run");
  progress.set_state(core::OPERATION_RUNNING);
  ASSERT_TRUE((*a)->UpdateOperation(progress).ok());
  ASSERT_TRUE((*a)->RenewOperationLeases("node-a", {{"t", "run"}}, 2000, &cancels).ok());
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0], std::make_pair(std::string("t"), std::string("run")));
  // An operation nobody holds: the node that claims it sees the request.
  ASSERT_TRUE((*b)->RequestOperationCancel("t", "free").ok());
  auto claimed = (*b)->ClaimOperations("node-b", 500, 1500, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].id(), "free");
  EXPECT_TRUE((*claimed)[0].cancel_requested());
  // Finished: unchanged; absent: NOT_FOUND.
  auto over = (*b)->RequestOperationCancel("t", "over");
  ASSERT_TRUE(over.ok());
  EXPECT_FALSE(over->cancel_requested());
  EXPECT_EQ((*b)->RequestOperationCancel("t", "none").status().code(), absl::StatusCode::kNotFound);
  (*a)->Close();
  (*b)->Close();
}

// Fenced operation writes (Store::FenceOperationWrites, ADR 0022): a node
// whose lease ran out and whose operation another node took over writes
// nothing of it any more, neither the operation nor an analysis with it;
// operations nobody holds, and the new holder's, stay writable.
TEST_F(PostgresStoreTest, ANodeThatLostItsLeaseWritesNothingOfTheOperation) {
  auto a = OpenStore(SchemaUrl(schema_));
  auto b = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->FenceOperationWrites("node-a");
  (*b)->FenceOperationWrites("node-b");
  ASSERT_TRUE((*a)->CreateConversation(Conv("t", "c1")).ok());
  for (const char* id : {"job", "free"}) {
    core::Operation op;
    op.set_tenant("t");
    op.set_id(id);
    op.set_create_time_us(id[0]);
    ASSERT_TRUE((*a)->CreateOperation(op).ok());
  }
  ASSERT_TRUE(*(*a)->ClaimOperation("t", "job", "node-a", 100, 1000));
  core::Operation progress = *(*a)->GetOperation("t", "job");
  progress.set_state(core::OPERATION_RUNNING);
  progress.set_update_time_us(200);
  ASSERT_TRUE((*a)->UpdateOperation(progress).ok());  // while node-a holds it
  // node-a pauses past its lease; node-b takes the operation over.
  ASSERT_TRUE(*(*b)->ClaimOperation("t", "job", "node-b", 2000, 3000));
  core::Operation late = progress;
  late.set_state(core::OPERATION_SUCCEEDED);
  late.set_update_time_us(2500);
  absl::Status s = (*a)->UpdateOperation(late);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_NE(s.message().find("node-b"), std::string_view::npos) << s;
  core::Analysis analysis;
  analysis.set_tenant("t");
  analysis.set_scope("global");
  analysis.set_conversation_id("c1");
  analysis.set_id("from-a");
  analysis.set_create_time_us(2500);
  s = (*a)->PutAnalysis(analysis, &late);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  // Nothing of node-a's late writes is stored.
  auto stored = (*b)->GetOperation("t", "job");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), core::OPERATION_RUNNING);
  EXPECT_EQ(stored->update_time_us(), 200);
  EXPECT_EQ((*b)->GetAnalysis("t", "global", "c1", "from-a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".analyses")), "0");
  // The new holder writes; so does anyone an operation nobody holds; an
  // absent operation is NOT_FOUND, fenced or not.
  core::Operation finished = progress;
  finished.set_state(core::OPERATION_SUCCEEDED);
  finished.set_update_time_us(2600);
  analysis.set_id("from-b");
  ASSERT_TRUE((*b)->PutAnalysis(analysis, &finished).ok());
  EXPECT_EQ((*a)->GetOperation("t", "job")->update_time_us(), 2600);
  core::Operation free = *(*a)->GetOperation("t", "free");
  free.set_update_time_us(2700);
  EXPECT_TRUE((*a)->UpdateOperation(free).ok());
  core::Operation none;
  none.set_tenant("t");
  none.set_id("none");
  EXPECT_EQ((*a)->UpdateOperation(none).code(), absl::StatusCode::kNotFound);
  (*a)->Close();
  (*b)->Close();
}

// Creates are committed in groups (ADR 0035): a group with a taken key in
// it fails only that create; the others of its group are stored, each once.
TEST_F(PostgresStoreTest, ATakenKeyFailsOnlyItsOwnCreateInAGroup) {
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreateConversation(Conv("t", "taken")).ok());
  constexpr int kCreates = 200;
  std::vector<core::Conversation> convs;
  for (int i = 0; i < kCreates; ++i) convs.push_back(Conv("t", i % 50 == 7 ? "taken" : absl::StrCat("n", i)));
  for (core::Conversation& c : convs) (*c.mutable_labels())["queue"] = "billing";
  const ConversationViews views = {{"full", "rendered"}};
  std::vector<absl::Status> results(kCreates);
  std::atomic<int> finished{0};
  for (int i = 0; i < kCreates; ++i) {
    (*store)->CreateConversationAsync(convs[i], views, [&, i](absl::Status s) {
      results[i] = std::move(s);
      finished++;
    });
  }
  while (finished.load() < kCreates) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int i = 0; i < kCreates; ++i) {
    if (convs[i].id() == "taken") {
      EXPECT_EQ(results[i].code(), absl::StatusCode::kAlreadyExists) << results[i];
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    }
  }
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".conversations")), "197");
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".conversation_labels")), "196");
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".conversation_views")), "196");
  (*store)->Close();
}

// Without foreign keys (schema version 3) the store deletes a
// conversation's rows itself: a delete, the expiry sweep and a create over
// an expired namesake leave no row of the old conversation behind.
TEST_F(PostgresStoreTest, DeletesLeaveNoRowsOfTheConversationBehind) {
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  auto full = [](const std::string& id, int64_t expire) {
    core::Conversation c = Conv("t", id);
    c.add_agent_ids("agent-1");
    (*c.mutable_labels())["queue"] = "billing";
    c.set_expire_time_us(expire);
    return c;
  };
  const ConversationViews views = {{"full", "rendered"}};
  for (const char* id : {"deleted", "swept", "replaced", "kept"}) {
    const bool kept = std::string(id) == "kept";
    ASSERT_TRUE((*store)->CreateConversation(full(id, kept ? 0 : 5000), views).ok());
    if (kept) continue;  // (an analysis drops the stored views: "kept" keeps them)
    core::Analysis a;
    a.set_tenant("t");
    a.set_scope("global");
    a.set_conversation_id(id);
    a.set_id("a1");
    a.set_create_time_us(2000);
    ASSERT_TRUE((*store)->PutAnalysis(a, nullptr).ok()) << id;
  }
  ASSERT_TRUE((*store)->DeleteConversation("t", "global", "deleted", /*force=*/true).ok());
  core::Conversation again = Conv("t", "replaced");  // no labels, agents, views
  again.set_create_time_us(6000);
  again.set_update_time_us(6000);
  ASSERT_TRUE((*store)->CreateConversation(again).ok());  // the expired namesake is swept
  auto swept = (*store)->DeleteExpiredConversations(7000);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);  // "swept"
  auto ids = [&](const std::string& table) {
    const char* column = table == "conversations" ? "id" : "conv_id";
    return Admin(absl::StrCat("SELECT string_agg(", column, ", ',' ORDER BY ", column, ") FROM ",
                              schema_, ".", table));
  };
  EXPECT_EQ(ids("conversations"), "kept,replaced");
  EXPECT_EQ(ids("conversation_labels"), "kept");
  EXPECT_EQ(ids("conversation_agents"), "kept");
  EXPECT_EQ(ids("conversation_views"), "kept");
  EXPECT_EQ(ids("analyses"), "");
  (*store)->Close();
}

// Schema version 4 gave label rows their conversation's create_time and the
// label-led index (ADR 0036): a database at version 3 with labelled
// conversations migrates in place, and label filters (alone and with an
// agent) then return what they returned before, page by page.
TEST_F(PostgresStoreTest, MigratesVersion3LabelsToTheLabelIndex) {
  std::vector<std::string> billing, agent_billing;  // tenant t's, newest first
  {
    auto store = OpenStore(SchemaUrl(schema_));
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 30; ++i) {
      for (const char* tenant : {"t", "u"}) {
        core::Conversation c = Conv(tenant, absl::StrCat("c", i));
        c.set_create_time_us(1000 + i / 2);
        c.set_scope(i % 2 ? "us" : "eu");
        c.add_agent_ids(i % 4 ? "ann" : "bob");
        (*c.mutable_labels())["queue"] = i % 3 == 0 ? "billing" : "sales";
        (*c.mutable_labels())["site"] = "pune";
        ASSERT_TRUE((*store)->CreateConversation(c).ok());
      }
      if (i % 3 == 0) billing.insert(billing.begin(), absl::StrCat("c", i));
      if (i % 3 == 0 && i % 4) agent_billing.insert(agent_billing.begin(), absl::StrCat("c", i));
    }
    (*store)->Close();
  }
  // Back to what version 3 wrote (dropping label_hashes drops version 5's
  // agents index; version 6's cancel column and version 7's table go too).
  Admin(absl::StrCat("DROP INDEX ", schema_, ".conversation_labels_by_create_time; ALTER TABLE ", schema_,
                     ".conversation_labels DROP COLUMN create_time; ALTER TABLE ", schema_,
                     ".conversation_agents DROP COLUMN label_hashes; ALTER TABLE ", schema_, ".operations DROP COLUMN cancel_requested; DROP FUNCTION ", schema_,
                     ".parley_label_hash; CREATE INDEX conversation_agents_by_create_time ON ", schema_,
                     ".conversation_agents (tenant, agent_id, create_time, conv_id); DROP TABLE ", schema_,
                     ".parley_view_nodes; DELETE FROM ", schema_,
                     ".parley_schema_migrations WHERE version >= 4"));
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Admin(absl::StrCat("SELECT max(version) FROM ", schema_, ".parley_schema_migrations")),
            std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".conversation_labels l JOIN ", schema_,
                               ".conversations c ON c.tenant = l.tenant AND c.scope = l.scope AND c.id = l.conv_id"
                               " WHERE l.create_time = c.create_time")),
            "120");
  // Version 5: every agents row carries its conversation's label hashes.
  EXPECT_EQ(Admin(absl::StrCat("SELECT count(*) FROM ", schema_, ".conversation_agents a WHERE a.label_hashes = ARRAY(",
                               "SELECT ", schema_, ".parley_label_hash(l.key, l.value) FROM ", schema_,
                               ".conversation_labels l WHERE l.tenant = a.tenant AND l.scope = a.scope"
                               " AND l.conv_id = a.conv_id) AND cardinality(a.label_hashes) = 2")),
            "60");
  auto list = [&](core::Condition cond) {
    core::ConversationQuery q;
    q.tenant = "t";
    q.page_size = 3;
    q.condition = std::move(cond);
    std::vector<std::string> got;
    for (int pages = 0; pages < 20; ++pages) {
      absl::StatusOr<ConversationPage> page = (*store)->ListConversations(q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const core::Conversation& c : page->conversations) got.push_back(c.id());
      if (!page->next.has_value()) break;
      q.after = page->next;
    }
    return got;
  };
  core::Condition label;
  label.column = core::ConversationColumn::kLabel;
  label.label_key = "queue";
  label.string_value = "billing";
  EXPECT_EQ(list(label), billing);
  core::Condition agent;
  agent.column = core::ConversationColumn::kAgentId;
  agent.string_value = "ann";
  core::Condition both;
  both.kind = core::Condition::Kind::kAnd;
  both.children = {label, agent};
  EXPECT_EQ(list(both), agent_billing);
  // New conversations get the copy too.
  core::Conversation later = Conv("t", "later");
  later.set_create_time_us(5000);
  (*later.mutable_labels())["queue"] = "billing";
  ASSERT_TRUE((*store)->CreateConversation(later).ok());
  billing.insert(billing.begin(), "later");
  EXPECT_EQ(list(label), billing);
  (*store)->Close();
}

// An agent-driven list checks labels on the agents entries' label hashes
// first (ADR 0039): a hash proves absence, a probe confirms presence, and a
// row without hashes (NULL) is probed. Results are the same whatever the
// stored hashes say: a colliding hash or a missing one changes no answer.
TEST_F(PostgresStoreTest, LabelHashesOnAgentRowsOnlyNarrowTheProbes) {
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t t = 1000;
  for (const char* id : {"billing", "sales", "none"}) {
    core::Conversation c = Conv("t", id);
    c.set_create_time_us(++t);
    c.add_agent_ids("ann");
    if (std::string(id) != "none") (*c.mutable_labels())["queue"] = id;
    ASSERT_TRUE((*store)->CreateConversation(c).ok());
  }
  std::vector<ConversationDump> batch(1);
  batch[0].conversation = Conv("t", "loaded");
  batch[0].conversation.set_create_time_us(++t);
  batch[0].conversation.add_agent_ids("ann");
  (*batch[0].conversation.mutable_labels())["queue"] = "billing";
  ASSERT_TRUE((*store)->LoadConversations(batch).ok());
  const std::string agents = absl::StrCat(schema_, ".conversation_agents");
  const std::string hash = absl::StrCat(schema_, ".parley_label_hash('queue', 'billing')");
  EXPECT_EQ(Admin(absl::StrCat("SELECT string_agg(conv_id || ':' || cardinality(label_hashes), ',' ORDER BY conv_id)"
                               " FROM ", agents, " WHERE label_hashes @> ARRAY[", hash, "] OR label_hashes = '{}'")),
            "billing:1,loaded:1,none:0");
  auto list = [&](core::CompareOp op) {
    core::Condition agent, label;
    agent.column = core::ConversationColumn::kAgentId;
    agent.string_value = "ann";
    label.column = core::ConversationColumn::kLabel;
    label.op = op;
    label.label_key = "queue";
    label.string_value = "billing";
    core::ConversationQuery q;
    q.tenant = "t";
    q.page_size = 10;
    q.condition = core::Condition();
    q.condition->kind = core::Condition::Kind::kAnd;
    q.condition->children = {agent, label};
    std::vector<std::string> got;
    absl::StatusOr<ConversationPage> page = (*store)->ListConversations(q);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const core::Conversation& c : page->conversations) got.push_back(c.id());
    }
    return absl::StrJoin(got, ",");
  };
  EXPECT_EQ(list(core::CompareOp::kEq), "loaded,billing");
  EXPECT_EQ(list(core::CompareOp::kNe), "none,sales");
  // A collision (sales's hashes hold billing's) and an unknown (NULL).
  Admin(absl::StrCat("UPDATE ", agents, " SET label_hashes = ARRAY[", hash, "] WHERE conv_id = 'sales';",
                     "UPDATE ", agents, " SET label_hashes = NULL WHERE conv_id IN ('billing', 'none')"));
  EXPECT_EQ(list(core::CompareOp::kEq), "loaded,billing");
  EXPECT_EQ(list(core::CompareOp::kNe), "none,sales");
  (*store)->Close();
}

// Every table and index leads with the tenant (ADR 0021: distributable by
// tenant), except `settings` (server secrets, a reference table), the
// migrations' bookkeeping and the running nodes' view leases (ADR 0050).
TEST_F(PostgresStoreTest, EveryKeyAndIndexLeadsWithTheTenant) {
  auto store = OpenStore(SchemaUrl(schema_));
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string offenders = Admin(absl::StrCat(
      "SELECT coalesce(string_agg(indexrelid::regclass::text, ','), '') FROM pg_index i"
      " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
      " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"
      " WHERE n.nspname = '", schema_, "' AND t.relname NOT IN ('settings', 'parley_schema_migrations', 'parley_view_nodes')"
      " AND a.attname <> 'tenant'"));
  EXPECT_EQ(offenders, "");
  EXPECT_GE(std::stoi(Admin(absl::StrCat(
                "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = '", schema_, "'"))),
            15);
}

}  // namespace
}  // namespace parley::store
