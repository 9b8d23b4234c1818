// Store: durable storage of conversations, their analyses, long-running
// operations, tenants' configuration resources and settings.
//
// Contracts shared by every backend (SQLite, PostgreSQL):
// - Every method is thread-safe; any number of threads may call at once.
// - A method that returns OK for a write has made the write durable: it
//   survives a crash of the process (kill -9) or of the machine.
// - A write that returns an error has changed nothing.
// - No method ever returns or touches data of a tenant other than the one named.
// - Errors use canonical codes: NOT_FOUND (no such row), ALREADY_EXISTS
//   (duplicate id on create), ABORTED (a conditional write lost a race),
//   INVALID_ARGUMENT (a query the backend cannot answer), INTERNAL/UNAVAILABLE
//   (the backend failed; nothing was written).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::store {

// Precomputed renderings of a conversation (e.g. a dialect's JSON of it),
// by name. They are stored with the conversation, replaced by every write that
// gives them and dropped by every write that does not, so a stored view is
// never stale.
using ConversationViews = std::vector<std::pair<std::string, std::string>>;

struct Resource;

// What an update asks of the store besides replacing the conversation
// (Store::UpdateConversation): removing content (a redaction), creating a
// resource with it. The default asks nothing.
struct ScrubUpdate {
  // Rewrites one stored analysis in place; returns true if it changed it.
  using AnalysisRewrite = std::function<bool(core::Analysis&)>;

  // When set, called inside the update's transaction — after the
  // optimistic check passed — on every stored analysis of the conversation;
  // each one it changes is stored back in the same transaction. The store
  // keeps the analysis's key (tenant, scope, conversation_id, id) and
  // create_time_us whatever the rewrite does to them, and which analysis is
  // the latest does not change. Called on a backend thread while the caller
  // waits, possibly more than once per analysis if the backend retries: it
  // must be quick, must not call the store, and must not depend on being
  // called once. The rewrite sees each analysis as stored; numbers in it
  // (byte offsets, word indices, scores) are whatever it leaves them, and
  // may then describe text that has since changed.
  AnalysisRewrite rewrite_analysis;

  // When true, before the call returns OK the backend also removes the
  // superseded bytes of what it rewrote from its files, so that reading the
  // files (not only the store) no longer shows them. SQLite: every
  // connection runs with secure_delete (freed pages and deleted cells are
  // zeroed), and after the commit the writer runs a TRUNCATE checkpoint,
  // which copies the write-ahead log into the database and truncates the
  // log to zero bytes. That checkpoint holds up every other write while it
  // runs; its cost is that of copying every page the log holds (up to the
  // autocheckpoint threshold, 10,000 pages by default) plus a sync of the
  // database file. If it cannot complete (a long read holds an old
  // snapshot), the update still returns OK — it is committed — and the
  // writer checkpoints again after later commits until one succeeds.
  // Blocks the filesystem freed are not overwritten.
  bool scrub_files = false;

  // When not null, this resource is created in the same transaction as the
  // update (what CreateResource does): a write that goes with the
  // conversation's change and must be durable with it, e.g. the answer
  // records of the message an update appends. If its (tenant, kind, id) is
  // taken the update fails with ALREADY_EXISTS and nothing is written.
  const Resource* create_resource = nullptr;
};

struct ConversationPage {
  std::vector<core::Conversation> conversations;
  // Set when more rows follow the last one returned.
  std::optional<core::ListCursor> next;
  // The sort key of each conversation (query.order_by as stored), so that a
  // caller may end the page early: ListCursor{sort_values[i],
  // conversations[i].id()} continues after conversation i.
  std::vector<int64_t> sort_values;
};

// The key of one conversation (ADR 0010).
struct ConversationKey {
  std::string tenant;
  std::string scope;
  std::string id;
};

// Newest first (create time, then id, descending).
struct AnalysisPage {
  std::vector<core::Analysis> analyses;
  std::optional<core::ListCursor> next;
};

struct OperationPage {
  std::vector<core::Operation> operations;
  std::optional<core::ListCursor> next;
};

