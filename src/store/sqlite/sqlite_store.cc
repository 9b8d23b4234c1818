// SQLite Store backend.
//
// Schema (version 1, PRAGMA user_version; PRAGMA application_id = 'PRLY'):
//
//   conversations        one row per conversation: pk INTEGER PRIMARY KEY,
//                        (tenant, id) UNIQUE, and the indexed columns
//                        create_time, update_time, start_time, duration,
//                        turn_count, medium, language_code, agent_id (first
//                        agent or ''), lifecycle, stage, source, profile, app,
//                        expire_time, latest_analysis_id. Absent optional times
//                        (start_time, duration) are stored as INT64_MIN so the
//                        sort order is total and keyset paging needs no NULL
//                        handling (see query_sql.h).
//                        Indexes (tenant, <col>, id) for every orderable column
//                        and a partial index on expire_time for the sweeper.
//   conversation_bodies  conv -> body BLOB, the serialized core::Conversation.
//                        Kept out of `conversations` so that the rows a
//                        filtered list walks stay small (~30 per page instead
//                        of ~2 with a 2 KB body inline); only returned rows
//                        touch a body.
//   conversation_labels  (conv, key) -> value; filters use EXISTS.
//   conversation_agents  (conv, agent_id) + copies of tenant, create_time, id;
//                        kAgentId matches any of them. Index (tenant,
//                        agent_id, create_time, id) answers "agent X's
//                        conversations, newest first" without a scan.
//   analyses             (conv, id) UNIQUE -> create_time, body BLOB.
//   settings             key -> value BLOB.
//
// Child rows reference conversations(pk) ON DELETE CASCADE, so deleting a
// conversation row removes its body, labels, agents and analyses in the same
// statement.
//
// Writes: one writer thread owns the only write connection. A caller queues
// its operation (a closure over that connection and a completion callback;
// synchronous calls wait on the callback). The writer takes every queued
// operation (up to max_batch), runs them in ONE transaction, each inside its
// own SAVEPOINT so one operation's failure (ALREADY_EXISTS, ...) rolls back
// only that operation, COMMITs once (synchronous=FULL: one WAL fsync for the
// whole group), then calls every operation's callback with its own status. A
// failed COMMIT fails every operation of the group. Tables added later:
// conversation_views (v2), operations and resources (v3).
//
// Reads: a small pool of query_only connections; WAL lets them read a
// consistent snapshot while the writer commits.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <lz4.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "core/operation_state.h"
#include "store/sqlite/query_sql.h"
#include "store/sqlite/wal_buffer_vfs.h"

