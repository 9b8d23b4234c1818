// Analyses, operations, configuration resources, settings and the audit log
// on PostgreSQL.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "core/operation_state.h"
#include "store/postgres/postgres_internal.h"
#include "store/store_checks.h"

namespace parley::store {

namespace pg {

namespace {

// $1 tenant, $2 id, $3 location, $4 create_time, $5 done, $6 job, $7 body.
Params OperationParams(const core::Operation& op, std::string_view body) {
  Params p;
  p.Text(op.tenant()).Text(op.id()).Text(op.location()).Int(op.create_time_us());
  p.Int(core::IsFinished(op) ? 1 : 0).Int(op.job_case()).Bytes(body);
  return p;
}

}  // namespace

Statement InsertOperationStatement(const core::Operation& op, std::string_view body,
                                   std::string_view claimed_by, int64_t lease_until_us) {
  Params p = OperationParams(op, body);
  p.Text(claimed_by).Int(lease_until_us);
  return Statement{"INSERT INTO operations (tenant, id, location, create_time, done, job, body, claimed_by,"
                   " lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                   std::move(p)};
}

absl::Status OperationExists(const core::Operation& op) {
  return absl::AlreadyExistsError(absl::StrCat("operation ", op.id(), " already exists"));
}

absl::Status InsertOperation(Conn& conn, const core::Operation& op, std::string_view body,
                             std::string_view claimed_by, int64_t lease_until_us) {
  const Statement st = InsertOperationStatement(op, body, claimed_by, lease_until_us);
  absl::Status s = conn.Exec(st.sql, st.params).status();
  if (!s.ok() && conn.sqlstate() == kUniqueViolation) return OperationExists(op);
  return s;
}

absl::Status WriteOperation(Conn& conn, const core::Operation& op, std::string_view body,
                            std::string_view fence_node) {
  Params p = OperationParams(op, body);
  p.Text(fence_node);  // '' (not fenced) matches every holder
  ASSIGN_OR_RETURN(Result r, conn.Exec("UPDATE operations SET location = $3, create_time = $4,"
                                       " done = $5, job = $6, body = $7 WHERE tenant = $1 AND id = $2"
                                       " AND ($8 = '' OR claimed_by = '' OR claimed_by = $8)",
                                       p));
  if (r.affected() != 0) return absl::OkStatus();
  if (!fence_node.empty()) {
    Params key;
    key.Text(op.tenant()).Text(op.id());
    ASSIGN_OR_RETURN(Result holder, conn.Exec("SELECT claimed_by FROM operations WHERE tenant = $1 AND id = $2", key));
    if (holder.rows() != 0) {
      return absl::AbortedError(absl::StrCat("operation ", op.id(), " is held by node ", std::string(holder.Bytes(0, 0)),
                                             ": this node's lease ran out and it was taken over; nothing written"));
    }
  }
  return absl::NotFoundError(absl::StrCat("operation ", op.id(), " not found"));
}

// $1 tenant, $2 kind, $3 id, $4 location, $5 create_time, $6 update_time, $7 body.
pg::Params ResourceParams(const Resource& r) {
  pg::Params p;
  p.Text(r.tenant).Text(r.kind).Text(r.id).Text(r.location);
  p.Int(r.create_time_us).Int(r.update_time_us).Bytes(r.body);
  return p;
}

absl::Status InsertResource(Conn& conn, const Resource& r) {
  absl::Status s = conn.Exec("INSERT INTO resources (tenant, kind, id, location, create_time,"
                             " update_time, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                             ResourceParams(r))
                       .status();
  if (!s.ok() && conn.sqlstate() == kUniqueViolation) {
    return absl::AlreadyExistsError(absl::StrCat(r.kind, " ", r.id, " already exists"));
  }
  return s;
}

}  // namespace pg

// ---- analyses ----

absl::Status PostgresStore::PutAnalysis(const core::Analysis& analysis,
                                        const core::Operation* finished) {
  if (closed_) return pg::Closed();
  RETURN_IF_ERROR(CheckNewAnalysis(analysis));
  std::string body, op_body;
  if (!analysis.SerializeToString(&body) ||
      (finished != nullptr && !finished->SerializeToString(&op_body))) {
    return absl::InternalError("cannot serialize analysis");
  }
  const std::string& tenant = analysis.tenant();
  const std::string& scope = analysis.scope();
  const std::string& conv = analysis.conversation_id();
  const std::shared_ptr<const std::string> fence = fence_node_.load();
  return WriteConversation(tenant, scope, conv, [&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Locked key, pg::LockConversation(conn, tenant, scope, conv));
    bool newest = true;
    if (!key.latest_analysis_id.empty() && key.latest_analysis_id != analysis.id()) {
      pg::Params p = pg::Key(tenant, scope, conv);
      p.Text(key.latest_analysis_id);
      ASSIGN_OR_RETURN(pg::Result r, conn.Exec(absl::StrCat("SELECT create_time FROM analyses",
                                                            pg::Sv(pg::kChildKey), " AND id = $4"),
                                               p));
      newest = r.rows() == 0 || analysis.create_time_us() >= r.Int(0, 0);
    }
    {
      pg::Params p = pg::Key(tenant, scope, conv);
      p.Text(analysis.id()).Int(analysis.create_time_us()).Bytes(body);
      RETURN_IF_ERROR(conn.Exec("INSERT INTO analyses (tenant, scope, conv_id, id, create_time, body)"
                                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, scope, conv_id, id)"
                                " DO UPDATE SET create_time = excluded.create_time, body = excluded.body",
                                p)
                          .status());
    }
    if (finished != nullptr) RETURN_IF_ERROR(pg::WriteOperation(conn, *finished, op_body, *fence));
    if (!newest || key.latest_analysis_id == analysis.id()) return absl::OkStatus();
    return pg::SetLatestAnalysis(conn, tenant, scope, conv, analysis.id());
  });
}

absl::StatusOr<core::Analysis> PostgresStore::GetAnalysis(std::string_view tenant,
                                                          std::string_view scope,
                                                          std::string_view conversation_id,
                                                          std::string_view analysis_id) {
  core::Analysis out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    pg::Params p = pg::Key(tenant, scope, conversation_id);
    p.Text(analysis_id);
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(absl::StrCat("SELECT body FROM analyses",
                                                          pg::Sv(pg::kChildKey), " AND id = $4"),
                                             p));
    if (r.rows() == 0) {
      return absl::NotFoundError(absl::StrCat("analysis ", pg::Sv(analysis_id), " not found"));
    }
    ASSIGN_OR_RETURN(out, pg::ParseMessage<core::Analysis>(r.Bytes(0, 0), "analysis"));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<AnalysisPage> PostgresStore::ListAnalyses(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view conversation_id,
                                                         int page_size,
                                                         const std::optional<core::ListCursor>& after) {
  AnalysisPage page;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    page = AnalysisPage();
    pg::Params p = pg::Key(tenant, scope, conversation_id);
    p.Int(int64_t{page_size} + 1);
    if (after) p.Int(after->sort_value).Text(after->id);
    // One statement: the conversation's existence and its page, in one
    // snapshot. Row 0 is the conversation (id NULL), then the analyses.
    ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Exec(absl::StrCat(
                      "SELECT 0::bigint, NULL::text, NULL::bytea FROM conversations WHERE tenant = $1"
                      " AND scope = $2 AND id = $3 UNION ALL (SELECT create_time, id, body FROM analyses",
                      pg::Sv(pg::kChildKey), after ? " AND (create_time, id) < ($5, $6)" : "",
                      " ORDER BY create_time DESC, id DESC LIMIT $4)"),
                  p));
    if (r.rows() == 0 || !r.IsNull(0, 1)) {
      return absl::NotFoundError(absl::StrCat("conversation ", pg::Sv(conversation_id), " not found"));
    }
    for (int row = 1; row < r.rows(); ++row) {
      if (static_cast<int>(page.analyses.size()) >= page_size) {
        page.next = core::ListCursor{r.Int(row - 1, 0), page.analyses.back().id()};
        break;
      }
      ASSIGN_OR_RETURN(core::Analysis a, pg::ParseMessage<core::Analysis>(r.Bytes(row, 2), "analysis"));
      page.analyses.push_back(std::move(a));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::Status PostgresStore::DeleteAnalysis(std::string_view tenant, std::string_view scope,
                                           std::string_view conversation_id,
                                           std::string_view analysis_id) {
  return WriteConversation(tenant, scope, conversation_id, [&](pg::Conn& conn) -> absl::Status {
    absl::StatusOr<pg::Locked> key = pg::LockConversation(conn, tenant, scope, conversation_id);
    const absl::Status missing =
        absl::NotFoundError(absl::StrCat("analysis ", pg::Sv(analysis_id), " not found"));
    if (!key.ok()) return key.status().code() == absl::StatusCode::kNotFound ? missing : key.status();
    pg::Params p = pg::Key(tenant, scope, conversation_id);
    p.Text(analysis_id);
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec(absl::StrCat("DELETE FROM analyses", pg::Sv(pg::kChildKey), " AND id = $4"), p));
    if (r.affected() == 0) return missing;
    if (key->latest_analysis_id != analysis_id) return absl::OkStatus();
    ASSIGN_OR_RETURN(pg::Result newest,
                     conn.Exec(absl::StrCat("SELECT id FROM analyses", pg::Sv(pg::kChildKey),
                                            " ORDER BY create_time DESC, id DESC LIMIT 1"),
                               pg::Key(tenant, scope, conversation_id)));
    return pg::SetLatestAnalysis(conn, tenant, scope, conversation_id,
                                 newest.rows() > 0 ? newest.Bytes(0, 0) : std::string_view());
  });
}

// ---- operations ----

absl::Status PostgresStore::CreateOperation(const core::Operation& op) { return CreateHeldOperation(op, "", 0); }

absl::Status PostgresStore::CreateHeldOperation(const core::Operation& op, std::string_view node,
                                                int64_t lease_until_us) {
  if (closed_) return pg::Closed();
  RETURN_IF_ERROR(CheckNewOperation(op));
  std::string body;
  if (!op.SerializeToString(&body)) return absl::InternalError("cannot serialize operation");
  return Write([&](pg::Conn& conn) { return pg::InsertOperation(conn, op, body, node, lease_until_us); });
}

absl::StatusOr<core::Operation> PostgresStore::GetOperation(std::string_view tenant,
                                                            std::string_view id) {
  core::Operation out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    pg::Params p;
    p.Text(tenant).Text(id);
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT body FROM operations WHERE tenant = $1 AND id = $2", p));
    if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("operation ", pg::Sv(id), " not found"));
    ASSIGN_OR_RETURN(out, pg::ParseMessage<core::Operation>(r.Bytes(0, 0), "operation"));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::UpdateOperation(const core::Operation& op) {
  if (closed_) return pg::Closed();
  std::string body;
  if (!op.SerializeToString(&body)) return absl::InternalError("cannot serialize operation");
  const std::shared_ptr<const std::string> fence = fence_node_.load();
  return Write([&](pg::Conn& conn) { return pg::WriteOperation(conn, op, body, *fence); });
}

void PostgresStore::FenceOperationWrites(std::string node) {
  fence_node_.store(std::make_shared<const std::string>(std::move(node)));
}

absl::StatusOr<OperationPage> PostgresStore::ListOperations(
    std::string_view tenant, std::string_view location, std::optional<bool> done, int page_size,
    const std::optional<core::ListCursor>& after, const std::vector<int>& jobs) {
  pg::Params p;
  p.Text(tenant).Int(int64_t{page_size} + 1);
  std::string sql = "SELECT create_time, id, body FROM operations WHERE tenant = $1";
  // Numbers only (the enum's values), so they are written into the SQL.
  if (!jobs.empty()) absl::StrAppend(&sql, " AND job IN (", absl::StrJoin(jobs, ","), ")");
  if (!location.empty()) {
    p.Text(location);
    absl::StrAppend(&sql, " AND location = $", p.size());
  }
  if (done.has_value()) {
    p.Int(*done ? 1 : 0);
    absl::StrAppend(&sql, " AND done = $", p.size());
  }
  if (after) {
    p.Int(after->sort_value).Text(after->id);
    absl::StrAppend(&sql, " AND (create_time, id) < ($", p.size() - 1, ", $", p.size(), ")");
  }
  sql += " ORDER BY create_time DESC, id DESC LIMIT $2";
  OperationPage page;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    page = OperationPage();
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
    return pg::ReadPage(r, page_size, "operation", &page.operations, &page.next);
  }));
  return page;
}

