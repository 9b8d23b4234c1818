// The PostgreSQL Store backend (ADR 0021). Private to src/store and its
// tests: everything else uses the Store interface and OpenStore
// (store/store.h).
//
// Storage: the tables of schema.cc in the database a libpq URL names, any
// number of Parley processes on one database. Every write is one
// transaction committed with synchronous_commit = on before the call
// returns. Reads and writes run on a small pool of connections; a lost
// connection fails the call with UNAVAILABLE (unless it was lost while idle:
// then the call runs again on a fresh one) and the pool reconnects by itself.
//
// Views and bodies of conversations read lately are kept in a ViewCache
// (view_cache_bytes; 0 turns it off), which every node keeps consistent with
// the others' writes by LISTEN/NOTIFY and serves only after a round trip on
// its listen connection (view_listener.h, ADR 0033).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/postgres/pg.h"
#include "store/postgres/view_listener.h"
#include "store/store.h"
#include "store/view_cache.h"

namespace parley::store {

namespace pg {
struct CreateWrite;
}

// Schema version this build writes (rows of parley_schema_migrations).
inline constexpr int kPostgresSchemaVersion = 7;

struct PostgresStoreOptions {
  // Connections opened on demand; more concurrent calls wait for one.
  int max_connections = 16;
  // Threads that commit conversation creates in groups: each takes every
  // create queued (up to max_create_batch) and sends them, as one
  // transaction, in one round trip; several threads keep the database busy
  // while one waits for its commit to be flushed.
  int create_writers = 4;
  int max_create_batch = 64;
  // Threads that run AppendAuditAsync writes.
  int async_writers = 2;
  // Bound on one list query, in SQLite steps (StoreOptions); turned into a
  // statement timeout at some 15 ns a step. 0 = none.
  int64_t list_query_max_steps = kDefaultListQueryMaxSteps;
  // Memory for recently read conversation views and bodies (ViewCache);
  // 0 = none, and no listen connection.
  size_t view_cache_bytes = 0;
};

class PostgresStore final : public Store {
 public:
  // Connects to `url`, applies the migrations (under an advisory lock) and
  // returns the store. UNAVAILABLE if the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                             const PostgresStoreOptions& options = {});
  ~PostgresStore() override;