namespace parley::store {

#define PARLEY_SQLITE_CONCAT_INNER(a, b) a##b
#define PARLEY_SQLITE_CONCAT(a, b) PARLEY_SQLITE_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (0)
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(PARLEY_SQLITE_CONCAT(_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(*tmp)

namespace sqlite {
namespace {

constexpr int kApplicationId = 0x50524C59;  // 'PRLY'

// This absl is built with its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string msg =
      absl::StrCat("sqlite: ", what, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                   " (code ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace

class Connection;

// A cached prepared statement in use; resets it when destroyed.
class Stmt {
 public:
  Stmt(Connection* conn, sqlite3_stmt* stmt);
  Stmt(Stmt&& other) noexcept
      : conn_(std::exchange(other.conn_, nullptr)),
        stmt_(std::exchange(other.stmt_, nullptr)),
        bind_rc_(other.bind_rc_) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, int64_t v) {
    Check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Stmt& BindText(int i, absl::string_view v) {
    // A null data pointer would bind SQL NULL: an empty view is the text ''.
    Check(sqlite3_bind_text64(stmt_, i, v.data() != nullptr ? v.data() : "", v.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  // `v` must outlive this Stmt.
  Stmt& BindBlobStatic(int i, absl::string_view v) {
    Check(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC));
    return *this;
  }
  Stmt& BindBlob(int i, absl::string_view v) {
    Check(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& Bind(int i, const SqlValue& v) {
    if (const int64_t* n = std::get_if<int64_t>(&v)) return Bind(i, *n);
    return BindText(i, std::get<std::string>(v));
  }

  // Raw sqlite3_step result (SQLITE_ROW, SQLITE_DONE or an error code).
  int StepRaw() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }
  // true: a row is available; false: done.
  absl::StatusOr<bool> Next();
  // Runs to completion, ignoring rows.
  absl::Status Exec();
  absl::Status Error(int rc, absl::string_view what) const;

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  absl::string_view Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? absl::string_view()
                        : absl::string_view(reinterpret_cast<const char*>(p),
                                            sqlite3_column_bytes(stmt_, col));
  }
  absl::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p == nullptr
               ? absl::string_view()
               : absl::string_view(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  Connection* conn_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  enum class Mode { kWriter, kReader };

  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode,
                                                          const SqliteStoreOptions& options) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (mode == Mode::kWriter) flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, WalBufferVfsName());
    if (rc != SQLITE_OK) {
      absl::Status s = SqliteError(db, rc, absl::StrCat("opening ", path));
      sqlite3_close_v2(db);
      return s;
    }
    auto conn = std::unique_ptr<Connection>(new Connection(db));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    if (mode == Mode::kWriter) {
      ASSIGN_OR_RETURN(std::string journal, conn->QueryText("PRAGMA journal_mode=WAL"));
      if (journal != "wal") {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot put ", path, " in WAL mode (journal mode is ", journal, ")"));
      }
      RETURN_IF_ERROR(conn->ExecScript(
          absl::StrCat("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-",
                       options.writer_cache_kib, "; PRAGMA journal_size_limit=67108864;",
                       " PRAGMA wal_autocheckpoint=", options.wal_autocheckpoint_pages, ";")));
    } else {
      RETURN_IF_ERROR(conn->ExecScript(
          absl::StrCat("PRAGMA query_only=1; PRAGMA cache_size=-", options.reader_cache_kib, ";")));
    }
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

  // A prepared statement for `sql`, cached on this connection.
  absl::StatusOr<Stmt> Statement(absl::string_view sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return Stmt(this, it->second);
    if (stmts_.size() >= kMaxCachedStatements && live_ == 0) {
      for (auto& [text, stmt] : stmts_) sqlite3_finalize(stmt);
      stmts_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteError(db_, rc, "preparing statement");
    }
    stmts_.emplace(std::string(sql), stmt);
    return Stmt(this, stmt);
  }

  // Runs one cached statement to completion.
  absl::Status Exec(absl::string_view sql) {
    ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
    return stmt.Exec();
  }

  // Runs several statements (uncached); for pragmas and migrations.
  absl::Status ExecScript(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return SqliteError(nullptr, rc, msg);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> QueryText(const char* sql) {
    ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
    ASSIGN_OR_RETURN(bool row, stmt.Next());
    if (!row) return absl::InternalError(absl::StrCat("no result from ", sql));
    return std::string(stmt.Text(0));
  }

  absl::StatusOr<int64_t> QueryInt(const char* sql) {
    ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
    ASSIGN_OR_RETURN(bool row, stmt.Next());
    if (!row) return absl::InternalError(absl::StrCat("no result from ", sql));
    return stmt.Int(0);
  }

 private:
  friend class Stmt;
  static constexpr size_t kMaxCachedStatements = 128;

  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> stmts_;
  int live_ = 0;  // Stmt objects in use
};

Stmt::Stmt(Connection* conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) { ++conn_->live_; }

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  --conn_->live_;
}

absl::Status Stmt::Error(int rc, absl::string_view what) const {
  return SqliteError(conn_->db(), rc, what);
}

absl::StatusOr<bool> Stmt::Next() {
  int rc = StepRaw();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(rc, sqlite3_sql(stmt_));
}

absl::Status Stmt::Exec() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Next());
    if (!row) break;
  }
  sqlite3_reset(stmt_);  // ready to be bound and run again
  return absl::OkStatus();
}

namespace {

// ---- schema ----------------------------------------------------------------

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE conversations (
  pk INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  start_time INTEGER NOT NULL,
  duration INTEGER NOT NULL,
  turn_count INTEGER NOT NULL,
  medium INTEGER NOT NULL,
  language_code TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  lifecycle INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  source INTEGER NOT NULL,
  profile TEXT NOT NULL,
  app TEXT NOT NULL,
  expire_time INTEGER NOT NULL,
  latest_analysis_id TEXT NOT NULL
);
CREATE UNIQUE INDEX conversations_key ON conversations (tenant, id);
CREATE INDEX conversations_by_create_time ON conversations (tenant, create_time, id);
CREATE INDEX conversations_by_update_time ON conversations (tenant, update_time, id);
CREATE INDEX conversations_by_start_time ON conversations (tenant, start_time, id);
CREATE INDEX conversations_by_duration ON conversations (tenant, duration, id);
CREATE INDEX conversations_by_turn_count ON conversations (tenant, turn_count, id);
CREATE INDEX conversations_expiring ON conversations (expire_time) WHERE expire_time != 0;

CREATE TABLE conversation_bodies (
  conv INTEGER PRIMARY KEY REFERENCES conversations (pk) ON DELETE CASCADE,
  body BLOB NOT NULL
);

CREATE TABLE conversation_labels (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (conv, key)
) WITHOUT ROWID;

CREATE TABLE conversation_agents (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  agent_id TEXT NOT NULL,
  -- Copies of the conversation's columns, for agent-driven listing.
  tenant TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (conv, agent_id)
) WITHOUT ROWID;
CREATE INDEX conversation_agents_by_create_time
  ON conversation_agents (tenant, agent_id, create_time, id);

CREATE TABLE analyses (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  id TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  UNIQUE (conv, id)
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
)sql";

// Version 2: stored renderings of a conversation (see Store::ConversationViews).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE conversation_views (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  name TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX conversation_views_key ON conversation_views (conv, name);
)sql";

// Version 3: long-running operations and tenants' configuration resources.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE operations (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  done INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX operations_by_create_time ON operations (tenant, create_time, id);
CREATE INDEX operations_unfinished ON operations (create_time) WHERE done = 0;

CREATE TABLE resources (
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (tenant, kind, id)
) WITHOUT ROWID;

CREATE INDEX analyses_by_create_time ON analyses (conv, create_time, id);
)sql";

struct Migration {
  int version;  // user_version after it ran
  const char* sql;
};

// Append only; never edit a migration that has shipped.
constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

absl::Status Migrate(Connection& conn, const std::string& path) {
  ASSIGN_OR_RETURN(int64_t app_id, conn.QueryInt("PRAGMA application_id"));
  ASSIGN_OR_RETURN(int64_t version, conn.QueryInt("PRAGMA user_version"));
  if (app_id != 0 && app_id != kApplicationId) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley database (application id ", app_id, ")"));
  }
  if (version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " has schema version ", version,
                     ", newer than this build of Parley supports (", kSqliteSchemaVersion,
                     "); run a newer Parley or point it at another data directory"));
  }
  if (version == 0 && app_id == 0) {
    ASSIGN_OR_RETURN(int64_t tables, conn.QueryInt("SELECT count(*) FROM sqlite_schema"));
    if (tables != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not a Parley database (it has foreign tables)"));
    }
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    RETURN_IF_ERROR(conn.ExecScript("BEGIN IMMEDIATE"));
    // Another process may have migrated meanwhile.
    absl::StatusOr<int64_t> current = conn.QueryInt("PRAGMA user_version");
    absl::Status s = current.status();
    if (s.ok() && *current < m.version) {
      s = conn.ExecScript(m.sql);
      if (s.ok()) {
        s = conn.ExecScript(absl::StrCat("PRAGMA user_version=", m.version,
                                         "; PRAGMA application_id=", kApplicationId, ";"));
      }
    }
    if (s.ok()) s = conn.ExecScript("COMMIT");
    if (!s.ok()) {
      (void)conn.ExecScript("ROLLBACK");
      return absl::Status(s.code(), absl::StrCat("migrating ", path, " to schema version ",
                                                 m.version, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

// ---- rows ------------------------------------------------------------------

int64_t OptionalTime(bool has, int64_t v) { return has ? v : kAbsentTime; }

constexpr absl::string_view kInsertConversation =
    "INSERT INTO conversations (tenant, id, location, create_time, update_time, start_time,"
    " duration, turn_count, medium, language_code, agent_id, lifecycle, stage, source,"
    " profile, app, expire_time, latest_analysis_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

constexpr absl::string_view kUpdateConversation =
    "UPDATE conversations SET location = ?3, create_time = ?4, update_time = ?5,"
    " start_time = ?6, duration = ?7, turn_count = ?8, medium = ?9, language_code = ?10,"
    " agent_id = ?11, lifecycle = ?12, stage = ?13, source = ?14, profile = ?15, app = ?16,"
    " expire_time = ?17, latest_analysis_id = ?18 WHERE tenant = ?1 AND id = ?2";

// Binds ?1..?18 of kInsertConversation / kUpdateConversation.
void BindConversationColumns(Stmt& s, const core::Conversation& c) {
  s.BindText(1, c.tenant())
      .BindText(2, c.id())
      .BindText(3, c.location())
      .Bind(4, c.create_time_us())
      .Bind(5, c.update_time_us())
      .Bind(6, OptionalTime(c.has_start_time_us(), c.start_time_us()))
      .Bind(7, OptionalTime(c.has_duration_us(), c.duration_us()))
      .Bind(8, c.has_turn_count() ? int64_t{c.turn_count()} : int64_t{c.turns_size()})
      .Bind(9, int64_t{c.medium()})
      .BindText(10, c.language_code())
      .BindText(11, c.agent_ids_size() > 0 ? c.agent_ids(0) : std::string())
      .Bind(12, int64_t{c.lifecycle()})
      .Bind(13, int64_t{c.stage()})
      .Bind(14, int64_t{c.source()})
      .BindText(15, c.profile())
      .BindText(16, c.app())
      .Bind(17, c.expire_time_us())
      .BindText(18, c.latest_analysis_id());
}

// Stored form of a view: 0x00 + the bytes, or 0x01 + the original length (4
// bytes, little-endian) + its LZ4 block. A view is often a 2-3 KB JSON text
// that LZ4 halves: two fit in a page instead of one, which halves the pages a
// create writes for it (WAL and checkpoint). Rows written before this format
// (schema v2, raw JSON) start with neither byte and are read as they are.
std::string PackView(absl::string_view view) {
  std::string out;
  if (view.size() >= 512 && view.size() < (1u << 30)) {
    const int bound = LZ4_compressBound(static_cast<int>(view.size()));
    out.resize(5 + static_cast<size_t>(bound));
    const int n = LZ4_compress_default(view.data(), out.data() + 5, static_cast<int>(view.size()), bound);
    if (n > 0 && static_cast<size_t>(n) < view.size() - view.size() / 8) {
      out[0] = '\x01';
      const uint32_t len = static_cast<uint32_t>(view.size());
      for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
      out.resize(5 + static_cast<size_t>(n));
      return out;
    }
  }
  out.assign(1, '\x00');
  out.append(view.data(), view.size());
  return out;
}

absl::Status UnpackView(absl::string_view stored, std::string* out) {
  if (stored.empty() || (stored[0] != '\x00' && stored[0] != '\x01')) {
    out->assign(stored.data(), stored.size());  // written before packing existed
    return absl::OkStatus();
  }
  if (stored[0] == '\x00') {
    out->assign(stored.data() + 1, stored.size() - 1);
    return absl::OkStatus();
  }
  if (stored.size() < 5) return absl::InternalError("stored view is corrupt");
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(stored[1 + i])) << (8 * i);
  out->resize(len);
  const int n = LZ4_decompress_safe(stored.data() + 5, out->data(), static_cast<int>(stored.size() - 5),
                                    static_cast<int>(len));
  if (n < 0 || static_cast<uint32_t>(n) != len) {
    out->clear();
    return absl::InternalError("stored view is corrupt");
  }
  return absl::OkStatus();
}

ConversationViews PackViews(const ConversationViews& views) {
  ConversationViews packed;
  packed.reserve(views.size());
  for (const auto& [name, body] : views) packed.emplace_back(name, PackView(body));
  return packed;
}

// Replaces the stored views of conversation `pk` with `views` (packed).
absl::Status ReplaceViews(Connection& conn, int64_t pk, const ConversationViews& views) {
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversation_views WHERE conv = ?1"));
    s.Bind(1, pk);
    RETURN_IF_ERROR(s.Exec());
  }
  if (views.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO conversation_views (conv, name, body)"
                                          " VALUES (?1, ?2, ?3)"));
  for (const auto& [name, body] : views) {
    s.Bind(1, pk).BindText(2, name).BindBlobStatic(3, body);
    RETURN_IF_ERROR(s.Exec());
  }
  return absl::OkStatus();
}

// Writes the body, agents and labels rows of conversation `pk`.
absl::Status InsertChildren(Connection& conn, int64_t pk, const core::Conversation& c,
                            absl::string_view body) {
  {
    ASSIGN_OR_RETURN(Stmt s,
                     conn.Statement("INSERT INTO conversation_bodies (conv, body) VALUES (?1, ?2)"
                                    " ON CONFLICT (conv) DO UPDATE SET body = excluded.body"));
    s.Bind(1, pk).BindBlobStatic(2, body);
    RETURN_IF_ERROR(s.Exec());
  }
  if (c.agent_ids_size() > 0) {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT OR IGNORE INTO conversation_agents"
                                            " (conv, agent_id, tenant, create_time, id)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const std::string& agent : c.agent_ids()) {
      s.Bind(1, pk).BindText(2, agent).BindText(3, c.tenant()).Bind(4, c.create_time_us());
      s.BindText(5, c.id());
      RETURN_IF_ERROR(s.Exec());
    }
  }
  if (!c.labels().empty()) {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO conversation_labels"
                                            " (conv, key, value) VALUES (?1, ?2, ?3)"));
    for (const auto& [key, value] : c.labels()) {
      s.Bind(1, pk).BindText(2, key).BindText(3, value);
      RETURN_IF_ERROR(s.Exec());
    }
  }
  return absl::OkStatus();
}