absl::StatusOr<std::vector<core::Operation>> PostgresStore::ListUnfinishedOperations() {
  std::vector<core::Operation> ops;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    ops.clear();
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT body FROM operations WHERE done = 0"
                                             " ORDER BY create_time, tenant, id"));
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(core::Operation op, pg::ParseMessage<core::Operation>(r.Bytes(i, 0), "operation"));
      ops.push_back(std::move(op));
    }
    return absl::OkStatus();
  }));
  return ops;
}

// ---- operations claimed by nodes (ADR 0022) ----

absl::StatusOr<std::vector<core::Operation>> PostgresStore::ClaimOperations(std::string_view node,
                                                                            int64_t now_us,
                                                                            int64_t lease_until_us,
                                                                            int limit) {
  std::vector<core::Operation> ops;
  RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
    ops.clear();
    pg::Params p;
    p.Text(node).Int(now_us).Int(lease_until_us).Int(limit);
    // The partial index of unfinished operations finds the candidates; SKIP
    // LOCKED passes over rows another node is claiming right now.
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec("UPDATE operations o SET claimed_by = $1, lease_until = $3 FROM"
                               " (SELECT tenant, id FROM operations WHERE done = 0 AND"
                               " (claimed_by = $1 OR lease_until < $2) ORDER BY create_time, tenant, id"
                               " LIMIT $4 FOR UPDATE SKIP LOCKED) c"
                               " WHERE o.tenant = c.tenant AND o.id = c.id"
                               " RETURNING o.create_time, o.body, o.cancel_requested",
                               p));
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(core::Operation op, pg::ParseMessage<core::Operation>(r.Bytes(i, 1), "operation"));
      if (r.Int(i, 2) != 0) op.set_cancel_requested(true);
      ops.push_back(std::move(op));
    }
    return absl::OkStatus();
  }));
  std::sort(ops.begin(), ops.end(), [](const core::Operation& a, const core::Operation& b) {
    return a.create_time_us() < b.create_time_us();
  });
  return ops;
}

