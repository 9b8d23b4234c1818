// The SQLite schema and its migrations.
//
// Schema (version 10 = kSqliteSchemaVersion, PRAGMA user_version; PRAGMA
// application_id = 'PRLY'). Each version is one migration in kMigrations:
// v1 created the tables below except conversation_views, operations and
// resources; v2 added conversation_views; v3 added operations, resources
// and the analyses index; v4 keyed conversations by (tenant, scope, id)
// (ADR 0010): the `location` column became `scope` (a row's scope is the
// location it was stored with) and the unique key took it; v5 added
// audit_log (ADR 0013); v6 added the idle index of conversations and the
// `job` column of operations (filled in from the stored bodies); v7 added
// conversation_tails (ADR 0032); v8 gave conversation_labels copies of
// tenant, create_time and id and the label-led index (ADR 0036); v9 moved
// resources from a WITHOUT ROWID table to a rowid table with a unique key
// index (ADR 0045); v10 gave delta rows the running total of their bytes.
//
//   conversations        one row per conversation: pk INTEGER PRIMARY KEY,
//                        (tenant, scope, id) UNIQUE, and the indexed columns
//                        create_time, update_time, start_time, duration,
//                        turn_count, medium, language_code, agent_id (first
//                        agent or ''), lifecycle, stage, source, profile, app,
//                        expire_time, latest_analysis_id. Absent optional times
//                        (start_time, duration) are stored as INT64_MIN so the
//                        sort order is total and keyset paging needs no NULL
//                        handling (see query_sql.h).
//                        Indexes (tenant, <col>, id) for every orderable column,
//                        a partial index on expire_time for the sweeper and
//                        one on update_time of the live assisted ones
//                        (IN_PROGRESS with a stage: Dialogflow's) for the
//                        idle sweep.
//   conversation_bodies  conv -> body BLOB, the serialized core::Conversation.
//                        Kept out of `conversations` so that the rows a
//                        filtered list walks stay small (~30 per page instead
//                        of ~2 with a 2 KB body inline); only returned rows
//                        touch a body.
//   conversation_tails   (conv, seq) -> delta BLOB: bytes appended to the
//                        body since it was last written whole (appends of
//                        messages, ADR 0032; store/body_delta.h); the
//                        conversation is the body followed by its deltas in
//                        seq order (kBodyWithTails). A whole write of the
//                        body deletes them; seqs then start again at 1.
//                        `total`: the bytes of the deltas through this one.
//   conversation_labels  (conv, key) -> value + copies of tenant, create_time,
//                        id. Index (tenant, key, value, create_time, id)
//                        answers "label K = V, newest first" without a
//                        scan (store/list_plan.h); other label conditions
//                        use EXISTS on (conv, key).
//                        Everything beside a conversation (body, labels,
//                        agents, views, analyses) hangs off its pk, so it
//                        is keyed by (tenant, scope, id) with it.
//   conversation_agents  (conv, agent_id) + copies of tenant, create_time, id;
//                        kAgentId matches any of them. Index (tenant,
//                        agent_id, create_time, id) answers "agent X's
//                        conversations, newest first" without a scan.
//   conversation_views   (conv, name) UNIQUE -> body BLOB, a stored view in
//                        its packed form (see stored_views.cc).
//   analyses             (conv, id) UNIQUE -> create_time, body BLOB. Index
//                        (conv, create_time, id) for listing, newest first.
//   settings             key -> value BLOB.
//   operations           (tenant, id) -> location, create_time, done, job
//                        (the body's Operation.job case number), body BLOB.
//                        Indexes (tenant, create_time, id) for listing,
//                        (tenant, job, create_time, id) for listing one
//                        dialect's kinds and a partial one on create_time of
//                        the unfinished.
//   resources            (tenant, kind, id) UNIQUE -> location, create_time,
//                        update_time, body BLOB. A rowid table: new rows
//                        (answer records, one per suggesting call) go to
//                        its right edge, only their key beside their
//                        neighbours' (ADR 0045).
//   audit_log            seq INTEGER PRIMARY KEY (append order) -> time, key,
//                        tenant, action, resource, result. Only ever
//                        inserted into. Indexes (time) and (tenant, time).
//
// Child rows reference conversations(pk) ON DELETE CASCADE, so deleting a
// conversation row removes its body, labels, agents, views and analyses in
// the same statement.
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store::sqlite {
namespace {

constexpr int kApplicationId = 0x50524C59;  // 'PRLY'

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE conversations (
  pk INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  start_time INTEGER NOT NULL,
  duration INTEGER NOT NULL,
  turn_count INTEGER NOT NULL,
  medium INTEGER NOT NULL,
  language_code TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  lifecycle INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  source INTEGER NOT NULL,
  profile TEXT NOT NULL,
  app TEXT NOT NULL,
  expire_time INTEGER NOT NULL,
  latest_analysis_id TEXT NOT NULL
);
CREATE UNIQUE INDEX conversations_key ON conversations (tenant, id);
CREATE INDEX conversations_by_create_time ON conversations (tenant, create_time, id);
CREATE INDEX conversations_by_update_time ON conversations (tenant, update_time, id);
CREATE INDEX conversations_by_start_time ON conversations (tenant, start_time, id);
CREATE INDEX conversations_by_duration ON conversations (tenant, duration, id);
CREATE INDEX conversations_by_turn_count ON conversations (tenant, turn_count, id);
CREATE INDEX conversations_expiring ON conversations (expire_time) WHERE expire_time != 0;

CREATE TABLE conversation_bodies (
  conv INTEGER PRIMARY KEY REFERENCES conversations (pk) ON DELETE CASCADE,
  body BLOB NOT NULL
);

CREATE TABLE conversation_labels (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (conv, key)
) WITHOUT ROWID;

CREATE TABLE conversation_agents (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  agent_id TEXT NOT NULL,
  -- Copies of the conversation's columns, for agent-driven listing.
  tenant TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (conv, agent_id)
) WITHOUT ROWID;
CREATE INDEX conversation_agents_by_create_time
  ON conversation_agents (tenant, agent_id, create_time, id);

CREATE TABLE analyses (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  id TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  UNIQUE (conv, id)
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
)sql";

// Version 2: stored renderings of a conversation (see Store::ConversationViews).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE conversation_views (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  name TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX conversation_views_key ON conversation_views (conv, name);
)sql";

// Version 3: long-running operations and tenants' configuration resources.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE operations (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  done INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX operations_by_create_time ON operations (tenant, create_time, id);
CREATE INDEX operations_unfinished ON operations (create_time) WHERE done = 0;

CREATE TABLE resources (
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (tenant, kind, id)
) WITHOUT ROWID;

CREATE INDEX analyses_by_create_time ON analyses (conv, create_time, id);
)sql";