struct ConversationKey {
  int64_t pk = 0;
  int64_t update_time = 0;
  std::string latest_analysis_id;
};

// Looks (tenant, id) up on the write connection; NOT_FOUND if absent.
absl::StatusOr<ConversationKey> FindConversation(Connection& conn, absl::string_view tenant,
                                                 absl::string_view id) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT pk, update_time, latest_analysis_id"
                                          " FROM conversations WHERE tenant = ?1 AND id = ?2"));
  s.BindText(1, tenant).BindText(2, id);
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
  }
  return ConversationKey{s.Int(0), s.Int(1), std::string(s.Text(2))};
}

absl::Status ParseBodyInto(absl::string_view body, absl::string_view id, core::Conversation* out) {
  if (!out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InternalError(absl::StrCat("stored conversation ", id, " is corrupt"));
  }
  return absl::OkStatus();
}

absl::StatusOr<core::Conversation> ParseBody(absl::string_view body, absl::string_view id) {
  core::Conversation conv;
  RETURN_IF_ERROR(ParseBodyInto(body, id, &conv));
  return conv;
}

absl::Status Closed() { return absl::UnavailableError("the store is closed"); }

}  // namespace
}  // namespace sqlite

using sqlite::Connection;
using sqlite::Stmt;

// ---- open / close -----------------------------------------------------------