absl::StatusOr<bool> PostgresStore::ClaimOperation(std::string_view tenant, std::string_view id,
                                                   std::string_view node, int64_t now_us,
                                                   int64_t lease_until_us) {
  bool claimed = false;
  RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
    pg::Params p = pg::Key(tenant, id, node);
    p.Int(now_us).Int(lease_until_us);
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec("UPDATE operations SET claimed_by = $3, lease_until = $5 WHERE"
                               " tenant = $1 AND id = $2 AND done = 0 AND (claimed_by = $3 OR lease_until < $4)",
                               p));
    claimed = r.affected() == 1;
    return absl::OkStatus();
  }));
  return claimed;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PostgresStore::RenewOperationLeases(
    std::string_view node, const std::vector<std::pair<std::string, std::string>>& operations,
    int64_t lease_until_us, std::vector<std::pair<std::string, std::string>>* cancel_requested) {
  // One statement renews every unfinished claim of the node (a node holds
  // all it submitted: there may be thousands); what `operations` names and
  // the node no longer holds unfinished is lost (or finished meanwhile).
  // The same statement says which of them a client asked to cancel.
  absl::flat_hash_set<std::pair<std::string, std::string>> held;
  std::vector<std::pair<std::string, std::string>> cancels;
  RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
    held.clear();
    cancels.clear();
    pg::Params p;
    p.Text(node).Int(lease_until_us);
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("UPDATE operations SET lease_until = $2 WHERE claimed_by = $1"
                                             " AND done = 0 RETURNING tenant, id, cancel_requested",
                                             p));
    for (int i = 0; i < r.rows(); ++i) {
      held.emplace(r.Bytes(i, 0), r.Bytes(i, 1));
      if (r.Int(i, 2) != 0) cancels.emplace_back(r.Bytes(i, 0), r.Bytes(i, 1));
    }
    return absl::OkStatus();
  }));
  if (cancel_requested != nullptr) *cancel_requested = std::move(cancels);
  std::vector<std::pair<std::string, std::string>> lost;
  for (const auto& op : operations) {
    if (!held.contains(op)) lost.push_back(op);
  }
  return lost;
}

