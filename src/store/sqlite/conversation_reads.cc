// Reading conversations: one conversation (its stored view through the view
// cache, or its body), lists, and the plan of a list statement.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

absl::Status SqliteStore::ReadConversationView(std::string_view tenant_sv,
                                               std::string_view scope_sv, std::string_view id_sv,
                                               int64_t now_us, std::string_view view_sv,
                                               std::string* body) {
  if (closed_) return sqlite::Closed();
  if (view_cache_.Lookup(tenant_sv, scope_sv, id_sv, view_sv, now_us, body)) {
    return absl::OkStatus();
  }
  const uint64_t generation = view_cache_.generation();  // before the read transaction
  const absl::string_view tenant = sqlite::Sv(tenant_sv), scope = sqlite::Sv(scope_sv),
                          id = sqlite::Sv(id_sv);
  int64_t expire_time = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
    ReadLease lease(this, std::move(reader));
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                                 "SELECT c.expire_time, v.body FROM conversations c"
                                 " LEFT JOIN conversation_views v ON v.conv = c.pk AND v.name = ?4"
                                 " WHERE c.tenant = ?1 AND c.scope = ?2 AND c.id = ?3"));
    s.BindText(1, tenant).BindText(2, scope).BindText(3, id).BindText(4, sqlite::Sv(view_sv));
    ASSIGN_OR_RETURN(bool row, s.Next());
    expire_time = row ? s.Int(0) : 0;
    if (!row || (now_us != 0 && expire_time != 0 && expire_time <= now_us)) {
      return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
    }
    RETURN_IF_ERROR(sqlite::UnpackView(s.Blob(1), body));
  }
  view_cache_.Insert(generation, tenant_sv, scope_sv, id_sv, view_sv, expire_time, *body);
  return absl::OkStatus();
}

absl::StatusOr<core::Conversation> SqliteStore::GetConversation(std::string_view tenant,
                                                                std::string_view scope,
                                                                std::string_view id,
                                                                int64_t now_us) {
  core::Conversation conv;
  if (absl::Status s = ReadConversation(tenant, scope, id, now_us, &conv); !s.ok()) return s;
  return conv;
}

absl::Status SqliteStore::ReadConversation(std::string_view tenant_sv, std::string_view scope_sv,
                                           std::string_view id_sv, int64_t now_us,
                                           core::Conversation* out) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), scope = sqlite::Sv(scope_sv),
                          id = sqlite::Sv(id_sv);
  // The body through the view cache (its kBodyView entry; updates write it
  // through), with the view cache's rule for reads that race a write. A
  // read that ignores expiry (now_us 0) goes to the database: a cached body
  // of an expired conversation may name a key that a new one has taken.
  thread_local std::string cached;
  if (now_us != 0 && view_cache_.Lookup(tenant_sv, scope_sv, id_sv, ViewCache::kBodyView, now_us, &cached)) {
    return sqlite::ParseBodyInto(cached, id, out);
  }
  const uint64_t generation = view_cache_.generation();  // before the read transaction
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  static const std::string kSelect = absl::StrCat(
      "SELECT c.expire_time, ", sqlite::kBodyWithTails,
      " FROM conversations c CROSS JOIN conversation_bodies b ON b.conv = c.pk"
      " WHERE c.tenant = ?1 AND c.scope = ?2 AND c.id = ?3");
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(kSelect));
  s.BindText(1, tenant).BindText(2, scope).BindText(3, id);
  ASSIGN_OR_RETURN(bool row, s.Next());
  const int64_t expire_time = row ? s.Int(0) : 0;
  if (!row || (now_us != 0 && expire_time != 0 && expire_time <= now_us)) {
    return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
  }
  const absl::string_view body = s.Blob(1);
  RETURN_IF_ERROR(sqlite::ParseBodyInto(body, id, out));
  view_cache_.Insert(generation, tenant_sv, scope_sv, id_sv, ViewCache::kBodyView, expire_time,
                     std::string_view(body.data(), body.size()));
  return absl::OkStatus();
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
  // A filter (say, a long OR over unindexed fields) may scan every row of the
  // tenant: its cost is bounded so that one request cannot hold a reader and
  // a thread for seconds (issue 9 #7). Removed before the lease returns the
  // connection to the pool.
  sqlite::StepBudget budget(lease.conn(), options_.list_query_max_steps);
  absl::Status read =
      sqlite::ReadPage(s, query.page_size, "conversation", &page.conversations, &page.next,
                       &page.sort_values);
  if (budget.exceeded()) {
    // FAILED_PRECONDITION, not DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED: the
    // cost is the same for the same filter over the same data, so a retry
    // fails again; the client must change the request.
    return absl::FailedPreconditionError(
        "the filter is too costly to evaluate over this project's conversations; narrow it "
        "(fewer OR terms, or add a condition on an indexed field such as create_time or "
        "agent_id)");
  }
  RETURN_IF_ERROR(read);
  return page;
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

}  // namespace parley::store
