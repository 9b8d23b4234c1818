// What the files of the PostgreSQL backend share. Private to the backend.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/conversation_query.h"
#include "store/postgres/pg.h"
#include "store/postgres/postgres_store.h"

namespace parley::store::pg {

// ---- schema (schema.cc) ----

// Brings the database to kPostgresSchemaVersion under an advisory lock.
absl::Status Migrate(Conn& conn);

// ---- list queries (query_sql.cc) ----

// Stored in place of an absent optional time (start_time, duration).
inline constexpr int64_t kAbsentTime = std::numeric_limits<int64_t>::min();

struct SqlQuery {
  std::string sql;
  // $1, $2, ... in order; strings point into the query, which must outlive
  // the statement.
  Params params;
  // How conditions name create_time: "c.create_time", or the driving agents
  // or labels row's copy ("a.create_time", "l.create_time"), which bounds
  // that index's scan.
  std::string create_time = "c.create_time";
  // The row whose (tenant, scope, id) agent and label checks correlate with:
  // the conversation, or the driving agents or labels row (alias, id column).
  std::string key_alias = "c";
  std::string key_id = "c.id";
  // The driving agent or label condition (store/list_plan.h), true of every
  // row the join yields: written TRUE (its EXISTS would make the planner give
  // up the index's order).
  const core::Condition* skip = nullptr;
  // On the agents walk, the top-level `labels.K = V` conjuncts: written as a
  // test of the agents entry's label hashes alone (ADR 0039), which a hash
  // collision could pass, so the store confirms them on the rows read
  // (ConfirmLabels).
  std::vector<const core::Condition*> confirm;
};

// Whether `c` holds every label of `confirm` (SqlQuery::confirm).
bool ConfirmLabels(const std::vector<const core::Condition*>& confirm, const core::Conversation& c);

// The list statement of `query`. Result columns: 0 sort value (int8), 1 id,
// 2 body. It returns up to page_size + 1 rows.
absl::Status CompileListQuery(const core::ConversationQuery& query, SqlQuery* out);

// ---- helpers ----

inline absl::Status Closed() { return absl::UnavailableError("the store is closed"); }

template <typename M>
absl::StatusOr<M> ParseMessage(std::string_view bytes, absl::string_view what) {
  M m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError(absl::StrCat("stored ", what, " is corrupt"));
  }
  return m;
}

// Reads a keyset page from rows of (sort value, id, serialized M) asked for
// with LIMIT page_size + 1 (see sqlite::ReadPage).
template <typename M>
absl::Status ReadPage(const Result& r, int page_size, absl::string_view what, std::vector<M>* items,
                      std::optional<core::ListCursor>* next,
                      std::vector<int64_t>* sort_values = nullptr) {
  for (int row = 0; row < r.rows(); ++row) {
    if (static_cast<int>(items->size()) >= page_size) {
      *next = core::ListCursor{r.Int(row - 1, 0), items->back().id()};
      return absl::OkStatus();
    }
    if (sort_values != nullptr) sort_values->push_back(r.Int(row, 0));
    ASSIGN_OR_RETURN(M m, ParseMessage<M>(r.Bytes(row, 2), what));
    items->push_back(std::move(m));
  }
  return absl::OkStatus();
}

// $1 $2 $3 of a key (tenant, scope, id).
inline Params Key(std::string_view tenant, std::string_view scope, std::string_view id) {
  Params p;
  p.Text(tenant).Text(scope).Text(id);
  return p;
}
// The WHERE of one conversation's child rows ($1 tenant, $2 scope, $3 id).
inline constexpr std::string_view kChildKey = " WHERE tenant = $1 AND scope = $2 AND conv_id = $3";

// Makes `analysis_id` (possibly empty) the latest analysis of the locked
// conversation, in its column and its body, and drops its stored views
// (conversations.cc).
absl::Status SetLatestAnalysis(Conn& conn, std::string_view tenant, std::string_view scope,
                               std::string_view id, std::string_view analysis_id);