// A tenant's configuration object (a phrase matcher, the settings, ...): a
// serialized core message of a `kind`, keyed by (tenant, kind, id).
struct Resource {
  std::string tenant;
  std::string kind;
  std::string id;
  std::string location;
  int64_t create_time_us = 0;
  int64_t update_time_us = 0;
  std::string body;
};

struct ResourcePage {
  std::vector<Resource> resources;  // by id, ascending
  std::optional<std::string> next_after_id;
};

// One line of the audit log (ADR 0013): who did what to which resource of
// which tenant, and how it ended.
struct AuditEntry {
  int64_t seq = 0;      // assigned by the store, increasing; 0 on append
  int64_t time_us = 0;  // when the action was answered
  std::string key;      // the API key's name (its id when unnamed), "dev" or "cli"
  std::string tenant;
  std::string action;   // e.g. "DELETE /v1/projects/{project}/.../conversations/{conversation}", "keys.create"
  std::string resource; // e.g. the request path, "keys/3f9c0a1b2c3d4e5f"
  std::string result;   // the HTTP status ("200", "403") or "OK" / a canonical error code
};

struct AuditQuery {
  int64_t since_us = 0;  // entries at or after this time
  std::string tenant;    // empty: every tenant
  int64_t after_seq = 0; // paging: entries after this seq
  int limit = 1000;
};

// One conversation with everything stored beside it, as Store::DumpConversations
// reads it and Store::LoadConversations writes it (`parley migrate`).
struct ConversationDump {
  core::Conversation conversation;       // as stored
  ConversationViews views;               // by name, ascending
  std::vector<core::Analysis> analyses;  // by id, ascending
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Conversations are keyed by (tenant, scope, id) (ADR 0010): the same id
  // in two scopes of a tenant is two independent conversations, each with
  // its own analyses and views. Every method addressing one conversation
  // takes all three; none validates the id (ids stored under older rules
  // stay readable).

  // Inserts `conversation` keyed by (tenant, scope, id). A conversation with
  // that key that expired at or before conversation.create_time_us is gone
  // for every reader, so it is replaced (deleted with everything it has, in
  // the same transaction). ALREADY_EXISTS if a live one has the key.
  // With `also` (not null), that operation is created in the same
  // transaction: both are stored or neither (ALREADY_EXISTS if its
  // (tenant, id) is taken).
  virtual absl::Status CreateConversation(const core::Conversation& conversation,
                                          const ConversationViews& views,
                                          const core::Operation* also) = 0;
  absl::Status CreateConversation(const core::Conversation& conversation,
                                  const ConversationViews& views) {
    return CreateConversation(conversation, views, nullptr);
  }
  absl::Status CreateConversation(const core::Conversation& conversation) {
    return CreateConversation(conversation, {}, nullptr);
  }

  // CreateConversation without waiting: `done` is called exactly once, with
  // what CreateConversation would return, once the write is durable or has
  // failed — on another thread (a backend's writer) or before this returns.
  // `conversation` and `views` must stay alive and unchanged until then.
  // `done` must be quick: it may hold up other writes.
  using WriteDone = absl::AnyInvocable<void(absl::Status)>;
  virtual void CreateConversationAsync(const core::Conversation& conversation,
                                       const ConversationViews& views, WriteDone done) {
    done(CreateConversation(conversation, views, nullptr));
  }

  // Returns the conversation (tenant, scope, id). NOT_FOUND if absent or if
  // its expire time is at or before `now_us` (0 = do not check expiry).
  virtual absl::StatusOr<core::Conversation> GetConversation(std::string_view tenant,
                                                             std::string_view scope,
                                                             std::string_view id,
                                                             int64_t now_us) = 0;

  // The same as GetConversation, parsing into `*out` (which the caller may
  // allocate on an arena); `*out` is unspecified on error.
  virtual absl::Status ReadConversation(std::string_view tenant, std::string_view scope,
                                        std::string_view id, int64_t now_us,
                                        core::Conversation* out) = 0;

