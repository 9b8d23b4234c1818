// The SQLite backend: the conformance suite plus SQLite-specific behaviour
// (schema versioning, WAL, group commit, query plans).
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/query_sql.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/wal_buffer_vfs.h"
#include "store/store_conformance.h"

namespace parley::store {
namespace {

using core::CompareOp;
using core::Condition;
using core::ConversationColumn;
using core::ConversationQuery;
using core::SortOrder;
using testing::MakeTempDir;
using testing::StoreBackend;
using testing::StoreConformanceTest;

std::unique_ptr<Store> OpenWithCache(const std::string& dir, size_t view_cache_bytes) {
  StoreOptions options;
  options.view_cache_bytes = view_cache_bytes;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir, options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::move(*store);
}

std::unique_ptr<Store> OpenForTest(const std::string& dir) { return OpenWithCache(dir, 32 << 20); }

// The same contract with every read going to the database.
std::unique_ptr<Store> OpenWithoutCache(const std::string& dir) { return OpenWithCache(dir, 0); }

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"sqlite", &OpenForTest},
                                           StoreBackend{"sqlite_nocache", &OpenWithoutCache}),
                         testing::BackendName);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string db_path() const { return dir_ + "/parley.db"; }

  // A raw connection to db_path() through the WAL-buffering VFS; null (and
  // a failure) if it cannot be opened.
  sqlite3* OpenThroughWalBufferVfs(int flags) const {
    const char* vfs = sqlite::WalBufferVfsName();
    sqlite3* db = nullptr;
    if (vfs == nullptr || sqlite3_open_v2(db_path().c_str(), &db, flags, vfs) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << db_path() << " through the WAL-buffering VFS";
      sqlite3_close(db);
      return nullptr;
    }
    return db;
  }

  // Runs `sql` on a separate raw connection and returns the first column of
  // the first row as text.
  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
        out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      }
    } else {
      ADD_FAILURE() << sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  // Runs the statements of `script` on a separate raw connection; the error
  // message, empty when they all ran.
  std::string RawExec(const std::string& script) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &err);
    std::string out = rc == SQLITE_OK ? "" : err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  std::string dir_;
};

core::Conversation Conv(const std::string& tenant, const std::string& id, int64_t t = 1000) {
  core::Conversation c;
  c.set_tenant(tenant);
  c.set_id(id);
  c.set_create_time_us(t);
  c.set_update_time_us(t);
  return c;
}

TEST_F(SqliteStoreTest, CreatesDataDirInWalModeAtCurrentVersion) {
  dir_ += "/nested/deeper";
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateConversation(Conv("t", "c")).ok());
    EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
    EXPECT_EQ(RawQuery("SELECT count(*) FROM conversations"), "1");
  }
  dir_ = std::filesystem::path(dir_).parent_path().parent_path().string();
}

// The store holds every tenant's data: what it creates is the owner's alone,
// whatever the umask; a database left 0644 by an older version is tightened.
// The writer and checkpointer threads carry names an operator's tools show
// (top -H, ps -L, perf), and are gone once the store is closed.
TEST_F(SqliteStoreTest, ItsThreadsAreNamed) {
  auto count = [](const std::string& wanted) {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      if (std::getline(comm, name) && name == wanted) ++n;
    }
    return n;
  };
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(count("parley-writer"), 1);
    EXPECT_EQ(count("parley-ckpt"), 1);
    EXPECT_EQ(count("parley-syncer"), 1);
  }
  EXPECT_EQ(count("parley-writer"), 0);
  EXPECT_EQ(count("parley-ckpt"), 0);
  EXPECT_EQ(count("parley-syncer"), 0);
}

TEST_F(SqliteStoreTest, CreatesPrivateDirectoriesAndFiles) {
  auto mode = [](const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  const mode_t old_umask = ::umask(0);
  const std::string data = dir_ + "/nested/data";
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(data);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateConversation(Conv("t", "c")).ok());
    EXPECT_EQ(mode(dir_ + "/nested"), 0700u);
    EXPECT_EQ(mode(data), 0700u);
    EXPECT_EQ(mode(data + "/parley.db"), 0600u);
    EXPECT_EQ(mode(data + "/parley.db-wal"), 0600u);
  }
  ASSERT_EQ(::chmod((data + "/parley.db").c_str(), 0644), 0);
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(data);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(mode(data + "/parley.db"), 0600u);
  }
  ::umask(old_umask);
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok());
  }
  RawQuery("PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion + 1));
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), absl::string_view::npos) << store.status();
}

TEST_F(SqliteStoreTest, RefusesForeignDatabase) {
  RawQuery("CREATE TABLE something (x)");
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndVersion) {
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateConversation(Conv("t", "c" + std::to_string(round))).ok());
    for (int k = 0; k <= round; ++k) {
      EXPECT_TRUE((*store)->GetConversation("t", "", "c" + std::to_string(k), 0).ok());
    }
  }
  EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
}

// An append is stored as a delta after the body (ADR 0032): the body row is
// not rewritten until the deltas reach the conversation's TailLimit (a count
// and a size), or an update changes what an append cannot express (here: a
// label).
TEST_F(SqliteStoreTest, AppendsAreDeltasUntilTheBodyIsWrittenWhole) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  core::Conversation c = Conv("t", "c");
  for (int i = 0; i < 40; ++i) c.add_messages()->set_text(std::string(200, 'a'));
  ASSERT_TRUE((*store)->CreateConversation(c).ok());
  const std::string body_size = RawQuery("SELECT length(body) FROM conversation_bodies");
  const int64_t pk = std::stoll(RawQuery("SELECT conv FROM conversation_bodies"));
  auto append = [&](const std::function<void(core::Conversation&)>& also = nullptr) {
    core::Conversation next = c;
    next.set_update_time_us(c.update_time_us() + 1);
    next.add_messages()->set_text("one more");
    if (also) also(next);
    ASSERT_TRUE((*store)->UpdateConversation(next, c.update_time_us()).ok());
    c = next;
  };
  for (int i = 0; i < 5; ++i) append();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "5");
  EXPECT_EQ(RawQuery("SELECT length(body) FROM conversation_bodies"), body_size);
  append([](core::Conversation& n) { (*n.mutable_labels())["k"] = "v"; });
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "0");
  // The count limit's deltas, then a whole write, then deltas again.
  const sqlite::TailLimit limit = sqlite::TailLimitOf(
      pk, std::stoul(RawQuery("SELECT length(body) FROM conversation_bodies")));
  ASSERT_GE(limit.count, sqlite::kMaxTails * 3 / 4);
  ASSERT_LE(limit.count, sqlite::kMaxTails);
  for (int i = 0; i < limit.count + 8; ++i) append();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "7");
  // Each delta row keeps the running total of the deltas' bytes (schema v10),
  // and the seqs run from 1.
  EXPECT_EQ(RawQuery("SELECT group_concat(seq, ',') FROM conversation_tails"), "1,2,3,4,5,6,7");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails t WHERE total != (SELECT"
                     " sum(length(u.delta)) FROM conversation_tails u WHERE u.conv = t.conv"
                     " AND u.seq <= t.seq)"),
            "0");
  // Deltas that would pass the size limit: the body is written whole.
  const size_t body_bytes = std::stoul(RawQuery("SELECT length(body) FROM conversation_bodies"));
  const size_t room = sqlite::TailLimitOf(pk, body_bytes).bytes -
                      std::stoul(RawQuery("SELECT sum(length(delta)) FROM conversation_tails"));
  append([&](core::Conversation& n) { n.add_messages()->set_text(std::string(room - 100, 'b')); });
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "8");
  append([&](core::Conversation& n) { n.add_messages()->set_text(std::string(100, 'c')); });
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "0");
  absl::StatusOr<core::Conversation> got = (*store)->GetConversation("t", "", "c", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, c));
}