// A queued write: its closure, and the callback the writer calls with its
// result after the group commit (then deleting the op).
struct SqliteStore::WriteOp {
  absl::AnyInvocable<absl::Status(Connection&) const> fn;
  WriteDone done;
  absl::Status status;
};

class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~ReadLease() { store_->ReleaseReader(std::move(conn_)); }
  Connection& conn() { return *conn_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> conn_;
};

SqliteStore::SqliteStore(std::string path, const SqliteStoreOptions& options)
    : path_(std::move(path)), options_(options), view_cache_(options.view_cache_bytes) {}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& data_dir,
                                                               const SqliteStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", data_dir, ": ", ec.message()));
  }
  std::string path = (std::filesystem::path(data_dir) / "parley.db").string();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(path, Connection::Mode::kWriter, options));
  RETURN_IF_ERROR(sqlite::Migrate(*writer, path));
  // Make the database file's directory entry durable (SQLite syncs the
  // directory for the WAL it creates, not for the main file).
  if (int fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
  RETURN_IF_ERROR(store->Start(std::move(writer)));
  return store;
}

absl::Status SqliteStore::Start(std::unique_ptr<Connection> writer) {
  writer_ = std::move(writer);
  // Check a reader can open before accepting traffic.
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReleaseReader(std::move(reader));
  writer_thread_ = std::thread([this] { WriterLoop(); });
  return absl::OkStatus();
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  if (closed_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    paused_ = false;
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  std::vector<std::unique_ptr<Connection>> idle;
  {
    absl::MutexLock lock(&pool_mu_);
    readers_closed_ = true;
    idle.swap(idle_readers_);
    open_readers_ -= static_cast<int>(idle.size());
  }
  idle.clear();
  {
    // Wait for reads in flight; they close their connection on release.
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &open_readers_));
  }
  writer_.reset();  // last connection: checkpoints the WAL
  view_cache_.Clear();
}

// ---- writer -----------------------------------------------------------------

absl::Status SqliteStore::Write(absl::FunctionRef<absl::Status(Connection&)> fn) {
  absl::Notification finished;
  absl::Status result;
  WriteAsync([fn](Connection& conn) { return fn(conn); },
             [&](absl::Status s) {
               result = std::move(s);
               finished.Notify();
             });
  finished.WaitForNotification();
  return result;
}

void SqliteStore::WriteAsync(absl::AnyInvocable<absl::Status(Connection&) const> fn, WriteDone done) {
  auto op = std::make_unique<WriteOp>(WriteOp{std::move(fn), std::move(done), absl::OkStatus()});
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(op.release());
      return;
    }
  }
  op->done(sqlite::Closed());
}

void SqliteStore::WriterLoop() {
  std::vector<WriteOp*> batch;
  for (;;) {
    mu_.Lock();
    mu_.Await(absl::Condition(
        +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return (!s->paused_ && !s->queue_.empty()) || (s->stopping_ && s->queue_.empty());
        },
        this));
    if (queue_.empty()) {  // stopping and drained
      mu_.Unlock();
      return;
    }
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
    batch.assign(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    mu_.Unlock();

    RunBatch(batch);

    mu_.Lock();
    stats_.batches++;
    stats_.ops += static_cast<int64_t>(n);
    stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(n));
    mu_.Unlock();
    // Outside the lock: a callback may queue another write.
    for (WriteOp* op : batch) {
      std::unique_ptr<WriteOp> owned(op);
      owned->done(std::move(owned->status));
    }
    batch.clear();
  }
}

void SqliteStore::RunBatch(const std::vector<WriteOp*>& batch) {
  Connection& conn = *writer_;
  auto fail_all = [&](const absl::Status& s) {
    for (WriteOp* op : batch) op->status = s;
  };
  if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) {
    fail_all(s);
    return;
  }
  for (WriteOp* op : batch) {
    absl::Status s = conn.Exec("SAVEPOINT op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return;
    }
    absl::Status result = op->fn(conn);
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (I/O error, disk full...):
      // nothing of this batch was written.
      fail_all(result.ok() ? absl::UnavailableError("sqlite: transaction rolled back") : result);
      return;
    }
    if (!result.ok()) s = conn.Exec("ROLLBACK TO op");
    if (s.ok()) s = conn.Exec("RELEASE op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return;
    }
    op->status = std::move(result);
  }
  if (absl::Status s = conn.Exec("COMMIT"); !s.ok()) {
    if (!sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
    fail_all(s);
  }
}

SqliteStore::WriterStats SqliteStore::writer_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void SqliteStore::PauseWriterForTest() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void SqliteStore::ResumeWriterForTest() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

size_t SqliteStore::QueuedWritesForTest() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

// ---- readers ----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Connection>> SqliteStore::AcquireReader() {
  {
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return s->readers_closed_ || !s->idle_readers_.empty() ||
                 s->open_readers_ < std::max(1, s->options_.max_read_connections);
        },
        this));
    if (readers_closed_) return sqlite::Closed();
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    ++open_readers_;
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn =
      Connection::Open(path_, Connection::Mode::kReader, options_);
  if (!conn.ok()) {
    absl::MutexLock lock(&pool_mu_);
    --open_readers_;
  }
  return conn;
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&pool_mu_);
  if (readers_closed_) {
    conn.reset();
    --open_readers_;
    return;
  }
  idle_readers_.push_back(std::move(conn));
}

// ---- operations -------------------------------------------------------------

namespace sqlite {
namespace {

// The write of a new conversation (see Store::CreateConversation).
absl::Status InsertConversation(Connection& conn, const core::Conversation& conversation,
                                const std::string& body, const ConversationViews& views) {
  {
    // An expired conversation not yet swept frees its id.
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversations WHERE tenant = ?1 AND id = ?2"
                                            " AND expire_time != 0 AND expire_time <= ?3"));
    s.BindText(1, conversation.tenant()).BindText(2, conversation.id());
    s.Bind(3, conversation.create_time_us());
    RETURN_IF_ERROR(s.Exec());
  }
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement(kInsertConversation));
    BindConversationColumns(s, conversation);
    int rc = s.StepRaw();
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return absl::AlreadyExistsError(
          absl::StrCat("conversation ", conversation.id(), " already exists"));
    }
    if (rc != SQLITE_DONE) return s.Error(rc, "inserting conversation");
  }
  const int64_t pk = sqlite3_last_insert_rowid(conn.db());
  RETURN_IF_ERROR(InsertChildren(conn, pk, conversation, body));
  if (views.empty()) return absl::OkStatus();
  return ReplaceViews(conn, pk, views);
}

