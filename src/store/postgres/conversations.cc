// Conversations on PostgreSQL: create, read, update, delete, list, the
// expiry and idle sweeps. Each write is one transaction; an update locks
// its row (SELECT ... FOR UPDATE) so that the optimistic check and the
// write see the same version, whichever node writes.
#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "store/postgres/postgres_internal.h"
#include "store/store_checks.h"

namespace parley::store {

namespace pg {
namespace {

int64_t OptionalTime(bool has, int64_t v) { return has ? v : kAbsentTime; }

const std::string& FirstAgent(const core::Conversation& c) {
  static const std::string* const kNone = new std::string();
  return c.agent_ids_size() > 0 ? c.agent_ids(0) : *kNone;
}

}  // namespace

// $1..$19 of kInsertConversation / kUpdateConversation.
void ConversationParams(const core::Conversation& c, std::string_view body, Params* p) {
  p->Text(c.tenant()).Text(c.scope()).Text(c.id());
  p->Int(c.create_time_us()).Int(c.update_time_us());
  p->Int(OptionalTime(c.has_start_time_us(), c.start_time_us()));
  p->Int(OptionalTime(c.has_duration_us(), c.duration_us()));
  p->Int(c.has_turn_count() ? int64_t{c.turn_count()} : int64_t{c.turns_size()});
  p->Int(c.medium()).Text(c.language_code()).Text(FirstAgent(c));
  p->Int(c.lifecycle()).Int(c.stage()).Int(c.source());
  p->Text(c.profile()).Text(c.app()).Int(c.expire_time_us()).Text(c.latest_analysis_id());
  p->Bytes(body);
}

namespace {

constexpr std::string_view kInsertConversation =
    "INSERT INTO conversations (tenant, scope, id, create_time, update_time, start_time,"
    " duration, turn_count, medium, language_code, agent_id, lifecycle, stage, source,"
    " profile, app, expire_time, latest_analysis_id, body) VALUES ($1, $2, $3, $4, $5, $6, $7,"
    " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

constexpr std::string_view kUpdateConversation =
    "UPDATE conversations SET create_time = $4, update_time = $5, start_time = $6,"
    " duration = $7, turn_count = $8, medium = $9, language_code = $10, agent_id = $11,"
    " lifecycle = $12, stage = $13, source = $14, profile = $15, app = $16, expire_time = $17,"
    " latest_analysis_id = $18, body = $19 WHERE tenant = $1 AND scope = $2 AND id = $3";

// The statement that inserts rows of (tenant, scope, conv_id, <extra
// columns>): `extra` names the columns after conv_id, `add` binds one row's.
// `tail`, when given, is an expression over parameters bound once (before
// the rows') that ends every row: the rows' last column.
// Nothing when there are no items.
template <typename Items, typename AddRow>
std::optional<Statement> RowsStatement(std::string_view table, std::string_view extra,
                                       int extra_count, const core::Conversation& c,
                                       const Items& items, AddRow add,
                                       std::string_view conflict = "",
                                       std::string (*tail)(const core::Conversation&, Params*) = nullptr) {
  if (items.empty()) return std::nullopt;
  Statement st{absl::StrCat("INSERT INTO ", Sv(table), " (tenant, scope, conv_id, ", Sv(extra),
                            ") VALUES "),
               Key(c.tenant(), c.scope(), c.id())};
  const std::string row_end = tail != nullptr ? absl::StrCat(", ", tail(c, &st.params), ")") : ")";
  bool first = true;
  for (const auto& item : items) {
    absl::StrAppend(&st.sql, first ? "" : ", ", "($1, $2, $3");
    first = false;
    add(item, &st.params);
    for (int i = extra_count - 1; i >= 0; --i) absl::StrAppend(&st.sql, ", $", st.params.size() - i);
    st.sql += row_end;
  }
  st.sql += conflict;
  return st;
}

// The hashes of `c`'s labels, as an agents row stores them (schema 5,
// ADR 0039): an array of parley_label_hash over parameters it binds.
std::string LabelHashes(const core::Conversation& c, Params* p) {
  std::string sql = "ARRAY[";
  for (const auto& [key, value] : c.labels()) {
    p->Text(key).Text(value);
    absl::StrAppend(&sql, sql.size() > 6 ? ", " : "", "parley_label_hash($", p->size() - 1, ", $", p->size(), ")");
  }
  return sql + "]::bigint[]";
}

std::optional<Statement> ViewsStatement(const core::Conversation& c, const ConversationViews& views) {
  return RowsStatement("conversation_views", "name, body", 2, c, views,
                       [](const auto& v, Params* p) { p->Text(v.first).Bytes(v.second); });
}

// The statements that insert the agents, labels and (optionally) views rows
// of `c`, appended to `out`.
void ChildStatements(const core::Conversation& c, const ConversationViews* views,
                     std::vector<Statement>* out) {
  auto add = [&](std::optional<Statement> st) {
    if (st.has_value()) out->push_back(std::move(*st));
  };
  add(RowsStatement(
      "conversation_agents", "agent_id, create_time, label_hashes", 2, c, c.agent_ids(),
      [&](const std::string& agent, Params* p) { p->Text(agent).Int(c.create_time_us()); },
      " ON CONFLICT DO NOTHING", LabelHashes));
  add(RowsStatement("conversation_labels", "key, value, create_time", 3, c, c.labels(),
                    [&](const auto& kv, Params* p) {
                      p->Text(kv.first).Text(kv.second).Int(c.create_time_us());
                    }));
  if (views != nullptr) add(ViewsStatement(c, *views));
}

absl::Status ExecAll(Conn& conn, const std::vector<Statement>& statements) {
  for (const Statement& st : statements) RETURN_IF_ERROR(conn.Exec(st.sql, st.params).status());
  return absl::OkStatus();
}

// The agents and labels rows of `c` (after any old ones were deleted).
absl::Status InsertChildren(Conn& conn, const core::Conversation& c) {
  std::vector<Statement> statements;
  ChildStatements(c, nullptr, &statements);
  return ExecAll(conn, statements);
}

absl::Status ReplaceViews(Conn& conn, const core::Conversation& c, const ConversationViews& views) {
  RETURN_IF_ERROR(conn.Exec(absl::StrCat("DELETE FROM conversation_views", Sv(kChildKey)),
                            Key(c.tenant(), c.scope(), c.id()))
                      .status());
  std::optional<Statement> st = ViewsStatement(c, views);
  return st.has_value() ? conn.Exec(st->sql, st->params).status() : absl::OkStatus();
}

absl::Status RewriteAnalyses(Conn& conn, const core::Conversation& c,
                             const ScrubUpdate::AnalysisRewrite& rewrite) {
  ASSIGN_OR_RETURN(Result rows, conn.Exec(absl::StrCat("SELECT id, body FROM analyses", Sv(kChildKey)),
                                          Key(c.tenant(), c.scope(), c.id())));
  for (int i = 0; i < rows.rows(); ++i) {
    ASSIGN_OR_RETURN(core::Analysis analysis, ParseMessage<core::Analysis>(rows.Bytes(i, 1), "analysis"));
    const core::Analysis stored = analysis;
    if (!rewrite(analysis)) continue;
    KeepAnalysisKey(stored, &analysis);
    std::string body;
    if (!analysis.SerializeToString(&body)) return absl::InternalError("cannot serialize analysis");
    Params p = Key(c.tenant(), c.scope(), c.id());
    p.Text(rows.Bytes(i, 0)).Bytes(body);
    RETURN_IF_ERROR(
        conn.Exec(absl::StrCat("UPDATE analyses SET body = $5", Sv(kChildKey), " AND id = $4"), p)
            .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CreateWrite>> NewCreateWrite(const core::Conversation& conversation,
                                                            const ConversationViews& views,
                                                            const core::Operation* also) {
  RETURN_IF_ERROR(CheckNewConversation(conversation));
  if (also != nullptr) RETURN_IF_ERROR(CheckNewOperation(*also));
  auto w = std::make_unique<CreateWrite>();
  w->conversation = &conversation;
  w->views = &views;
  w->also = also;
  if (!conversation.SerializeToString(&w->body)) return absl::InternalError("cannot serialize conversation");
  if (also != nullptr && !also->SerializeToString(&w->also_body)) {
    return absl::InternalError("cannot serialize operation");
  }
  return w;
}

void CreateStatements(const CreateWrite& w, std::vector<Statement>* out,
                      std::vector<CreateRole>* roles) {
  const core::Conversation& c = *w.conversation;
  Params row;
  ConversationParams(c, w.body, &row);
  out->push_back(Statement{std::string(kInsertConversation), std::move(row)});
  roles->resize(out->size(), CreateRole::kOther);
  roles->back() = CreateRole::kConversation;
  ChildStatements(c, w.views, out);
  if (w.also != nullptr) out->push_back(InsertOperationStatement(*w.also, w.also_body));
  roles->resize(out->size(), CreateRole::kOther);
  if (w.also != nullptr) roles->back() = CreateRole::kOperation;
}

std::string DeleteConversationsSql(std::string_view where) {
  std::string sql = absl::StrCat("WITH gone AS (DELETE FROM conversations WHERE ", Sv(where),
                                 " RETURNING tenant, scope, id)");
  for (const char* table : {"conversation_labels", "conversation_agents", "conversation_views", "analyses"}) {
    absl::StrAppend(&sql, ", ", table, "_gone AS (DELETE FROM ", table,
                    " x USING gone g WHERE x.tenant = g.tenant AND x.scope = g.scope AND x.conv_id = g.id)");
  }
  return sql + " SELECT count(*)::bigint FROM gone";
}

absl::StatusOr<bool> SweepExpiredKey(Conn& conn, const core::Conversation& c) {
  Params p = Key(c.tenant(), c.scope(), c.id());
  p.Int(c.create_time_us());
  ASSIGN_OR_RETURN(Result r, conn.Exec(DeleteConversationsSql("tenant = $1 AND scope = $2 AND id = $3"
                                                              " AND expire_time <> 0 AND expire_time <= $4"),
                                       p));
  return r.Int(0, 0) > 0;
}

absl::Status CreateFailure(const CreateWrite& w, CreateRole role, const PipelineOutcome& outcome) {
  if (outcome.sqlstate == kUniqueViolation && role == CreateRole::kConversation) {
    return absl::AlreadyExistsError(absl::StrCat("conversation ", w.conversation->id(), " already exists"));
  }
  if (outcome.sqlstate == kUniqueViolation && role == CreateRole::kOperation) return OperationExists(*w.also);
  return outcome.status;
}

absl::StatusOr<Locked> LockConversation(Conn& conn, std::string_view tenant, std::string_view scope,
                                        std::string_view id) {
  ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT update_time, latest_analysis_id FROM conversations"
                                       " WHERE tenant = $1 AND scope = $2 AND id = $3 FOR UPDATE",
                                       Key(tenant, scope, id)));
  if (r.rows() == 0) return absl::NotFoundError(absl::StrCat("conversation ", Sv(id), " not found"));
  // Every caller runs in PostgresStore::WriteConversation, which notifies
  // the other nodes when the transaction commits (view_listener.h).
  return Locked{r.Int(0, 0), std::string(r.Bytes(0, 1))};
}

// Makes `analysis_id` (possibly empty) the latest analysis of the locked
// conversation, in its column and its body, and drops its stored views.
absl::Status SetLatestAnalysis(Conn& conn, std::string_view tenant, std::string_view scope,
                               std::string_view id, std::string_view analysis_id) {
  RETURN_IF_ERROR(
      conn.Exec(absl::StrCat("DELETE FROM conversation_views", Sv(kChildKey)), Key(tenant, scope, id))
          .status());
  ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT body FROM conversations WHERE tenant = $1"
                                       " AND scope = $2 AND id = $3",
                                       Key(tenant, scope, id)));
  if (r.rows() == 0) return absl::InternalError("conversation row missing");
  ASSIGN_OR_RETURN(core::Conversation conv, ParseMessage<core::Conversation>(r.Bytes(0, 0), "conversation"));
  conv.set_latest_analysis_id(std::string(analysis_id));
  std::string body;
  if (!conv.SerializeToString(&body)) return absl::InternalError("cannot serialize conversation");
  Params p = Key(tenant, scope, id);
  p.Text(analysis_id).Bytes(body);
  return conn.Exec("UPDATE conversations SET latest_analysis_id = $4, body = $5"
                   " WHERE tenant = $1 AND scope = $2 AND id = $3",
                   p)
      .status();
}

}  // namespace pg

absl::Status PostgresStore::CreateConversation(const core::Conversation& conversation,
                                               const ConversationViews& views,
                                               const core::Operation* also) {
  if (closed_) return pg::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<pg::CreateWrite> w, pg::NewCreateWrite(conversation, views, also));
  absl::Notification finished;
  absl::Status result;
  w->done = [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  };
  QueueCreate(std::move(w));
  finished.WaitForNotification();
  return result;
}