// Conversations that grow in step do not all write their bodies whole at the
// same append (ADR 0049): the limits spread over their ranges, and a
// conversation's own limit does not change.
TEST(TailLimitTest, SpreadsOverItsRangesAndIsFixedPerConversation) {
  std::set<int64_t> counts;
  size_t lowest = SIZE_MAX, highest = 0;
  for (int64_t pk = 1; pk <= 1000; ++pk) {
    const sqlite::TailLimit limit = sqlite::TailLimitOf(pk, 100'000);
    EXPECT_GE(limit.count, sqlite::kMaxTails * 3 / 4);
    EXPECT_LE(limit.count, sqlite::kMaxTails);
    EXPECT_GE(limit.bytes, 100'000u);
    EXPECT_LT(limit.bytes, 200'000u);
    counts.insert(limit.count);
    lowest = std::min(lowest, limit.bytes);
    highest = std::max(highest, limit.bytes);
    EXPECT_EQ(sqlite::TailLimitOf(pk, 100'000).bytes, limit.bytes);
  }
  EXPECT_GE(counts.size(), 60u);  // of 64 possible
  EXPECT_LT(lowest, 102'000u);
  EXPECT_GT(highest, 198'000u);
}

// Schema v10 gave delta rows the running total of their conversation's
// deltas' bytes: a database written by v9 migrates in place with the totals
// filled in, and appends go on from them.
TEST_F(SqliteStoreTest, MigratesV9TailsToRunningTotals) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<core::Conversation> convs;
  for (int k = 0; k < 3; ++k) {
    core::Conversation c = Conv("t", "c" + std::to_string(k));
    for (int i = 0; i < 20; ++i) c.add_messages()->set_text(std::string(100, 'a'));
    ASSERT_TRUE((*store)->CreateConversation(c).ok());
    for (int i = 0; i < 5 + k; ++i) {
      core::Conversation next = c;
      next.set_update_time_us(c.update_time_us() + 1);
      next.add_messages()->set_text(std::string(10 + i, 'm'));
      ASSERT_TRUE((*store)->UpdateConversation(next, c.update_time_us()).ok());
      c = next;
    }
    convs.push_back(c);
  }
  (*store)->Close();
  store->reset();
  ASSERT_EQ(RawExec("ALTER TABLE conversation_tails DROP COLUMN total; PRAGMA user_version = 9;"), "");
  store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "18");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails t WHERE total != (SELECT"
                     " sum(length(u.delta)) FROM conversation_tails u WHERE u.conv = t.conv"
                     " AND u.seq <= t.seq)"),
            "0");
  for (core::Conversation& c : convs) {
    core::Conversation next = c;
    next.set_update_time_us(c.update_time_us() + 1);
    next.add_messages()->set_text("after");
    ASSERT_TRUE((*store)->UpdateConversation(next, c.update_time_us()).ok());
    absl::StatusOr<core::Conversation> got = (*store)->GetConversation("t", "", c.id(), 0);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, next));
  }
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails"), "21");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_tails t WHERE total != (SELECT"
                     " sum(length(u.delta)) FROM conversation_tails u WHERE u.conv = t.conv"
                     " AND u.seq <= t.seq)"),
            "0");
}

// An UPDATE rewrites the entry of every index on a column it sets, changed
// or not: an update of a conversation (a whole write or an append's delta)
// sets only the columns whose values changed, so an append leaves the
// create_time, start_time and expire_time indexes alone. A trigger per
// column (`AFTER UPDATE OF`, which fires when the column is set, whatever
// its value) records what each write set; the row ends with every value.
TEST_F(SqliteStoreTest, UpdatesSetOnlyTheColumnsThatChanged) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  core::Conversation c = Conv("t", "c");
  c.set_start_time_us(900);
  c.set_expire_time_us(int64_t{1} << 50);
  c.add_messages()->set_text("first");
  ASSERT_TRUE((*store)->CreateConversation(c).ok());
  std::string script = "CREATE TABLE set_log (n INTEGER PRIMARY KEY, col TEXT);";
  for (const char* col : {"create_time", "update_time", "start_time", "duration", "turn_count",
                          "medium", "language_code", "agent_id", "lifecycle", "stage", "source",
                          "profile", "app", "expire_time", "latest_analysis_id"}) {
    absl::StrAppend(&script, "CREATE TRIGGER set_", col, " AFTER UPDATE OF ", col,
                    " ON conversations BEGIN INSERT INTO set_log (col) VALUES ('", col, "'); END;");
  }
  ASSERT_EQ(RawExec(script), "");
  auto set = [&] {
    std::string cols = RawQuery("SELECT group_concat(col, ',') FROM (SELECT col FROM set_log ORDER BY col)");
    RawQuery("DELETE FROM set_log RETURNING 1");
    return cols;
  };
  // An append through a delta: a message and a later update time.
  core::Conversation tail;
  tail.set_update_time_us(2000);
  tail.add_messages()->set_text("second");
  core::Conversation next = c;
  next.MergeFrom(tail);
  ASSERT_TRUE((*store)->AppendConversation(next, c.update_time_us(), tail.SerializeAsString(), {}).ok());
  c = next;
  EXPECT_EQ(set(), "update_time");
  // A whole write that changes the duration, the turn count and the medium.
  next = c;
  next.set_update_time_us(3000);
  next.set_duration_us(5000);
  next.set_turn_count(7);
  next.set_medium(core::CHAT);
  ASSERT_TRUE((*store)->UpdateConversation(next, c.update_time_us()).ok());
  c = next;
  EXPECT_EQ(set(), "duration,medium,turn_count,update_time");
  // Nothing changed in the columns (the body did): nothing set.
  next = c;
  next.add_messages()->set_text("third");
  ASSERT_TRUE((*store)->UpdateConversation(next, c.update_time_us()).ok());
  c = next;
  EXPECT_EQ(set(), "");
  EXPECT_EQ(RawQuery("SELECT update_time || '/' || duration || '/' || turn_count || '/' || medium || '/'"
                     " || start_time || '/' || create_time || '/' || expire_time FROM conversations"),
            absl::StrCat("3000/5000/7/", int{core::CHAT}, "/900/1000/", int64_t{1} << 50));
  absl::StatusOr<core::Conversation> got = (*store)->GetConversation("t", "", "c", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got, c));
}

