// The PostgreSQL schema and its migrations (ADR 0021).
//
// Every table is keyed by tenant first, and every index starts with the
// tenant, so that the tables can be distributed by tenant (Citus:
// docs/adr/0021-postgresql-store.md). Children of a conversation carry its
// whole key (tenant, scope, conv_id); since version 3 without a foreign key
// (ADR 0035): the store deletes them with their conversation
// (DeleteConversationsSql) and writes them only with the conversation row
// locked or inserted in the same transaction.
// Text columns use the "C" collation: ids order byte-wise, as in SQLite.
// Integers are bigint throughout (the client reads int8 only). Absent
// optional times (start_time, duration) are stored as INT64_MIN, as in the
// SQLite store, so the sort order is total and keyset paging needs no NULL
// handling.
//
// Migrations run at start under a session advisory lock, so two nodes
// starting together migrate once: the second waits, then finds the
// versions applied. Each version is one transaction and one row of
// parley_schema_migrations.
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/postgres/postgres_internal.h"

namespace parley::store::pg {
namespace {

// Any fixed number: the lock Parley's migrations take (pg_advisory_lock).
constexpr int64_t kMigrationLock = 0x50524C59'4D494752;  // 'PRLY' 'MIGR'

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE conversations (
  tenant text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  update_time bigint NOT NULL,
  start_time bigint NOT NULL,
  duration bigint NOT NULL,
  turn_count bigint NOT NULL,
  medium bigint NOT NULL,
  language_code text COLLATE "C" NOT NULL,
  agent_id text COLLATE "C" NOT NULL,
  lifecycle bigint NOT NULL,
  stage bigint NOT NULL,
  source bigint NOT NULL,
  profile text COLLATE "C" NOT NULL,
  app text COLLATE "C" NOT NULL,
  expire_time bigint NOT NULL,
  latest_analysis_id text COLLATE "C" NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant, scope, id)
);
CREATE INDEX conversations_by_create_time ON conversations (tenant, create_time, id);
CREATE INDEX conversations_by_update_time ON conversations (tenant, update_time, id);
CREATE INDEX conversations_by_start_time ON conversations (tenant, start_time, id);
CREATE INDEX conversations_by_duration ON conversations (tenant, duration, id);
CREATE INDEX conversations_by_turn_count ON conversations (tenant, turn_count, id);
CREATE INDEX conversations_expiring ON conversations (tenant, expire_time) WHERE expire_time <> 0;
CREATE INDEX conversations_idle ON conversations (tenant, update_time) WHERE lifecycle = 1 AND stage <> 0;

CREATE TABLE conversation_labels (
  tenant text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  conv_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  value text COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant, scope, conv_id, key),
  FOREIGN KEY (tenant, scope, conv_id) REFERENCES conversations ON DELETE CASCADE
);

CREATE TABLE conversation_agents (
  tenant text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  conv_id text COLLATE "C" NOT NULL,
  agent_id text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  PRIMARY KEY (tenant, scope, conv_id, agent_id),
  FOREIGN KEY (tenant, scope, conv_id) REFERENCES conversations ON DELETE CASCADE
);
CREATE INDEX conversation_agents_by_create_time
  ON conversation_agents (tenant, agent_id, create_time, conv_id);

CREATE TABLE conversation_views (
  tenant text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  conv_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant, scope, conv_id, name),
  FOREIGN KEY (tenant, scope, conv_id) REFERENCES conversations ON DELETE CASCADE
);

CREATE TABLE analyses (
  tenant text COLLATE "C" NOT NULL,
  scope text COLLATE "C" NOT NULL,
  conv_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant, scope, conv_id, id),
  FOREIGN KEY (tenant, scope, conv_id) REFERENCES conversations ON DELETE CASCADE
);
CREATE INDEX analyses_by_create_time ON analyses (tenant, scope, conv_id, create_time, id);