void PostgresStore::CreateConversationAsync(const core::Conversation& conversation,
                                            const ConversationViews& views, WriteDone done) {
  if (closed_) return done(pg::Closed());
  absl::StatusOr<std::unique_ptr<pg::CreateWrite>> w = pg::NewCreateWrite(conversation, views, nullptr);
  if (!w.ok()) return done(w.status());
  (*w)->done = std::move(done);
  QueueCreate(std::move(*w));
}

bool PostgresStore::CachedRead(std::string_view tenant, std::string_view scope, std::string_view id,
                               std::string_view view, int64_t now_us, std::string* body) {
  if (listener_ == nullptr) return false;
  // While the node holds its view lease, every write acknowledged anywhere
  // has dropped its entries here before it was acknowledged (ADR 0050).
  if (listener_->Fast()) return view_cache_.Lookup(tenant, scope, id, view, now_us, body);
  // Otherwise a hit counts only after a round trip on the listen connection
  // that began after it: every write acknowledged before this read began has
  // then dropped its entries (ADR 0033).
  return view_cache_.Lookup(tenant, scope, id, view, now_us, body) &&
         listener_->Sync() && view_cache_.Lookup(tenant, scope, id, view, now_us, body);
}

bool PostgresStore::ReadCachedConversationView(std::string_view tenant, std::string_view scope,
                                               std::string_view id, int64_t now_us,
                                               std::string_view view, CachedViewDone& done) {
  // CachedRead's two lookups with the round trip between them, the read's
  // thread free meanwhile: the second lookup (the only copy) runs where the
  // round trip is seen back.
  if (listener_ == nullptr) return false;
  if (listener_->Fast()) {  // no round trip (ADR 0050)
    std::string body;
    if (!view_cache_.Lookup(tenant, scope, id, view, now_us, &body)) return false;
    CachedViewDone taken = std::move(done);
    taken(std::move(body));
    return true;
  }
  if (!view_cache_.Lookup(tenant, scope, id, view, now_us, nullptr)) return false;
  listener_->SyncAsync([this, tenant = std::string(tenant), scope = std::string(scope),
                        id = std::string(id), view = std::string(view), now_us,
                        done = std::move(done)](bool ok) mutable {
    std::string body;
    if (ok && view_cache_.Lookup(tenant, scope, id, view, now_us, &body)) return done(std::move(body));
    done(std::nullopt);
  });
  return true;
}