// Schema v4 keyed conversations by (tenant, scope, id): a database written
// by v3 (keyed by (tenant, id), the location beside it) migrates in place and
// its rows read back under scope = their location.
TEST_F(SqliteStoreTest, MigratesV3ConversationsToScopes) {
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    core::Conversation us = Conv("t", "c1");
    us.set_scope("us");
    ASSERT_TRUE((*store)->CreateConversation(us, {{"full", "US"}}).ok());
    core::Analysis a;
    a.set_tenant("t");
    a.set_scope("us");
    a.set_conversation_id("c1");
    a.set_id("an-1");
    a.set_create_time_us(2000);
    ASSERT_TRUE((*store)->PutAnalysis(a).ok());
    core::Conversation global = Conv("t", "c2");
    global.set_scope("global");
    ASSERT_TRUE((*store)->CreateConversation(global).ok());
    core::Operation op;
    op.set_tenant("t");
    op.set_id("op-1");
    op.set_location("us");
    op.mutable_knowledge_document()->set_knowledge_base_id("kb");
    ASSERT_TRUE((*store)->CreateOperation(op).ok());
  }
  // Back to what v3 wrote (the same rows, the v3 key and column name).
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db,
                           "DROP INDEX conversations_key;"
                           "ALTER TABLE conversations RENAME COLUMN scope TO location;"
                           "CREATE UNIQUE INDEX conversations_key ON conversations (tenant, id);"
                           "DROP TABLE audit_log;"
                           "DROP TABLE conversation_tails;"
                           "DROP INDEX conversation_labels_by_create_time;"
                           "ALTER TABLE conversation_labels DROP COLUMN tenant;"
                           "ALTER TABLE conversation_labels DROP COLUMN create_time;"
                           "ALTER TABLE conversation_labels DROP COLUMN id;"
                           "DROP INDEX conversations_idle;"
                           "DROP INDEX operations_by_job;"
                           "ALTER TABLE operations DROP COLUMN job;"
                           "PRAGMA user_version = 3;",
                           nullptr, nullptr, &err),
              SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  ASSERT_EQ(RawQuery("PRAGMA user_version"), "3");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT group_concat(name) FROM pragma_index_info('conversations_key')"),
            "tenant,scope,id");
  // v5 added the (empty) audit log.
  EXPECT_EQ(RawQuery("SELECT count(*) FROM audit_log"), "0");
  // v6 filled in the job case of the operations stored before.
  EXPECT_EQ(RawQuery("SELECT job FROM operations WHERE id = 'op-1'"),
            std::to_string(core::Operation::kKnowledgeDocument));
  absl::StatusOr<core::Conversation> c1 = (*store)->GetConversation("t", "us", "c1", 0);
  ASSERT_TRUE(c1.ok()) << c1.status();
  EXPECT_EQ(c1->scope(), "us");
  EXPECT_EQ(c1->latest_analysis_id(), "an-1");
  EXPECT_TRUE((*store)->GetAnalysis("t", "us", "c1", "an-1").ok());
  EXPECT_TRUE((*store)->GetConversation("t", "global", "c2", 0).ok());
  EXPECT_EQ((*store)->GetConversation("t", "global", "c1", 0).status().code(),
            absl::StatusCode::kNotFound);
  // The id is now free in every other scope, and still taken in its own.
  core::Conversation eu = Conv("t", "c1");
  eu.set_scope("eu");
  EXPECT_TRUE((*store)->CreateConversation(eu).ok());
  core::Conversation dup = Conv("t", "c1");
  dup.set_scope("us");
  EXPECT_EQ((*store)->CreateConversation(dup).code(), absl::StatusCode::kAlreadyExists);
}

// An audit entry appended without waiting does not cost a transaction of its
// own: it joins the next write's group commit, and alone it is committed
// after the lazy-write delay.
TEST_F(SqliteStoreTest, AsyncAuditEntriesRideWithTheNextWrite) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  AuditEntry e;
  e.time_us = 1;
  e.key = "k";
  e.action = "DELETE";
  std::atomic<int> done{0};
  const int64_t batches_before = (*store)->writer_stats().batches;
  (*store)->AppendAuditAsync(e, [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    done++;
  });
  ASSERT_TRUE((*store)->CreateConversation(Conv("t", "c1")).ok());
  EXPECT_EQ(done.load(), 1);  // committed with the conversation...
  EXPECT_EQ((*store)->writer_stats().batches, batches_before + 1);  // ...in one transaction

  // Alone, it is committed within the delay (100 ms), not held forever.
  const absl::Time start = absl::Now();
  (*store)->AppendAuditAsync(e, [&](absl::Status) { done++; });
  while (done.load() < 2 && absl::Now() - start < absl::Seconds(5)) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(done.load(), 2);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
  auto entries = (*store)->ListAudit(AuditQuery{});
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 2u);
}

