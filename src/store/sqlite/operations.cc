// Long-running operations.
#include "absl/strings/str_join.h"
#include "core/operation_state.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/store_checks.h"

namespace parley::store {

namespace sqlite {

// Replaces a stored operation; NOT_FOUND if absent.
absl::Status WriteOperation(Connection& conn, const core::Operation& op, absl::string_view body) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE operations SET location = ?3, create_time = ?4,"
                                          " done = ?5, body = ?6, job = ?7 WHERE tenant = ?1 AND id = ?2"));
  s.BindText(1, op.tenant()).BindText(2, op.id()).BindText(3, op.location());
  s.Bind(4, op.create_time_us()).Bind(5, int64_t{core::IsFinished(op)}).BindBlobStatic(6, body);
  s.Bind(7, int64_t{op.job_case()});
  RETURN_IF_ERROR(s.Exec());
  if (sqlite3_changes64(conn.db()) == 0) {
    return absl::NotFoundError(absl::StrCat("operation ", op.id(), " not found"));
  }
  return absl::OkStatus();
}

// Inserts a new operation; ALREADY_EXISTS if (tenant, id) is taken.
absl::Status InsertOperation(Connection& conn, const core::Operation& op, absl::string_view body) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO operations (tenant, id, location,"
                                          " create_time, done, body, job) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.BindText(1, op.tenant()).BindText(2, op.id()).BindText(3, op.location());
  s.Bind(4, op.create_time_us()).Bind(5, int64_t{core::IsFinished(op)}).BindBlobStatic(6, body);
  s.Bind(7, int64_t{op.job_case()});
  int rc = s.StepRaw();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(absl::StrCat("operation ", op.id(), " already exists"));
  }
  if (rc != SQLITE_DONE) return s.Error(rc, "inserting operation");
  return absl::OkStatus();
}

}  // namespace sqlite

absl::Status SqliteStore::CreateOperation(const core::Operation& op) {
  if (closed_) return sqlite::Closed();
  if (absl::Status s = CheckNewOperation(op); !s.ok()) return s;
  std::string body;
  if (!op.SerializeToString(&body)) return absl::InternalError("cannot serialize operation");
  return Write([&](Connection& conn) { return sqlite::InsertOperation(conn, op, body); });
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
    const std::optional<core::ListCursor>& after, const std::vector<int>& jobs) {
  if (closed_) return sqlite::Closed();
  std::string sql = "SELECT create_time, id, body FROM operations WHERE tenant = ?1";
  if (!jobs.empty()) {
    // Numbers only (the enum's values), so they are written into the SQL.
    absl::StrAppend(&sql, " AND job IN (", absl::StrJoin(jobs, ","), ")");
  }
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

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> SqliteStore::CountConversationsByTenant() {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT tenant, COUNT(*) FROM conversations GROUP BY tenant"));
  std::vector<std::pair<std::string, int64_t>> counts;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    counts.emplace_back(std::string(s.Text(0)), s.Int(1));
  }
  return counts;
}

}  // namespace parley::store