absl::StatusOr<core::Operation> PostgresStore::RequestOperationCancel(std::string_view tenant,
                                                                     std::string_view id) {
  bool marked = false;
  RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
    pg::Params p;
    p.Text(tenant).Text(id);
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("UPDATE operations SET cancel_requested = 1"
                                             " WHERE tenant = $1 AND id = $2 AND done = 0",
                                             p));
    marked = r.affected() == 1;
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(core::Operation out, GetOperation(tenant, id));
  if (marked) out.set_cancel_requested(true);
  return out;
}

// ---- resources ----


absl::Status PostgresStore::CreateResource(const Resource& r) {
  if (r.tenant.empty() || r.kind.empty() || r.id.empty()) {
    return absl::InvalidArgumentError("a resource needs a tenant, a kind and an id");
  }
  return Write([&](pg::Conn& conn) { return pg::InsertResource(conn, r); });
}

absl::StatusOr<Resource> PostgresStore::GetResource(std::string_view tenant, std::string_view kind,
                                                    std::string_view id) {
  Resource found;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT location, create_time, update_time, body"
                                             " FROM resources WHERE tenant = $1 AND kind = $2 AND id = $3",
                                             pg::Key(tenant, kind, id)));
    if (r.rows() == 0) {
      return absl::NotFoundError(absl::StrCat(pg::Sv(kind), " ", pg::Sv(id), " not found"));
    }
    found = Resource{std::string(tenant), std::string(kind), std::string(id), std::string(r.Bytes(0, 0)),
                     r.Int(0, 1), r.Int(0, 2), std::string(r.Bytes(0, 3))};
    return absl::OkStatus();
  }));
  return found;
}