absl::Status CheckNewConversation(const core::Conversation& conversation) {
  if (conversation.tenant().empty() || conversation.id().empty()) {
    return absl::InvalidArgumentError("a conversation needs a tenant and an id");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace sqlite

absl::Status SqliteStore::CreateConversation(const core::Conversation& conversation,
                                             const ConversationViews& views) {
  absl::Notification finished;
  absl::Status result;
  CreateConversationAsync(conversation, views, [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

void SqliteStore::CreateConversationAsync(const core::Conversation& conversation,
                                          const ConversationViews& views, WriteDone done) {
  if (closed_) return done(sqlite::Closed());
  if (absl::Status s = sqlite::CheckNewConversation(conversation); !s.ok()) return done(s);
  std::string body;
  if (!conversation.SerializeToString(&body)) {
    return done(absl::InternalError("cannot serialize conversation"));
  }
  WriteAsync(
      [&conversation, packed = sqlite::PackViews(views), body = std::move(body)](Connection& conn) {
        return sqlite::InsertConversation(conn, conversation, body, packed);
      },
      std::move(done));
}

absl::Status SqliteStore::ReadConversationView(std::string_view tenant_sv, std::string_view id_sv,
                                               int64_t now_us, std::string_view view_sv,
                                               std::string* location, std::string* body) {
  if (closed_) return sqlite::Closed();
  if (view_cache_.Lookup(tenant_sv, id_sv, view_sv, now_us, location, body)) {
    return absl::OkStatus();
  }
  const uint64_t generation = view_cache_.generation();  // before the read transaction
  const absl::string_view tenant = sqlite::Sv(tenant_sv), id = sqlite::Sv(id_sv);
  int64_t expire_time = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
    ReadLease lease(this, std::move(reader));
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                                 "SELECT c.expire_time, c.location, v.body FROM conversations c"
                                 " LEFT JOIN conversation_views v ON v.conv = c.pk AND v.name = ?3"
                                 " WHERE c.tenant = ?1 AND c.id = ?2"));
    s.BindText(1, tenant).BindText(2, id).BindText(3, sqlite::Sv(view_sv));
    ASSIGN_OR_RETURN(bool row, s.Next());
    expire_time = row ? s.Int(0) : 0;
    if (!row || (now_us != 0 && expire_time != 0 && expire_time <= now_us)) {
      return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
    }
    location->assign(s.Text(1).data(), s.Text(1).size());
    RETURN_IF_ERROR(sqlite::UnpackView(s.Blob(2), body));
  }
  view_cache_.Insert(generation, tenant_sv, id_sv, view_sv, *location, expire_time, *body);
  return absl::OkStatus();
}

absl::StatusOr<core::Conversation> SqliteStore::GetConversation(std::string_view tenant,
                                                                std::string_view id,
                                                                int64_t now_us) {
  core::Conversation conv;
  if (absl::Status s = ReadConversation(tenant, id, now_us, &conv); !s.ok()) return s;
  return conv;
}

absl::Status SqliteStore::ReadConversation(std::string_view tenant_sv, std::string_view id_sv,
                                           int64_t now_us, core::Conversation* out) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), id = sqlite::Sv(id_sv);
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s,
                   lease.conn().Statement("SELECT c.expire_time, b.body FROM conversations c"
                                          " CROSS JOIN conversation_bodies b ON b.conv = c.pk"
                                          " WHERE c.tenant = ?1 AND c.id = ?2"));
  s.BindText(1, tenant).BindText(2, id);
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row || (now_us != 0 && s.Int(0) != 0 && s.Int(0) <= now_us)) {
    return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
  }
  return sqlite::ParseBodyInto(s.Blob(1), id, out);
}

absl::Status SqliteStore::UpdateConversation(const core::Conversation& conversation,
                                             int64_t expected_update_time_us,
                                             const ConversationViews& views) {
  if (closed_) return sqlite::Closed();
  std::string body;
  if (!conversation.SerializeToString(&body)) {
    return absl::InternalError("cannot serialize conversation");
  }
  const ConversationViews packed = sqlite::PackViews(views);
  absl::Cleanup invalidate = [&] { view_cache_.Invalidate(conversation.tenant(), conversation.id()); };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(sqlite::ConversationKey key,
                     sqlite::FindConversation(conn, conversation.tenant(), conversation.id()));
    if (key.update_time != expected_update_time_us) {
      return absl::AbortedError(
          absl::StrCat("conversation ", conversation.id(), " was modified concurrently; retry"));
    }
    // The store owns latest_analysis_id (PutAnalysis sets it without touching
    // update_time): keep the stored one. Views rendered with another one are
    // stale, so they are dropped instead of stored.
    const bool views_current = key.latest_analysis_id == conversation.latest_analysis_id();
    RETURN_IF_ERROR(sqlite::ReplaceViews(conn, key.pk, views_current ? packed : ConversationViews{}));
    const core::Conversation* row = &conversation;
    absl::string_view row_body = body;
    core::Conversation patched;
    std::string patched_body;
    if (key.latest_analysis_id != conversation.latest_analysis_id()) {
      patched = conversation;
      patched.set_latest_analysis_id(key.latest_analysis_id);
      if (!patched.SerializeToString(&patched_body)) {
        return absl::InternalError("cannot serialize conversation");
      }
      row = &patched;
      row_body = patched_body;
    }
    {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement(sqlite::kUpdateConversation));
      sqlite::BindConversationColumns(s, *row);
      RETURN_IF_ERROR(s.Exec());
    }
    for (const char* sql : {"DELETE FROM conversation_agents WHERE conv = ?1",
                            "DELETE FROM conversation_labels WHERE conv = ?1"}) {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement(sql));
      s.Bind(1, key.pk);
      RETURN_IF_ERROR(s.Exec());
    }
    return sqlite::InsertChildren(conn, key.pk, *row, row_body);
  });
}