CREATE TABLE operations (
  tenant text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  location text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  done bigint NOT NULL,
  job bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX operations_by_create_time ON operations (tenant, create_time, id);
CREATE INDEX operations_by_job ON operations (tenant, job, create_time, id);
CREATE INDEX operations_unfinished ON operations (tenant, create_time) WHERE done = 0;

CREATE TABLE resources (
  tenant text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  location text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  update_time bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant, kind, id)
);

CREATE TABLE audit_log (
  tenant text COLLATE "C" NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  time bigint NOT NULL,
  key text COLLATE "C" NOT NULL,
  action text COLLATE "C" NOT NULL,
  resource text COLLATE "C" NOT NULL,
  result text COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant, time, seq);

-- Not per tenant: server secrets (a Citus reference table).
CREATE TABLE settings (
  key text COLLATE "C" PRIMARY KEY,
  value bytea NOT NULL
);
)sql";

// Version 2: operations claimed by a node for a lease (ADR 0022).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE operations ADD COLUMN claimed_by text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE operations ADD COLUMN lease_until bigint NOT NULL DEFAULT 0;
)sql";

// Version 3, the cost of a create (ADR 0035):
// - no foreign keys from a conversation's rows to it. Each checked insert
//   ran a lookup of the conversation (with a row lock) per child statement,
//   planned once per session: planned on a small table it could scan a whole
//   tenant's index per create. The store deletes the children itself
//   (DeleteConversationsSql).
// - bodies compressed with lz4 instead of pglz (a tenth of a create's
//   database CPU went to pglz), where the server has lz4 (Debian's has).
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE conversation_labels DROP CONSTRAINT conversation_labels_tenant_scope_conv_id_fkey;
ALTER TABLE conversation_agents DROP CONSTRAINT conversation_agents_tenant_scope_conv_id_fkey;
ALTER TABLE conversation_views DROP CONSTRAINT conversation_views_tenant_scope_conv_id_fkey;
ALTER TABLE analyses DROP CONSTRAINT analyses_tenant_scope_conv_id_fkey;
DO $$
BEGIN
  ALTER TABLE conversations ALTER COLUMN body SET COMPRESSION lz4;
  ALTER TABLE conversation_views ALTER COLUMN body SET COMPRESSION lz4;
  ALTER TABLE analyses ALTER COLUMN body SET COMPRESSION lz4;
  ALTER TABLE operations ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;  -- a server built without lz4 keeps pglz
END
$$;
)sql";

// Version 4, label-led listing (ADR 0036): label rows carry their
// conversation's create_time, as agent rows do, and an index (tenant, key,
// value, create_time, conv_id) lets `labels.K = V` in create_time order walk
// only the matching rows, newest first (store/list_plan.h); with scope
// included, a label check on a row reached another way is an index-only probe.
// The agents index includes scope too, so that an agent-driven list checks
// its other agent and label conditions on index entries alone and reads a
// conversation only for the rows that pass them.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE conversation_labels ADD COLUMN create_time bigint NOT NULL DEFAULT 0;
UPDATE conversation_labels l SET create_time = c.create_time FROM conversations c
  WHERE c.tenant = l.tenant AND c.scope = l.scope AND c.id = l.conv_id;
CREATE INDEX conversation_labels_by_create_time
  ON conversation_labels (tenant, key, value, create_time, conv_id) INCLUDE (scope);
DROP INDEX conversation_agents_by_create_time;
CREATE INDEX conversation_agents_by_create_time
  ON conversation_agents (tenant, agent_id, create_time, conv_id) INCLUDE (scope);
)sql";

// Version 5, the agent-led list's label check (ADR 0039): each agents row
// carries the hashes of its conversation's labels (parley_label_hash of key
// and value), included in the agents index, so that an agent-driven list
// checks `labels.K = V` on the index entry it walks and probes the label
// index only for the entries whose hashes hold V's (a hash proves absence,
// the probe confirms presence): a page of read_bench.sh's combined filter
// probes ~140 times instead of ~1,000. NULL means not known (probe). The
// hash is SHA-256's first 8 bytes: fixed forever, unlike PostgreSQL's own
// hash functions, since stored hashes must keep matching new ones.
constexpr const char* kSchemaV5 = R"sql(
CREATE FUNCTION parley_label_hash(key text, value text) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('x' || encode(substring(sha256(convert_to(key || chr(31) || value, 'UTF8')) FROM 1 FOR 8),
                        'hex'))::bit(64)::bigint
