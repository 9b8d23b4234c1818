// A conversation's rows: its indexed columns, its body, agent and label
// rows, the lookup of its key on the write connection and the parsing of its
// stored body.
#include "absl/strings/str_cat.h"
#include "core/splitmix.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store::sqlite {
namespace {

int64_t OptionalTime(bool has, int64_t v) { return has ? v : kAbsentTime; }

// The updatable columns, in kInsertConversation's order (?4..?18): name,
// and whether the column holds text (else an integer).
struct Column {
  const char* name;
  bool text;
};
constexpr Column kColumns[kUpdatableColumns] = {
    {"create_time", false}, {"update_time", false}, {"start_time", false},   {"duration", false},
    {"turn_count", false},  {"medium", false},      {"language_code", true}, {"agent_id", true},
    {"lifecycle", false},   {"stage", false},       {"source", false},       {"profile", true},
    {"app", true},          {"expire_time", false}, {"latest_analysis_id", true}};
// Where FindConversationRow's key takes its update time and analysis id from.
constexpr int kUpdateTimeColumn = 1;
constexpr int kLatestAnalysisColumn = 14;

ColumnValue Number(int64_t v) { return ColumnValue{false, v, {}}; }
ColumnValue Text(const std::string& v) { return ColumnValue{true, 0, v}; }

void Bind(Stmt& s, int at, const ColumnValue& v) {
  if (v.is_text) {
    s.BindText(at, v.text);
  } else {
    s.Bind(at, v.number);
  }
}

}  // namespace

ConversationColumns ColumnsOf(const core::Conversation& c) {
  return {Number(c.create_time_us()),
          Number(c.update_time_us()),
          Number(OptionalTime(c.has_start_time_us(), c.start_time_us())),
          Number(OptionalTime(c.has_duration_us(), c.duration_us())),
          Number(c.has_turn_count() ? int64_t{c.turn_count()} : int64_t{c.turns_size()}),
          Number(c.medium()),
          Text(c.language_code()),
          Text(c.agent_ids_size() > 0 ? c.agent_ids(0) : std::string()),
          Number(c.lifecycle()),
          Number(c.stage()),
          Number(c.source()),
          Text(c.profile()),
          Text(c.app()),
          Number(c.expire_time_us()),
          Text(c.latest_analysis_id())};
}

// Binds ?1..?18 of kInsertConversation.
void BindConversationColumns(Stmt& s, const core::Conversation& c) {
  s.BindText(1, c.tenant()).BindText(2, c.id()).BindText(3, c.scope());
  const ConversationColumns columns = ColumnsOf(c);
  for (int i = 0; i < kUpdatableColumns; ++i) Bind(s, 4 + i, columns[i]);
}

absl::StatusOr<ConversationKey> FindConversationRow(Connection& conn, absl::string_view tenant,
                                                    absl::string_view scope, absl::string_view id,
                                                    ConversationColumns* columns) {
  static const std::string* const sql = [] {
    std::string text = "SELECT pk";
    for (const Column& column : kColumns) absl::StrAppend(&text, ", ", column.name);
    absl::StrAppend(&text, " FROM conversations WHERE tenant = ?1 AND scope = ?2 AND id = ?3");
    return new std::string(std::move(text));
  }();
  ASSIGN_OR_RETURN(Stmt s, conn.Statement(*sql));
  s.BindText(1, tenant).BindText(2, scope).BindText(3, id);
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("conversation ", id, " not found"));
  }
  for (int i = 0; i < kUpdatableColumns; ++i) {
    (*columns)[i] = kColumns[i].text ? Text(std::string(s.Text(1 + i))) : Number(s.Int(1 + i));
  }
  return ConversationKey{s.Int(0), (*columns)[kUpdateTimeColumn].number,
                         (*columns)[kLatestAnalysisColumn].text};
}

absl::Status UpdateConversationRow(Connection& conn, int64_t pk, const ConversationColumns& stored,
                                   const core::Conversation& c) {
  const ConversationColumns now = ColumnsOf(c);
  std::array<int, kUpdatableColumns> changed;
  int n = 0;
  std::string sql = "UPDATE conversations SET ";
  for (int i = 0; i < kUpdatableColumns; ++i) {
    if (now[i] == stored[i]) continue;
    absl::StrAppend(&sql, n > 0 ? ", " : "", kColumns[i].name, " = ?", n + 1);
    changed[n++] = i;
  }
  if (n == 0) return absl::OkStatus();
  absl::StrAppend(&sql, " WHERE pk = ?", n + 1);
  ASSIGN_OR_RETURN(Stmt s, conn.Statement(sql));
  for (int k = 0; k < n; ++k) Bind(s, k + 1, now[changed[k]]);
  s.Bind(n + 1, pk);
  return s.Exec();
}