absl::Status SqliteStore::DeleteConversation(std::string_view tenant_sv, std::string_view id_sv,
                                             bool force) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), id = sqlite::Sv(id_sv);
  absl::Cleanup invalidate = [&] { view_cache_.Invalidate(tenant_sv, id_sv); };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(sqlite::ConversationKey key, sqlite::FindConversation(conn, tenant, id));
    if (!force) {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT 1 FROM analyses WHERE conv = ?1 LIMIT 1"));
      s.Bind(1, key.pk);
      ASSIGN_OR_RETURN(bool has_analyses, s.Next());
      if (has_analyses) {
        return absl::FailedPreconditionError("conversation has analyses; set force to delete them");
      }
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversations WHERE pk = ?1"));
    s.Bind(1, key.pk);
    return s.Exec();  // cascades to body, labels, agents, analyses
  });
}

namespace sqlite {
namespace {

// Makes `analysis_id` (possibly empty) the latest analysis of conversation
// `pk`, in its column and its body, and drops its stored views.
absl::Status SetLatestAnalysis(Connection& conn, int64_t pk, absl::string_view conversation_id,
                               absl::string_view analysis_id) {
  RETURN_IF_ERROR(ReplaceViews(conn, pk, {}));
  {
    ASSIGN_OR_RETURN(
        Stmt s, conn.Statement("UPDATE conversations SET latest_analysis_id = ?2 WHERE pk = ?1"));
    s.Bind(1, pk).BindText(2, analysis_id);
    RETURN_IF_ERROR(s.Exec());
  }
  std::string new_body;
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT body FROM conversation_bodies WHERE conv = ?1"));
    s.Bind(1, pk);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::InternalError("conversation body missing");
    ASSIGN_OR_RETURN(core::Conversation conv, ParseBody(s.Blob(0), conversation_id));
    conv.set_latest_analysis_id(std::string(analysis_id));
    if (!conv.SerializeToString(&new_body)) {
      return absl::InternalError("cannot serialize conversation");
    }
  }
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE conversation_bodies SET body = ?2 WHERE conv = ?1"));
  s.Bind(1, pk).BindBlobStatic(2, new_body);
  return s.Exec();
}

// Replaces a stored operation; NOT_FOUND if absent.
absl::Status WriteOperation(Connection& conn, const core::Operation& op, absl::string_view body) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE operations SET location = ?3, create_time = ?4,"
                                          " done = ?5, body = ?6 WHERE tenant = ?1 AND id = ?2"));
  s.BindText(1, op.tenant()).BindText(2, op.id()).BindText(3, op.location());
  s.Bind(4, op.create_time_us()).Bind(5, int64_t{core::IsFinished(op)}).BindBlobStatic(6, body);
  RETURN_IF_ERROR(s.Exec());
  if (sqlite3_changes64(conn.db()) == 0) {
    return absl::NotFoundError(absl::StrCat("operation ", op.id(), " not found"));
  }
  return absl::OkStatus();
}

template <typename M>
absl::StatusOr<M> ParseMessage(absl::string_view bytes, absl::string_view what) {
  M m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError(absl::StrCat("stored ", what, " is corrupt"));
  }
  return m;
}

// Reads a keyset page: rows of (sort value, id, serialized M), asked for with
// LIMIT page_size + 1. Up to page_size messages go to `items`; the extra row,
// if any, means more follow after the last one returned (`next`).
template <typename M>
absl::Status ReadPage(Stmt& s, int page_size, absl::string_view what, std::vector<M>* items,
                      std::optional<core::ListCursor>* next) {
  int64_t last_sort_value = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::OkStatus();
    if (static_cast<int>(items->size()) >= page_size) {
      *next = core::ListCursor{last_sort_value, items->back().id()};
      return absl::OkStatus();
    }
    last_sort_value = s.Int(0);
    ASSIGN_OR_RETURN(M m, ParseMessage<M>(s.Blob(2), what));
    items->push_back(std::move(m));
  }
}

}  // namespace
}  // namespace sqlite

absl::Status SqliteStore::PutAnalysis(const core::Analysis& analysis,
                                      const core::Operation* finished) {
  if (closed_) return sqlite::Closed();
  if (analysis.tenant().empty() || analysis.conversation_id().empty() || analysis.id().empty()) {
    return absl::InvalidArgumentError("an analysis needs a tenant, a conversation id and an id");
  }
  std::string body, op_body;
  if (!analysis.SerializeToString(&body) ||
      (finished != nullptr && !finished->SerializeToString(&op_body))) {
    return absl::InternalError("cannot serialize analysis");
  }
  absl::Cleanup invalidate = [&] {
    view_cache_.Invalidate(analysis.tenant(), analysis.conversation_id());
  };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(sqlite::ConversationKey key,
                     sqlite::FindConversation(conn, analysis.tenant(), analysis.conversation_id()));
    bool newest = true;
    if (!key.latest_analysis_id.empty() && key.latest_analysis_id != analysis.id()) {
      ASSIGN_OR_RETURN(
          Stmt s, conn.Statement("SELECT create_time FROM analyses WHERE conv = ?1 AND id = ?2"));
      s.Bind(1, key.pk).BindText(2, key.latest_analysis_id);
      ASSIGN_OR_RETURN(bool row, s.Next());
      newest = !row || analysis.create_time_us() >= s.Int(0);
    }
    {
      ASSIGN_OR_RETURN(
          Stmt s, conn.Statement("INSERT INTO analyses (conv, id, create_time, body)"
                                 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conv, id) DO UPDATE"
                                 " SET create_time = excluded.create_time, body = excluded.body"));
      s.Bind(1, key.pk).BindText(2, analysis.id()).Bind(3, analysis.create_time_us());
      s.BindBlobStatic(4, body);
      RETURN_IF_ERROR(s.Exec());
    }
    if (finished != nullptr) RETURN_IF_ERROR(sqlite::WriteOperation(conn, *finished, op_body));
    if (!newest || key.latest_analysis_id == analysis.id()) return absl::OkStatus();
    return sqlite::SetLatestAnalysis(conn, key.pk, analysis.conversation_id(), analysis.id());
  });
}

absl::StatusOr<core::Analysis> SqliteStore::GetAnalysis(std::string_view tenant,
                                                        std::string_view conversation_id,
                                                        std::string_view analysis_id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT a.body FROM analyses a JOIN conversations c ON a.conv = c.pk"
                               " WHERE c.tenant = ?1 AND c.id = ?2 AND a.id = ?3"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(conversation_id));
  s.BindText(3, sqlite::Sv(analysis_id));
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return absl::NotFoundError(absl::StrCat("analysis ", sqlite::Sv(analysis_id), " not found"));
  return sqlite::ParseMessage<core::Analysis>(s.Blob(0), "analysis");
}