// The WAL-buffering VFS is correct only if every commit syncs the WAL
// (docs/adr/0009-wal-buffer-vfs.md): a connection through it cannot lower
// PRAGMA synchronous below FULL.
TEST_F(SqliteStoreTest, WalBufferVfsRefusesSynchronousBelowFull) {
  sqlite3* db = OpenThroughWalBufferVfs(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_NE(db, nullptr);
  auto exec = [db](const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    return std::make_pair(rc, msg);
  };
  auto level = [db] {
    sqlite3_stmt* stmt = nullptr;
    int out = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return out;
  };
  ASSERT_EQ(exec("PRAGMA journal_mode=WAL").first, SQLITE_OK);
  ASSERT_EQ(exec("PRAGMA synchronous=FULL").first, SQLITE_OK);
  for (const char* lower : {"NORMAL", "normal", "OFF", "1", "0", "on", "'normal'"}) {
    auto [rc, msg] = exec(std::string("PRAGMA synchronous=") + lower);
    EXPECT_NE(rc, SQLITE_OK) << lower;
    EXPECT_NE(msg.find("synchronous=FULL"), std::string::npos) << lower << ": " << msg;
    EXPECT_EQ(level(), 2) << lower;
  }
  EXPECT_NE(exec("PRAGMA main.synchronous=NORMAL").first, SQLITE_OK);
  EXPECT_EQ(level(), 2);
  EXPECT_EQ(exec("PRAGMA synchronous=EXTRA").first, SQLITE_OK);
  EXPECT_EQ(level(), 3);
  EXPECT_EQ(exec("PRAGMA synchronous=2").first, SQLITE_OK);
  EXPECT_EQ(level(), 2);
  // SQLite does not pad commits to a sector boundary (which would write the
  // end of the last frame after the sync) only with powersafe overwrite on.
  int powersafe_overwrite = -1;
  ASSERT_EQ(sqlite3_file_control(db, "main", SQLITE_FCNTL_POWERSAFE_OVERWRITE, &powersafe_overwrite),
            SQLITE_OK);
  EXPECT_EQ(powersafe_overwrite, 1);
  // Writes still work through it.
  EXPECT_EQ(exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)").first, SQLITE_OK);
  sqlite3_close(db);
}

// The writer undoes a failed write with ROLLBACK TO its SAVEPOINT; the pages
// that needs are kept in memory up to JournalSpillBytes (1 MiB), not spilled
// to a temp file (an open, two writes a page and a close on the writer
// thread) once they pass SQLite's default 64 KiB; past that they spill, so
// memory stays bounded.
TEST_F(SqliteStoreTest, WriterKeepsSavepointJournalsInMemoryUpToABound) {
  ASSERT_EQ(sqlite::JournalSpillBytes(), 1 << 20);
  auto writer = sqlite::Connection::Open(db_path(), sqlite::Connection::Mode::kWriter, SqliteStoreOptions{});
  ASSERT_TRUE(writer.ok()) << writer.status();
  sqlite::Connection& conn = **writer;
  ASSERT_TRUE(conn.ExecScript("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);"
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                              "INSERT INTO t SELECT i, randomblob(2048) FROM n;"
                              "CREATE TABLE t0 (k INTEGER PRIMARY KEY, v BLOB); INSERT INTO t0 SELECT * FROM t;")
                  .ok());
  auto open_files = [] {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n++;
    return n;
  };
  const int before = open_files();
  // Rows 1..n rewritten under a savepoint, then undone: a page (~4 KiB) each.
  auto rewrite_and_undo = [&](int rows) {
    EXPECT_TRUE(conn.Exec("SAVEPOINT op").ok());
    const absl::Status updated = conn.Exec(absl::StrCat("UPDATE t SET v = randomblob(2048) WHERE k <= ", rows));
    EXPECT_TRUE(updated.ok()) << updated;
    const int files = open_files();
    EXPECT_TRUE(conn.Exec("ROLLBACK TO op").ok());
    EXPECT_TRUE(conn.Exec("RELEASE op").ok());
    return files;
  };
  ASSERT_TRUE(conn.Exec("BEGIN IMMEDIATE").ok());
  EXPECT_EQ(rewrite_and_undo(200), before);       // ~800 KiB: in memory
  EXPECT_EQ(rewrite_and_undo(5000), before + 1);  // ~20 MiB: spilled to a temp file
  ASSERT_TRUE(conn.Exec("COMMIT").ok());
  // Both undone: every row still holds what it was created with.
  EXPECT_EQ(conn.QueryInt("SELECT count(*) FROM t").value_or(-1), 5000);
  EXPECT_EQ(conn.QueryInt("SELECT count(*) FROM t WHERE v != (SELECT v FROM t0 WHERE t0.k = t.k)").value_or(-1), 0);
}

// A checkpoint's writes to the database file go to the disk 128 KiB at a
// time (written out and waited for), not all at its final sync, so a commit's
// WAL write never queues behind thousands of them; the data is the same.
TEST_F(SqliteStoreTest, WalBufferVfsPacesCheckpointWrites) {
  sqlite3* db = OpenThroughWalBufferVfs(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_NE(db, nullptr);
  auto exec = [](sqlite3* on, const char* sql) { return sqlite3_exec(on, sql, nullptr, nullptr, nullptr); };
  ASSERT_EQ(exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;"
                     "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)"),
            SQLITE_OK);
  EXPECT_TRUE(sqlite::WalBufferVfsPaces(db));
  // 2,000 rows of 2 KiB (a page each) in the WAL, none in the database yet.
  ASSERT_EQ(exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                     "INSERT INTO t SELECT i, randomblob(2048) FROM n"),
            SQLITE_OK);
  int log_frames = -1, checkpointed = -1;
  const long long before = sqlite::WalBufferVfsPacedWritebacks();
  ASSERT_EQ(sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &checkpointed),
            SQLITE_OK);
  const long long paced = sqlite::WalBufferVfsPacedWritebacks() - before;
  sqlite3_stmt* pages_stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &pages_stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(pages_stmt), SQLITE_ROW);
  const long long pages = sqlite3_column_int64(pages_stmt, 0);
  sqlite3_finalize(pages_stmt);
  // One writeback every 32 pages of 4 KiB (128 KiB) copied.
  EXPECT_GT(pages, 1000);
  EXPECT_GE(paced, pages / 32 - 2);
  EXPECT_LE(paced, pages / 32 + 2);
  sqlite3_close(db);

  // Everything is in the database file, read without the VFS.
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), sum(length(v)) FROM t", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2000);
  EXPECT_EQ(sqlite3_column_int64(stmt, 1), 2000 * 2048);
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  // A database opened read-only is not written, so not paced.
  db = OpenThroughWalBufferVfs(SQLITE_OPEN_READONLY);
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(exec(db, "SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_FALSE(sqlite::WalBufferVfsPaces(db));
  sqlite3_close(db);
}

// What the buffer must guarantee: once a write returns OK its WAL frames are
// in the -wal file itself, not in this process's buffer, so other connections,
// other processes and checkpoints (which read the file) see them, and kill -9
// cannot lose them. Fails if the store's connections ran with
// synchronous=NORMAL or OFF (no sync at commit, so no flush). The file is read
// with plain POSIX calls, bypassing SQLite and the VFS.
TEST_F(SqliteStoreTest, CommittedWritesAreInTheWalFileWhenTheCallReturns) {
  {
    // Create the schema first, so that the store below opens a checkpointed
    // database and the commits checked are only the test's own.
    absl::StatusOr<std::unique_ptr<Store>> first = OpenSqliteStore(dir_);
    ASSERT_TRUE(first.ok()) << first.status();
  }
  std::unique_ptr<Store> store = OpenForTest(dir_);
  ASSERT_NE(store, nullptr);
  auto read_wal = [this] {
    std::string bytes;
    int fd = ::open((db_path() + "-wal").c_str(), O_RDONLY);
    if (fd < 0) return bytes;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) bytes.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return bytes;
  };
  for (int i = 0; i < 8; ++i) {
    const std::string id = "wal-marker-" + std::to_string(i) + "-7f3a";
    ASSERT_TRUE(store->CreateConversation(Conv("t", id)).ok());
    const std::string wal = read_wal();
    EXPECT_NE(wal.find(id), std::string::npos)
        << "conversation " << id << " committed but not in the -wal file (" << wal.size()
        << " bytes)";
  }
}

// SQLITE_FULL is UNAVAILABLE (a 503) and marked as disk full, which is what
// sends the writer into low-space mode; other errors are not marked.
TEST(SqliteErrorTest, DiskFullIsUnavailableAndMarked) {
  absl::Status full = sqlite::SqliteError(nullptr, SQLITE_FULL, "COMMIT");
  EXPECT_EQ(full.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(sqlite::IsDiskFull(full));
  absl::Status busy = sqlite::SqliteError(nullptr, SQLITE_BUSY, "BEGIN");
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(sqlite::IsDiskFull(busy));
  EXPECT_FALSE(sqlite::IsDiskFull(sqlite::SqliteError(nullptr, SQLITE_IOERR_WRITE, "write")));
  EXPECT_FALSE(sqlite::IsDiskFull(sqlite::SqliteError(nullptr, SQLITE_CONSTRAINT, "insert")));
}

// With disk_reserve_bytes the store keeps DATA_DIR/parley.reserve, owner-only,
// with its blocks allocated (not a sparse file, which would hold nothing),
// and works as usual; without it there is no reserve file.
TEST_F(SqliteStoreTest, DiskReserveFileHoldsAllocatedBlocks) {
  const std::string reserve = dir_ + "/parley.reserve";
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_FALSE(std::filesystem::exists(reserve));
  }
  SqliteStoreOptions options;
  options.disk_reserve_bytes = int64_t{3} << 20;
  for (int open = 0; open < 2; ++open) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    struct stat st {};
    ASSERT_EQ(::stat(reserve.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, options.disk_reserve_bytes);
    EXPECT_GE(static_cast<int64_t>(st.st_blocks) * 512, options.disk_reserve_bytes);
    EXPECT_EQ(st.st_mode & 077, 0u);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*store)->CreateConversation(Conv("t", "r" + std::to_string(open) + "-" + std::to_string(i))).ok());
    }
    ASSERT_TRUE((*store)->DeleteConversation("t", "", "r" + std::to_string(open) + "-0", true).ok());
  }
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversations"), "98");
}

// Writes queued while the writer is paused land in one transaction; a
// duplicate among them fails alone while every other write commits.
TEST_F(SqliteStoreTest, GroupCommitIsolatesAFailingWrite) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_);
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  const SqliteStore::WriterStats before = store.writer_stats();

  constexpr int kUnique = 64;
  store.PauseWriterForTest();
  std::vector<absl::Status> results(kUnique + 2);
  std::vector<std::thread> threads;
  for (int i = 0; i < kUnique + 2; ++i) {
    threads.emplace_back([&, i] {
      const std::string id = i < kUnique ? "c" + std::to_string(i) : "dup";
      core::Conversation c = Conv("t", id);
      (*c.mutable_labels())["n"] = std::to_string(i);
      c.add_agent_ids("agent");
      results[i] = store.CreateConversation(c);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (store.QueuedWritesForTest() < kUnique + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(store.QueuedWritesForTest(), size_t{kUnique + 2});
  store.ResumeWriterForTest();
  for (auto& t : threads) t.join();

  const SqliteStore::WriterStats after = store.writer_stats();
  EXPECT_EQ(after.batches - before.batches, 1);
  EXPECT_EQ(after.largest_batch, kUnique + 2);
  for (int i = 0; i < kUnique; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
  const absl::Status& d1 = results[kUnique];
  const absl::Status& d2 = results[kUnique + 1];
  EXPECT_TRUE(d1.ok() != d2.ok()) << d1 << " / " << d2;
  EXPECT_EQ((d1.ok() ? d2 : d1).code(), absl::StatusCode::kAlreadyExists);

  // The failed write left nothing behind: the surviving "dup" has the
  // label of the write that succeeded, and exactly one label row.
  absl::StatusOr<core::Conversation> dup = store.GetConversation("t", "", "dup", 0);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->labels().at("n"), d1.ok() ? std::to_string(kUnique) : std::to_string(kUnique + 1));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_labels"), std::to_string(kUnique + 1));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_agents"), std::to_string(kUnique + 1));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_bodies"), std::to_string(kUnique + 1));
}

TEST_F(SqliteStoreTest, SixtyFourConcurrentCreatorsAllCommit) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_);
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  constexpr int kThreads = 64, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!store.CreateConversation(Conv("t", std::to_string(t) + "-" + std::to_string(i)))
                 .ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversations"), std::to_string(kThreads * kEach));
  const SqliteStore::WriterStats stats = store.writer_stats();
  std::printf("64 threads x %d creates: %lld ops in %lld transactions (largest %lld)\n", kEach,
              static_cast<long long>(stats.ops), static_cast<long long>(stats.batches),
              static_cast<long long>(stats.largest_batch));
}