absl::Status PostgresStore::ReadConversationView(std::string_view tenant, std::string_view scope,
                                                 std::string_view id, int64_t now_us,
                                                 std::string_view view, std::string* body) {
  if (CachedRead(tenant, scope, id, view, now_us, body)) return absl::OkStatus();
  const uint64_t generation = view_cache_.generation();  // before the read
  int64_t expire_time = 0;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    pg::Params p = pg::Key(tenant, scope, id);
    p.Text(view);
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec("SELECT c.expire_time, v.body FROM conversations c"
                               " LEFT JOIN conversation_views v ON v.tenant = c.tenant AND"
                               " v.scope = c.scope AND v.conv_id = c.id AND v.name = $4"
                               " WHERE c.tenant = $1 AND c.scope = $2 AND c.id = $3",
                               p));
    expire_time = r.rows() > 0 ? r.Int(0, 0) : 0;
    if (r.rows() == 0 || (now_us != 0 && expire_time != 0 && expire_time <= now_us)) {
      return absl::NotFoundError(absl::StrCat("conversation ", pg::Sv(id), " not found"));
    }
    if (r.IsNull(0, 1)) {
      body->clear();
    } else {
      body->assign(r.Bytes(0, 1));
    }
    return absl::OkStatus();
  }));
  view_cache_.Insert(generation, tenant, scope, id, view, expire_time, *body);
  return absl::OkStatus();
}

