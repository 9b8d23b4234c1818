// The audit log (ADR 0013): appended through the writer's group commit, so
// an entry costs a row in the next transaction, not a transaction of its own;
// AppendAuditAsync waits up to lazy_write_delay_ms for that transaction.
#include <memory>

#include "store/sqlite/sqlite_internal.h"

namespace parley::store {
namespace sqlite {

absl::Status InsertAudit(Connection& conn, const AuditEntry& e) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   conn.Statement("INSERT INTO audit_log (time, key, tenant, action, resource, result)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.Bind(1, e.time_us).BindText(2, sqlite::Sv(e.key)).BindText(3, sqlite::Sv(e.tenant));
  s.BindText(4, sqlite::Sv(e.action)).BindText(5, sqlite::Sv(e.resource)).BindText(6, sqlite::Sv(e.result));
  return s.Exec();
}

}  // namespace sqlite

absl::Status SqliteStore::AppendAudit(const AuditEntry& entry) {
  if (closed_) return sqlite::Closed();
  return Write([&](sqlite::Connection& conn) { return sqlite::InsertAudit(conn, entry); });
}

void SqliteStore::AppendAuditAsync(AuditEntry entry, WriteDone done) {
  if (closed_) {
    done(sqlite::Closed());
    return;
  }
  auto owned = std::make_shared<const AuditEntry>(std::move(entry));
  // Lazy: the entry rides in the next group commit (typically the next
  // request's write) instead of costing an fsync of its own.
  WriteAsync([owned](sqlite::Connection& conn) { return sqlite::InsertAudit(conn, *owned); }, std::move(done),
             /*scrub_files=*/false, /*lazy=*/true);
}

absl::StatusOr<std::vector<AuditEntry>> SqliteStore::ListAudit(const AuditQuery& query) {
  if (closed_) return sqlite::Closed();
  std::string sql =
      "SELECT seq, time, key, tenant, action, resource, result FROM audit_log"
      " WHERE time >= ?1 AND seq > ?2";
  if (!query.tenant.empty()) sql += " AND tenant = ?3";
  sql += " ORDER BY seq LIMIT ?4";
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(sqlite::Stmt s, lease.conn().Statement(sql));
  s.Bind(1, query.since_us).Bind(2, query.after_seq);
  if (!query.tenant.empty()) s.BindText(3, sqlite::Sv(query.tenant));
  s.Bind(4, int64_t{query.limit});
  std::vector<AuditEntry> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    AuditEntry e;
    e.seq = s.Int(0);
    e.time_us = s.Int(1);
    e.key = std::string(s.Text(2));
    e.tenant = std::string(s.Text(3));
    e.action = std::string(s.Text(4));
    e.resource = std::string(s.Text(5));
    e.result = std::string(s.Text(6));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> SqliteStore::PruneAudit(int64_t before_us) {
  if (closed_) return sqlite::Closed();
  // By the time index, in chunks: a first prune of a long log does not hold
  // the writer for long.
  return DeleteInChunks(
      "DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE time < ?1 LIMIT ?2)",
      before_us, 5000);
}

}  // namespace parley::store