Condition Cmp(ConversationColumn col, CompareOp op, int64_t v) {
  Condition c;
  c.column = col;
  c.op = op;
  c.int_value = v;
  return c;
}
Condition CmpS(ConversationColumn col, CompareOp op, std::string v, std::string key = "") {
  Condition c;
  c.column = col;
  c.op = op;
  c.string_value = std::move(v);
  c.label_key = std::move(key);
  return c;
}
Condition And(std::vector<Condition> children) {
  Condition c;
  c.kind = Condition::Kind::kAnd;
  c.children = std::move(children);
  return c;
}

struct PlanFilter {
  std::optional<Condition> condition;
  // The index a create_time-ordered list walks instead of
  // conversations_by_create_time (store/list_plan.h), or null.
  const char* driver = nullptr;
};
constexpr const char* kAgents = "conversation_agents_by_create_time";
constexpr const char* kLabels = "conversation_labels_by_create_time";

std::vector<PlanFilter> PlanFilters() {
  return {
      {std::nullopt},
      {CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "agent-7"), kAgents},
      {Cmp(ConversationColumn::kMedium, CompareOp::kEq, 2)},
      {CmpS(ConversationColumn::kLabel, CompareOp::kEq, "prod", "env"), kLabels},
      {CmpS(ConversationColumn::kLabel, CompareOp::kHas, "", "env")},
      {CmpS(ConversationColumn::kLabel, CompareOp::kNe, "prod", "env")},
      {And({Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1000),
            CmpS(ConversationColumn::kLabel, CompareOp::kEq, "prod", "env"),
            CmpS(ConversationColumn::kLabel, CompareOp::kEq, "x", "team")}),
       kLabels},
      // read_bench.sh's combined filter: the agent drives, the rest is checked.
      {And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "agent-7"),
            Cmp(ConversationColumn::kMedium, CompareOp::kEq, 2),
            CmpS(ConversationColumn::kLabel, CompareOp::kEq, "billing", "queue"),
            Cmp(ConversationColumn::kTurnCount, CompareOp::kGe, 4)}),
       kAgents},
      {And({Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1000),
            Cmp(ConversationColumn::kCreateTime, CompareOp::kLt, 5000)})},
      {And({Cmp(ConversationColumn::kStartTime, CompareOp::kGe, 1000),
            Cmp(ConversationColumn::kUpdateTime, CompareOp::kLt, 5000),
            And({Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1000),
                 CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "agent-7")}),
            Cmp(ConversationColumn::kMedium, CompareOp::kEq, 2)}),
       kAgents},
      {CmpS(ConversationColumn::kLanguageCode, CompareOp::kEq, "en-US")},
      {CmpS(ConversationColumn::kAgentId, CompareOp::kNe, "agent-7")},
  };
}

// Every list shape walks the index of its ordering column: no full scan of
// conversations and no sort of the tenant's rows.
TEST_F(SqliteStoreTest, ListPlansUseTheOrderingIndex) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_);
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  const std::pair<ConversationColumn, const char*> columns[] = {
      {ConversationColumn::kCreateTime, "conversations_by_create_time"},
      {ConversationColumn::kUpdateTime, "conversations_by_update_time"},
      {ConversationColumn::kStartTime, "conversations_by_start_time"},
      {ConversationColumn::kDuration, "conversations_by_duration"},
      {ConversationColumn::kTurnCount, "conversations_by_turn_count"},
  };
  for (const auto& [col, index_name] : columns) {
    for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
      for (const PlanFilter& filter : PlanFilters()) {
        for (bool with_cursor : {false, true}) {
          for (int64_t now : {int64_t{0}, int64_t{12345}}) {
            ConversationQuery q;
            q.tenant = "t";
            q.order_by = col;
            q.order = order;
            q.condition = filter.condition;
            q.now_us = now;
            if (with_cursor) q.after = core::ListCursor{100, "x"};
            absl::StatusOr<std::string> plan = store.ExplainListQuery(q);
            ASSERT_TRUE(plan.ok()) << plan.status();
            absl::StatusOr<sqlite::SqlQuery> sql = sqlite::CompileListQuery(q);
            const std::string context = sql->sql + "\n" + *plan;
            const std::string index = filter.driver != nullptr && col == ConversationColumn::kCreateTime
                                          ? filter.driver
                                          : index_name;
            EXPECT_TRUE(plan->find(std::string("USING INDEX ") + index) != std::string::npos ||
                        plan->find(std::string("USING COVERING INDEX ") + index) !=
                            std::string::npos)
                << context;
            EXPECT_EQ(plan->find("TEMP B-TREE"), std::string::npos) << context;
            EXPECT_EQ(plan->find("SCAN "), std::string::npos) << context;
            if (with_cursor) {
              // The cursor bounds the index scan.
              const std::string bound = std::string("(") +
                                        std::string(*sqlite::OrderColumnName(col)) + ",id)" +
                                        (order == SortOrder::kDescending ? "<" : ">");
              EXPECT_NE(plan->find(bound), std::string::npos) << context;
            }
          }
        }
      }
    }
  }
}

// Schema v8 gave label rows copies of their conversation's tenant,
// create_time and id and the label-led index (ADR 0036): a database written
// by v7 migrates in place, its label rows filled in from their
// conversations, and a label filter then walks the new index and returns
// what it returned before, page by page.
TEST_F(SqliteStoreTest, MigratesV7LabelsToTheLabelIndex) {
  std::vector<std::string> billing;  // tenant t's, newest first
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 30; ++i) {
      for (const char* tenant : {"t", "u"}) {
        core::Conversation c = Conv(tenant, "c" + std::to_string(i), 1000 + i / 2);
        c.set_scope(i % 2 ? "us" : "eu");
        (*c.mutable_labels())["queue"] = i % 3 == 0 ? "billing" : "sales";
        (*c.mutable_labels())["site"] = "pune";
        ASSERT_TRUE((*store)->CreateConversation(c).ok());
      }
      if (i % 3 == 0) billing.insert(billing.begin(), "c" + std::to_string(i));
    }
  }
  // Back to what v7 wrote.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db,
                           "DROP INDEX conversation_labels_by_create_time;"
                           "ALTER TABLE conversation_labels DROP COLUMN tenant;"
                           "ALTER TABLE conversation_labels DROP COLUMN create_time;"
                           "ALTER TABLE conversation_labels DROP COLUMN id;"
                           "ALTER TABLE conversation_tails DROP COLUMN total;"  // v10's
                           "PRAGMA user_version = 7;",
                           nullptr, nullptr, &err),
              SQLITE_OK)
        << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  ASSERT_EQ(RawQuery("SELECT count(*) FROM pragma_table_info('conversation_labels')"), "3");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_labels"), "120");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversation_labels l JOIN conversations c ON c.pk = l.conv"
                     " WHERE l.tenant = c.tenant AND l.create_time = c.create_time AND l.id = c.id"),
            "120");
  ConversationQuery q;
  q.tenant = "t";
  q.page_size = 3;
  q.condition = CmpS(ConversationColumn::kLabel, CompareOp::kEq, "billing", "queue");
  absl::StatusOr<std::string> plan = (*store)->ExplainListQuery(q);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_NE(plan->find("conversation_labels_by_create_time"), std::string::npos) << *plan;
  std::vector<std::string> got;
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<ConversationPage> page = (*store)->ListConversations(q);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const core::Conversation& c : page->conversations) {
      EXPECT_EQ(c.tenant(), "t");
      got.push_back(c.id());
    }
    if (!page->next.has_value()) break;
    q.after = page->next;
  }
  EXPECT_EQ(got, billing);
}

