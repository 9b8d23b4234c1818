// The SQLite Store backend. Private to src/store and its tests: everything
// else uses the Store interface and OpenSqliteStore (store/store.h).
//
// Storage: one file <data_dir>/parley.db in WAL mode with synchronous=FULL.
// Writes go through one writer thread that owns the only write connection
// and commits queued writes in groups (see SqliteStore::Write). Reads use a
// small pool of read connections that run concurrently with the writer. A
// checkpointer thread with its own connection copies the WAL into the
// database file without stopping the writer (checkpoints.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/store.h"
#include "store/view_cache.h"

struct sqlite3;

namespace parley::store {

namespace sqlite {
class Connection;
}  // namespace sqlite

// Schema version this build writes (PRAGMA user_version). A database with a
// newer version is refused.
inline constexpr int kSqliteSchemaVersion = 10;

struct SqliteStoreOptions {
  // Read connections opened on demand; more concurrent readers wait.
  int max_read_connections = 4;
  // Page cache per connection, KiB (PRAGMA cache_size=-N).
  int writer_cache_kib = 16000;
  int reader_cache_kib = 8000;
  int busy_timeout_ms = 10000;
  // Most writes committed in one transaction.
  int max_batch = 1024;
  // WAL pages after which the checkpointer thread copies the WAL into the
  // database file (what PRAGMA wal_autocheckpoint does on the writer).
  // Larger means index pages rewritten by many transactions reach the main
  // file once per checkpoint instead of once per transaction.
  int wal_autocheckpoint_pages = 10000;
  // Longest a lazy write (an audit entry) waits for another write to share
  // its transaction before it is committed alone.
  int lazy_write_delay_ms = 100;
  // The writer starts the next transaction while the last commit's WAL is
  // flushed to disk; a syncer thread acknowledges writes once it is (ADR
  // 0048). Off: each COMMIT syncs before the writer goes on.
  bool defer_wal_syncs = true;
  // Memory for recently read conversation views (see store/view_cache.h);
  // 0 = no cache.
  size_t view_cache_bytes = kDefaultViewCacheBytes;
  // Most SQLite virtual-machine steps one ListConversations query may run;
  // beyond, it fails with FAILED_PRECONDITION. 0 = no bound.
  int64_t list_query_max_steps = kDefaultListQueryMaxSteps;
  // Bytes of the reserve file (DATA_DIR/parley.reserve) released when the
  // disk fills up, so that deletes keep working (docs/RELIABILITY.md,
  // "Disk full"). 0 = no reserve and no low-space mode (SQLite's own
  // autocheckpoint).
  int64_t disk_reserve_bytes = 0;
  // Resource kinds never served from the resource cache (StoreOptions).
  std::vector<std::string> uncached_resource_kinds;
};

class SqliteStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& data_dir,
                                                           const SqliteStoreOptions& options = {});
  ~SqliteStore() override;

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
  absl::Status ReadConversation(std::string_view tenant, std::string_view scope,
                                std::string_view id, int64_t now_us,
                                core::Conversation* out) override;
  absl::StatusOr<core::Conversation> GetConversation(std::string_view tenant,
                                                     std::string_view scope, std::string_view id,
                                                     int64_t now_us) override;
  absl::Status UpdateConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us, const ConversationViews& views,
                                  const ScrubUpdate& scrub) override;
  absl::Status AppendConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us, std::string_view delta,
                                  const ScrubUpdate& scrub) override;
  // One process owns the database (its data-dir lock), so every write
  // passes here: notices come from the view cache's invalidations.
  bool NoticeConversationWrites(ConversationWriteNotice notice) override {
    view_cache_.AddObserver(std::move(notice));
    return true;
  }
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
  std::vector<BackendMetric> BackendMetrics() const override;
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

  struct WriterStats {
    int64_t batches = 0;        // transactions committed or attempted
    int64_t ops = 0;            // write operations run
    int64_t largest_batch = 0;  // most operations in one transaction
    int64_t checkpoints = 0;         // run by the checkpointer thread
    int64_t writer_checkpoints = 0;  // run by the writer thread
    int64_t syncs = 0;               // deferred WAL syncs run by the syncer thread
  };
  WriterStats writer_stats() const;

  // EXPLAIN QUERY PLAN of the statement ListConversations would run, one
  // plan line per text line.
  absl::StatusOr<std::string> ExplainListQuery(const core::ConversationQuery& query);

  // Test hooks: while paused the writer thread leaves queued writes alone,
  // so a test can make several writes land in the same transaction.
  void PauseWriterForTest();
  void ResumeWriterForTest();
  size_t QueuedWritesForTest() const;
  // Runs on the syncer thread before each fdatasync of deferred commits;
  // a nonzero return fails that sync with that errno instead.
  void SetSyncHookForTest(std::function<int()> hook);

 private:
  // UpdateConversation, and AppendConversation when `delta` is not null.
  absl::Status WriteUpdate(const core::Conversation& conversation, int64_t expected_update_time_us,
                           const ConversationViews& views, const ScrubUpdate& scrub,
                           const std::string_view* delta);
  struct WriteOp;
  class ReadLease;

  SqliteStore(std::string path, const SqliteStoreOptions& options);

  // CreateConversation(conversation, views, also) without waiting.
  void CreateConversationWithAsync(const core::Conversation& conversation,
                                   const ConversationViews& views, const core::Operation* also,
                                   WriteDone done);

  absl::Status Start(std::unique_ptr<sqlite::Connection> writer);
  // Runs `fn` on the write connection inside the next group transaction and
  // returns once that transaction is durable (or failed). With
  // `scrub_files`, when `fn` succeeded the writer also runs a TRUNCATE
  // checkpoint after the commit and before returning (ScrubWal).
  absl::Status Write(absl::FunctionRef<absl::Status(sqlite::Connection&)> fn,
                     bool scrub_files = false);
  // The same, and `settled` runs on the writer thread before `fn` and again
  // right after the transaction's COMMIT (a committed write is answered
  // before the writer manages the WAL), before Write returns. Writes that
  // change what a cache in memory holds drop it there, not after Write
  // returns: once committed, the change can be learnt from another row of the
  // same transaction (an analysis's operation marked done), and a reader who
  // learnt it must not then be served the cached old copy while the writing
  // thread waits to be scheduled.
  absl::Status Write(absl::FunctionRef<absl::Status(sqlite::Connection&)> fn,
                     absl::FunctionRef<void()> settled, bool scrub_files = false);
  // Runs the DELETE `sql` (?1 = `bound`, ?2 = the chunk size, which its
  // subquery must LIMIT) until a chunk deletes fewer rows than `chunk`, each
  // chunk a transaction of its own so that a large purge does not hold up
  // other writers; returns the rows deleted. A failure leaves earlier chunks
  // deleted.
  absl::StatusOr<int64_t> DeleteInChunks(const char* sql, int64_t bound, int64_t chunk);
  // The same without waiting: `done` gets the result on the writer thread.
  // A `lazy` write does not start a transaction of its own: it joins the
  // next group commit, or after options_.lazy_write_delay_ms is committed
  // alone, so a write nobody waits for costs the writer no extra fsync
  // while others are writing.
  // `committed`, if given, runs on the writer thread right after the
  // commit (or failure), in commit order, before `done` (which waits for
  // the commit to be durable): for caches that must follow the commit at
  // once.
  void WriteAsync(absl::AnyInvocable<absl::Status(sqlite::Connection&) const> fn, WriteDone done,
                  bool scrub_files = false, bool lazy = false,
                  absl::AnyInvocable<void(const absl::Status&)> committed = nullptr);
  void Enqueue(std::unique_ptr<WriteOp> op);
  void WriterLoop();
  // Runs the batch in one transaction; returns the WAL's descriptor if its
  // COMMIT's sync was deferred (the syncer must fdatasync it), else -1.
  int RunBatch(const std::vector<WriteOp*>& batch);
  // Queues settled operations for their `done`, after a sync of `sync_fd`
  // if it is not -1 (writer thread).
  void PassToSyncer(std::vector<WriteOp*> ops, int sync_fd);
  void SyncerLoop();
  // On the writer thread, outside a transaction: PRAGMA
  // wal_checkpoint(TRUNCATE), which copies every committed page into the
  // database file and truncates the -wal file to zero bytes, so no
  // superseded page survives in it. Returns whether it completed.
  bool ScrubWal();

  absl::StatusOr<std::unique_ptr<sqlite::Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<sqlite::Connection> conn);

  const std::string path_;
  const SqliteStoreOptions options_;

  // Writer queue.
  mutable absl::Mutex mu_;
  std::vector<WriteOp*> queue_ ABSL_GUARDED_BY(mu_);
  size_t lazy_queued_ ABSL_GUARDED_BY(mu_) = 0;  // lazy ops in queue_
  absl::Time lazy_deadline_ ABSL_GUARDED_BY(mu_);  // when the oldest must be committed
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  WriterStats stats_ ABSL_GUARDED_BY(mu_);
  // Set once a deferred sync failed: every write is refused with it.
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<sqlite::Connection> writer_;  // used by the writer thread only
  // A scrub asked for has not completed yet (writer thread only): the
  // writer tries again after every later batch.
  bool scrub_pending_ = false;
  std::thread writer_thread_;

  // The syncer (ADR 0048): operations committed, in commit order, waiting
  // for the WAL's sync, and the descriptor to sync (-1: no sync wanted).
  absl::Mutex sync_mu_;
  std::vector<WriteOp*> synced_queue_ ABSL_GUARDED_BY(sync_mu_);
  int sync_fd_ ABSL_GUARDED_BY(sync_mu_) = -1;
  bool sync_stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::function<int()> sync_hook_for_test_ ABSL_GUARDED_BY(sync_mu_);
  std::thread syncer_thread_;

  // WAL checkpoints (checkpoints.cc, ADR 0024). The checkpointer thread runs
  // PASSIVE checkpoints on its own connection when the writer asks; the
  // writer thread, after every group commit, asks, or checkpoints itself
  // (the last frames before a WAL restart, the WAL bound, disk space,
  // low-space mode), and enters low-space mode on SQLITE_FULL (`hit_full`).
  void ManageWal(bool hit_full);
  // On the writer thread: a checkpoint of `mode` on the write connection,
  // after any background checkpoint in progress. Returns SQLite's code.
  int CheckpointHere(int mode);
  // Records that a checkpoint of the current WAL copied `checkpointed` of
  // its `log_frames` frames (writer thread).
  void NoteBackfill(int log_frames, int checkpointed);
  void CheckpointerLoop();
  // Opens the checkpointer's connection, installs the WAL hook and starts
  // the thread; StopCheckpoints joins it and closes the connection.
  absl::Status StartCheckpoints();
  void StopCheckpoints();
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  // The WAL may hold this many times wal_autocheckpoint_pages before the
  // writer thread checkpoints it itself with RESTART.
  static constexpr int kWalBoundFactor = 4;

  struct CheckpointResult {
    uint64_t generation = 0;  // wal_generation_ when it was asked for
    int rc = 0;
    int log_frames = 0;
    int checkpointed = 0;
  };
  std::unique_ptr<sqlite::Connection> checkpointer_;  // checkpointer thread only
  std::thread checkpointer_thread_;
  // Held while a checkpoint runs, on either connection.
  absl::Mutex checkpoint_run_mu_;
  absl::Mutex ckpt_mu_;
  bool ckpt_busy_ ABSL_GUARDED_BY(ckpt_mu_) = false;  // asked for, not finished
  bool ckpt_stopping_ ABSL_GUARDED_BY(ckpt_mu_) = false;
  uint64_t ckpt_request_generation_ ABSL_GUARDED_BY(ckpt_mu_) = 0;
  // The last finished background checkpoint, until the writer reads it.
  std::optional<CheckpointResult> ckpt_result_ ABSL_GUARDED_BY(ckpt_mu_);

  // The WAL as the writer thread knows it (writer thread only).
  int wal_frames_ = 0;           // frames in the WAL after the last commit
  int wal_backfilled_ = 0;       // of those, known copied to the database file
  uint64_t wal_generation_ = 0;  // WAL restarts seen
  int64_t page_size_ = 4096;

  // Disk space (writer thread only; docs/RELIABILITY.md, "Disk full").
  // Releases the reserve, checkpoints, and from now on refuses writes that
  // would grow the database file.
  void EnterLowSpace();
  // Leaves low-space mode if the file system has room for the reserve again
  // (and some more), re-creating the reserve.
  void MaybeLeaveLowSpace();
  // Free bytes of the data dir's file system for an unprivileged writer;
  // -1 if unknown.
  int64_t FreeBytes() const;
  // Creates (or completes) the reserve file; false if the space is not there.
  bool EnsureReserve();
  // In low-space mode, after a write ran inside the batch: UNAVAILABLE if it
  // made the database larger than low_space_max_pages_ (RunBatch then rolls
  // it back).
  absl::Status CheckNoGrowth(sqlite::Connection& conn);
  // Sets up the above at Start (nothing if disk_reserve_bytes is 0).
  void StartDiskSpace();

  std::string data_dir_;
  std::string reserve_path_;
  bool low_space_ = false;
  // In low-space mode: the most pages the database may have (its size when
  // the mode began); a write that needs more is rolled back.
  int64_t low_space_max_pages_ = 0;

  // Reader pool.
  mutable absl::Mutex pool_mu_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
  int open_readers_ ABSL_GUARDED_BY(pool_mu_) = 0;
  bool readers_closed_ ABSL_GUARDED_BY(pool_mu_) = false;

  ViewCache view_cache_;

  // Resources recently read (profiles, knowledge bases: read on every
  // analyzeContent), by tenant/kind/id. The same consistency rule as the
  // view cache (ADR 0007): every resource write invalidates its key after the
  // write returns and before the caller sees the result; a read inserts only
  // if no invalidation happened since it began, so a read racing a write
  // never re-inserts the old body. Bounded by count (cleared when full).
  static constexpr size_t kResourceCacheEntries = 4096;
  static std::string ResourceCacheKey(std::string_view tenant, std::string_view kind, std::string_view id);
  void InvalidateResource(std::string_view tenant, std::string_view kind, std::string_view id);
  mutable absl::Mutex resource_cache_mu_;
  absl::flat_hash_map<std::string, Resource> resource_cache_ ABSL_GUARDED_BY(resource_cache_mu_);
  uint64_t resource_cache_generation_ ABSL_GUARDED_BY(resource_cache_mu_) = 0;

  std::atomic<bool> closed_{false};
};

}  // namespace parley::store