absl::StatusOr<core::Conversation> PostgresStore::GetConversation(std::string_view tenant,
                                                                  std::string_view scope,
                                                                  std::string_view id,
                                                                  int64_t now_us) {
  core::Conversation conv;
  RETURN_IF_ERROR(ReadConversation(tenant, scope, id, now_us, &conv));
  return conv;
}

absl::Status PostgresStore::ReadConversation(std::string_view tenant, std::string_view scope,
                                             std::string_view id, int64_t now_us,
                                             core::Conversation* out) {
  // Reads that ignore expiry (now_us 0) skip the cache, as on SQLite: a
  // cached body of an expired conversation may name a key a new one took.
  std::string cached;
  if (now_us != 0 && CachedRead(tenant, scope, id, ViewCache::kBodyView, now_us, &cached)) {
    if (out->ParseFromString(cached)) return absl::OkStatus();
    out->Clear();
  }
  const uint64_t generation = view_cache_.generation();  // before the read
  int64_t expire_time = 0;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT expire_time, body FROM conversations"
                                             " WHERE tenant = $1 AND scope = $2 AND id = $3",
                                             pg::Key(tenant, scope, id)));
    expire_time = r.rows() > 0 ? r.Int(0, 0) : 0;
    if (r.rows() == 0 || (now_us != 0 && expire_time != 0 && expire_time <= now_us)) {
      return absl::NotFoundError(absl::StrCat("conversation ", pg::Sv(id), " not found"));
    }
    const std::string_view body = r.Bytes(0, 1);
    if (!out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::InternalError(absl::StrCat("stored conversation ", pg::Sv(id), " is corrupt"));
    }
    if (now_us != 0) cached.assign(body);
    return absl::OkStatus();
  }));
  if (now_us != 0) {
    view_cache_.Insert(generation, tenant, scope, id, ViewCache::kBodyView, expire_time, cached);
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::UpdateConversation(const core::Conversation& conversation,
                                               int64_t expected_update_time_us,
                                               const ConversationViews& views,
                                               const ScrubUpdate& scrub) {
  if (closed_) return pg::Closed();
  std::string body;
  if (!conversation.SerializeToString(&body)) return absl::InternalError("cannot serialize conversation");
  // Superseded row versions stay in the table files until VACUUM and in the
  // WAL until it is recycled: scrub_files is not honoured (ADR 0021).
  return WriteConversation(conversation.tenant(), conversation.scope(), conversation.id(),
                           [&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Locked key, pg::LockConversation(conn, conversation.tenant(),
                                                          conversation.scope(), conversation.id()));
    if (key.update_time != expected_update_time_us) {
      return absl::AbortedError(
          absl::StrCat("conversation ", conversation.id(), " was modified concurrently; retry"));
    }
    // The store owns latest_analysis_id: keep the stored one; views rendered
    // with another are stale and dropped.
    const bool views_current = key.latest_analysis_id == conversation.latest_analysis_id();
    core::Conversation patched;
    std::string patched_body;
    ASSIGN_OR_RETURN(RowToStore kept, KeepLatestAnalysis(conversation, body, key.latest_analysis_id,
                                                         &patched, &patched_body));
    const core::Conversation* row = kept.row;
    const std::string_view row_body = kept.body;
    RETURN_IF_ERROR(pg::ReplaceViews(conn, *row, views_current ? views : ConversationViews{}));
    {
      pg::Params p;
      pg::ConversationParams(*row, row_body, &p);
      RETURN_IF_ERROR(conn.Exec(pg::kUpdateConversation, p).status());
    }
    for (const char* table : {"conversation_agents", "conversation_labels"}) {
      RETURN_IF_ERROR(conn.Exec(absl::StrCat("DELETE FROM ", table, pg::Sv(pg::kChildKey)),
                                pg::Key(row->tenant(), row->scope(), row->id()))
                          .status());
    }
    RETURN_IF_ERROR(pg::InsertChildren(conn, *row));
    if (scrub.rewrite_analysis) RETURN_IF_ERROR(pg::RewriteAnalyses(conn, *row, scrub.rewrite_analysis));
    if (scrub.create_resource != nullptr) RETURN_IF_ERROR(pg::InsertResource(conn, *scrub.create_resource));
    return absl::OkStatus();
  });
}