// Version 4: the conversation key is (tenant, scope, id) (ADR 0010). The
// stored location is the scope; rows keep their values, and since (tenant,
// id) was unique, (tenant, scope, id) is too.
constexpr const char* kSchemaV4 = R"sql(
DROP INDEX conversations_key;
ALTER TABLE conversations RENAME COLUMN location TO scope;
CREATE UNIQUE INDEX conversations_key ON conversations (tenant, scope, id);
)sql";

// Version 5: the audit log of destructive and admin actions (ADR 0013).
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  key TEXT NOT NULL,
  tenant TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (time);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant, time);
)sql";

// Version 6: the idle sweep's index (IN_PROGRESS = 1, a stage set) and
// operations' job case, so that a dialect lists its own kinds of operations
// from an index (the rows stored before are filled in by FillOperationJobs).
constexpr const char* kSchemaV6 = R"sql(
CREATE INDEX conversations_idle ON conversations (update_time) WHERE lifecycle = 1 AND stage != 0;
ALTER TABLE operations ADD COLUMN job INTEGER NOT NULL DEFAULT 0;
CREATE INDEX operations_by_job ON operations (tenant, job, create_time, id);
)sql";

// Version 7: deltas appended to a conversation's body (ADR 0032).
constexpr const char* kSchemaV7 = R"sql(
CREATE TABLE conversation_tails (
  conv INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  delta BLOB NOT NULL,
  PRIMARY KEY (conv, seq)
) WITHOUT ROWID;
)sql";

// Version 8: label-led listing (ADR 0036). Label rows carry copies of their
// conversation's tenant, create_time and id, as agent rows do, so that
// `labels.K = V` in create_time order walks only the matching rows.
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE conversation_labels ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE conversation_labels ADD COLUMN create_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_labels ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE conversation_labels SET (tenant, create_time, id) =
  (SELECT c.tenant, c.create_time, c.id FROM conversations c WHERE c.pk = conversation_labels.conv);
CREATE INDEX conversation_labels_by_create_time
  ON conversation_labels (tenant, key, value, create_time, id);
)sql";