absl::Status PostgresStore::UpdateResource(const Resource& r, int64_t expected_update_time_us) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result cur, conn.Exec("SELECT update_time FROM resources WHERE tenant = $1"
                                               " AND kind = $2 AND id = $3 FOR UPDATE",
                                               pg::Key(r.tenant, r.kind, r.id)));
    if (cur.rows() == 0) return absl::NotFoundError(absl::StrCat(r.kind, " ", r.id, " not found"));
    if (cur.Int(0, 0) != expected_update_time_us) {
      return absl::AbortedError(absl::StrCat(r.kind, " ", r.id, " was changed concurrently"));
    }
    return conn.Exec("UPDATE resources SET location = $4, create_time = $5, update_time = $6,"
                     " body = $7 WHERE tenant = $1 AND kind = $2 AND id = $3",
                     pg::ResourceParams(r))
        .status();
  });
}

absl::Status PostgresStore::DeleteResource(std::string_view tenant, std::string_view kind,
                                           std::string_view id) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("DELETE FROM resources WHERE tenant = $1 AND kind = $2"
                                             " AND id = $3",
                                             pg::Key(tenant, kind, id)));
    if (r.affected() == 0) {
      return absl::NotFoundError(absl::StrCat(pg::Sv(kind), " ", pg::Sv(id), " not found"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ResourcePage> PostgresStore::ListResources(std::string_view tenant,
                                                          std::string_view kind,
                                                          std::string_view location, int page_size,
                                                          std::string_view after_id) {
  ResourcePage page;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    page = ResourcePage();
    pg::Params p = pg::Key(tenant, kind, after_id);
    p.Text(location).Int(int64_t{page_size} + 1);
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec("SELECT id, location, create_time, update_time, body FROM resources"
                               " WHERE tenant = $1 AND kind = $2 AND id > $3"
                               " AND ($4 = '' OR location = $4) ORDER BY id LIMIT $5",
                               p));
    for (int i = 0; i < r.rows(); ++i) {
      if (static_cast<int>(page.resources.size()) >= page_size) {
        page.next_after_id = page.resources.back().id;
        break;
      }
      page.resources.push_back(Resource{std::string(tenant), std::string(kind),
                                        std::string(r.Bytes(i, 0)), std::string(r.Bytes(i, 1)),
                                        r.Int(i, 2), r.Int(i, 3), std::string(r.Bytes(i, 4))});
    }
    return absl::OkStatus();
  }));
  return page;
}