absl::Status PostgresStore::DeleteConversation(std::string_view tenant, std::string_view scope,
                                               std::string_view id, bool force) {
  return WriteConversation(tenant, scope, id, [&](pg::Conn& conn) -> absl::Status {
    RETURN_IF_ERROR(pg::LockConversation(conn, tenant, scope, id).status());
    if (!force) {
      ASSIGN_OR_RETURN(pg::Result r,
                       conn.Exec(absl::StrCat("SELECT 1::bigint FROM analyses", pg::Sv(pg::kChildKey), " LIMIT 1"),
                                 pg::Key(tenant, scope, id)));
      if (r.rows() > 0) {
        return absl::FailedPreconditionError("conversation has analyses; set force to delete them");
      }
    }
    return conn.Exec(pg::DeleteConversationsSql("tenant = $1 AND scope = $2 AND id = $3"),
                     pg::Key(tenant, scope, id))
        .status();
  });
}

absl::StatusOr<int64_t> PostgresStore::DeleteExpiredConversations(int64_t now_us) {
  return DeleteInChunks(pg::DeleteConversationsSql(
                            "(tenant, scope, id) IN (SELECT tenant, scope, id FROM conversations"
                            " WHERE expire_time <> 0 AND expire_time <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"),
                        now_us, /*chunk=*/1000);
}

