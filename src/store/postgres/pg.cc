#include "store/postgres/pg.h"

#include <endian.h>
#include <poll.h>

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace parley::store::pg {
namespace {

// Type OIDs (catalog/pg_type.h).
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;
constexpr unsigned int kByteaOid = 17;

constexpr char kEmpty[] = "";

std::string_view ErrorText(PGconn* conn, PGresult* res) {
  const char* msg = res != nullptr ? PQresultErrorMessage(res) : nullptr;
  if (msg == nullptr || *msg == '\0') msg = PQerrorMessage(conn);
  std::string_view text = msg == nullptr ? "" : msg;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

}  // namespace

// ---- Params ----

void Params::Add(unsigned int oid, const char* data, size_t size) {
  types_.push_back(oid);
  values_.push_back(data != nullptr ? data : kEmpty);
  lengths_.push_back(static_cast<int>(size));
  formats_.push_back(1);
}

Params& Params::Int(int64_t v) {
  std::array<char, 8>& slot = ints_.emplace_back();
  const uint64_t be = htobe64(static_cast<uint64_t>(v));
  std::memcpy(slot.data(), &be, 8);
  Add(kInt8Oid, slot.data(), 8);
  return *this;
}

Params& Params::Text(std::string_view v) {
  Add(kTextOid, v.data(), v.size());
  return *this;
}

Params& Params::Bytes(std::string_view v) {
  Add(kByteaOid, v.data(), v.size());
  return *this;
}

// ---- Result ----

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}

Result::~Result() {
  if (res_ != nullptr) PQclear(res_);
}

int64_t Result::affected() const {
  const char* n = PQcmdTuples(res_);
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

int64_t Result::Int(int row, int col) const {
  if (PQgetisnull(res_, row, col) || PQgetlength(res_, row, col) != 8) return 0;
  uint64_t be;
  std::memcpy(&be, PQgetvalue(res_, row, col), 8);
  return static_cast<int64_t>(be64toh(be));
}

std::string_view Result::Bytes(int row, int col) const {
  return std::string_view(PQgetvalue(res_, row, col),
                          static_cast<size_t>(PQgetlength(res_, row, col)));
}

// ---- Conn ----

bool IsUnavailableState(std::string_view sqlstate) {
  // 08: connection exceptions; 57P01-57P03: admin shutdown, crash shutdown,
  // cannot connect now; 53: insufficient resources (disk full, out of
  // memory, too many connections).
  return absl::StartsWith(Sv(sqlstate), "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || absl::StartsWith(Sv(sqlstate), "53");
}

absl::StatusOr<std::unique_ptr<Conn>> Conn::Open(const std::string& url) {
  // connect_timeout before dbname: a value in the URL overrides it.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "parley", url.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) return absl::UnavailableError("cannot allocate a PostgreSQL connection");
  std::unique_ptr<Conn> conn(new Conn(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL: ", Sv(ErrorText(raw, nullptr))));
  }
  // A reply means committed and flushed (whatever the server's default), in
  // UTC; a list query's own timeout is set per statement. Parley's
  // transactions wait on nothing but their own statements: one left open
  // for 10 s belongs to a node that stopped (paused, cut off) mid-write and
  // holds row locks other nodes need, e.g. the operation row they would
  // take over when its lease ends (FOR UPDATE SKIP LOCKED skips it while it
  // is locked), so the server ends that session and rolls it back.
  RETURN_IF_ERROR(conn->ExecScript(
      "SET synchronous_commit = on; SET TIME ZONE 'UTC'; SET client_min_messages = warning;"
      " SET idle_in_transaction_session_timeout = '10s'"));
  return conn;
}

Conn::~Conn() { PQfinish(conn_); }

absl::Status Conn::Failure(PGresult* res, std::string_view sql) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state != nullptr ? state : "";
  const std::string message =
      absl::StrCat("PostgreSQL: ", Sv(ErrorText(conn_, res)), sqlstate_.empty() ? "" : " [",
                   sqlstate_, sqlstate_.empty() ? "" : "]");
  if (res != nullptr) PQclear(res);
  if (broken() || IsUnavailableState(sqlstate_) || sqlstate_.empty()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::StatusOr<Result> Conn::Exec(std::string_view sql, const Params& params) {
  const std::string text(sql);
  PGresult* res = PQexecParams(conn_, text.c_str(), params.size(), params.types_.data(),
                               params.values_.data(), params.lengths_.data(),
                               params.formats_.data(), /*resultFormat=*/1);
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(res, sql);
  sqlstate_.clear();
  return Result(res);
}

absl::Status Conn::ExecScript(std::string_view sql) {
  const std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(res, sql);
  PQclear(res);
  sqlstate_.clear();
  return absl::OkStatus();
}

PipelineOutcome Conn::RunPipeline(const std::vector<Statement>& statements) {
  PipelineOutcome out;
  auto fail = [&](int index, PGresult* res, std::string_view sql) {
    out.failed = index;
    out.status = Failure(res, sql);
    out.sqlstate = sqlstate_;
  };
  if (PQenterPipelineMode(conn_) != 1) {
    fail(0, nullptr, "pipeline");
    out.nothing_ran = broken();
    return out;
  }
  // Send: each statement, preceded by its PREPARE the first time its text is
  // seen on this connection, then the Sync that commits.
  std::vector<const std::string*> prepares(statements.size(), nullptr);
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Statement& st = statements[i];
    const Params& p = st.params;
    auto it = prepared_.find(st.sql);
    if (it == prepared_.end() && prepared_.size() < kMaxPreparedStatements) {
      it = prepared_.emplace(st.sql, absl::StrCat("parley_", next_statement_++)).first;
      prepares[i] = &it->second;
      sent = PQsendPrepare(conn_, it->second.c_str(), st.sql.c_str(), p.size(), p.types_.data()) == 1;
    }
    if (!sent) break;
    if (it != prepared_.end()) {
      sent = PQsendQueryPrepared(conn_, it->second.c_str(), p.size(), p.values_.data(),
                                 p.lengths_.data(), p.formats_.data(), /*resultFormat=*/1) == 1;
    } else {
      sent = PQsendQueryParams(conn_, st.sql.c_str(), p.size(), p.types_.data(), p.values_.data(),
                               p.lengths_.data(), p.formats_.data(), /*resultFormat=*/1) == 1;
    }
  }
  if (sent) sent = PQpipelineSync(conn_) == 1;
  if (!sent) {
    // libpq could not queue or write: the connection is unusable. Whether
    // the server saw anything is unknown unless it was lost before.
    fail(0, nullptr, "pipeline");
    dead_ = true;
    return out;
  }
  // Read: for each PREPARE and each statement one result then NULL, then the
  // Sync's PGRES_PIPELINE_SYNC. After a failure the server skips the rest
  // (PGRES_PIPELINE_ABORTED) until the Sync and rolls everything back.
  bool completed_any = false;
  auto next = [&](int index, bool is_prepare) -> bool {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {  // lost
      if (out.failed < 0) fail(index, nullptr, statements[index].sql);
      return false;
    }
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      completed_any = true;
      PQclear(res);
    } else if (st == PGRES_PIPELINE_ABORTED) {
      PQclear(res);
      if (is_prepare) prepared_.erase(statements[index].sql);
    } else {
      if (is_prepare) prepared_.erase(statements[index].sql);
      if (out.failed < 0) {
        const bool first = !completed_any;
        fail(index, res, statements[index].sql);
        // The server said it ends the session before completing anything:
        // it had not run (or had rolled back) the pipeline.
        out.nothing_ran = first && absl::StartsWith(Sv(out.sqlstate), "57P");
      } else {
        PQclear(res);
      }
      if (broken()) return false;
    }
    PGresult* end = PQgetResult(conn_);
    if (end != nullptr) {  // not a pipeline answer: stop trusting the connection
      PQclear(end);
      if (out.failed < 0) fail(index, nullptr, statements[index].sql);
      return false;
    }
    return true;
  };
  bool ok = true;
  for (size_t i = 0; i < statements.size() && ok; ++i) {
    if (prepares[i] != nullptr) ok = next(static_cast<int>(i), /*is_prepare=*/true);
    if (ok) ok = next(static_cast<int>(i), /*is_prepare=*/false);
  }
  if (ok) {
    PGresult* res = PQgetResult(conn_);
    const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_PIPELINE_SYNC) {
      // The commit itself failed (or the connection was lost during it).
      if (out.failed < 0) {
        fail(static_cast<int>(statements.size()) - 1, res, "COMMIT");
      } else if (res != nullptr) {
        PQclear(res);
      }
      ok = false;
    } else {
      PQclear(res);
    }
  }
  if (!ok || PQexitPipelineMode(conn_) != 1) dead_ = true;
  if (out.failed < 0) sqlstate_.clear();
  return out;
}

bool Conn::Stale() {
  if (broken()) return true;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (p.fd < 0) return true;
  if (poll(&p, 1, 0) == 0) return false;
  // An idle session is not spoken to: whatever came (an error saying the
  // session ends, end of file) makes it one to drop.
  (void)PQconsumeInput(conn_);
  dead_ = true;
  return true;
}

// ---- Pool ----

Pool::~Pool() { Close(); }

absl::StatusOr<Pool::Lease> Pool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Pool* p) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return p->closed_ || !p->idle_.empty() || p->open_ < p->max_;
        },
        this));
    if (closed_) return absl::UnavailableError("the store is closed");
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<Conn>> conn = Conn::Open(url_);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void Pool::Release(std::unique_ptr<Conn> conn) {
  absl::MutexLock lock(&mu_);
  if (closed_ || conn->broken()) {
    --open_;
    conn.reset();
    return;
  }
  idle_.push_back(std::move(conn));
}

