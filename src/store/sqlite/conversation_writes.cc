// Writing conversations: create, update, delete and the expiry sweep.
#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/notification.h"
#include "store/body_delta.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/store_checks.h"

namespace parley::store {

namespace sqlite {

namespace {
// Whether a delta setting these top-level fields changes the agents or
// labels, whose rows are rewritten only with the whole body.
bool ChangesChildRows(const std::vector<int>& fields) {
  return std::any_of(fields.begin(), fields.end(), [](int f) {
    return f == core::Conversation::kAgentIdsFieldNumber ||
           f == core::Conversation::kLabelsFieldNumber;
  });
}
}  // namespace

// The write of a new conversation (see Store::CreateConversation), and of
// `also` (with its serialized `also_body`) when not null: both run inside the
// same savepoint of the writer's transaction, so a failure of either undoes
// both.
absl::Status InsertConversation(Connection& conn, const core::Conversation& conversation,
                                const std::string& body, const ConversationViews& views,
                                const core::Operation* also, const std::string& also_body) {
  {
    // An expired conversation not yet swept frees its key.
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversations WHERE tenant = ?1"
                                            " AND scope = ?2 AND id = ?3"
                                            " AND expire_time != 0 AND expire_time <= ?4"));
    s.BindText(1, conversation.tenant()).BindText(2, conversation.scope());
    s.BindText(3, conversation.id()).Bind(4, conversation.create_time_us());
    RETURN_IF_ERROR(s.Exec());
  }
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement(kInsertConversation));
    BindConversationColumns(s, conversation);
    int rc = s.StepRaw();
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return absl::AlreadyExistsError(
          absl::StrCat("conversation ", conversation.id(), " already exists"));
    }
    if (rc != SQLITE_DONE) return s.Error(rc, "inserting conversation");
  }
  const int64_t pk = sqlite3_last_insert_rowid(conn.db());
  RETURN_IF_ERROR(InsertChildren(conn, pk, conversation, body));
  if (!views.empty()) RETURN_IF_ERROR(ReplaceViews(conn, pk, views));
  if (also != nullptr) RETURN_IF_ERROR(InsertOperation(conn, *also, also_body));
  return absl::OkStatus();
}

}  // namespace sqlite