absl::StatusOr<std::vector<ConversationKey>> PostgresStore::ListIdleConversations(
    int64_t updated_before_us, int limit) {
  static_assert(core::IN_PROGRESS == 1, "conversations_idle is on lifecycle = 1");
  // Every statement names its tenant (a distributed table is routed by it,
  // ADR 0021): the tenants that have live assisted conversations, one probe
  // of conversations_idle (tenant, update_time) each, then each tenant's
  // oldest `limit` from the same index, merged oldest first.
  std::vector<ConversationKey> keys;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    struct Idle {
      int64_t update_time;
      ConversationKey key;
    };
    std::vector<Idle> idle;
    std::string tenant;
    for (bool first = true;; first = false) {
      pg::Params t;
      t.Text(tenant);
      ASSIGN_OR_RETURN(pg::Result next,
                       conn.Exec(first ? "SELECT tenant FROM conversations WHERE lifecycle = 1 AND stage <> 0"
                                         " AND tenant >= $1 ORDER BY tenant LIMIT 1"
                                       : "SELECT tenant FROM conversations WHERE lifecycle = 1 AND stage <> 0"
                                         " AND tenant > $1 ORDER BY tenant LIMIT 1",
                                 t));
      if (next.rows() == 0) break;
      tenant = std::string(next.Bytes(0, 0));
      pg::Params p;
      p.Text(tenant).Int(updated_before_us).Int(limit);
      ASSIGN_OR_RETURN(pg::Result r,
                       conn.Exec("SELECT scope, id, update_time FROM conversations WHERE tenant = $1"
                                 " AND lifecycle = 1 AND stage <> 0 AND update_time <= $2"
                                 " ORDER BY update_time LIMIT $3",
                                 p));
      for (int i = 0; i < r.rows(); ++i) {
        idle.push_back({r.Int(i, 2), {tenant, std::string(r.Bytes(i, 0)), std::string(r.Bytes(i, 1))}});
      }
    }
    std::stable_sort(idle.begin(), idle.end(),
                     [](const Idle& a, const Idle& b) { return a.update_time < b.update_time; });
    if (idle.size() > static_cast<size_t>(std::max(limit, 0))) idle.resize(std::max(limit, 0));
    keys.clear();
    for (Idle& i : idle) keys.push_back(std::move(i.key));
    return absl::OkStatus();
  }));
  return keys;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PostgresStore::CountConversationsByTenant() {
  std::vector<std::pair<std::string, int64_t>> counts;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT tenant, count(*)::bigint FROM conversations"
                                             " GROUP BY tenant ORDER BY tenant"));
    counts.clear();
    for (int i = 0; i < r.rows(); ++i) counts.emplace_back(std::string(r.Bytes(i, 0)), r.Int(i, 1));
    return absl::OkStatus();
  }));
  return counts;
}

