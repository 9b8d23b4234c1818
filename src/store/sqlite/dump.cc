// Copying a whole store (Store::Dump* / Load*, `parley migrate`, ADR 0034):
// every tenant's rows in key order, and writing them back as they are.
// SQLite compares TEXT byte by byte (BINARY collation), the order the
// PostgreSQL store's "C" collation gives too.
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

namespace {

// Serializes every record first, so that a write the writer retries does
// the same work again.
template <typename M>
absl::StatusOr<std::vector<std::string>> Serialize(const std::vector<M>& items, absl::string_view what) {
  std::vector<std::string> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].SerializeToString(&out[i])) {
      return absl::InternalError(absl::StrCat("cannot serialize ", what));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ConversationDump>> SqliteStore::DumpConversations(const ConversationKey* after,
                                                                              int limit) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  Connection& conn = lease.conn();
  ASSIGN_OR_RETURN(Stmt s, conn.Statement(absl::StrCat(
                               "SELECT c.pk, ", sqlite::kBodyWithTails,
                               " FROM conversations c JOIN conversation_bodies b"
                               " ON b.conv = c.pk",
                               after != nullptr ? " WHERE (c.tenant, c.scope, c.id) > (?1, ?2, ?3)" : "",
                               " ORDER BY c.tenant, c.scope, c.id LIMIT ?4")));
  if (after != nullptr) s.BindText(1, after->tenant).BindText(2, after->scope).BindText(3, after->id);
  s.Bind(4, int64_t{limit});
  std::vector<int64_t> pks;
  std::vector<ConversationDump> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    pks.push_back(s.Int(0));
    out.emplace_back();
    RETURN_IF_ERROR(sqlite::ParseBodyInto(s.Blob(1), "", &out.back().conversation));
  }
  for (size_t i = 0; i < pks.size(); ++i) {
    // Taken afresh for each conversation: a statement is reset when its
    // Stmt goes.
    ASSIGN_OR_RETURN(Stmt views, conn.Statement("SELECT name, body FROM conversation_views"
                                                " WHERE conv = ?1 ORDER BY name"));
    ASSIGN_OR_RETURN(Stmt analyses, conn.Statement("SELECT body FROM analyses WHERE conv = ?1 ORDER BY id"));
    views.Bind(1, pks[i]);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, views.Next());
      if (!row) break;
      std::string body;
      RETURN_IF_ERROR(sqlite::UnpackView(views.Blob(1), &body));
      out[i].views.emplace_back(std::string(views.Text(0)), std::move(body));
    }
    analyses.Bind(1, pks[i]);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, analyses.Next());
      if (!row) break;
      ASSIGN_OR_RETURN(core::Analysis a, sqlite::ParseMessage<core::Analysis>(analyses.Blob(0), "analysis"));
      out[i].analyses.push_back(std::move(a));
    }
  }
  return out;
}