$$;
ALTER TABLE conversation_agents ADD COLUMN label_hashes bigint[];
UPDATE conversation_agents a SET label_hashes = ARRAY(
  SELECT parley_label_hash(l.key, l.value) FROM conversation_labels l
  WHERE l.tenant = a.tenant AND l.scope = a.scope AND l.conv_id = a.conv_id);
DROP INDEX conversation_agents_by_create_time;
CREATE INDEX conversation_agents_by_create_time
  ON conversation_agents (tenant, agent_id, create_time, conv_id) INCLUDE (scope, label_hashes);
)sql";

// Version 6: a cancel asked on one node for an operation another node runs
// (ADR 0022) is a column of its own, so that the running node's writes of the
// operation's body (its progress) cannot undo it; that node reads it when it
// renews its leases.
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE operations ADD COLUMN cancel_requested bigint NOT NULL DEFAULT 0;
)sql";

// Version 7: the view leases of the caching nodes (ADR 0050): a node that
// holds one serves its cache without a round trip, and every write waits for
// the leaseholders. Not tenant data: one row per running node (on Citus, a
// reference table).
constexpr const char* kSchemaV7 = R"sql(
CREATE TABLE parley_view_nodes (
  node text COLLATE "C" PRIMARY KEY,
  lease_until timestamptz NOT NULL
);
)sql";

struct Migration {
  int version;
  const char* sql;
};

// Append only; never edit a migration that has shipped.
constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
    {5, kSchemaV5},
    {6, kSchemaV6},
    {7, kSchemaV7},
};
static_assert(std::size(kMigrations) == kPostgresSchemaVersion);

absl::StatusOr<int64_t> CurrentVersion(Conn& conn) {
  ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT coalesce(max(version), 0)::bigint FROM parley_schema_migrations"));
  return r.Int(0, 0);
}

absl::Status MigrateLocked(Conn& conn) {
  RETURN_IF_ERROR(conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS parley_schema_migrations ("
      " version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"));
  ASSIGN_OR_RETURN(int64_t version, CurrentVersion(conn));
  if (version > kPostgresSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database has Parley schema version ", version,
        ", newer than this build of Parley supports (", kPostgresSchemaVersion,
        "); run a newer Parley or point it at another database"));
  }
  if (version == 0) {
    // An empty database, or one that holds someone else's tables.
    ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT count(*)::bigint FROM pg_tables WHERE schemaname ="
                                         " current_schema() AND tablename = 'conversations'"));
    if (r.Int(0, 0) != 0) {
      return absl::FailedPreconditionError(
          "the database has a `conversations` table that Parley did not create");
    }
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    absl::Status s = conn.ExecScript("BEGIN");
    if (s.ok()) s = conn.ExecScript(m.sql);
    if (s.ok()) {
      Params p;
      p.Int(m.version);
      s = conn.Exec("INSERT INTO parley_schema_migrations (version) VALUES ($1)", p).status();
    }
    if (s.ok()) s = conn.ExecScript("COMMIT");
    if (!s.ok()) {
      if (!conn.broken()) (void)conn.ExecScript("ROLLBACK");
      return absl::Status(s.code(), absl::StrCat("migrating the database to schema version ",
                                                 m.version, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Migrate(Conn& conn) {
  Params lock;
  lock.Int(kMigrationLock);
  RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_lock($1)", lock).status());
  absl::Status s = MigrateLocked(conn);
  if (!conn.broken()) (void)conn.Exec("SELECT pg_advisory_unlock($1)", lock);
  return s;
}

}  // namespace parley::store::pg