// Schema v9 moved resources to a rowid table with a unique key index (ADR
// 0045): a database written by v8 (WITHOUT ROWID, keyed by tenant, kind, id)
// migrates in place, its rows the same and listed in the same order; a new
// row goes to the table's right edge (the largest rowid, wherever its key
// sorts), and a second create of a key is still ALREADY_EXISTS.
TEST_F(SqliteStoreTest, MigratesV8ResourcesToARowidTable) {
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 40; ++i) {
      Resource r{i % 2 ? "t" : "u", i % 3 ? "answer_records" : "profile", "r" + std::to_string(100 - i),
                 "global", 1000 + i, 2000 + i, std::string(50 + 100 * i, static_cast<char>('a' + i % 26))};
      ASSERT_TRUE((*store)->CreateResource(r).ok());
    }
  }
  ASSERT_EQ(RawExec("CREATE TABLE resources_v8 (tenant TEXT NOT NULL, kind TEXT NOT NULL,"
                    " id TEXT NOT NULL, location TEXT NOT NULL, create_time INTEGER NOT NULL,"
                    " update_time INTEGER NOT NULL, body BLOB NOT NULL,"
                    " PRIMARY KEY (tenant, kind, id)) WITHOUT ROWID;"
                    "INSERT INTO resources_v8 SELECT tenant, kind, id, location, create_time,"
                    " update_time, body FROM resources;"
                    "DROP TABLE resources;"
                    "ALTER TABLE resources_v8 RENAME TO resources;"
                    "ALTER TABLE conversation_tails DROP COLUMN total;"  // v10's
                    "PRAGMA user_version = 8;"),
            "");
  ASSERT_EQ(RawQuery("SELECT count(*) FROM pragma_index_list('resources') WHERE origin = 'pk'"), "1");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(RawQuery("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM pragma_index_list('resources') WHERE origin = 'pk'"), "0");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM pragma_index_list('resources')"
                     " WHERE name = 'resources_key' AND \"unique\" = 1"),
            "1");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM resources"), "40");
  // Every row as it was, listed by id.
  absl::StatusOr<ResourcePage> page = (*store)->ListResources("t", "answer_records", "", 100, "");
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  for (const Resource& r : page->resources) {
    ids.push_back(r.id);
    const int i = 100 - std::stoi(r.id.substr(1));
    EXPECT_EQ(r.location, "global");
    EXPECT_EQ(r.create_time_us, 1000 + i);
    EXPECT_EQ(r.update_time_us, 2000 + i);
    EXPECT_EQ(r.body, std::string(50 + 100 * i, static_cast<char>('a' + i % 26)));
  }
  EXPECT_EQ(ids.size(), 13u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  // A key that sorts first goes to the right edge of the table all the same.
  ASSERT_TRUE((*store)->CreateResource(Resource{"a", "answer_records", "a0", "global", 1, 1, "x"}).ok());
  EXPECT_EQ(RawQuery("SELECT tenant || '/' || id FROM resources ORDER BY rowid DESC LIMIT 1"), "a/a0");
  EXPECT_TRUE(absl::IsAlreadyExists(
      (*store)->CreateResource(Resource{"u", "profile", "r100", "global", 1, 1, "again"})));
  EXPECT_EQ((*store)->GetResource("u", "profile", "r100")->body, std::string(50, 'a'));
  EXPECT_TRUE(absl::IsNotFound((*store)->GetResource("t", "profile", "r100").status()));
}

TEST(QuerySqlTest, ValuesAreBoundNeverInterpolated) {
  ConversationQuery q;
  q.tenant = "t'x";
  q.scope = "loc'";
  q.condition = And({CmpS(ConversationColumn::kProfile, CompareOp::kEq, "'; DROP"),
                     CmpS(ConversationColumn::kLabel, CompareOp::kEq, "v'", "k'")});
  q.after = core::ListCursor{5, "id'"};
  absl::StatusOr<sqlite::SqlQuery> sql = sqlite::CompileListQuery(q);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(sql->sql.find("'; DROP"), std::string::npos);
  EXPECT_EQ(sql->sql.find("t'x"), std::string::npos);
  size_t placeholders = 0;
  for (char ch : sql->sql) placeholders += ch == '?';
  EXPECT_EQ(placeholders, sql->params.size());
}

// WAL checkpoints run on the checkpointer thread while writes go on (ADR
// 0024): with a small autocheckpoint size and writers that never pause, the
// checkpointer copies the WAL in the background, the writer finishes what
// came in meanwhile so the WAL restarts, and the -wal file stays within the
// bound; every write reads back and the database is intact. Fails if
// checkpoints stopped (the WAL would grow with every write) or never ran on
// the checkpointer thread.
core::Conversation BigConversation(const std::string& id, int64_t t, int i);