void Pool::Close() {
  std::vector<std::unique_ptr<Conn>> idle;
  absl::MutexLock lock(&mu_);
  closed_ = true;
  open_ -= static_cast<int>(idle_.size());
  idle.swap(idle_);
  mu_.Await(absl::Condition(
      +[](int* n) { return *n == 0; }, &open_));
}

// ---- transactions ----

namespace {

bool Retryable(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";  // serialization failure, deadlock
}

}  // namespace

absl::Status InTransaction(Pool& pool, absl::FunctionRef<absl::Status(Conn&)> fn) {
  constexpr int kAttempts = 4;
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Pool::Lease lease, pool.Acquire());
    Conn& conn = *lease;
    bool commit_sent = false;
    absl::Status s = conn.ExecScript("BEGIN");
    if (s.ok()) s = fn(conn);
    std::string state = conn.sqlstate();
    if (s.ok()) {
      commit_sent = true;
      s = conn.ExecScript("COMMIT");
      state = conn.sqlstate();
      if (s.ok()) return s;
    } else if (!conn.broken()) {
      (void)conn.ExecScript("ROLLBACK");
    }
    last = s;
    if (conn.broken()) {
      // Lost before COMMIT: nothing was written, try once on a fresh
      // connection. Lost during COMMIT: the outcome is unknown.
      if (commit_sent || attempt > 0) {
        return absl::UnavailableError(absl::StrCat("the database connection was lost: ", s.message()));
      }
      continue;
    }
    if (!Retryable(state)) return s;
  }
  return last;
}