// Binds the 19 columns of a conversation row: tenant, scope, id, create_time,
// update_time, start_time, duration, turn_count, medium, language_code,
// agent_id, lifecycle, stage, source, profile, app, expire_time,
// latest_analysis_id and its serialized `body` (conversations.cc).
void ConversationParams(const core::Conversation& c, std::string_view body, Params* p);

// Locks (tenant, scope, id) for the transaction; NOT_FOUND if absent.
struct Locked {
  int64_t update_time = 0;
  std::string latest_analysis_id;
};
absl::StatusOr<Locked> LockConversation(Conn& conn, std::string_view tenant, std::string_view scope,
                                        std::string_view id);

// Operations (records.cc), inside a caller's transaction.
// Held by `claimed_by` until `lease_until_us` (Store::CreateHeldOperation);
// '' and 0: free to claim.
absl::Status InsertOperation(Conn& conn, const core::Operation& op, std::string_view body,
                             std::string_view claimed_by = "", int64_t lease_until_us = 0);
// The INSERT of InsertOperation, and what its unique violation means.
Statement InsertOperationStatement(const core::Operation& op, std::string_view body,
                                   std::string_view claimed_by = "", int64_t lease_until_us = 0);
absl::Status OperationExists(const core::Operation& op);
// With a non-empty `fence_node`, only while no other node holds the
// operation (Store::FenceOperationWrites): ABORTED, and nothing written, if
// one does.
absl::Status WriteOperation(Conn& conn, const core::Operation& op, std::string_view body,
                            std::string_view fence_node);

// Resources (records.cc), inside a caller's transaction: $1 tenant, $2 kind,
// $3 id, $4 location, $5 create_time, $6 update_time, $7 body; a taken
// (tenant, kind, id) is ALREADY_EXISTS.
Params ResourceParams(const Resource& r);
absl::Status InsertResource(Conn& conn, const Resource& r);

// ---- creates, committed in groups (conversations.cc, postgres_store.cc) ----

// One CreateConversation waiting for its group commit.
struct CreateWrite {
  const core::Conversation* conversation = nullptr;
  const ConversationViews* views = nullptr;
  std::string body;
  const core::Operation* also = nullptr;
  std::string also_body;
  Store::WriteDone done;
  absl::Status status;
  // Its key was found taken and an expired holder swept once.
  bool expired_swept = false;
};

// Checks and serializes a create; `conversation`, `views` and `also` must
// outlive the write.
absl::StatusOr<std::unique_ptr<CreateWrite>> NewCreateWrite(const core::Conversation& conversation,
                                                            const ConversationViews& views,
                                                            const core::Operation* also);

// What a statement of a create is, for the meaning of its failure.
enum class CreateRole { kOther, kConversation, kOperation };

// Appends the statements of `w` to `out` and their roles to `roles`: insert
// the row, its agents, labels and views, and the operation `also`. (A key
// held by an expired conversation not yet swept fails the insert; the
// writer then sweeps that one with SweepExpiredKey and runs it again.)
void CreateStatements(const CreateWrite& w, std::vector<Statement>* out,
                      std::vector<CreateRole>* roles);

// Deletes the conversation holding c's key if it expired by c's create time
// (with its rows); whether there was one.
absl::StatusOr<bool> SweepExpiredKey(Conn& conn, const core::Conversation& c);

// A statement deleting the conversations `where` selects (a condition on
// `conversations`, with the statement's parameters) and every row of theirs
// (labels, agents, views, analyses): the schema has no foreign keys to
// cascade (ADR 0035). Its one row is how many conversations it deleted.
std::string DeleteConversationsSql(std::string_view where);

// The status of `w` when its statement of `role` failed with `outcome`
// (a taken key is ALREADY_EXISTS).
absl::Status CreateFailure(const CreateWrite& w, CreateRole role, const PipelineOutcome& outcome);

}  // namespace parley::store::pg