TEST_F(SqliteStoreTest, CheckpointsRunBesideTheWriterAndKeepTheWalBounded) {
  SqliteStoreOptions options;
  options.wal_autocheckpoint_pages = 64;
  constexpr int kThreads = 4, kPerThread = 250;
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_, options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    SqliteStore& store = **opened;
    std::atomic<int64_t> largest_wal{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string id = "w" + std::to_string(t) + "-" + std::to_string(i);
          ASSERT_TRUE(store.CreateConversation(BigConversation(id, 1000 + i, i)).ok()) << id;
          struct stat st {};
          if (::stat((db_path() + "-wal").c_str(), &st) == 0) {
            int64_t seen = largest_wal.load();
            while (st.st_size > seen && !largest_wal.compare_exchange_weak(seen, st.st_size)) {
            }
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    const SqliteStore::WriterStats stats = store.writer_stats();
    EXPECT_GT(stats.checkpoints, 0);
    EXPECT_GT(stats.writer_checkpoints, 0);
    // The bound (4 x 64 pages), plus the group commits that land while the
    // RESTART waits for its turn (under load a commit carries B-tree splits
    // and interior pages besides four ~3-page conversations: the clean-clone
    // CI saw 294 frames), and the WAL header. Without checkpoints the WAL
    // would pass 5,000 frames (1,000 conversations of ~5 pages).
    const int64_t frame = 4096 + 24;
    EXPECT_LE(largest_wal.load(), (5 * 64 + 4 * 16) * frame + 32)
        << stats.checkpoints << " background, " << stats.writer_checkpoints << " writer checkpoints";
  }
  EXPECT_EQ(RawQuery("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversations"), std::to_string(kThreads * kPerThread));
}

// ADR 0048: the writer commits the next batch while the syncer flushes the
// last commit's WAL, and a write is answered only after that sync, in
// commit order.
TEST_F(SqliteStoreTest, TheWriterCommitsOnWhileTheLastCommitIsSynced) {
  // Declared before the store, which calls into them until it is closed.
  absl::Mutex mu;
  bool armed = false, held = false, release = false;
  std::vector<std::string> answered;
  std::deque<core::Conversation> convs;  // alive until answered
  SqliteStoreOptions options;
  options.wal_autocheckpoint_pages = 64;  // the WAL starts over soon
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  store.SetSyncHookForTest([&] {
    absl::MutexLock lock(&mu);
    if (!armed) return 0;
    armed = false;
    held = true;
    mu.Await(absl::Condition(&release));
    return 0;
  });
  auto create = [&](const std::string& id, int i) {
    convs.push_back(BigConversation(id, 1000 + i, i));
    store.CreateConversationAsync(convs.back(), {}, [&, id](absl::Status s) {
      EXPECT_TRUE(s.ok()) << id << ": " << s;
      absl::MutexLock lock(&mu);
      answered.push_back(id);
    });
  };
  auto is_answered = [&](const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return std::find(answered.begin(), answered.end(), id) != answered.end();
  };
  {
    absl::MutexLock lock(&mu);
    armed = true;
  }
  // A commit that grows the WAL, or writes its header, syncs in its COMMIT
  // (the hook does not run): write until one is deferred and held.
  std::string a;
  for (int i = 0; i < 3000 && a.empty(); ++i) {
    const std::string id = "a" + std::to_string(i);
    create(id, i);
    absl::MutexLock lock(&mu);
    auto done_or_held = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return held || is_answered(id); };
    mu.AwaitWithTimeout(absl::Condition(&done_or_held), absl::Seconds(10));
    if (held && !is_answered(id)) a = id;
  }
  ASSERT_FALSE(a.empty()) << "no commit's sync was deferred";
  // Committed and readable, not yet answered.
  EXPECT_TRUE(store.GetConversation("bench", "global", a, 0).ok());
  // The writer is not waiting for that sync: the next write commits.
  create("b", 7);
  bool b_visible = false;
  for (int i = 0; i < 1000 && !b_visible; ++i) {
    b_visible = store.GetConversation("bench", "global", "b", 0).ok();
    if (!b_visible) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(b_visible) << "the writer waited for the syncer";
  {
    absl::MutexLock lock(&mu);
    EXPECT_FALSE(is_answered(a));
    EXPECT_FALSE(is_answered("b"));
    release = true;
    auto b_answered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return is_answered("b"); };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&b_answered), absl::Seconds(10)));
    ASSERT_GE(answered.size(), 2u);
    EXPECT_EQ(answered[answered.size() - 2], a) << "answered out of commit order";
    EXPECT_EQ(answered.back(), "b");
  }
  EXPECT_GT(store.writer_stats().syncs, 0);
  store.Close();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM conversations WHERE id = 'b'"), "1");
}

// A deferred sync that fails fails the writes it covered, and the store
// refuses every write after it: their commits are visible but perhaps not
// on disk, and the kernel may have dropped the pages.
TEST_F(SqliteStoreTest, AFailedDeferredSyncFailsItsWritesAndRefusesLaterOnes) {
  SqliteStoreOptions options;
  options.wal_autocheckpoint_pages = 64;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteStore& store = **opened;
  store.SetSyncHookForTest([] { return EIO; });
  absl::Status failed;
  int i = 0;
  for (; i < 3000 && failed.ok(); ++i) {
    failed = store.CreateConversation(BigConversation("c" + std::to_string(i), 1000 + i, i));
  }
  ASSERT_FALSE(failed.ok()) << "no commit's sync was deferred";
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_NE(failed.message().find("durable"), std::string_view::npos) << failed;
  const int64_t rows_before = std::stoll(RawQuery("SELECT count(*) FROM conversations"));
  absl::Status later = store.CreateConversation(BigConversation("later", 5000, 1));
  EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable) << later;
  EXPECT_EQ(std::stoll(RawQuery("SELECT count(*) FROM conversations")), rows_before);
  EXPECT_FALSE(store.GetConversation("bench", "global", "later", 0).ok());
}

// With deferral off (SqliteStoreOptions), every COMMIT syncs itself.
TEST_F(SqliteStoreTest, WithoutDeferredSyncsTheSyncerNeverSyncs) {
  SqliteStoreOptions options;
  options.wal_autocheckpoint_pages = 64;
  options.defer_wal_syncs = false;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE((*opened)->CreateConversation(BigConversation("d" + std::to_string(i), 1000 + i, i)).ok());
  }
  EXPECT_EQ((*opened)->writer_stats().syncs, 0);
}

// ---- micro-benchmarks (run with --gtest_also_run_disabled_tests) ----------------------

core::Conversation BigConversation(const std::string& id, int64_t t, int i) {
  core::Conversation c = Conv("bench", id, t);
  c.set_scope("global");
  c.set_medium(static_cast<core::Medium>(1 + i % 3));
  c.add_agent_ids("agent-" + std::to_string(i % 100));
  c.set_language_code(i % 2 ? "en-US" : "de-DE");
  (*c.mutable_labels())["env"] = i % 10 == 0 ? "prod" : "dev";
  (*c.mutable_labels())["queue"] = "q" + std::to_string(i % 7);
  c.set_start_time_us(t - 1000 * (i % 13));
  c.set_duration_us(1000000 * (i % 600));
  c.set_turn_count(i % 40);
  for (int m = 0; m < 12; ++m) {
    auto* msg = c.add_messages();
    msg->set_id("m" + std::to_string(m));
    msg->set_participant_id(m % 2 ? "agent" : "customer");
    msg->set_text("This is message number " + std::to_string(m) +
                  " of a fairly ordinary customer service conversation about a bill, "
                  "with some more words to make it about one hundred and fifty bytes long.");
    msg->set_time_us(t + m * 1000000);
  }
  return c;
}

