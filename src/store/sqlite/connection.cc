// Connection and Stmt: opening a connection (through the WAL-buffering VFS,
// with the writer's or a reader's pragmas), the per-connection cache of
// prepared statements, and stepping them.
#include "store/sqlite/connection.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "store/sqlite/wal_buffer_vfs.h"

namespace parley::store::sqlite {
namespace {

// Statement and savepoint journals stay in memory up to kJournalSpillBytes
// (1 MiB, ~250 pages; SQLite allocates it as one block when a journal is
// first written, and frees it when an in-memory journal is emptied).
// Each write on the writer runs under its own SAVEPOINT (writer.cc), whose
// journal keeps the pages the write changes, to undo it if it fails; past
// SQLite's default of 64 KiB it spilled to a temp file for the rest of the
// batch (an open, a 4-byte and a 4 KiB pwrite per page, a close): ~10,000
// system calls a second on the writer thread under analyzeContent load
// (ADR 0047). Releasing the outermost savepoint empties an in-memory
// journal, so it holds one write's changed pages; a write changing more (a
// tenant's deletion, a migration's copy) still spills, so memory stays
// bounded. (The spill writes the whole block in one call, which the unix
// VFS cannot do past 128 KiB: the WAL-buffering VFS splits it.) SQLite takes
// this setting only before it initializes: hence a static initializer,
// which runs before main and before any connection.
constexpr int kJournalSpillBytes = 1 << 20;
const bool journal_spill_set =
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kJournalSpillBytes) == SQLITE_OK;

}  // namespace

int JournalSpillBytes() { return journal_spill_set ? kJournalSpillBytes : 64 << 10; }

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string msg =
      absl::StrCat("sqlite: ", what, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                   " (code ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_FULL: {
      absl::Status full = absl::UnavailableError(msg);
      full.SetPayload(kDiskFullPayload, absl::Cord("1"));
      return full;
    }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

bool IsDiskFull(const absl::Status& status) {
  return status.GetPayload(kDiskFullPayload).has_value();
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Mode mode,
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
  } else if (mode == Mode::kReader) {
    RETURN_IF_ERROR(conn->ExecScript(
        absl::StrCat("PRAGMA query_only=1; PRAGMA cache_size=-", options.reader_cache_kib, ";")));
  } else {
    // A checkpoint reads frames and writes pages without the page cache.
    // Reading the schema opens the WAL: a connection that has never read the
    // database does not know it is in WAL mode, and would not checkpoint.
    RETURN_IF_ERROR(conn->ExecScript(
        "PRAGMA synchronous=FULL; PRAGMA cache_size=-256; PRAGMA wal_autocheckpoint=0;"
        " SELECT count(*) FROM sqlite_schema;"));
    ASSIGN_OR_RETURN(std::string journal, conn->QueryText("PRAGMA journal_mode"));
    if (journal != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not in WAL mode (journal mode is ", journal, ")"));
    }
  }
  // Freed pages and deleted cells are zeroed, whatever SQLite's compiled-in
  // default (SQLITE_SECURE_DELETE): a redaction (Store::UpdateConversation
  // with ScrubUpdate::scrub_files) must leave no old copy of the text in the
  // database file's free space. Set on readers too, though they never write:
  // the setting is per connection and every connection must agree.
  RETURN_IF_ERROR(conn->ExecScript("PRAGMA secure_delete=ON;"));
  ASSIGN_OR_RETURN(int64_t secure_delete, conn->QueryInt("PRAGMA secure_delete"));
  if (secure_delete != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connection to ", path, " runs with PRAGMA secure_delete=", secure_delete,
        "; the store needs ON (1) so that redacted text leaves no copy in free pages"));
  }
  // The WAL-buffering VFS is only correct if every commit syncs the WAL
  // (wal_buffer_vfs.h). It refuses a lower PRAGMA synchronous; this catches a
  // lower compiled-in default, which applies where no pragma sets the level.
  ASSIGN_OR_RETURN(int64_t synchronous, conn->QueryInt("PRAGMA synchronous"));
  if (synchronous < kWalBufferMinSynchronous) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connection to ", path, " runs with PRAGMA synchronous=", synchronous,
        "; the WAL-buffering VFS needs FULL (", kWalBufferMinSynchronous, ") or more"));
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<Stmt> Connection::Statement(absl::string_view sql) {
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

absl::Status Connection::ExecScript(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return SqliteError(nullptr, rc, msg);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::QueryText(const char* sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Next());
  if (!row) return absl::InternalError(absl::StrCat("no result from ", sql));
  return std::string(stmt.Text(0));
}

absl::StatusOr<int64_t> Connection::QueryInt(const char* sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Next());
  if (!row) return absl::InternalError(absl::StrCat("no result from ", sql));
  return stmt.Int(0);
}

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

StepBudget::StepBudget(Connection& conn, int64_t max_steps) : db_(conn.db()) {
  if (max_steps <= 0) {
    db_ = nullptr;
    return;
  }
  constexpr int64_t kStepsPerCheck = 1000;
  const int64_t period = std::min(max_steps, kStepsPerCheck);
  checks_left_ = max_steps / period;
  sqlite3_progress_handler(db_, static_cast<int>(period), &StepBudget::OnProgress, this);
}

StepBudget::~StepBudget() {
  if (db_ != nullptr) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
}

int StepBudget::OnProgress(void* self) {
  auto* budget = static_cast<StepBudget*>(self);
  if (--budget->checks_left_ >= 0) return 0;
  budget->exceeded_ = true;
  return 1;
}

}  // namespace parley::store::sqlite