  // Replaces the stored conversation with the same (tenant, scope, id) — the
  // key is read from `conversation` — provided its stored update_time_us
  // equals `expected_update_time_us` (optimistic concurrency: ABORTED
  // otherwise). NOT_FOUND if absent. `scrub` (see ScrubUpdate) also removes
  // content from the conversation's analyses and from the backend's files;
  // every part of it happens in the same transaction as the update, so a
  // call that fails (ABORTED included) has rewritten no analysis.
  virtual absl::Status UpdateConversation(const core::Conversation& conversation,
                                          int64_t expected_update_time_us,
                                          const ConversationViews& views,
                                          const ScrubUpdate& scrub) = 0;
  absl::Status UpdateConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us,
                                  const ConversationViews& views) {
    return UpdateConversation(conversation, expected_update_time_us, views, ScrubUpdate{});
  }
  absl::Status UpdateConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us) {
    return UpdateConversation(conversation, expected_update_time_us, {}, ScrubUpdate{});
  }

  // UpdateConversation of an append (ADR 0041): `delta` is the serialization
  // of what the update added — parsed after the stored serialization of the
  // conversation (its body and the deltas appended to it), it gives
  // `conversation` — built by the caller from the new parts only (new
  // repeated elements, singular fields set), so that a store that keeps
  // deltas (SQLite, ADR 0032) appends it without serializing the whole
  // conversation or comparing it with the stored one. The caller vouches
  // for it: the store does not check it against `conversation`. The views
  // are dropped (as UpdateConversation with none). Otherwise exactly
  // UpdateConversation (the default is that, ignoring `delta`).
  virtual absl::Status AppendConversation(const core::Conversation& conversation,
                                          int64_t expected_update_time_us, std::string_view delta,
                                          const ScrubUpdate& scrub) {
    (void)delta;
    return UpdateConversation(conversation, expected_update_time_us, {}, scrub);
  }

  // Write notices for a cache of conversations kept above the store (the
  // service's live conversations, ADR 0037). `notice` is called after every
  // committed write that changes a conversation, or may have, before that
  // write is acknowledged to its caller: with the conversation's key, or
  // with an empty id for "any conversation". A store returns true when it
  // sees every write to its conversations (one process owns it, SQLite) and
  // then calls `notice` from now on, on any thread (its writer's too):
  // `notice` must be quick and must not call the store. A store that other
  // processes write too (PostgreSQL) returns false and never calls it, so
  // nothing above it may cache its conversations. A create and the expiry
  // sweep need no notice: a new key was never cached, and a cache honours
  // the expire time it holds. Each call adds a
  // listener; a listener is never removed (it must outlive the store or
  // own what it uses).
  using ConversationWriteNotice =
      std::function<void(std::string_view tenant, std::string_view scope, std::string_view id)>;
  virtual bool NoticeConversationWrites(ConversationWriteNotice notice) {
    (void)notice;
    return false;
  }

  // A stored view from the store's memory without waiting for the database
  // (issue 16): false when the store keeps no copy of it — then read it with
  // ReadConversationView, on a thread that may wait; `done` is left as it
  // was. True when it took `done` (moved from it), which is then called exactly once, from any thread (possibly
  // before this returns): with the view, as ReadConversationView would read
  // it, or with nothing when the copy may not be served (then read it with
  // ReadConversationView). `done` must be quick.
  using CachedViewDone = absl::AnyInvocable<void(std::optional<std::string> body)>;
  virtual bool ReadCachedConversationView(std::string_view tenant, std::string_view scope,
                                          std::string_view id, int64_t now_us,
                                          std::string_view view, CachedViewDone& done) {
    return false;
  }

  // Reads the stored view `view` of (tenant, scope, id) into `*body` (left
  // empty when no such view is stored). NOT_FOUND as GetConversation.
  virtual absl::Status ReadConversationView(std::string_view tenant, std::string_view scope,
                                            std::string_view id, int64_t now_us,
                                            std::string_view view, std::string* body) = 0;

  // Deletes (tenant, scope, id). If it has analyses, deletes them too when
  // `force`, else returns FAILED_PRECONDITION and deletes nothing. NOT_FOUND
  // if absent.
  virtual absl::Status DeleteConversation(std::string_view tenant, std::string_view scope,
                                          std::string_view id, bool force) = 0;

  // Stores a finished analysis of (analysis.tenant, analysis.scope,
  // analysis.conversation_id) and points the conversation's
  // latest_analysis_id at it when it is the newest (dropping the
  // conversation's stored views, which show it). NOT_FOUND if the
  // conversation is absent.
  // With `finished` (not null), that operation is stored in the same
  // transaction: an analysis and the operation that made it land together
  // (a finished AnalyzeJob, or a BulkAnalyzeJob's progress and position);
  // ABORTED, and nothing stored, if that write is fenced
  // (FenceOperationWrites).
  virtual absl::Status PutAnalysis(const core::Analysis& analysis,
                                   const core::Operation* finished) = 0;
  absl::Status PutAnalysis(const core::Analysis& analysis) { return PutAnalysis(analysis, nullptr); }

  // The analysis `analysis_id` of conversation (tenant, scope,
  // conversation_id); NOT_FOUND if absent.
  virtual absl::StatusOr<core::Analysis> GetAnalysis(std::string_view tenant,
                                                     std::string_view scope,
                                                     std::string_view conversation_id,
                                                     std::string_view analysis_id) = 0;

  // Up to `page_size` analyses of a conversation, newest first, after
  // `after` (from the previous page). NOT_FOUND if the conversation is absent.
  virtual absl::StatusOr<AnalysisPage> ListAnalyses(std::string_view tenant,
                                                    std::string_view scope,
                                                    std::string_view conversation_id,
                                                    int page_size,
                                                    const std::optional<core::ListCursor>& after) = 0;

  // Deletes one analysis. If it was the conversation's latest, the newest
  // remaining one (or none) becomes the latest. NOT_FOUND if absent.
  virtual absl::Status DeleteAnalysis(std::string_view tenant, std::string_view scope,
                                      std::string_view conversation_id,
                                      std::string_view analysis_id) = 0;

  // ---- operations ----
  // Operations are keyed by (tenant, id) (their ids are generated, unique in
  // the tenant); their location is an attribute.
  // ALREADY_EXISTS if (tenant, id) is taken.
  virtual absl::Status CreateOperation(const core::Operation& operation) = 0;
  virtual absl::StatusOr<core::Operation> GetOperation(std::string_view tenant,
                                                       std::string_view id) = 0;
  // Replaces the stored operation; NOT_FOUND if absent.
  virtual absl::Status UpdateOperation(const core::Operation& operation) = 0;
  // Newest first. `location` empty: every location; `done`: only finished
  // (true) or unfinished (false) ones; `jobs` not empty: only operations
  // whose job case (core::Operation::JobCase) is one of them, so that a
  // dialect pages through its own kinds of work without gaps.
  virtual absl::StatusOr<OperationPage> ListOperations(std::string_view tenant,
                                                       std::string_view location,
                                                       std::optional<bool> done, int page_size,
                                                       const std::optional<core::ListCursor>& after,
                                                       const std::vector<int>& jobs = {}) = 0;
  // Every tenant's operations that are pending or running, oldest first
  // (to resume them after a restart).
  virtual absl::StatusOr<std::vector<core::Operation>> ListUnfinishedOperations() = 0;

  // ---- operations shared by several processes (ADR 0022) ----
  // Whether other processes (nodes) may run this store's operations: a
  // JobQueue then claims an operation for a lease before running it and
  // renews the lease while it runs. False (SQLite): one process owns them.
  virtual bool SharesOperations() const { return false; }
  // Whether a read waits for another process over the network (PostgreSQL):
  // `parley serve` then runs the routes that read off its network threads.
  // False (SQLite): a read is a quick local lookup, done on the network thread.
  virtual bool IsRemote() const { return false; }
  // Claims for `node`, until `lease_until_us`, up to `limit` unfinished
  // operations of every tenant that no other node holds (never claimed, or
  // their lease ended before `now_us`) or that `node` holds already, oldest
  // first; rows another node is claiming at that moment are skipped.
  // Returns them as stored.
  virtual absl::StatusOr<std::vector<core::Operation>> ClaimOperations(std::string_view node,
                                                                       int64_t now_us,
                                                                       int64_t lease_until_us,
                                                                       int limit) {
    return absl::UnimplementedError("this store does not share operations");
  }
  // CreateOperation, the operation held by `node` until `lease_until_us`
  // from the same write (ClaimOperation without the window in which another
  // node's ClaimOperations could take it first). A store that does not
  // share operations ignores the claim.
  virtual absl::Status CreateHeldOperation(const core::Operation& operation, std::string_view node,
                                           int64_t lease_until_us) {
    return CreateOperation(operation);
  }
  // Claims the operation (tenant, id) as ClaimOperations would; false if it
  // is finished, absent or held by another node.
  virtual absl::StatusOr<bool> ClaimOperation(std::string_view tenant, std::string_view id,
                                              std::string_view node, int64_t now_us,
                                              int64_t lease_until_us) {
    return true;
  }
  // Extends `node`'s leases of `operations` (tenant, id) to
  // `lease_until_us`; returns those it no longer holds. `cancel_requested`
  // (if given) gets those of the node's operations whose cancel was asked
  // through RequestOperationCancel (on any node).
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RenewOperationLeases(
      std::string_view node, const std::vector<std::pair<std::string, std::string>>& operations,
      int64_t lease_until_us, std::vector<std::pair<std::string, std::string>>* cancel_requested = nullptr) {
    return std::vector<std::pair<std::string, std::string>>{};
  }
  // Fences this process's writes of operations (UpdateOperation, and
  // PutAnalysis's `finished`) to what `node` holds: a write of an operation
  // another node has claimed (this node's lease ran out and it was taken
  // over) fails with ABORTED and changes nothing, so a node cut off from the
  // database for longer than a lease (a pause, a partition) cannot add a
  // second result beside the new holder's. Operations nobody has claimed
  // stay writable. Set once, before the node runs operations; stores that do
  // not share operations ignore it.
  virtual void FenceOperationWrites(std::string node) {}
  // Records that a client asked to cancel the unfinished operation (tenant,
  // id), which this process does not hold: the node holding it learns it at
  // its next lease renewal (RenewOperationLeases), a node claiming it from
  // ClaimOperations (cancel_requested set). Kept apart from the operation's
  // body, which the running node rewrites with its progress. Returns the
  // operation as stored (cancel_requested set if it is unfinished);
  // NOT_FOUND if absent.
  virtual absl::StatusOr<core::Operation> RequestOperationCancel(std::string_view tenant, std::string_view id) {
    return absl::UnimplementedError("this store does not share operations");
  }

  // ---- configuration resources ----
  // ALREADY_EXISTS if (tenant, kind, id) is taken.
  virtual absl::Status CreateResource(const Resource& resource) = 0;
  virtual absl::StatusOr<Resource> GetResource(std::string_view tenant, std::string_view kind,
                                               std::string_view id) = 0;
  // Replaces it if its stored update_time_us equals `expected_update_time_us`
  // (ABORTED otherwise); NOT_FOUND if absent.
  virtual absl::Status UpdateResource(const Resource& resource,
                                      int64_t expected_update_time_us) = 0;
  virtual absl::Status DeleteResource(std::string_view tenant, std::string_view kind,
                                      std::string_view id) = 0;
  // By id, ascending, after `after_id`; `location` empty: every location.
  virtual absl::StatusOr<ResourcePage> ListResources(std::string_view tenant, std::string_view kind,
                                                     std::string_view location, int page_size,
                                                     std::string_view after_id) = 0;

  // Returns up to query.page_size conversations matching the query, in its
  // order, ties broken by id in the same direction. Answered from indexes.
  virtual absl::StatusOr<ConversationPage> ListConversations(
      const core::ConversationQuery& query) = 0;

  // How many conversations each tenant has, by tenant (tenants with none
  // absent). Reads an index whole: for metrics, cached by the caller.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CountConversationsByTenant() = 0;

  // Figures of the backend's own machinery for /metrics (group commits,
  // syncs, checkpoints...); none by default. Cheap: read under a lock.
  struct BackendMetric {
    std::string name;  // a Prometheus metric name
    std::string help;
    bool counter = false;  // else a gauge
    double value = 0;
  };
  virtual std::vector<BackendMetric> BackendMetrics() const { return {}; }

  // Deletes every conversation whose expire time is set and at or before
  // `now_us`; returns how many were deleted.
  virtual absl::StatusOr<int64_t> DeleteExpiredConversations(int64_t now_us) = 0;

  // Keys of live assisted conversations (IN_PROGRESS, with a conversation
  // stage set: Dialogflow's) of every tenant whose update time is at or
  // before `updated_before_us`, oldest update first, at most `limit`. For
  // the idle sweep (service::MessageService::CompleteIdle); answered from an
  // index of those conversations only.
  virtual absl::StatusOr<std::vector<ConversationKey>> ListIdleConversations(int64_t updated_before_us,
                                                                             int limit) = 0;

  // Returns a value stored under `key` in the store's settings table,
  // creating it with `default_value` first if absent. Used for server secrets
  // (page-token key) that must persist with the data.
  virtual absl::StatusOr<std::string> GetOrCreateSetting(
      std::string_view key, std::string_view default_value) = 0;

  // ---- audit log ----
  // Appends `entry` (seq is assigned). Entries are never changed, and
  // removed only by PruneAudit.
  virtual absl::Status AppendAudit(const AuditEntry& entry) = 0;
  // AppendAudit without waiting: `done` gets its result once the entry is
  // durable (or failed), on another thread or before this returns; it must
  // be quick. A backend may hold the entry briefly (SQLite: up to 100 ms) to
  // commit it with other writes rather than alone.
  virtual void AppendAuditAsync(AuditEntry entry, WriteDone done) { done(AppendAudit(entry)); }
  // Up to query.limit entries matching `query`, oldest first (by seq).
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) = 0;
  // Removes the entries answered before `before_us` (time_us < before_us);
  // returns how many. Runs in bounded transactions, so writers are not held
  // up for long; entries at or after `before_us` are untouched. The
  // retention sweep of `parley serve` (--audit-retention-days) calls it.
  // A backend without it answers UNIMPLEMENTED.
  virtual absl::StatusOr<int64_t> PruneAudit(int64_t before_us) {
    (void)before_us;
    return absl::UnimplementedError("this store cannot prune its audit log");
  }

  // ---- copying a whole store (`parley migrate`, ADR 0034) ----
  // What the store holds, every tenant's, kind by kind, in key order with
  // keys compared byte by byte (the order every backend shares, so that two
  // stores' dumps can be compared record by record), a page at a time after
  // the last key of the previous page (null: from the start). Nothing is
  // left out: expired conversations not yet swept, unfinished operations,
  // revoked keys. A Load writes its records as they are (bodies, times,
  // latest analysis and views: nothing recomputed, no check of ids) in one
  // transaction, all or none; ALREADY_EXISTS if a key is taken. A backend
  // without them answers UNIMPLEMENTED.
  // Conversations by (tenant, scope, id).
  virtual absl::StatusOr<std::vector<ConversationDump>> DumpConversations(const ConversationKey* after,
                                                                         int limit) {
    return absl::UnimplementedError("this store cannot be dumped");
  }
  virtual absl::Status LoadConversations(const std::vector<ConversationDump>& conversations) {
    return absl::UnimplementedError("this store cannot be loaded");
  }
  // Operations by (tenant, id); a Load leaves them unclaimed.
  virtual absl::StatusOr<std::vector<core::Operation>> DumpOperations(const core::Operation* after,
                                                                      int limit) {
    return absl::UnimplementedError("this store cannot be dumped");
  }
  virtual absl::Status LoadOperations(const std::vector<core::Operation>& operations) {
    return absl::UnimplementedError("this store cannot be loaded");
  }
  // Resources by (tenant, kind, id).
  virtual absl::StatusOr<std::vector<Resource>> DumpResources(const Resource* after, int limit) {
    return absl::UnimplementedError("this store cannot be dumped");
  }
  virtual absl::Status LoadResources(const std::vector<Resource>& resources) {
    return absl::UnimplementedError("this store cannot be loaded");
  }
  // The audit log is dumped with ListAudit; a Load appends the entries in
  // their order (each gets a new seq).
  virtual absl::Status LoadAudit(const std::vector<AuditEntry>& entries) {
    return absl::UnimplementedError("this store cannot be loaded");
  }
  // Every setting (GetOrCreateSetting), by key; a Load replaces the values
  // of keys that exist.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpSettings() {
    return absl::UnimplementedError("this store cannot be dumped");
  }
  virtual absl::Status LoadSettings(const std::vector<std::pair<std::string, std::string>>& settings) {
    return absl::UnimplementedError("this store cannot be loaded");
  }
  // Removes a setting (no error if absent): the mark of an unfinished copy
  // (`parley migrate`) once the copy is complete.
  virtual absl::Status DeleteSetting(std::string_view key) {
    return absl::UnimplementedError("this store cannot be loaded");
  }

  // Flushes and closes. After Close every method returns UNAVAILABLE.
  virtual void Close() = 0;
};

