// Copying a whole store (Store::Dump* / Load*, `parley migrate`, ADR 0034)
// on PostgreSQL: every tenant's rows in key order ("C" collation: byte by
// byte, as SQLite orders them), and writing them back as they are, each
// Load one transaction.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "store/postgres/postgres_internal.h"

namespace parley::store {

namespace {

std::string KeyString(std::string_view tenant, std::string_view scope, std::string_view id) {
  std::string key(tenant);
  key.push_back('\0');
  key.append(scope);
  key.push_back('\0');
  key.append(id);
  return key;
}

// " WHERE (tenant, scope, conv_id) > ($1, $2, $3) AND ... <= ($4, $5, $6)"
// with `p` bound: the child rows of the conversations of one page.
std::string ChildRange(const ConversationKey* after, const core::Conversation& last, pg::Params* p) {
  std::string where = " WHERE (tenant, scope, conv_id) <= ($1, $2, $3)";
  p->Text(last.tenant()).Text(last.scope()).Text(last.id());
  if (after != nullptr) {
    where += " AND (tenant, scope, conv_id) > ($4, $5, $6)";
    p->Text(after->tenant).Text(after->scope).Text(after->id);
  }
  return where;
}

// INSERT INTO `table_columns` (a table and its `columns` column names) of
// `rows` rows, up to 500 a statement; `add(i, p)` binds row i's values.
// With `prefix`, the statement is prefix, the rows' VALUES lists, suffix.
absl::Status InsertRows(pg::Conn& conn, std::string_view table_columns, int columns, size_t rows,
                        absl::FunctionRef<void(size_t, pg::Params*)> add, std::string_view suffix = "",
                        std::string_view prefix = "") {
  constexpr size_t kRowsPerStatement = 500;
  for (size_t first = 0; first < rows; first += kRowsPerStatement) {
    const size_t end = std::min(rows, first + kRowsPerStatement);
    pg::Params p;
    std::string sql = prefix.empty() ? absl::StrCat("INSERT INTO ", pg::Sv(table_columns), " VALUES ")
                                     : std::string(prefix);
    for (size_t i = first; i < end; ++i) {
      add(i, &p);
      sql += i == first ? "(" : ", (";
      for (int c = 0; c < columns; ++c) absl::StrAppend(&sql, c == 0 ? "$" : ", $", p.size() - columns + 1 + c);
      sql += ")";
    }
    sql += suffix;
    RETURN_IF_ERROR(conn.Exec(sql, p).status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ConversationDump>> PostgresStore::DumpConversations(
    const ConversationKey* after, int limit) {
  std::vector<ConversationDump> out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    out.clear();
    pg::Params p;
    p.Int(limit);
    std::string sql = "SELECT body FROM conversations";
    if (after != nullptr) {
      p.Text(after->tenant).Text(after->scope).Text(after->id);
      sql += " WHERE (tenant, scope, id) > ($2, $3, $4)";
    }
    sql += " ORDER BY tenant, scope, id LIMIT $1";
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
    absl::flat_hash_map<std::string, size_t> index;
    for (int i = 0; i < r.rows(); ++i) {
      out.emplace_back();
      ASSIGN_OR_RETURN(out.back().conversation,
                       pg::ParseMessage<core::Conversation>(r.Bytes(i, 0), "conversation"));
      const core::Conversation& c = out.back().conversation;
      index[KeyString(c.tenant(), c.scope(), c.id())] = out.size() - 1;
    }
    if (out.empty()) return absl::OkStatus();
    // Views and analyses of the whole page, one range query each.
    pg::Params range;
    const std::string where = ChildRange(after, out.back().conversation, &range);
    auto owner = [&](const pg::Result& rows, int i) -> absl::StatusOr<ConversationDump*> {
      auto it = index.find(KeyString(rows.Bytes(i, 0), rows.Bytes(i, 1), rows.Bytes(i, 2)));
      if (it == index.end()) return absl::AbortedError("the store changed while it was being dumped");
      return &out[it->second];
    };
    ASSIGN_OR_RETURN(pg::Result views,
                     conn.Exec(absl::StrCat("SELECT tenant, scope, conv_id, name, body FROM conversation_views",
                                            where, " ORDER BY tenant, scope, conv_id, name"),
                               range));
    for (int i = 0; i < views.rows(); ++i) {
      ASSIGN_OR_RETURN(ConversationDump * d, owner(views, i));
      d->views.emplace_back(std::string(views.Bytes(i, 3)), std::string(views.Bytes(i, 4)));
    }
    ASSIGN_OR_RETURN(pg::Result analyses,
                     conn.Exec(absl::StrCat("SELECT tenant, scope, conv_id, body FROM analyses", where,
                                            " ORDER BY tenant, scope, conv_id, id"),
                               range));
    for (int i = 0; i < analyses.rows(); ++i) {
      ASSIGN_OR_RETURN(ConversationDump * d, owner(analyses, i));
      ASSIGN_OR_RETURN(core::Analysis a, pg::ParseMessage<core::Analysis>(analyses.Bytes(i, 3), "analysis"));
      d->analyses.push_back(std::move(a));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::LoadConversations(const std::vector<ConversationDump>& conversations) {
  // Every row of the batch first, then one multi-row INSERT per table: a
  // round trip per table and 500 rows, not per row (some 20 times faster
  // than CreateConversation's statements one by one).
  std::vector<std::string> bodies(conversations.size());
  struct Child {
    size_t conv;
    std::string_view a, b;
    int64_t n = 0;
  };
  std::vector<Child> agents, labels, views, analyses;
  std::vector<std::string> analysis_bodies;
  size_t analysis_count = 0;
  for (const ConversationDump& d : conversations) analysis_count += d.analyses.size();
  analysis_bodies.reserve(analysis_count);  // no reallocation: `analyses` points into it
  for (size_t i = 0; i < conversations.size(); ++i) {
    const core::Conversation& c = conversations[i].conversation;
    if (!c.SerializeToString(&bodies[i])) return absl::InternalError("cannot serialize conversation");
    for (const std::string& agent : c.agent_ids()) agents.push_back({i, agent, {}, c.create_time_us()});
    for (const auto& [key, value] : c.labels()) labels.push_back({i, key, value, c.create_time_us()});
    for (const auto& [name, body] : conversations[i].views) views.push_back({i, name, body});
    for (const core::Analysis& a : conversations[i].analyses) {
      analysis_bodies.emplace_back();
      if (!a.SerializeToString(&analysis_bodies.back())) return absl::InternalError("cannot serialize analysis");
      analyses.push_back({i, a.id(), analysis_bodies.back(), a.create_time_us()});
    }
  }
  auto key = [&](size_t i, pg::Params* p) {
    const core::Conversation& c = conversations[i].conversation;
    p->Text(c.tenant()).Text(c.scope()).Text(c.id());
  };
  return Write([&](pg::Conn& conn) -> absl::Status {
    absl::Status s = InsertRows(
        conn,
        "conversations (tenant, scope, id, create_time, update_time, start_time, duration,"
        " turn_count, medium, language_code, agent_id, lifecycle, stage, source, profile, app,"
        " expire_time, latest_analysis_id, body)",
        19, conversations.size(),
        [&](size_t i, pg::Params* p) { pg::ConversationParams(conversations[i].conversation, bodies[i], p); });
    if (!s.ok() && conn.sqlstate() == pg::kUniqueViolation) {
      return absl::AlreadyExistsError(absl::StrCat("a conversation of the batch already exists: ", s.message()));
    }
    RETURN_IF_ERROR(s);
    RETURN_IF_ERROR(InsertRows(
        conn, "conversation_agents (tenant, scope, conv_id, agent_id, create_time)", 5, agents.size(),
        [&](size_t i, pg::Params* p) {
          key(agents[i].conv, p);
          p->Text(agents[i].a).Int(agents[i].n);
        },
        " ON CONFLICT DO NOTHING"));
    RETURN_IF_ERROR(InsertRows(conn, "conversation_labels (tenant, scope, conv_id, key, value, create_time)", 6,
                               labels.size(), [&](size_t i, pg::Params* p) {
                                 key(labels[i].conv, p);
                                 p->Text(labels[i].a).Text(labels[i].b).Int(labels[i].n);
                               }));
    // The agents rows' label hashes (schema 5, ADR 0039), from the label
    // rows just written, as a create computes them.
    std::vector<size_t> with_agents;
    for (size_t i = 0; i < conversations.size(); ++i) {
      if (conversations[i].conversation.agent_ids_size() > 0) with_agents.push_back(i);
    }
    RETURN_IF_ERROR(InsertRows(
        conn, "", 3, with_agents.size(), [&](size_t i, pg::Params* p) { key(with_agents[i], p); },
        ") AS v (tenant, scope, conv_id) WHERE a.tenant = v.tenant AND a.scope = v.scope"
        " AND a.conv_id = v.conv_id",
        "UPDATE conversation_agents a SET label_hashes = ARRAY(SELECT parley_label_hash(l.key, l.value)"
        " FROM conversation_labels l WHERE l.tenant = a.tenant AND l.scope = a.scope AND l.conv_id = a.conv_id)"
        " FROM (VALUES "));
    RETURN_IF_ERROR(InsertRows(conn, "conversation_views (tenant, scope, conv_id, name, body)", 5, views.size(),
                               [&](size_t i, pg::Params* p) {
                                 key(views[i].conv, p);
                                 p->Text(views[i].a).Bytes(views[i].b);
                               }));
    return InsertRows(conn, "analyses (tenant, scope, conv_id, id, body, create_time)", 6, analyses.size(),
                      [&](size_t i, pg::Params* p) {
                        key(analyses[i].conv, p);
                        p->Text(analyses[i].a).Bytes(analyses[i].b).Int(analyses[i].n);
                      });
  });
}

absl::StatusOr<std::vector<core::Operation>> PostgresStore::DumpOperations(const core::Operation* after,
                                                                           int limit) {
  std::vector<core::Operation> out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    out.clear();
    pg::Params p;
    p.Int(limit);
    std::string sql = "SELECT body FROM operations";
    if (after != nullptr) {
      p.Text(after->tenant()).Text(after->id());
      sql += " WHERE (tenant, id) > ($2, $3)";
    }
    sql += " ORDER BY tenant, id LIMIT $1";
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(core::Operation op, pg::ParseMessage<core::Operation>(r.Bytes(i, 0), "operation"));
      out.push_back(std::move(op));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::LoadOperations(const std::vector<core::Operation>& operations) {
  std::vector<std::string> bodies(operations.size());
  for (size_t i = 0; i < operations.size(); ++i) {
    if (!operations[i].SerializeToString(&bodies[i])) return absl::InternalError("cannot serialize operation");
  }
  return Write([&](pg::Conn& conn) -> absl::Status {
    for (size_t i = 0; i < operations.size(); ++i) {
      RETURN_IF_ERROR(pg::InsertOperation(conn, operations[i], bodies[i]));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Resource>> PostgresStore::DumpResources(const Resource* after, int limit) {
  std::vector<Resource> out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    out.clear();
    pg::Params p;
    p.Int(limit);
    std::string sql = "SELECT tenant, kind, id, location, create_time, update_time, body FROM resources";
    if (after != nullptr) {
      p.Text(after->tenant).Text(after->kind).Text(after->id);
      sql += " WHERE (tenant, kind, id) > ($2, $3, $4)";
    }
    sql += " ORDER BY tenant, kind, id LIMIT $1";
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(Resource{std::string(r.Bytes(i, 0)), std::string(r.Bytes(i, 1)),
                             std::string(r.Bytes(i, 2)), std::string(r.Bytes(i, 3)), r.Int(i, 4),
                             r.Int(i, 5), std::string(r.Bytes(i, 6))});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::LoadResources(const std::vector<Resource>& resources) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    for (const Resource& r : resources) RETURN_IF_ERROR(pg::InsertResource(conn, r));
    return absl::OkStatus();
  });
}

absl::Status PostgresStore::LoadAudit(const std::vector<AuditEntry>& entries) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    // In order, one statement each: seq follows the order of the entries.
    for (const AuditEntry& e : entries) {
      pg::Params p;
      p.Text(e.tenant).Int(e.time_us).Text(e.key).Text(e.action).Text(e.resource).Text(e.result);
      RETURN_IF_ERROR(conn.Exec("INSERT INTO audit_log (tenant, time, key, action, resource, result)"
                                " VALUES ($1, $2, $3, $4, $5, $6)",
                                p)
                          .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PostgresStore::DumpSettings() {
  std::vector<std::pair<std::string, std::string>> out;
  RETURN_IF_ERROR(Read([&](pg::Conn& conn) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT key, value FROM settings ORDER BY key"));
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(std::string(r.Bytes(i, 0)), std::string(r.Bytes(i, 1)));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::LoadSettings(const std::vector<std::pair<std::string, std::string>>& settings) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    for (const auto& [key, value] : settings) {
      pg::Params p;
      p.Text(key).Bytes(value);
      RETURN_IF_ERROR(conn.Exec("INSERT INTO settings (key, value) VALUES ($1, $2)"
                                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                p)
                          .status());
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresStore::DeleteSetting(std::string_view key) {
  return Write([&](pg::Conn& conn) -> absl::Status {
    pg::Params p;
    p.Text(key);
    return conn.Exec("DELETE FROM settings WHERE key = $1", p).status();
  });
}

}  // namespace parley::store
