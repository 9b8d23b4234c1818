// libpq made small: a connection (Conn), bound parameters (Params), a result
// (Result), the mapping of PostgreSQL errors to absl::Status, and the pool
// of connections the PostgreSQL store runs on. Private to the PostgreSQL
// backend.
//
// Every parameter and every result column travels in binary form: integers
// as int8, strings as text or bytea, so that no value is ever quoted into
// SQL and bytes come back exactly as stored.
#pragma once

#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

#include "store/status_macros.h"

namespace parley::store::pg {

// This absl is built with its own string_view type.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Parameters $1, $2, ... of one statement, in binary form. Text and bytes
// are not copied: they must stay alive until the statement has run.
class Params {
 public:
  Params() = default;
  // Not copyable: the pointers to bound integers would point into the
  // original. A move keeps them (the deque's elements stay where they are),
  // so a vector of statements reallocates by moving.
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;
  Params(Params&&) = default;
  Params& operator=(Params&&) = default;
  Params& Int(int64_t v);
  Params& Text(std::string_view v);
  Params& Bytes(std::string_view v);
  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Conn;
  void Add(unsigned int oid, const char* data, size_t size);
  std::vector<unsigned int> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::deque<std::array<char, 8>> ints_;
};

// The rows of a statement, columns in binary form.
class Result {
 public:
  explicit Result(PGresult* res) : res_(res) {}
  Result(Result&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  ~Result();
  int rows() const { return PQntuples(res_); }
  // Rows a command changed (UPDATE, DELETE, INSERT).
  int64_t affected() const;
  // An int8 column (every integer the schema stores is one).
  int64_t Int(int row, int col) const;
  // A text or bytea column; valid while the Result lives.
  std::string_view Bytes(int row, int col) const;
  bool IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

 private:
  PGresult* res_;
};

// One statement of a pipeline (Conn::RunPipeline).
struct Statement {
  std::string sql;
  Params params;
};

// How a pipeline ended.
struct PipelineOutcome {
  // The first statement that failed (-1: all ran and were committed).
  int failed = -1;
  // Its failure (as Conn::Exec would return it) and SQLSTATE.
  absl::Status status;
  std::string sqlstate;
  // The failure came before any statement had completed and is the server
  // ending the session (or the connection was found dead before sending):
  // nothing ran, so the pipeline may run again on a fresh connection.
  // Otherwise a lost connection leaves the outcome unknown.
  bool nothing_ran = false;
};

// SQLSTATEs the store reacts to.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kQueryCanceled = "57014";

// One connection. Not thread-safe: one user at a time (the pool's lease).
class Conn {
 public:
  // Connects to `url` (a libpq connection URI or key=value string) and sets
  // the session up (synchronous commit, UTC). UNAVAILABLE if the database
  // cannot be reached.
  static absl::StatusOr<std::unique_ptr<Conn>> Open(const std::string& url);
  ~Conn();

  // Runs `sql` with `params`. A failure is UNAVAILABLE when the connection
  // is lost or the server cannot work (shutting down, out of disk), INTERNAL
  // otherwise; sqlstate() tells which error it was.
  absl::StatusOr<Result> Exec(std::string_view sql, const Params& params = Params());
  // Runs statements without parameters (several, separated by ';').
  absl::Status ExecScript(std::string_view sql);

  // Sends `statements` in one go (libpq pipeline mode) and reads their
  // outcomes: one round trip for all. They run as ONE implicit transaction,
  // committed by the Sync that ends the pipeline (with this session's
  // synchronous_commit = on, durable when this returns with failed = -1);
  // the first failure rolls all of them back and skips the rest. Each
  // statement text is prepared once per connection (up to
  // kMaxPreparedStatements texts; beyond, they are parsed each time), so a
  // repeated statement costs the server no parsing or planning. The
  // connection must not be in a transaction.
  PipelineOutcome RunPipeline(const std::vector<Statement>& statements);

  // Whether this idle connection has heard from the server when it should
  // not have (the server ended the session: a restart, a failover,
  // pg_terminate_backend) or is lost; then it is dropped by the pool.
  bool Stale();

  // SQLSTATE of the last failure ("" after a success).
  const std::string& sqlstate() const { return sqlstate_; }
  // The connection is unusable (lost): the pool drops it.
  bool broken() const { return dead_ || PQstatus(conn_) != CONNECTION_OK; }
  PGconn* raw() { return conn_; }

 private:
  explicit Conn(PGconn* conn) : conn_(conn) {}
  absl::Status Failure(PGresult* res, std::string_view sql);
  PGconn* conn_;
  std::string sqlstate_;
  // Set when the connection is left in a state it cannot be reused in.
  bool dead_ = false;
  // Statement text -> name of its prepared statement on this connection.
  absl::flat_hash_map<std::string, std::string> prepared_;
  int64_t next_statement_ = 0;
};

inline constexpr size_t kMaxPreparedStatements = 256;

// Whether a failure with this SQLSTATE means the connection or the server
// is (for now) out of service: UNAVAILABLE, and a fresh connection may work.
bool IsUnavailableState(std::string_view sqlstate);

// Connections to one database, opened on demand up to a maximum; a lease
// returns its connection unless it broke (then the next lease connects
// afresh: the store reconnects by itself after a restart or a
// pg_terminate_backend).
class Pool {
 public:
  Pool(std::string url, int max_connections) : url_(std::move(url)), max_(max_connections) {}
  ~Pool();

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    Conn& operator*() { return *conn_; }
    Conn* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  // Waits for a free connection (or room to open one). UNAVAILABLE if
  // connecting fails or the pool is closed.
  absl::StatusOr<Lease> Acquire();
  // Closes idle connections and refuses new leases; waits for leases out.
  void Close();
  const std::string& url() const { return url_; }

 private:
  void Release(std::unique_ptr<Conn> conn);
  const std::string url_;
  const int max_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Runs `fn` inside a transaction on a leased connection and commits it.
// When the connection turns out to be lost before COMMIT was sent (a
// connection that died while idle in the pool), runs it again once on a
// fresh one: nothing was committed. A failure after COMMIT was sent is
// UNAVAILABLE (the outcome is unknown to this process). Serialization
// failures and deadlocks are retried a few times. `fn` may thus run more
// than once and must not keep effects outside the transaction.
absl::Status InTransaction(Pool& pool, absl::FunctionRef<absl::Status(Conn&)> fn);
// The same without BEGIN/COMMIT: for reads of one statement, or of several
// that need no common snapshot.
absl::Status WithConnection(Pool& pool, absl::FunctionRef<absl::Status(Conn&)> fn);

// Runs `statements` as one pipeline (Conn::RunPipeline) on a leased
// connection that is not stale; when nothing ran because the connection was
// found lost, once more on a fresh one. Acquire failures come back as the
// outcome's status with failed = 0.
PipelineOutcome RunPipeline(Pool& pool, const std::vector<Statement>& statements);

}  // namespace parley::store::pg