// Memory for the view cache unless told otherwise (`--view-cache-mb`).
inline constexpr size_t kDefaultViewCacheBytes = size_t{32} << 20;
// Bound on one list query's cost (StoreOptions::list_query_max_steps): about
// 20 times what the costliest page of a filtered list over 100,000
// conversations takes (about 1.5 million steps, some 20 ms; a step is some
// 15 ns), so about half a second.
inline constexpr int64_t kDefaultListQueryMaxSteps = 30'000'000;

// Bytes `parley serve` keeps free for deletes when the disk fills up
// (`--disk-reserve-mb`).
inline constexpr int64_t kDefaultDiskReserveBytes = int64_t{64} << 20;

// What a server may tune in any backend.
struct StoreOptions {
  // Memory for recently read conversation views (store/view_cache.h);
  // 0 = every read goes to the database.
  size_t view_cache_bytes = kDefaultViewCacheBytes;
  // Bound on one conversation list query's cost, in SQLite virtual-machine
  // steps: a list whose filter costs more fails with FAILED_PRECONDITION
  // ("narrow it") instead of running for seconds. 0 = no bound.
  int64_t list_query_max_steps = kDefaultListQueryMaxSteps;
  // Disk space a backend keeps in reserve so that deletes work on a full
  // disk; 0 = none (tools and tests; the server passes its flag).
  int64_t disk_reserve_bytes = 0;
  // Resource kinds that another process writes while the server runs (API
  // keys: `parley keys`): always read from the database, never from the
  // in-process resource cache, which only this process's writes invalidate.
  std::vector<std::string> uncached_resource_kinds;
};

// Opens (creating if needed) the SQLite store in directory `data_dir`,
// migrating its schema to the current version.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                       const StoreOptions& options = {});

// Opens the PostgreSQL store in the database `url` names (a libpq URL,
// postgresql://USER@HOST:PORT/DB?...), migrating its schema (ADR 0021).
// UNAVAILABLE if the database cannot be reached.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                         const StoreOptions& options = {});

// Opens the store `spec` names: `postgresql://...` or `postgres://...` (the
// PostgreSQL store), `sqlite:DIR` (the SQLite store in DIR).
// INVALID_ARGUMENT for anything else.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& spec,
                                                 const StoreOptions& options = {});

// Whether `spec` names a PostgreSQL database (OpenStore).
bool IsPostgresUrl(std::string_view spec);

}  // namespace parley::store