absl::StatusOr<AnalysisPage> SqliteStore::ListAnalyses(std::string_view tenant,
                                                       std::string_view conversation_id,
                                                       int page_size,
                                                       const std::optional<core::ListCursor>& after) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  int64_t pk = 0;
  {
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                                 "SELECT pk FROM conversations WHERE tenant = ?1 AND id = ?2"));
    s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(conversation_id));
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) {
      return absl::NotFoundError(absl::StrCat("conversation ", sqlite::Sv(conversation_id), " not found"));
    }
    pk = s.Int(0);
  }
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               after ? "SELECT create_time, id, body FROM analyses WHERE conv = ?1"
                                       " AND (create_time, id) < (?2, ?3)"
                                       " ORDER BY create_time DESC, id DESC LIMIT ?4"
                                     : "SELECT create_time, id, body FROM analyses WHERE conv = ?1"
                                       " ORDER BY create_time DESC, id DESC LIMIT ?4"));
  s.Bind(1, pk).Bind(4, int64_t{page_size} + 1);
  if (after) s.Bind(2, after->sort_value).BindText(3, after->id);
  AnalysisPage page;
  RETURN_IF_ERROR(sqlite::ReadPage(s, page_size, "analysis", &page.analyses, &page.next));
  return page;
}

absl::Status SqliteStore::DeleteAnalysis(std::string_view tenant_sv,
                                         std::string_view conversation_id_sv,
                                         std::string_view analysis_id_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), conversation_id = sqlite::Sv(conversation_id_sv),
                          analysis_id = sqlite::Sv(analysis_id_sv);
  absl::Cleanup invalidate = [&] { view_cache_.Invalidate(tenant_sv, conversation_id_sv); };
  return Write([&](Connection& conn) -> absl::Status {
    absl::StatusOr<sqlite::ConversationKey> key = sqlite::FindConversation(conn, tenant, conversation_id);
    if (!key.ok()) return absl::NotFoundError(absl::StrCat("analysis ", analysis_id, " not found"));
    {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM analyses WHERE conv = ?1 AND id = ?2"));
      s.Bind(1, key->pk).BindText(2, analysis_id);
      RETURN_IF_ERROR(s.Exec());
      if (sqlite3_changes64(conn.db()) == 0) {
        return absl::NotFoundError(absl::StrCat("analysis ", analysis_id, " not found"));
      }
    }
    if (key->latest_analysis_id != analysis_id) return absl::OkStatus();
    std::string newest;
    {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT id FROM analyses WHERE conv = ?1"
                                              " ORDER BY create_time DESC, id DESC LIMIT 1"));
      s.Bind(1, key->pk);
      ASSIGN_OR_RETURN(bool row, s.Next());
      if (row) newest = std::string(s.Text(0));
    }
    return sqlite::SetLatestAnalysis(conn, key->pk, conversation_id, newest);
  });
}

// ---- operations ----------------------------------------------------------------

absl::Status SqliteStore::CreateOperation(const core::Operation& op) {
  if (closed_) return sqlite::Closed();
  if (op.tenant().empty() || op.id().empty()) {
    return absl::InvalidArgumentError("an operation needs a tenant and an id");
  }
  std::string body;
  if (!op.SerializeToString(&body)) return absl::InternalError("cannot serialize operation");
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO operations (tenant, id, location,"
                                            " create_time, done, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    s.BindText(1, op.tenant()).BindText(2, op.id()).BindText(3, op.location());
    s.Bind(4, op.create_time_us()).Bind(5, int64_t{core::IsFinished(op)}).BindBlobStatic(6, body);
    int rc = s.StepRaw();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      return absl::AlreadyExistsError(absl::StrCat("operation ", op.id(), " already exists"));
    }
    if (rc != SQLITE_DONE) return s.Error(rc, "inserting operation");
    return absl::OkStatus();
  });
}

absl::StatusOr<core::Operation> SqliteStore::GetOperation(std::string_view tenant,
                                                          std::string_view id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT body FROM operations WHERE tenant = ?1 AND id = ?2"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(id));
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return absl::NotFoundError(absl::StrCat("operation ", sqlite::Sv(id), " not found"));
  return sqlite::ParseMessage<core::Operation>(s.Blob(0), "operation");
}

absl::Status SqliteStore::UpdateOperation(const core::Operation& op) {
  if (closed_) return sqlite::Closed();
  std::string body;
  if (!op.SerializeToString(&body)) return absl::InternalError("cannot serialize operation");
  return Write([&](Connection& conn) { return sqlite::WriteOperation(conn, op, body); });
}

absl::StatusOr<OperationPage> SqliteStore::ListOperations(
    std::string_view tenant, std::string_view location, std::optional<bool> done, int page_size,
    const std::optional<core::ListCursor>& after) {
  if (closed_) return sqlite::Closed();
  std::string sql = "SELECT create_time, id, body FROM operations WHERE tenant = ?1";
  if (!location.empty()) absl::StrAppend(&sql, " AND location = ?2");
  if (done.has_value()) absl::StrAppend(&sql, " AND done = ?3");
  if (after) absl::StrAppend(&sql, " AND (create_time, id) < (?4, ?5)");
  absl::StrAppend(&sql, " ORDER BY create_time DESC, id DESC LIMIT ?6");
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(sql));
  s.BindText(1, sqlite::Sv(tenant));
  if (!location.empty()) s.BindText(2, sqlite::Sv(location));
  if (done.has_value()) s.Bind(3, int64_t{*done});
  if (after) s.Bind(4, after->sort_value).BindText(5, after->id);
  s.Bind(6, int64_t{page_size} + 1);
  OperationPage page;
  RETURN_IF_ERROR(sqlite::ReadPage(s, page_size, "operation", &page.operations, &page.next));
  return page;
}

absl::StatusOr<std::vector<core::Operation>> SqliteStore::ListUnfinishedOperations() {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT body FROM operations WHERE done = 0 ORDER BY create_time"));
  std::vector<core::Operation> ops;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    ASSIGN_OR_RETURN(core::Operation op, sqlite::ParseMessage<core::Operation>(s.Blob(0), "operation"));
    ops.push_back(std::move(op));
  }
  return ops;
}

// ---- resources -------------------------------------------------------------------

