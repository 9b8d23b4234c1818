// A SQLite connection of the store and its cached prepared statements
// (Connection, Stmt), the mapping of SQLite result codes to absl::Status, and
// the status macros the backend's files share. Private to the SQLite backend.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/sqlite/query_sql.h"
#include "store/sqlite/sqlite_store.h"
#include "store/status_macros.h"


namespace parley::store::sqlite {

// This absl is built with its own string_view type.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A status for SQLite result code `rc` (message from `db` if not null):
// UNAVAILABLE for transient conditions (busy, locked, I/O, disk full, ...),
// INTERNAL otherwise.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// The payload SqliteError puts on the status of SQLITE_FULL (the disk or
// the file system is full), and whether `status` carries it.
inline constexpr absl::string_view kDiskFullPayload = "parley.store/disk-full";
bool IsDiskFull(const absl::Status& status);

// The bytes a statement or savepoint journal keeps in memory before it
// spills to a temp file (connection.cc; 64 KiB if SQLite was initialized
// before the store's setting could apply).
int JournalSpillBytes();

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
  // kWriter: creates the database, sets WAL mode; the store's only writer.
  // kReader: query_only. kCheckpointer: copies committed WAL frames into the
  // database file (sqlite3_wal_checkpoint_v2) and nothing else.
  enum class Mode { kWriter, kReader, kCheckpointer };

  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode,
                                                          const SqliteStoreOptions& options);

  ~Connection();

  sqlite3* db() const { return db_; }

  // A prepared statement for `sql`, cached on this connection.
  absl::StatusOr<Stmt> Statement(absl::string_view sql);

  // Runs one cached statement to completion.
  absl::Status Exec(absl::string_view sql) {
    ASSIGN_OR_RETURN(Stmt stmt, Statement(sql));
    return stmt.Exec();
  }

  // Runs several statements (uncached); for pragmas and migrations.
  absl::Status ExecScript(const std::string& sql);

  absl::StatusOr<std::string> QueryText(const char* sql);

  absl::StatusOr<int64_t> QueryInt(const char* sql);

 private:
  friend class Stmt;
  static constexpr size_t kMaxCachedStatements = 128;

  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> stmts_;
  int live_ = 0;  // Stmt objects in use
};

// While it lives, interrupts the connection's statements (they fail with
// SQLITE_INTERRUPT) once they have run about `max_steps` virtual-machine
// instructions in all: a bound on one query's cost. 0 or less: no bound.
class StepBudget {
 public:
  StepBudget(Connection& conn, int64_t max_steps);
  ~StepBudget();
  StepBudget(const StepBudget&) = delete;
  StepBudget& operator=(const StepBudget&) = delete;
  // The budget ran out (and a statement was interrupted).
  bool exceeded() const { return exceeded_; }

 private:
  static int OnProgress(void* self);
  sqlite3* db_;
  int64_t checks_left_ = 0;
  bool exceeded_ = false;
};

}  // namespace parley::store::sqlite