// ---- settings ----

absl::StatusOr<std::string> PostgresStore::GetOrCreateSetting(std::string_view key,
                                                              std::string_view default_value) {
  std::string value;
  RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
    pg::Params p;
    p.Text(key).Bytes(default_value);
    RETURN_IF_ERROR(conn.Exec("INSERT INTO settings (key, value) VALUES ($1, $2)"
                              " ON CONFLICT (key) DO NOTHING",
                              p)
                        .status());
    pg::Params k;
    k.Text(key);
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT value FROM settings WHERE key = $1", k));
    if (r.rows() == 0) return absl::InternalError("setting vanished");
    value.assign(r.Bytes(0, 0));
    return absl::OkStatus();
  }));
  return value;
}

// ---- audit log ----

absl::Status PostgresStore::AppendAudit(const AuditEntry& e) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    pg::Params p;
    p.Text(e.tenant).Int(e.time_us).Text(e.key).Text(e.action).Text(e.resource).Text(e.result);
    return conn.Exec("INSERT INTO audit_log (tenant, time, key, action, resource, result)"
                     " VALUES ($1, $2, $3, $4, $5, $6)",
                     p)
        .status();
  });
}

void PostgresStore::AppendAuditAsync(AuditEntry entry, WriteDone done) {
  if (closed_) return done(pg::Closed());
  Async([this, entry = std::move(entry), done = std::move(done)]() mutable {
    done(AppendAudit(entry));
  });
}

absl::StatusOr<int64_t> PostgresStore::PruneAudit(int64_t before_us) {
  if (closed_) return pg::Closed();
  return DeleteInChunks("DELETE FROM audit_log WHERE (tenant, seq) IN"
                        " (SELECT tenant, seq FROM audit_log WHERE time < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                        before_us, /*chunk=*/5000);
}

absl::StatusOr<std::vector<AuditEntry>> PostgresStore::ListAudit(const AuditQuery& query) {
  pg::Params p;
  p.Int(query.since_us).Int(query.after_seq).Int(query.limit);
  std::string sql =
      "SELECT seq, time, key, tenant, action, resource, result FROM audit_log"
      " WHERE time >= $1 AND seq > $2";
  if (!query.tenant.empty()) {
    p.Text(query.tenant);
    sql += " AND tenant = $4";
  }
  sql += " ORDER BY seq LIMIT $3";
  std::vector<AuditEntry> out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
    for (int i = 0; i < r.rows(); ++i) {
      AuditEntry e;
      e.seq = r.Int(i, 0);
      e.time_us = r.Int(i, 1);
      e.key = std::string(r.Bytes(i, 2));
      e.tenant = std::string(r.Bytes(i, 3));
      e.action = std::string(r.Bytes(i, 4));
      e.resource = std::string(r.Bytes(i, 5));
      e.result = std::string(r.Bytes(i, 6));
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace parley::store