absl::Status SqliteStore::CreateResource(const Resource& r) {
  if (closed_) return sqlite::Closed();
  if (r.tenant.empty() || r.kind.empty() || r.id.empty()) {
    return absl::InvalidArgumentError("a resource needs a tenant, a kind and an id");
  }
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO resources (tenant, kind, id, location,"
                                            " create_time, update_time, body)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id).BindText(4, r.location);
    s.Bind(5, r.create_time_us).Bind(6, r.update_time_us).BindBlobStatic(7, r.body);
    int rc = s.StepRaw();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      return absl::AlreadyExistsError(absl::StrCat(r.kind, " ", r.id, " already exists"));
    }
    if (rc != SQLITE_DONE) return s.Error(rc, "inserting resource");
    return absl::OkStatus();
  });
}

absl::StatusOr<Resource> SqliteStore::GetResource(std::string_view tenant, std::string_view kind,
                                                  std::string_view id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT location, create_time, update_time, body FROM resources"
                               " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(kind)).BindText(3, sqlite::Sv(id));
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(sqlite::Sv(kind), " ", sqlite::Sv(id), " not found"));
  }
  return Resource{std::string(tenant), std::string(kind), std::string(id), std::string(s.Text(0)),
                  s.Int(1), s.Int(2), std::string(s.Blob(3))};
}

absl::Status SqliteStore::UpdateResource(const Resource& r, int64_t expected_update_time_us) {
  if (closed_) return sqlite::Closed();
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT update_time FROM resources"
                                              " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
      s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id);
      ASSIGN_OR_RETURN(bool row, s.Next());
      if (!row) return absl::NotFoundError(absl::StrCat(r.kind, " ", r.id, " not found"));
      if (s.Int(0) != expected_update_time_us) {
        return absl::AbortedError(absl::StrCat(r.kind, " ", r.id, " was changed concurrently"));
      }
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE resources SET location = ?4, create_time = ?5,"
                                            " update_time = ?6, body = ?7"
                                            " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
    s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id).BindText(4, r.location);
    s.Bind(5, r.create_time_us).Bind(6, r.update_time_us).BindBlobStatic(7, r.body);
    return s.Exec();
  });
}

absl::Status SqliteStore::DeleteResource(std::string_view tenant_sv, std::string_view kind_sv,
                                         std::string_view id_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), kind = sqlite::Sv(kind_sv),
                          id = sqlite::Sv(id_sv);
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement(
                                 "DELETE FROM resources WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
    s.BindText(1, tenant).BindText(2, kind).BindText(3, id);
    RETURN_IF_ERROR(s.Exec());
    if (sqlite3_changes64(conn.db()) == 0) {
      return absl::NotFoundError(absl::StrCat(kind, " ", id, " not found"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ResourcePage> SqliteStore::ListResources(std::string_view tenant,
                                                        std::string_view kind,
                                                        std::string_view location, int page_size,
                                                        std::string_view after_id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT id, location, create_time, update_time, body FROM resources"
                               " WHERE tenant = ?1 AND kind = ?2 AND id > ?3"
                               " AND (?4 = '' OR location = ?4) ORDER BY id LIMIT ?5"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(kind)).BindText(3, sqlite::Sv(after_id));
  s.BindText(4, sqlite::Sv(location)).Bind(5, int64_t{page_size} + 1);
  ResourcePage page;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    if (static_cast<int>(page.resources.size()) >= page_size) {
      page.next_after_id = page.resources.back().id;
      break;
    }
    page.resources.push_back(Resource{std::string(tenant), std::string(kind), std::string(s.Text(0)),
                                      std::string(s.Text(1)), s.Int(2), s.Int(3),
                                      std::string(s.Blob(4))});
  }
  return page;
}

absl::StatusOr<ConversationPage> SqliteStore::ListConversations(
    const core::ConversationQuery& query) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(sqlite::SqlQuery sql, sqlite::CompileListQuery(query));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(sql.sql));
  for (size_t i = 0; i < sql.params.size(); ++i) s.Bind(static_cast<int>(i + 1), sql.params[i]);
  ConversationPage page;
  RETURN_IF_ERROR(
      sqlite::ReadPage(s, query.page_size, "conversation", &page.conversations, &page.next));
  return page;
}

absl::StatusOr<int64_t> SqliteStore::DeleteExpiredConversations(int64_t now_us) {
  if (closed_) return sqlite::Closed();
  // In chunks, each its own transaction, so a large sweep does not hold up
  // other writers. Each chunk is atomic; a failure leaves earlier chunks
  // deleted (they were expired anyway).
  constexpr int64_t kChunk = 1000;
  int64_t total = 0;
  for (;;) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Stmt s,
                       conn.Statement("DELETE FROM conversations WHERE pk IN (SELECT pk FROM"
                                      " conversations WHERE expire_time != 0 AND expire_time <= ?1"
                                      " LIMIT ?2)"));
      s.Bind(1, now_us).Bind(2, kChunk);
      RETURN_IF_ERROR(s.Exec());
      deleted = sqlite3_changes64(conn.db());
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < kChunk) return total;
  }
}

absl::StatusOr<std::string> SqliteStore::GetOrCreateSetting(std::string_view key_sv,
                                                            std::string_view default_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view key = sqlite::Sv(key_sv), default_value = sqlite::Sv(default_sv);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
    ReadLease lease(this, std::move(reader));
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement("SELECT value FROM settings WHERE key = ?1"));
    s.BindText(1, key);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) return std::string(s.Blob(0));
  }
  std::string value;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          Stmt s, conn.Statement("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)"));
      s.BindText(1, key).BindBlob(2, default_value);
      RETURN_IF_ERROR(s.Exec());
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT value FROM settings WHERE key = ?1"));
    s.BindText(1, key);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::InternalError("setting vanished");
    value = std::string(s.Blob(0));
    return absl::OkStatus();
  }));
  return value;
}

absl::StatusOr<std::string> SqliteStore::ExplainListQuery(const core::ConversationQuery& query) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(sqlite::SqlQuery sql, sqlite::CompileListQuery(query));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(absl::StrCat("EXPLAIN QUERY PLAN ", sql.sql)));
  for (size_t i = 0; i < sql.params.size(); ++i) s.Bind(static_cast<int>(i + 1), sql.params[i]);
  std::vector<std::string> lines;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    lines.emplace_back(s.Text(3));
  }
  return absl::StrJoin(lines, "\n");
}

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                       const StoreOptions& options) {
  SqliteStoreOptions sqlite_options;
  sqlite_options.view_cache_bytes = options.view_cache_bytes;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(data_dir, sqlite_options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace parley::store