  using Store::CreateConversation;
  using Store::UpdateConversation;
  absl::Status CreateConversation(const core::Conversation& conversation,
                                  const ConversationViews& views,
                                  const core::Operation* also) override;
  void CreateConversationAsync(const core::Conversation& conversation,
                               const ConversationViews& views, WriteDone done) override;
  absl::Status ReadConversationView(std::string_view tenant, std::string_view scope,
                                    std::string_view id, int64_t now_us, std::string_view view,
                                    std::string* body) override;
  bool ReadCachedConversationView(std::string_view tenant, std::string_view scope,
                                  std::string_view id, int64_t now_us, std::string_view view,
                                  CachedViewDone& done) override;
  absl::Status ReadConversation(std::string_view tenant, std::string_view scope,
                                std::string_view id, int64_t now_us,
                                core::Conversation* out) override;
  absl::StatusOr<core::Conversation> GetConversation(std::string_view tenant,
                                                     std::string_view scope, std::string_view id,
                                                     int64_t now_us) override;
  absl::Status UpdateConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us, const ConversationViews& views,
                                  const ScrubUpdate& scrub) override;
  absl::Status DeleteConversation(std::string_view tenant, std::string_view scope,
                                  std::string_view id, bool force) override;
  using Store::PutAnalysis;
  absl::Status PutAnalysis(const core::Analysis& analysis, const core::Operation* finished) override;
  absl::StatusOr<core::Analysis> GetAnalysis(std::string_view tenant, std::string_view scope,
                                             std::string_view conversation_id,
                                             std::string_view analysis_id) override;
  absl::StatusOr<AnalysisPage> ListAnalyses(std::string_view tenant, std::string_view scope,
                                            std::string_view conversation_id, int page_size,
                                            const std::optional<core::ListCursor>& after) override;
  absl::Status DeleteAnalysis(std::string_view tenant, std::string_view scope,
                              std::string_view conversation_id,
                              std::string_view analysis_id) override;
  absl::Status CreateOperation(const core::Operation& operation) override;
  absl::StatusOr<core::Operation> GetOperation(std::string_view tenant,
                                               std::string_view id) override;
  absl::Status UpdateOperation(const core::Operation& operation) override;
  absl::StatusOr<OperationPage> ListOperations(std::string_view tenant, std::string_view location,
                                               std::optional<bool> done, int page_size,
                                               const std::optional<core::ListCursor>& after,
                                               const std::vector<int>& jobs) override;
  absl::StatusOr<std::vector<core::Operation>> ListUnfinishedOperations() override;
  bool SharesOperations() const override { return true; }
  bool IsRemote() const override { return true; }
  absl::StatusOr<std::vector<core::Operation>> ClaimOperations(std::string_view node, int64_t now_us,
                                                               int64_t lease_until_us,
                                                               int limit) override;
  absl::Status CreateHeldOperation(const core::Operation& op, std::string_view node,
                                   int64_t lease_until_us) override;
  absl::StatusOr<bool> ClaimOperation(std::string_view tenant, std::string_view id,
                                      std::string_view node, int64_t now_us,
                                      int64_t lease_until_us) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RenewOperationLeases(
      std::string_view node, const std::vector<std::pair<std::string, std::string>>& operations,
      int64_t lease_until_us,
      std::vector<std::pair<std::string, std::string>>* cancel_requested = nullptr) override;
  absl::StatusOr<core::Operation> RequestOperationCancel(std::string_view tenant, std::string_view id) override;
  void FenceOperationWrites(std::string node) override;
  absl::Status CreateResource(const Resource& resource) override;
  absl::StatusOr<Resource> GetResource(std::string_view tenant, std::string_view kind,
                                       std::string_view id) override;
  absl::Status UpdateResource(const Resource& resource, int64_t expected_update_time_us) override;
  absl::Status DeleteResource(std::string_view tenant, std::string_view kind,
                              std::string_view id) override;
  absl::StatusOr<ResourcePage> ListResources(std::string_view tenant, std::string_view kind,
                                             std::string_view location, int page_size,
                                             std::string_view after_id) override;
  absl::StatusOr<ConversationPage> ListConversations(const core::ConversationQuery& query) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CountConversationsByTenant() override;
  absl::StatusOr<int64_t> DeleteExpiredConversations(int64_t now_us) override;
  absl::StatusOr<std::vector<ConversationKey>> ListIdleConversations(int64_t updated_before_us,
                                                                     int limit) override;
  absl::StatusOr<std::string> GetOrCreateSetting(std::string_view key,
                                                 std::string_view default_value) override;
  absl::Status AppendAudit(const AuditEntry& entry) override;
  void AppendAuditAsync(AuditEntry entry, WriteDone done) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditQuery& query) override;
  absl::StatusOr<int64_t> PruneAudit(int64_t before_us) override;
  // Copying a whole store (dump.cc).
  absl::StatusOr<std::vector<ConversationDump>> DumpConversations(const ConversationKey* after,
                                                                 int limit) override;
  absl::Status LoadConversations(const std::vector<ConversationDump>& conversations) override;
  absl::StatusOr<std::vector<core::Operation>> DumpOperations(const core::Operation* after,
                                                              int limit) override;
  absl::Status LoadOperations(const std::vector<core::Operation>& operations) override;
  absl::StatusOr<std::vector<Resource>> DumpResources(const Resource* after, int limit) override;
  absl::Status LoadResources(const std::vector<Resource>& resources) override;
  absl::Status LoadAudit(const std::vector<AuditEntry>& entries) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DumpSettings() override;
  absl::Status LoadSettings(const std::vector<std::pair<std::string, std::string>>& settings) override;
  absl::Status DeleteSetting(std::string_view key) override;
  void Close() override;
  std::vector<BackendMetric> BackendMetrics() const override;

  // The view cache's counters, and the listen connection's connects (tests).
  ViewCache::Stats view_cache_stats() const { return view_cache_.stats(); }
  int64_t listener_connects() const { return listener_ ? listener_->connects() : 0; }
  int64_t listener_round_trips() const { return listener_ ? listener_->round_trips() : 0; }
  // True while reads are served from the cache without a round trip (the
  // node holds its view lease, ADR 0050); writes that waited for other
  // nodes' answers; and the listener ended as a killed process's would
  // (tests).
  bool listener_fast() const { return listener_ != nullptr && listener_->Fast(); }
  int64_t listener_awaited() const { return listener_ ? listener_->awaited() : 0; }
  void AbandonListenerForTest() { listener_->Abandon(); }

  // EXPLAIN of the statement ListConversations would run.
  absl::StatusOr<std::string> ExplainListQuery(const core::ConversationQuery& query);

 private:
  PostgresStore(const std::string& url, const PostgresStoreOptions& options);

  absl::Status Write(absl::FunctionRef<absl::Status(pg::Conn&)> fn);
  // Write of a transaction that changes conversation (tenant, scope, id)
  // (`fn` takes pg::LockConversation): notifies every node in it, drops this
  // node's cached views of it afterwards, whatever the outcome, and once
  // committed waits for the nodes holding view leases (ADR 0050).
  absl::Status WriteConversation(std::string_view tenant, std::string_view scope,
                                 std::string_view id, absl::FunctionRef<absl::Status(pg::Conn&)> fn);
  // A cached view (or ViewCache::kBodyView) that may be served: see
  // view_listener.h.
  bool CachedRead(std::string_view tenant, std::string_view scope, std::string_view id,
                  std::string_view view, int64_t now_us, std::string* body);
  absl::Status Read(absl::FunctionRef<absl::Status(pg::Conn&)> fn);
  // Runs `sql` (a DELETE taking $1 = `arg` and $2 = the chunk size; or a
  // statement whose one row is the count it deleted) until a run deletes
  // fewer than `chunk` rows, each run its own transaction, so a large sweep
  // holds few locks at a time. Returns how many rows it deleted.
  absl::StatusOr<int64_t> DeleteInChunks(std::string_view sql, int64_t arg, int64_t chunk);
  // Runs `fn` on an async writer thread.
  void Async(absl::AnyInvocable<void()> fn);
  void AsyncLoop();
  // Queues a create for a group commit (or fails it: the store is closing).
  void QueueCreate(std::unique_ptr<pg::CreateWrite> w);
  void CreateWriterLoop();
  // Commits `batch` in one transaction, setting each write's status; a
  // create that fails (a taken key) is left out and the rest run again.
  void RunCreates(const std::vector<pg::CreateWrite*>& batch);

  const PostgresStoreOptions options_;
  pg::Pool pool_;
  std::atomic<bool> closed_{false};
  // FenceOperationWrites: set once before operations run, read by writers.
  std::atomic<std::shared_ptr<const std::string>> fence_node_{std::make_shared<const std::string>()};
  ViewCache view_cache_;
  // Also with the cache off: the node's writes wait for the nodes that hold
  // view leases (ADR 0050).
  std::unique_ptr<pg::ViewListener> listener_;

  std::mutex async_mu_;
  std::condition_variable async_cv_;
  std::deque<absl::AnyInvocable<void()>> async_queue_;
  bool async_stopping_ = false;
  std::vector<std::thread> async_threads_;
  std::condition_variable create_cv_;
  std::deque<std::unique_ptr<pg::CreateWrite>> create_queue_;  // under async_mu_
  std::vector<std::thread> create_threads_;
};

}  // namespace parley::store