// A list whose filter costs more than StoreOptions::list_query_max_steps
// fails with FAILED_PRECONDITION ("narrow it") instead of running on, and
// leaves the reader connection as it was (issue 9 #7).
TEST_F(SqliteStoreTest, ListQueryCostIsBounded) {
  constexpr int kTotal = 300;
  // A long OR over label values, as a 4 KB filter would have it: no index
  // answers it, so every row of the tenant is read and tested.
  Condition any;
  any.kind = Condition::Kind::kOr;
  for (int k = 0; k < 60; ++k) {
    any.children.push_back(CmpS(ConversationColumn::kLabel, CompareOp::kEq,
                                "value-" + std::to_string(k), "queue"));
  }
  any.children.push_back(CmpS(ConversationColumn::kLabel, CompareOp::kEq, "q3", "queue"));
  ConversationQuery q;
  q.tenant = "bench";
  q.condition = any;
  q.page_size = 1000;
  q.now_us = 1;
  {
    SqliteStoreOptions options;
    options.max_read_connections = 1;  // every read below uses the same connection
    options.view_cache_bytes = 0;
    options.list_query_max_steps = 2000;
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < kTotal; ++i) {
      ASSERT_TRUE((*store)
                      ->CreateConversation(BigConversation("conv-" + std::to_string(i),
                                                           1'700'000'000'000'000 + i * 1000LL, i))
                      .ok());
    }
    absl::StatusOr<ConversationPage> page = (*store)->ListConversations(q);
    ASSERT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition) << page.status();
    EXPECT_NE(page.status().message().find("narrow it"), std::string::npos) << page.status();
    // The reader works as before, without the budget: a read after it runs.
    absl::StatusOr<core::Conversation> one =
        (*store)->GetConversation("bench", "global", "conv-7", 1);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->id(), "conv-7");
    // And the same list fails again, the same way.
    EXPECT_EQ((*store)->ListConversations(q).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  // The default budget lets the same list through.
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<ConversationPage> page = (*store)->ListConversations(q);
  ASSERT_TRUE(page.ok()) << page.status();
  int want = 0;
  for (int i = 0; i < kTotal; ++i) want += i % 7 == 3;
  EXPECT_EQ(static_cast<int>(page->conversations.size()), want);
}

TEST_F(SqliteStoreTest, DISABLED_CreateThroughputAndListLatency) {
  SqliteStoreOptions options;
  if (const char* v = std::getenv("PARLEY_BENCH_CKPT"))
    options.wal_autocheckpoint_pages = std::atoi(v);
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(dir_, options);
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  const int kThreads = 32;
  const int kTotal =
      std::getenv("PARLEY_BENCH_N") ? std::atoi(std::getenv("PARLEY_BENCH_N")) : 100000;
  std::printf("conversation body: %zu bytes\n", BigConversation("x", 1, 1).ByteSizeLong());
  std::atomic<int> next{0}, failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kTotal; i = next++) {
        char id[32];
        std::snprintf(id, sizeof id, "conv-%08d", i);
        if (!store.CreateConversation(BigConversation(id, 1'700'000'000'000'000 + i * 1000LL, i))
                 .ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  SqliteStore::WriterStats stats = store.writer_stats();
  std::printf("%d creates by %d threads in %.2fs: %.0f creates/s, %lld transactions\n", kTotal,
              kThreads, secs, kTotal / secs, static_cast<long long>(stats.batches));
  if (FILE* io = std::fopen("/proc/self/io", "r")) {
    char line[128];
    while (std::fgets(line, sizeof line, io)) {
      if (std::strncmp(line, "wchar", 5) == 0 || std::strncmp(line, "write_bytes", 11) == 0) {
        std::printf("  %s", line);
      }
    }
    std::fclose(io);
  }
  if (std::getenv("PARLEY_BENCH_NO_LIST")) return;
  EXPECT_EQ(failures.load(), 0);

  const std::pair<ConversationColumn, const char*> columns[] = {
      {ConversationColumn::kCreateTime, "create_time"},
      {ConversationColumn::kUpdateTime, "update_time"},
      {ConversationColumn::kStartTime, "start_time"},
      {ConversationColumn::kDuration, "duration"},
      {ConversationColumn::kTurnCount, "turn_count"},
  };
  const std::pair<const char*, std::optional<Condition>> filters[] = {
      {"none", std::nullopt},
      {"agent=agent-7 (1%)", CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "agent-7")},
      {"medium=2 (33%)", Cmp(ConversationColumn::kMedium, CompareOp::kEq, 2)},
      {"labels.env=prod (10%)", CmpS(ConversationColumn::kLabel, CompareOp::kEq, "prod", "env")},
      {"labels.queue:* (100%)", CmpS(ConversationColumn::kLabel, CompareOp::kHas, "", "queue")},
      {"create_time in last 20%", Cmp(ConversationColumn::kCreateTime, CompareOp::kGe,
                                      1'700'000'000'000'000 + kTotal * 800LL)},
      {"start_time < first 20%",
       Cmp(ConversationColumn::kStartTime, CompareOp::kLt, 1'700'000'000'000'000 + kTotal * 200LL)},
  };
  for (const auto& [col, col_name] : columns) {
    for (const auto& [filter_name, filter] : filters) {
      for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
        ConversationQuery q;
        q.tenant = "bench";
        q.order_by = col;
        q.order = order;
        q.condition = filter;
        q.now_us = 1;
        constexpr int kPages = 5;
        auto t0 = std::chrono::steady_clock::now();
        size_t rows = 0;
        for (int p = 0; p < kPages; ++p) {
          absl::StatusOr<ConversationPage> page = store.ListConversations(q);
          ASSERT_TRUE(page.ok()) << page.status();
          rows += page->conversations.size();
          if (!page->next) break;
          q.after = page->next;
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count() /
                    kPages;
        std::printf("order %-11s %-4s filter %-24s %6.2f ms/page (%zu rows)\n", col_name,
                    order == SortOrder::kDescending ? "desc" : "asc", filter_name, ms, rows);
      }
    }
  }
}

}  // namespace
}  // namespace parley::store

namespace parley::store {
namespace {

// Resources are cached after a read (profiles and knowledge bases are read on
// every analyzeContent): a write's result is visible to the next read even
// while other threads keep reading (and trying to re-insert what they read
// before the write), and a delete is not answered from the cache.
TEST_F(SqliteStoreTest, CachedResourcesSeeEveryWriteUnderConcurrentReads) {
  std::unique_ptr<Store> store = OpenForTest(dir_);
  ASSERT_NE(store, nullptr);
  Resource r{"t", "profile", "p1", "us", 1, 1, "0"};
  ASSERT_TRUE(store->CreateResource(r).ok());
  ASSERT_EQ(store->GetResource("t", "profile", "p1")->body, "0");
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) (void)store->GetResource("t", "profile", "p1");
    });
  }
  for (int i = 1; i <= 300; ++i) {
    Resource next = r;
    next.update_time_us = i + 1;
    next.body = std::to_string(i);
    ASSERT_TRUE(store->UpdateResource(next, i).ok()) << i;
    auto got = store->GetResource("t", "profile", "p1");
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->body, std::to_string(i)) << "a stale body after write " << i;
    ASSERT_EQ(got->update_time_us, i + 1);
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  ASSERT_TRUE(store->DeleteResource("t", "profile", "p1").ok());
  EXPECT_TRUE(absl::IsNotFound(store->GetResource("t", "profile", "p1").status()));
  // Re-created with another body: the new one.
  r.body = "again";
  ASSERT_TRUE(store->CreateResource(r).ok());
  EXPECT_EQ(store->GetResource("t", "profile", "p1")->body, "again");
  store->Close();
}

// Kinds another process writes (API keys: `parley keys revoke`) are read
// from the database every time: a second store on the same directory stands
// for that process, and its write is seen at once for such a kind, while a
// cached kind keeps the value this process read.
TEST_F(SqliteStoreTest, UncachedKindsSeeAnotherProcesssWrites) {
  StoreOptions options;
  options.uncached_resource_kinds = {"api_key"};
  auto server = OpenSqliteStore(dir_, options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto cli = OpenSqliteStore(dir_);
  ASSERT_TRUE(cli.ok()) << cli.status();
  Resource key{"_system", "api_key", "k1", "", 1, 1, "active"};
  Resource profile{"t", "profile", "p1", "us", 1, 1, "v1"};
  ASSERT_TRUE((*server)->CreateResource(key).ok());
  ASSERT_TRUE((*server)->CreateResource(profile).ok());
  ASSERT_EQ((*server)->GetResource("_system", "api_key", "k1")->body, "active");
  ASSERT_EQ((*server)->GetResource("t", "profile", "p1")->body, "v1");
  key.body = "revoked";
  key.update_time_us = 2;
  ASSERT_TRUE((*cli)->UpdateResource(key, 1).ok());
  profile.body = "v2";
  profile.update_time_us = 2;
  ASSERT_TRUE((*cli)->UpdateResource(profile, 1).ok());
  EXPECT_EQ((*server)->GetResource("_system", "api_key", "k1")->body, "revoked");
  EXPECT_EQ((*server)->GetResource("t", "profile", "p1")->body, "v1");  // cached
  (*cli)->Close();
  (*server)->Close();
}

}  // namespace
}  // namespace parley::store