absl::Status SqliteStore::CreateConversation(const core::Conversation& conversation,
                                             const ConversationViews& views,
                                             const core::Operation* also) {
  absl::Notification finished;
  absl::Status result;
  CreateConversationWithAsync(conversation, views, also, [&](absl::Status s) {
    result = std::move(s);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

void SqliteStore::CreateConversationAsync(const core::Conversation& conversation,
                                          const ConversationViews& views, WriteDone done) {
  CreateConversationWithAsync(conversation, views, nullptr, std::move(done));
}

void SqliteStore::CreateConversationWithAsync(const core::Conversation& conversation,
                                              const ConversationViews& views,
                                              const core::Operation* also, WriteDone done) {
  if (closed_) return done(sqlite::Closed());
  if (absl::Status s = CheckNewConversation(conversation); !s.ok()) return done(s);
  if (also != nullptr) {
    if (absl::Status s = CheckNewOperation(*also); !s.ok()) return done(s);
  }
  std::string body, also_body;
  if (!conversation.SerializeToString(&body)) {
    return done(absl::InternalError("cannot serialize conversation"));
  }
  if (also != nullptr && !also->SerializeToString(&also_body)) {
    return done(absl::InternalError("cannot serialize operation"));
  }
  WriteAsync(
      [&conversation, also, packed = sqlite::PackViews(views), body = std::move(body),
       also_body = std::move(also_body)](Connection& conn) {
        return sqlite::InsertConversation(conn, conversation, body, packed, also, also_body);
      },
      std::move(done));
}

absl::Status SqliteStore::UpdateConversation(const core::Conversation& conversation,
                                             int64_t expected_update_time_us,
                                             const ConversationViews& views,
                                             const ScrubUpdate& scrub) {
  return WriteUpdate(conversation, expected_update_time_us, views, scrub, nullptr);
}

absl::Status SqliteStore::AppendConversation(const core::Conversation& conversation,
                                             int64_t expected_update_time_us, std::string_view delta,
                                             const ScrubUpdate& scrub) {
  return WriteUpdate(conversation, expected_update_time_us, {}, scrub, &delta);
}

absl::Status SqliteStore::WriteUpdate(const core::Conversation& conversation,
                                      int64_t expected_update_time_us,
                                      const ConversationViews& views, const ScrubUpdate& scrub,
                                      const std::string_view* given_delta) {
  if (closed_) return sqlite::Closed();
  // With the caller's delta the whole body is serialized only if it is
  // written whole (on the writer, when the deltas reach its TailLimit).
  std::string body;
  if (given_delta == nullptr && !conversation.SerializeToString(&body)) {
    return absl::InternalError("cannot serialize conversation");
  }
  const ConversationViews packed = sqlite::PackViews(views);
  // What the row's body became (`body`, or `patched_body` below); null when
  // only the caller's delta was appended (the cache then drops the body).
  const std::string* stored_body = &body;
  std::string patched_body;
  // The cache is brought up to date in the write's `committed` hook, which
  // the writer thread runs right after the commit, in commit order, before
  // the caller returns: the old body and views are dropped and the body just committed
  // is kept (the next read of a live conversation, the next message's, is a
  // hit). Commit order is what makes the write-through safe: a later write
  // of the same conversation completes after this one, so the cache never
  // ends with an older body than the database; a reader that raced either is
  // refused by the generation rule (ADR 0007).
  absl::Notification finished;
  absl::Status result;
  WriteAsync(
      [&](Connection& conn) -> absl::Status {
    sqlite::ConversationColumns columns;
    ASSIGN_OR_RETURN(sqlite::ConversationKey key,
                     sqlite::FindConversationRow(conn, conversation.tenant(), conversation.scope(),
                                                 conversation.id(), &columns));
    if (key.update_time != expected_update_time_us) {
      return absl::AbortedError(
          absl::StrCat("conversation ", conversation.id(), " was modified concurrently; retry"));
    }
    // The store owns latest_analysis_id (PutAnalysis sets it without touching
    // update_time): keep the stored one. Views rendered with another one are
    // stale, so they are dropped instead of stored.
    const bool views_current = key.latest_analysis_id == conversation.latest_analysis_id();
    if (scrub.scrub_files) {
      // B-tree rebalancing copies cells between pages and leaves the old
      // bytes in the gap between a page's cell pointers and its content,
      // where secure_delete never reaches: a view deleted later still has a
      // stale copy elsewhere. Views are only a cache, so a redaction clears
      // the whole table: DELETE without WHERE frees every page, and
      // secure_delete zeroes freed pages. The views of other conversations
      // are rendered again when next read.
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversation_views"));
      RETURN_IF_ERROR(s.Exec());
    }
    RETURN_IF_ERROR(sqlite::ReplaceViews(conn, key.pk, views_current ? packed : ConversationViews{}));
    auto finish = [&]() -> absl::Status {
      if (scrub.rewrite_analysis) {
        RETURN_IF_ERROR(sqlite::RewriteAnalyses(conn, key.pk, scrub.rewrite_analysis));
      }
      if (scrub.create_resource != nullptr) {
        RETURN_IF_ERROR(sqlite::InsertResource(conn, *scrub.create_resource));
      }
      return absl::OkStatus();
    };
    const bool plain = !scrub.scrub_files && !scrub.rewrite_analysis;
    if (given_delta != nullptr) {
      // The caller's delta (ADR 0041): appended as it is, unless the body is
      // due to be written whole (TailLimit::Admits) or the delta touches the
      // agents or labels (their rows are rewritten with the body).
      sqlite::TailStats tails;
      RETURN_IF_ERROR(sqlite::ReadTailStats(conn, key.pk, &tails));
      std::vector<int> fields;
      if (plain && views_current &&
          sqlite::TailLimitOf(key.pk, tails.body_bytes)
              .Admits(tails.last_seq, tails.bytes, given_delta->size()) &&
          TopLevelFields(sqlite::Sv(*given_delta), &fields) && !sqlite::ChangesChildRows(fields)) {
        stored_body = nullptr;
        RETURN_IF_ERROR(sqlite::UpdateConversationRow(conn, key.pk, columns, conversation));
        if (!given_delta->empty()) {
          RETURN_IF_ERROR(
              sqlite::AppendTail(conn, key.pk, tails.last_seq + 1, sqlite::Sv(*given_delta), tails.bytes));
        }
        return finish();
      }
      if (body.empty() && !conversation.SerializeToString(&body)) {
        return absl::InternalError("cannot serialize conversation");
      }
    }
    core::Conversation patched;
    ASSIGN_OR_RETURN(RowToStore kept, KeepLatestAnalysis(conversation, body, key.latest_analysis_id,
                                                         &patched, &patched_body));
    const core::Conversation* row = kept.row;
    const absl::string_view row_body(kept.body.data(), kept.body.size());
    stored_body = row == &conversation ? &body : &patched_body;
    RETURN_IF_ERROR(sqlite::UpdateConversationRow(conn, key.pk, columns, *row));
    // An append (new messages, events, a turn; later times) is stored as a
    // delta after the body instead of rewriting it (ADR 0032), unless the
    // update scrubs, or changes agents or labels, or the deltas have grown
    // past the conversation's TailLimit: then the body is written whole.
    // (A caller's delta that could not be appended is written whole.)
    bool appended = false;
    if (plain && given_delta == nullptr) {
      sqlite::StoredBody stored;
      RETURN_IF_ERROR(sqlite::ReadStoredBody(conn, key.pk, &stored));
      std::vector<absl::string_view> parts(stored.parts.begin(), stored.parts.end());
      size_t tail_bytes = 0;
      for (size_t i = 1; i < parts.size(); ++i) tail_bytes += parts[i].size();
      std::string delta;
      std::vector<int> changed;
      appended = AppendDelta(core::Conversation::descriptor(), parts, row_body, &delta, &changed) &&
                 sqlite::TailLimitOf(key.pk, parts[0].size())
                     .Admits(static_cast<int64_t>(parts.size()) - 1, tail_bytes, delta.size()) &&
                 !sqlite::ChangesChildRows(changed);
      if (appended && !delta.empty()) {
        RETURN_IF_ERROR(sqlite::AppendTail(conn, key.pk, stored.last_seq + 1, delta, tail_bytes));
      }
    }
    if (!appended) {
      for (const char* sql : {"DELETE FROM conversation_agents WHERE conv = ?1",
                              "DELETE FROM conversation_labels WHERE conv = ?1"}) {
        ASSIGN_OR_RETURN(Stmt s, conn.Statement(sql));
        s.Bind(1, key.pk);
        RETURN_IF_ERROR(s.Exec());
      }
      RETURN_IF_ERROR(sqlite::InsertChildren(conn, key.pk, *row, row_body));
      RETURN_IF_ERROR(sqlite::DeleteTails(conn, key.pk));
    }
    return finish();
      },
      [&](absl::Status s) {
        result = std::move(s);
        finished.Notify();
      },
      scrub.scrub_files, /*lazy=*/false,
      [&](const absl::Status& s) {
        view_cache_.Invalidate(conversation.tenant(), conversation.scope(), conversation.id());
        if (const Resource* r = scrub.create_resource; r != nullptr) {
          InvalidateResource(r->tenant, r->kind, r->id);
        }
        if (s.ok() && stored_body != nullptr) {
          view_cache_.Insert(view_cache_.generation(), conversation.tenant(), conversation.scope(),
                             conversation.id(), ViewCache::kBodyView,
                             conversation.expire_time_us(), *stored_body);
        }
      });
  finished.WaitForNotification();
  return result;
}

absl::Status SqliteStore::DeleteConversation(std::string_view tenant_sv, std::string_view scope_sv,
                                             std::string_view id_sv, bool force) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), scope = sqlite::Sv(scope_sv),
                          id = sqlite::Sv(id_sv);
  auto invalidate = [&] { view_cache_.Invalidate(tenant_sv, scope_sv, id_sv); };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(sqlite::ConversationKey key,
                     sqlite::FindConversation(conn, tenant, scope, id));
    if (!force) {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT 1 FROM analyses WHERE conv = ?1 LIMIT 1"));
      s.Bind(1, key.pk);
      ASSIGN_OR_RETURN(bool has_analyses, s.Next());
      if (has_analyses) {
        return absl::FailedPreconditionError("conversation has analyses; set force to delete them");
      }
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversations WHERE pk = ?1"));
    s.Bind(1, key.pk);
    return s.Exec();  // cascades to body, labels, agents, views, analyses
  }, invalidate);
}

