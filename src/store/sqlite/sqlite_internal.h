// What the files of the SQLite backend share besides Connection: the
// migrations, a conversation's row helpers, stored views, list paging and
// the read lease. Private to the SQLite backend.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/conversation_query.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace parley::store {
namespace sqlite {

// ---- schema (schema.cc) ----

// Checks that `conn` holds a Parley database (or an empty one) no newer than
// this build, and brings it to kSqliteSchemaVersion.
absl::Status Migrate(Connection& conn, const std::string& path);

// ---- resources (resources.cc) ----

// Inserts `r`; ALREADY_EXISTS if its (tenant, kind, id) is taken.
absl::Status InsertResource(Connection& conn, const Resource& r);

// ---- a conversation's rows (conversation_rows.cc) ----

inline constexpr absl::string_view kInsertConversation =
    "INSERT INTO conversations (tenant, id, scope, create_time, update_time, start_time,"
    " duration, turn_count, medium, language_code, agent_id, lifecycle, stage, source,"
    " profile, app, expire_time, latest_analysis_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

// Binds ?1..?18 of kInsertConversation.
void BindConversationColumns(Stmt& s, const core::Conversation& c);

// The columns of a conversation's row an update may change (?4..?18 of
// kInsertConversation), in that order, and their values for a
// conversation (what BindConversationColumns binds).
inline constexpr int kUpdatableColumns = 15;
struct ColumnValue {
  bool is_text = false;
  int64_t number = 0;
  std::string text;
  bool operator==(const ColumnValue& o) const {
    return is_text == o.is_text && (is_text ? text == o.text : number == o.number);
  }
};
using ConversationColumns = std::array<ColumnValue, kUpdatableColumns>;
ConversationColumns ColumnsOf(const core::Conversation& c);

// Inserts a new conversation (Store::CreateConversation) with its `body`,
// its views already packed (PackViews) and `also` (with `also_body`) when not
// null; ALREADY_EXISTS if a live one has its key (conversation_writes.cc).
absl::Status InsertConversation(Connection& conn, const core::Conversation& conversation,
                                const std::string& body, const ConversationViews& views,
                                const core::Operation* also, const std::string& also_body);

// Writes the body, agents and labels rows of conversation `pk`.
absl::Status InsertChildren(Connection& conn, int64_t pk, const core::Conversation& c,
                            absl::string_view body);

// The stored conversation of the row aliased `b` (conversation_bodies) in a
// query: its body followed by its deltas (conversation_tails, ADR 0032) in
// seq order — group_concat walks them in the (conv, seq) primary key's
// order — as one value to parse. `||` and group_concat copy blobs byte for
// byte (typed TEXT; read with Stmt::Blob).
inline constexpr absl::string_view kBodyWithTails =
    "(b.body || ifnull((SELECT group_concat(t.delta, '') FROM conversation_tails t"
    " WHERE t.conv = b.conv), x''))";

// The body of conversation `pk` as stored: the body (parts[0]) and its
// deltas in seq order, and the last delta's seq (0 if none).
struct StoredBody {
  std::vector<std::string> parts;
  int64_t last_seq = 0;
};
absl::Status ReadStoredBody(Connection& conn, int64_t pk, StoredBody* out);

// The sizes of conversation `pk`'s stored parts, without reading them: the
// body's bytes, the deltas' bytes (the last one's running total) and the
// last one's seq (0 if none), which is also how many follow the body (seqs
// run 1, 2, ... after a whole write).
struct TailStats {
  size_t body_bytes = 0;
  size_t bytes = 0;
  int64_t last_seq = 0;
};
absl::Status ReadTailStats(Connection& conn, int64_t pk, TailStats* out);

// At most this many deltas follow a body: the next update writes it whole
// (TailLimitOf below: each conversation's own count and size limits, at most
// this many and twice the body's bytes). A whole write of a
// long conversation's body is its largest write (~140 KB for a CES session
// of ~200 turns, and as many again zeroed by secure_delete when the old copy
// is freed), so it is put off as long as the deltas stay small; reading the
// deltas is one concatenation (kBodyWithTails) and their count and size are
// read from the last one (ReadTailStats).
inline constexpr int kMaxTails = 256;

// How far conversation `pk`'s deltas may grow after a body of `body_bytes`
// before the next update writes the body whole: at most `count` deltas
// (between 3/4 kMaxTails and kMaxTails) of at most `bytes` together
// (between 1x and 2x the body). Where in those ranges is fixed per
// conversation, from a hash of its row id (ADR 0049): conversations that grow
// in step (a campaign's, a benchmark's) would otherwise all reach the limit
// within the same few hundred appends, and their whole writes, the largest
// an append makes, would queue behind each other on the writer at once.
struct TailLimit {
  int64_t count = 0;
  size_t bytes = 0;
  // Whether `tails` deltas of `tail_bytes` together may take one more of
  // `delta_bytes` (else the body is written whole).
  bool Admits(int64_t tails, size_t tail_bytes, size_t delta_bytes) const {
    return tails < count && tail_bytes + delta_bytes <= bytes;
  }
};
TailLimit TailLimitOf(int64_t pk, size_t body_bytes);

// Deletes the deltas of conversation `pk` (its body was written whole).
absl::Status DeleteTails(Connection& conn, int64_t pk);

// Appends `delta` to the body of conversation `pk` as delta `seq`, after
// deltas of `bytes_before` bytes (its row keeps the running total).
absl::Status AppendTail(Connection& conn, int64_t pk, int64_t seq, absl::string_view delta,
                        size_t bytes_before);

struct ConversationKey {
  int64_t pk = 0;
  int64_t update_time = 0;
  std::string latest_analysis_id;
};

// Looks (tenant, scope, id) up on the write connection; NOT_FOUND if absent.
absl::StatusOr<ConversationKey> FindConversation(Connection& conn, absl::string_view tenant,
                                                 absl::string_view scope, absl::string_view id);

// FindConversation that also reads the updatable columns' stored values
// into `columns`, for UpdateConversationRow.
absl::StatusOr<ConversationKey> FindConversationRow(Connection& conn, absl::string_view tenant,
                                                    absl::string_view scope, absl::string_view id,
                                                    ConversationColumns* columns);

// Brings the row of conversation `pk`, whose columns hold `stored`, to `c`'s
// values, setting only the columns that differ. An UPDATE rewrites the entry
// of every index on a column it sets, changed or not, and each such entry
// sits on its own page: setting all of them on a message's append dirtied
// the create_time, start_time (and expire_time) index pages for nothing.
absl::Status UpdateConversationRow(Connection& conn, int64_t pk, const ConversationColumns& stored,
                                   const core::Conversation& c);

// The conversation from its stored body; INTERNAL if corrupt.
absl::Status ParseBodyInto(absl::string_view body, absl::string_view id, core::Conversation* out);
absl::StatusOr<core::Conversation> ParseBody(absl::string_view body, absl::string_view id);

// ---- analyses (analyses.cc) ----

// Calls `rewrite` on every stored analysis of conversation `pk` and stores
// back each one it changed, keeping its key and create time
// (ScrubUpdate::rewrite_analysis).
absl::Status RewriteAnalyses(Connection& conn, int64_t pk,
                             const ScrubUpdate::AnalysisRewrite& rewrite);

// ---- stored views (stored_views.cc) ----

// The view from its stored form.
absl::Status UnpackView(absl::string_view stored, std::string* out);
// The packed form of each view, to store.
ConversationViews PackViews(const ConversationViews& views);
// Replaces the stored views of conversation `pk` with `views` (packed).
absl::Status ReplaceViews(Connection& conn, int64_t pk, const ConversationViews& views);

// ---- operations (operations.cc) ----

// Replaces a stored operation; NOT_FOUND if absent.
absl::Status WriteOperation(Connection& conn, const core::Operation& op, absl::string_view body);
// Inserts a new operation; ALREADY_EXISTS if (tenant, id) is taken.
absl::Status InsertOperation(Connection& conn, const core::Operation& op, absl::string_view body);

// ---- audit log (audit.cc) ----

// Appends `e` (its seq is assigned).
absl::Status InsertAudit(Connection& conn, const AuditEntry& e);

// ---- reading ----

template <typename M>
absl::StatusOr<M> ParseMessage(absl::string_view bytes, absl::string_view what) {
  M m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError(absl::StrCat("stored ", what, " is corrupt"));
  }
  return m;
}

// Reads a keyset page: rows of (sort value, id, serialized M), asked for with
// LIMIT page_size + 1. Up to page_size messages go to `items`; the extra row,
// if any, means more follow after the last one returned (`next`).
template <typename M>
absl::Status ReadPage(Stmt& s, int page_size, absl::string_view what, std::vector<M>* items,
                      std::optional<core::ListCursor>* next,
                      std::vector<int64_t>* sort_values = nullptr) {
  int64_t last_sort_value = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::OkStatus();
    if (static_cast<int>(items->size()) >= page_size) {
      *next = core::ListCursor{last_sort_value, items->back().id()};
      return absl::OkStatus();
    }
    last_sort_value = s.Int(0);
    if (sort_values != nullptr) sort_values->push_back(last_sort_value);
    ASSIGN_OR_RETURN(M m, ParseMessage<M>(s.Blob(2), what));
    items->push_back(std::move(m));
  }
}

inline absl::Status Closed() { return absl::UnavailableError("the store is closed"); }

}  // namespace sqlite

using sqlite::Connection;
using sqlite::Stmt;

// A read connection from the pool, returned to it when the lease ends.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~ReadLease() { store_->ReleaseReader(std::move(conn_)); }
  Connection& conn() { return *conn_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace parley::store
