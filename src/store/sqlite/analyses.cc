// Analyses of a conversation, and the conversation's latest analysis.
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_join.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/store_checks.h"

namespace parley::store {

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
    StoredBody stored;
    RETURN_IF_ERROR(ReadStoredBody(conn, pk, &stored));
    ASSIGN_OR_RETURN(core::Conversation conv, ParseBody(absl::StrJoin(stored.parts, ""), conversation_id));
    conv.set_latest_analysis_id(std::string(analysis_id));
    if (!conv.SerializeToString(&new_body)) {
      return absl::InternalError("cannot serialize conversation");
    }
  }
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE conversation_bodies SET body = ?2 WHERE conv = ?1"));
    s.Bind(1, pk).BindBlobStatic(2, new_body);
    RETURN_IF_ERROR(s.Exec());
  }
  return DeleteTails(conn, pk);
}

}  // namespace

absl::Status RewriteAnalyses(Connection& conn, int64_t pk,
                             const ScrubUpdate::AnalysisRewrite& rewrite) {
  // Read them all first: the rows are updated on the same connection.
  std::vector<std::pair<std::string, std::string>> rows;  // id, body
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT id, body FROM analyses WHERE conv = ?1"));
    s.Bind(1, pk);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Next());
      if (!row) break;
      rows.emplace_back(std::string(s.Text(0)), std::string(s.Blob(1)));
    }
  }
  for (const auto& [id, body] : rows) {
    ASSIGN_OR_RETURN(core::Analysis analysis, ParseMessage<core::Analysis>(body, "analysis"));
    const core::Analysis stored = analysis;
    if (!rewrite(analysis)) continue;
    KeepAnalysisKey(stored, &analysis);
    std::string new_body;
    if (!analysis.SerializeToString(&new_body)) {
      return absl::InternalError("cannot serialize analysis");
    }
    ASSIGN_OR_RETURN(Stmt s,
                     conn.Statement("UPDATE analyses SET body = ?3 WHERE conv = ?1 AND id = ?2"));
    s.Bind(1, pk).BindText(2, id).BindBlobStatic(3, new_body);
    RETURN_IF_ERROR(s.Exec());
  }
  return absl::OkStatus();
}

}  // namespace sqlite

absl::Status SqliteStore::PutAnalysis(const core::Analysis& analysis,
                                      const core::Operation* finished) {
  if (closed_) return sqlite::Closed();
  if (absl::Status s = CheckNewAnalysis(analysis); !s.ok()) return s;
  std::string body, op_body;
  if (!analysis.SerializeToString(&body) ||
      (finished != nullptr && !finished->SerializeToString(&op_body))) {
    return absl::InternalError("cannot serialize analysis");
  }
  auto invalidate = [&] {
    view_cache_.Invalidate(analysis.tenant(), analysis.scope(), analysis.conversation_id());
  };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(sqlite::ConversationKey key,
                     sqlite::FindConversation(conn, analysis.tenant(), analysis.scope(),
                                              analysis.conversation_id()));
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
  }, invalidate);
}

absl::StatusOr<core::Analysis> SqliteStore::GetAnalysis(std::string_view tenant,
                                                        std::string_view scope,
                                                        std::string_view conversation_id,
                                                        std::string_view analysis_id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT a.body FROM analyses a JOIN conversations c ON a.conv = c.pk"
                               " WHERE c.tenant = ?1 AND c.scope = ?2 AND c.id = ?3"
                               " AND a.id = ?4"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(scope));
  s.BindText(3, sqlite::Sv(conversation_id)).BindText(4, sqlite::Sv(analysis_id));
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return absl::NotFoundError(absl::StrCat("analysis ", sqlite::Sv(analysis_id), " not found"));
  return sqlite::ParseMessage<core::Analysis>(s.Blob(0), "analysis");
}

absl::StatusOr<AnalysisPage> SqliteStore::ListAnalyses(std::string_view tenant,
                                                       std::string_view scope,
                                                       std::string_view conversation_id,
                                                       int page_size,
                                                       const std::optional<core::ListCursor>& after) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  int64_t pk = 0;
  {
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                                 "SELECT pk FROM conversations WHERE tenant = ?1"
                                 " AND scope = ?2 AND id = ?3"));
    s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(scope));
    s.BindText(3, sqlite::Sv(conversation_id));
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

absl::Status SqliteStore::DeleteAnalysis(std::string_view tenant_sv, std::string_view scope_sv,
                                         std::string_view conversation_id_sv,
                                         std::string_view analysis_id_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), scope = sqlite::Sv(scope_sv),
                          conversation_id = sqlite::Sv(conversation_id_sv),
                          analysis_id = sqlite::Sv(analysis_id_sv);
  auto invalidate = [&] { view_cache_.Invalidate(tenant_sv, scope_sv, conversation_id_sv); };
  return Write([&](Connection& conn) -> absl::Status {
    absl::StatusOr<sqlite::ConversationKey> key =
        sqlite::FindConversation(conn, tenant, scope, conversation_id);
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
  }, invalidate);
}

}  // namespace parley::store