namespace {

// A leased connection that is not stale. Stale ones (every one the pool
// held, after a database restart) are dropped as their lease ends; then the
// pool connects afresh.
absl::StatusOr<Pool::Lease> AcquireLive(Pool& pool) {
  for (int i = 0; i < 64; ++i) {
    ASSIGN_OR_RETURN(Pool::Lease lease, pool.Acquire());
    if (!lease->Stale()) return lease;
  }
  return absl::UnavailableError("no usable database connection");
}

}  // namespace

PipelineOutcome RunPipeline(Pool& pool, const std::vector<Statement>& statements) {
  PipelineOutcome out;
  for (int run = 0; run < 2; ++run) {
    absl::StatusOr<Pool::Lease> lease = AcquireLive(pool);
    if (!lease.ok()) {
      return PipelineOutcome{.failed = 0, .status = lease.status(), .sqlstate = "", .nothing_ran = true};
    }
    out = (**lease).RunPipeline(statements);
    if (out.failed < 0 || !out.nothing_ran) return out;
  }
  return out;
}

absl::Status WithConnection(Pool& pool, absl::FunctionRef<absl::Status(Conn&)> fn) {
  absl::Status s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(Pool::Lease lease, pool.Acquire());
    s = fn(*lease);
    if (s.ok() || !lease->broken()) return s;
  }
  return absl::UnavailableError(absl::StrCat("the database connection was lost: ", s.message()));
}

}  // namespace parley::store::pg