absl::Status SqliteStore::LoadConversations(const std::vector<ConversationDump>& conversations) {
  if (closed_) return sqlite::Closed();
  struct Prepared {
    std::string body;
    ConversationViews packed;
    std::vector<std::string> analyses;
  };
  std::vector<Prepared> prepared(conversations.size());
  for (size_t i = 0; i < conversations.size(); ++i) {
    if (!conversations[i].conversation.SerializeToString(&prepared[i].body)) {
      return absl::InternalError("cannot serialize conversation");
    }
    prepared[i].packed = sqlite::PackViews(conversations[i].views);
    ASSIGN_OR_RETURN(prepared[i].analyses, Serialize(conversations[i].analyses, "analysis"));
  }
  // Keys loaded over existing ones (migrate --allow-non-empty) must not be
  // served from a cache of the conversations they replace.
  absl::Cleanup forget = [this] { view_cache_.Clear(); };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt insert, conn.Statement("INSERT INTO analyses (conv, id, create_time, body)"
                                                 " VALUES (?1, ?2, ?3, ?4)"));
    for (size_t i = 0; i < conversations.size(); ++i) {
      const core::Conversation& c = conversations[i].conversation;
      RETURN_IF_ERROR(sqlite::InsertConversation(conn, c, prepared[i].body, prepared[i].packed, nullptr, ""));
      // Not sqlite3_last_insert_rowid: the views' rows came after the conversation's.
      ASSIGN_OR_RETURN(sqlite::ConversationKey key, sqlite::FindConversation(conn, c.tenant(), c.scope(), c.id()));
      const int64_t pk = key.pk;
      for (size_t j = 0; j < conversations[i].analyses.size(); ++j) {
        const core::Analysis& a = conversations[i].analyses[j];
        insert.Bind(1, pk).BindText(2, a.id()).Bind(3, a.create_time_us());
        insert.BindBlobStatic(4, prepared[i].analyses[j]);
        RETURN_IF_ERROR(insert.Exec());
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<core::Operation>> SqliteStore::DumpOperations(const core::Operation* after,
                                                                         int limit) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(absl::StrCat(
                               "SELECT body FROM operations",
                               after != nullptr ? " WHERE (tenant, id) > (?1, ?2)" : "",
                               " ORDER BY tenant, id LIMIT ?3")));
  if (after != nullptr) s.BindText(1, after->tenant()).BindText(2, after->id());
  s.Bind(3, int64_t{limit});
  std::vector<core::Operation> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    ASSIGN_OR_RETURN(core::Operation op, sqlite::ParseMessage<core::Operation>(s.Blob(0), "operation"));
    out.push_back(std::move(op));
  }
  return out;
}

absl::Status SqliteStore::LoadOperations(const std::vector<core::Operation>& operations) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::vector<std::string> bodies, Serialize(operations, "operation"));
  return Write([&](Connection& conn) -> absl::Status {
    for (size_t i = 0; i < operations.size(); ++i) {
      RETURN_IF_ERROR(sqlite::InsertOperation(conn, operations[i], bodies[i]));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Resource>> SqliteStore::DumpResources(const Resource* after, int limit) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(absl::StrCat(
                               "SELECT tenant, kind, id, location, create_time, update_time, body"
                               " FROM resources",
                               after != nullptr ? " WHERE (tenant, kind, id) > (?1, ?2, ?3)" : "",
                               " ORDER BY tenant, kind, id LIMIT ?4")));
  if (after != nullptr) s.BindText(1, after->tenant).BindText(2, after->kind).BindText(3, after->id);
  s.Bind(4, int64_t{limit});
  std::vector<Resource> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    out.push_back(Resource{std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2)),
                           std::string(s.Text(3)), s.Int(4), s.Int(5), std::string(s.Blob(6))});
  }
  return out;
}

absl::Status SqliteStore::LoadResources(const std::vector<Resource>& resources) {
  if (closed_) return sqlite::Closed();
  absl::Status s = Write([&](Connection& conn) -> absl::Status {
    for (const Resource& r : resources) RETURN_IF_ERROR(sqlite::InsertResource(conn, r));
    return absl::OkStatus();
  });
  for (const Resource& r : resources) InvalidateResource(r.tenant, r.kind, r.id);
  return s;
}

absl::Status SqliteStore::LoadAudit(const std::vector<AuditEntry>& entries) {
  if (closed_) return sqlite::Closed();
  return Write([&](Connection& conn) -> absl::Status {
    for (const AuditEntry& e : entries) RETURN_IF_ERROR(sqlite::InsertAudit(conn, e));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqliteStore::DumpSettings() {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement("SELECT key, value FROM settings ORDER BY key"));
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    out.emplace_back(std::string(s.Text(0)), std::string(s.Blob(1)));
  }
  return out;
}

absl::Status SqliteStore::LoadSettings(const std::vector<std::pair<std::string, std::string>>& settings) {
  if (closed_) return sqlite::Closed();
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO settings (key, value) VALUES (?1, ?2)"
                                            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    for (const auto& [key, value] : settings) {
      s.BindText(1, key).BindBlobStatic(2, value);
      RETURN_IF_ERROR(s.Exec());
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::DeleteSetting(std::string_view key) {
  if (closed_) return sqlite::Closed();
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM settings WHERE key = ?1"));
    s.BindText(1, sqlite::Sv(key));
    return s.Exec();
  });
}

}  // namespace parley::store