absl::StatusOr<ConversationPage> PostgresStore::ListConversations(const core::ConversationQuery& query) {
  if (closed_) return pg::Closed();
  pg::SqlQuery sql;
  RETURN_IF_ERROR(pg::CompileListQuery(query, &sql));
  // The cost bound of a list (StoreOptions::list_query_max_steps) as a
  // statement timeout, at some 15 ns a SQLite step.
  const int64_t timeout_ms =
      options_.list_query_max_steps <= 0 ? 0 : std::max<int64_t>(1, options_.list_query_max_steps * 15 / 1'000'000);
  ConversationPage page;
  absl::Status s = Read([&](pg::Conn& conn) -> absl::Status {
    page = ConversationPage();
    RETURN_IF_ERROR(conn.ExecScript(absl::StrCat("BEGIN; SET LOCAL statement_timeout = ", timeout_ms)));
    absl::StatusOr<pg::Result> r = conn.Exec(sql.sql, sql.params);
    const std::string state = conn.sqlstate();
    if (!conn.broken()) (void)conn.ExecScript(r.ok() ? "COMMIT" : "ROLLBACK");
    if (!r.ok() && state == pg::kQueryCanceled) {
      return absl::FailedPreconditionError(
          "the filter is too costly to evaluate over this project's conversations; narrow it "
          "(fewer OR terms, or add a condition on an indexed field such as create_time or "
          "agent_id)");
    }
    RETURN_IF_ERROR(r.status());
    RETURN_IF_ERROR(pg::ReadPage(*r, query.page_size, "conversation", &page.conversations, &page.next,
                                 &page.sort_values));
    if (sql.confirm.empty()) return absl::OkStatus();
    // Labels the query tested by hash only (a collision, one in 2^64, makes
    // a page one shorter; the cursor stays on the last row read).
    size_t kept = 0;
    for (size_t i = 0; i < page.conversations.size(); ++i) {
      if (!pg::ConfirmLabels(sql.confirm, page.conversations[i])) continue;
      if (kept != i) {
        page.conversations[kept] = std::move(page.conversations[i]);
        page.sort_values[kept] = page.sort_values[i];
      }
      ++kept;
    }
    page.conversations.resize(kept);
    page.sort_values.resize(kept);
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(s);
  return page;
}

absl::StatusOr<std::string> PostgresStore::ExplainListQuery(const core::ConversationQuery& query) {
  pg::SqlQuery sql;
  RETURN_IF_ERROR(pg::CompileListQuery(query, &sql));
  std::vector<std::string> lines;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(absl::StrCat("EXPLAIN ", sql.sql), sql.params));
    lines.clear();
    for (int i = 0; i < r.rows(); ++i) lines.emplace_back(r.Bytes(i, 0));
    return absl::OkStatus();
  }));
  return absl::StrJoin(lines, "\n");
}

}  // namespace parley::store