absl::StatusOr<int64_t> SqliteStore::DeleteExpiredConversations(int64_t now_us) {
  if (closed_) return sqlite::Closed();
  // A failure leaves earlier chunks deleted (they were expired anyway).
  return DeleteInChunks(
      "DELETE FROM conversations WHERE pk IN (SELECT pk FROM conversations"
      " WHERE expire_time != 0 AND expire_time <= ?1 LIMIT ?2)",
      now_us, 1000);
}

absl::StatusOr<int64_t> SqliteStore::DeleteInChunks(const char* sql, int64_t bound, int64_t chunk) {
  int64_t total = 0;
  for (;;) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement(sql));
      s.Bind(1, bound).Bind(2, chunk);
      RETURN_IF_ERROR(s.Exec());
      deleted = sqlite3_changes64(conn.db());
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < chunk) return total;
  }
}

absl::StatusOr<std::vector<ConversationKey>> SqliteStore::ListIdleConversations(int64_t updated_before_us,
                                                                                int limit) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  static_assert(core::IN_PROGRESS == 1, "conversations_idle is on lifecycle = 1");
  // The WHERE repeats conversations_idle's, so SQLite walks that index.
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT tenant, scope, id FROM conversations WHERE lifecycle = 1 AND stage != 0"
                               " AND update_time <= ?1 ORDER BY update_time LIMIT ?2"));
  s.Bind(1, updated_before_us).Bind(2, int64_t{limit});
  std::vector<ConversationKey> keys;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    keys.push_back({std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2))});
  }
  return keys;
}

}  // namespace parley::store