// Version 9: resources in a rowid table with a unique index on (tenant,
// kind, id) instead of a WITHOUT ROWID table keyed by it (ADR 0045). Keyed
// by (tenant, kind, id), a new answer record set (~3 KB, one per suggesting
// analyzeContent) went into the middle of the tree beside its conversation's
// others: it split leaves that hold three or four such rows (rebalancing
// their siblings) and spilled past the ~1 KB an index-tree cell keeps in its
// page into an overflow page, ~3 pages to the WAL and again to the database
// file per call. Rows now go to the table's right edge (rowid max + 1, a
// ~3 KB body kept in its leaf) and only a ~60-byte index entry goes beside
// the conversation's.
constexpr const char* kSchemaV9 = R"sql(
CREATE TABLE resources_v9 (
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  location TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  body BLOB NOT NULL
);
INSERT INTO resources_v9 (tenant, kind, id, location, create_time, update_time, body)
  SELECT tenant, kind, id, location, create_time, update_time, body FROM resources
  ORDER BY create_time, tenant, kind, id;
DROP TABLE resources;
ALTER TABLE resources_v9 RENAME TO resources;
CREATE UNIQUE INDEX resources_key ON resources (tenant, kind, id);
)sql";

// Version 10: each delta row keeps the running total of its conversation's
// deltas' bytes through it, so that an append reads the count and size of
// the deltas from the last one instead of walking them all (ReadTailStats),
// and a body can take more of them before it is written whole (kMaxTails).
constexpr const char* kSchemaV10 = R"sql(
ALTER TABLE conversation_tails ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
UPDATE conversation_tails SET total = (SELECT sum(length(t.delta)) FROM conversation_tails t
  WHERE t.conv = conversation_tails.conv AND t.seq <= conversation_tails.seq);
)sql";

absl::Status FillOperationJobs(Connection& conn) {
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> jobs;
  {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT tenant, id, body FROM operations"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Next());
      if (!row) break;
      ASSIGN_OR_RETURN(core::Operation op, ParseMessage<core::Operation>(s.Blob(2), "operation"));
      jobs.push_back({{std::string(s.Text(0)), std::string(s.Text(1))}, int64_t{op.job_case()}});
    }
  }
  for (const auto& [key, job] : jobs) {
    ASSIGN_OR_RETURN(Stmt u, conn.Statement("UPDATE operations SET job = ?3 WHERE tenant = ?1 AND id = ?2"));
    u.BindText(1, key.first).BindText(2, key.second).Bind(3, job);
    RETURN_IF_ERROR(u.Exec());
  }
  return absl::OkStatus();
}

struct Migration {
  int version;  // user_version after it ran
  const char* sql;
  // Run after `sql`, in the same transaction, when rows need code to move.
  absl::Status (*fill)(Connection&) = nullptr;
};

// Append only; never edit a migration that has shipped.
constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
    {5, kSchemaV5},
    {6, kSchemaV6, FillOperationJobs},
    {7, kSchemaV7},
    {8, kSchemaV8},
    {9, kSchemaV9},
    {10, kSchemaV10},
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

}  // namespace

absl::Status Migrate(Connection& conn, const std::string& path) {
  ASSIGN_OR_RETURN(int64_t app_id, conn.QueryInt("PRAGMA application_id"));
  ASSIGN_OR_RETURN(int64_t version, conn.QueryInt("PRAGMA user_version"));
  if (app_id != 0 && app_id != kApplicationId) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley database (application id ", app_id, ")"));
  }
  if (version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " has schema version ", version,
                     ", newer than this build of Parley supports (", kSqliteSchemaVersion,
                     "); run a newer Parley or point it at another data directory"));
  }
  if (version == 0 && app_id == 0) {
    ASSIGN_OR_RETURN(int64_t tables, conn.QueryInt("SELECT count(*) FROM sqlite_schema"));
    if (tables != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not a Parley database (it has foreign tables)"));
    }
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    RETURN_IF_ERROR(conn.ExecScript("BEGIN IMMEDIATE"));
    // Another process may have migrated meanwhile.
    absl::StatusOr<int64_t> current = conn.QueryInt("PRAGMA user_version");
    absl::Status s = current.status();
    if (s.ok() && *current < m.version) {
      s = conn.ExecScript(m.sql);
      if (s.ok() && m.fill != nullptr) s = m.fill(conn);
      if (s.ok()) {
        s = conn.ExecScript(absl::StrCat("PRAGMA user_version=", m.version,
                                         "; PRAGMA application_id=", kApplicationId, ";"));
      }
    }
    if (s.ok()) s = conn.ExecScript("COMMIT");
    if (!s.ok()) {
      (void)conn.ExecScript("ROLLBACK");
      return absl::Status(s.code(), absl::StrCat("migrating ", path, " to schema version ",
                                                 m.version, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace parley::store::sqlite