// Writes the body, agents and labels rows of conversation `pk`.
absl::Status InsertChildren(Connection& conn, int64_t pk, const core::Conversation& c,
                            absl::string_view body) {
  {
    ASSIGN_OR_RETURN(Stmt s,
                     conn.Statement("INSERT INTO conversation_bodies (conv, body) VALUES (?1, ?2)"
                                    " ON CONFLICT (conv) DO UPDATE SET body = excluded.body"));
    s.Bind(1, pk).BindBlobStatic(2, body);
    RETURN_IF_ERROR(s.Exec());
  }
  if (c.agent_ids_size() > 0) {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT OR IGNORE INTO conversation_agents"
                                            " (conv, agent_id, tenant, create_time, id)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const std::string& agent : c.agent_ids()) {
      s.Bind(1, pk).BindText(2, agent).BindText(3, c.tenant()).Bind(4, c.create_time_us());
      s.BindText(5, c.id());
      RETURN_IF_ERROR(s.Exec());
    }
  }
  if (!c.labels().empty()) {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO conversation_labels"
                                            " (conv, key, value, tenant, create_time, id)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const auto& [key, value] : c.labels()) {
      s.Bind(1, pk).BindText(2, key).BindText(3, value).BindText(4, c.tenant());
      s.Bind(5, c.create_time_us()).BindText(6, c.id());
      RETURN_IF_ERROR(s.Exec());
    }
  }
  return absl::OkStatus();
}

// Looks (tenant, scope, id) up on the write connection; NOT_FOUND if absent.
absl::StatusOr<ConversationKey> FindConversation(Connection& conn, absl::string_view tenant,
                                                 absl::string_view scope, absl::string_view id) {
  ConversationColumns columns;
  return FindConversationRow(conn, tenant, scope, id, &columns);
}

absl::Status ReadStoredBody(Connection& conn, int64_t pk, StoredBody* out) {
  out->parts.clear();
  out->last_seq = 0;
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT body FROM conversation_bodies WHERE conv = ?1"));
    s.Bind(1, pk);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::InternalError("conversation body missing");
    out->parts.emplace_back(s.Blob(0));
  }
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT seq, delta FROM conversation_tails WHERE conv = ?1"
                                          " ORDER BY seq"));
  s.Bind(1, pk);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::OkStatus();
    out->parts.emplace_back(s.Blob(1));
    out->last_seq = s.Int(0);
  }
}

absl::Status ReadTailStats(Connection& conn, int64_t pk, TailStats* out) {
  // length() of a blob reads its size from the record header, not its pages;
  // the last delta (one descent of the (conv, seq) key) carries the count
  // (seqs run 1, 2, ... after a whole write) and the running total of the
  // deltas' bytes, so the deltas are not walked however many there are.
  ASSIGN_OR_RETURN(Stmt s, conn.Statement(
                               "SELECT length(b.body), ifnull(t.seq, 0), ifnull(t.total, 0)"
                               " FROM conversation_bodies b LEFT JOIN (SELECT seq, total FROM"
                               " conversation_tails WHERE conv = ?1 ORDER BY seq DESC LIMIT 1) t"
                               " WHERE b.conv = ?1"));
  s.Bind(1, pk);
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return absl::InternalError("conversation body missing");
  out->body_bytes = static_cast<size_t>(s.Int(0));
  out->last_seq = s.Int(1);
  out->bytes = static_cast<size_t>(s.Int(2));
  return absl::OkStatus();
}

TailLimit TailLimitOf(int64_t pk, size_t body_bytes) {
  // Mixed: neighbouring row ids (conversations created together) get
  // unrelated fractions.
  uint64_t state = static_cast<uint64_t>(pk);
  const uint64_t h = core::SplitMix64(&state);
  constexpr uint64_t kCountSpread = kMaxTails / 4;
  TailLimit limit;
  limit.count = kMaxTails - static_cast<int64_t>(h % kCountSpread);
  // The top 16 bits as a fraction of the body: [0, 1).
  limit.bytes = body_bytes + static_cast<size_t>((static_cast<unsigned __int128>(body_bytes) *
                                                  (h >> 48)) >> 16);
  return limit;
}

absl::Status DeleteTails(Connection& conn, int64_t pk) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("DELETE FROM conversation_tails WHERE conv = ?1"));
  s.Bind(1, pk);
  return s.Exec();
}

absl::Status AppendTail(Connection& conn, int64_t pk, int64_t seq, absl::string_view delta,
                        size_t bytes_before) {
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO conversation_tails (conv, seq, delta, total)"
                                          " VALUES (?1, ?2, ?3, ?4)"));
  s.Bind(1, pk).Bind(2, seq).BindBlobStatic(3, delta);
  s.Bind(4, static_cast<int64_t>(bytes_before + delta.size()));
  return s.Exec();
}

absl::Status ParseBodyInto(absl::string_view body, absl::string_view id, core::Conversation* out) {
  if (!out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InternalError(absl::StrCat("stored conversation ", id, " is corrupt"));
  }
  return absl::OkStatus();
}

absl::StatusOr<core::Conversation> ParseBody(absl::string_view body, absl::string_view id) {
  core::Conversation conv;
  RETURN_IF_ERROR(ParseBodyInto(body, id, &conv));
  return conv;
}

}  // namespace parley::store::sqlite
