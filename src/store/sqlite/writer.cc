// The writer thread and its group commit.
//
// Writes: one writer thread owns the only write connection. A caller queues
// its operation (a closure over that connection and a completion callback;
// synchronous calls wait on the callback). The writer takes every queued
// operation (up to max_batch), runs them in ONE transaction, each inside its
// own SAVEPOINT so one operation's failure (ALREADY_EXISTS, ...) rolls back
// only that operation, COMMITs once (synchronous=FULL: one WAL fsync for the
// whole group), then calls every operation's callback with its own status. A
// failed COMMIT fails every operation of the group.
//
// The commit's WAL sync is deferred (ADR 0048): the WAL-buffering VFS hands
// the frames to the kernel and the COMMIT returns; the writer runs each
// operation's `committed` hook (caches) in commit order and passes the batch
// to the syncer thread, which fdatasyncs the WAL once for every batch queued
// meanwhile and then calls the `done` callbacks, in commit order. The writer
// starts the next transaction while the disk flushes the last one.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/sqlite/wal_buffer_vfs.h"

namespace parley::store {

// A queued write: its closure, and the callback the writer calls with its
// result after the group commit (then deleting the op).
struct SqliteStore::WriteOp {
  absl::AnyInvocable<absl::Status(Connection&) const> fn;
  WriteDone done;  // once the commit is durable (or failed)
  absl::Status status;
  bool scrub_files = false;
  bool lazy = false;
  // On the writer thread right after the commit (or failure), in commit
  // order, before `done`: what must follow the commit at once (caches).
  absl::AnyInvocable<void(const absl::Status&)> committed;
};

absl::Status SqliteStore::Write(absl::FunctionRef<absl::Status(Connection&)> fn,
                                bool scrub_files) {
  return Write(fn, [] {}, scrub_files);
}

absl::Status SqliteStore::Write(absl::FunctionRef<absl::Status(Connection&)> fn,
                                absl::FunctionRef<void()> settled, bool scrub_files) {
  absl::Notification finished;
  absl::Status result;
  // `settled` runs before `fn` too: what a cache holds from before the write
  // is gone before the commit, so from the commit to the second call (in
  // `done`, right after the commit: WriterLoop) only a read that raced this
  // transaction could have put anything back.
  auto op = std::make_unique<WriteOp>(WriteOp{
      [fn, settled](Connection& conn) {
        settled();
        return fn(conn);
      },
      [&](absl::Status s) {
        result = std::move(s);
        finished.Notify();
      },
      absl::OkStatus(), scrub_files, /*lazy=*/false, [settled](const absl::Status&) { settled(); }});
  Enqueue(std::move(op));
  finished.WaitForNotification();
  return result;
}

void SqliteStore::WriteAsync(absl::AnyInvocable<absl::Status(Connection&) const> fn, WriteDone done,
                             bool scrub_files, bool lazy,
                             absl::AnyInvocable<void(const absl::Status&)> committed) {
  Enqueue(std::make_unique<WriteOp>(WriteOp{std::move(fn), std::move(done), absl::OkStatus(),
                                            scrub_files, lazy, std::move(committed)}));
}

void SqliteStore::Enqueue(std::unique_ptr<WriteOp> op) {
  const bool lazy = op->lazy;
  absl::Status refused = sqlite::Closed();
  {
    absl::MutexLock lock(&mu_);
    if (!sync_error_.ok()) {
      refused = sync_error_;
    } else if (!stopping_) {
      if (lazy && lazy_queued_++ == 0) {
        lazy_deadline_ = absl::Now() + absl::Milliseconds(options_.lazy_write_delay_ms);
      }
      queue_.push_back(op.release());
      return;
    }
  }
  op->done(std::move(refused));
}

void SqliteStore::WriterLoop() {
  std::vector<WriteOp*> batch;
  for (;;) {
    mu_.Lock();
    for (;;) {
      mu_.Await(absl::Condition(
          +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return (!s->paused_ && !s->queue_.empty()) || (s->stopping_ && s->queue_.empty());
          },
          this));
      // Only lazy writes queued: wait for another write to join, for their
      // deadline, or for the store to close.
      if (stopping_ || paused_ || queue_.size() > lazy_queued_ || absl::Now() >= lazy_deadline_) break;
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                  return s->stopping_ || s->queue_.size() > s->lazy_queued_;
                                },
                                this),
                            lazy_deadline_);
    }
    if (queue_.empty()) {  // stopping and drained
      mu_.Unlock();
      return;
    }
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
    batch.assign(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    for (const WriteOp* op : batch) lazy_queued_ -= op->lazy ? 1 : 0;
    // Lazy writes left behind by a full batch go with the next one.
    if (lazy_queued_ > 0) lazy_deadline_ = absl::InfinitePast();
    mu_.Unlock();

    if (options_.disk_reserve_bytes > 0 && low_space_) MaybeLeaveLowSpace();
    const int sync_fd = RunBatch(batch);
    mu_.Lock();
    stats_.batches++;
    stats_.ops += static_cast<int64_t>(n);
    stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(n));
    mu_.Unlock();
    bool hit_full = false;
    for (const WriteOp* op : batch) {
      hit_full = hit_full || sqlite::IsDiskFull(op->status);
      if (op->scrub_files && op->status.ok()) scrub_pending_ = true;
    }
    // A committed write is settled at once, before the WAL is managed (that
    // may checkpoint here): the caches its `committed` hook drops are
    // dropped as soon as others can read what it wrote (a reader who learnt
    // of the write from another row of the transaction must not be served
    // the old copy meanwhile), and it is answered once the syncer has made
    // it durable. In commit order, which write-through caches rely on: a
    // committed scrub and every write after it are settled after the scrub
    // (the write that asked for it returns with the -wal file truncated);
    // failed writes after the WAL work, as before (a disk-full failure once
    // low-space mode began).
    std::vector<WriteOp*> settled;
    auto settle = [&settled](WriteOp*& op) {
      if (op->committed) op->committed(op->status);
      settled.push_back(op);
      op = nullptr;
    };
    for (WriteOp*& op : batch) {
      if (op->scrub_files && op->status.ok()) break;
      if (op->status.ok()) settle(op);
    }
    PassToSyncer(std::move(settled), sync_fd);
    ManageWal(hit_full);
    if (scrub_pending_) scrub_pending_ = !ScrubWal();
    settled.clear();
    for (WriteOp*& op : batch) {
      if (op != nullptr) settle(op);  // not settled above
    }
    // No sync of their own: the one asked for above (if the COMMIT's was
    // deferred) is run before these are answered, after the writes before
    // them.
    PassToSyncer(std::move(settled), -1);
    batch.clear();
  }
}

void SqliteStore::PassToSyncer(std::vector<WriteOp*> ops, int sync_fd) {
  if (ops.empty() && sync_fd < 0) return;
  absl::MutexLock lock(&sync_mu_);
  if (sync_fd >= 0) sync_fd_ = sync_fd;
  for (WriteOp* op : ops) synced_queue_.push_back(op);
}

void SqliteStore::SyncerLoop() {
  std::vector<WriteOp*> ops;
  std::function<int()> hook;
  for (;;) {
    int fd = -1;
    {
      absl::MutexLock lock(&sync_mu_);
      sync_mu_.Await(absl::Condition(
          +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return s->sync_stopping_ || !s->synced_queue_.empty() || s->sync_fd_ >= 0;
          },
          this));
      if (synced_queue_.empty() && sync_fd_ < 0) return;  // stopping and drained
      ops.swap(synced_queue_);
      fd = sync_fd_;
      sync_fd_ = -1;
      if (fd >= 0) hook = sync_hook_for_test_;  // empty but in tests
    }
    absl::Status failed;
    if (fd >= 0) {
      int rc = hook ? hook() : 0;
      if (rc == 0) {
        do {
          rc = ::fdatasync(fd) == 0 ? 0 : errno;
        } while (rc == EINTR);
      }
      absl::MutexLock lock(&mu_);
      stats_.syncs++;
      if (rc != 0 && sync_error_.ok()) {
        // The commit is in the WAL and visible, but the disk did not take
        // it, and after a failed fdatasync the kernel may have dropped the
        // pages (a retry could succeed without writing them): refuse every
        // write from now on rather than acknowledge one that may be lost.
        sync_error_ = absl::UnavailableError(absl::StrCat(
            "the disk failed to make a commit durable (fdatasync of the WAL: ", std::strerror(rc),
            "); this node refuses writes until it is restarted"));
        std::cerr << "parley: " << sync_error_.message() << "\n";
      }
      failed = sync_error_;
    }
    // Outside the locks: a callback may queue another write.
    for (WriteOp* op : ops) {
      std::unique_ptr<WriteOp> owned(op);
      if (!failed.ok() && owned->status.ok()) owned->status = failed;
      owned->done(std::move(owned->status));
    }
    ops.clear();
  }
}

int SqliteStore::RunBatch(const std::vector<WriteOp*>& batch) {
  Connection& conn = *writer_;
  auto fail_all = [&](const absl::Status& s) {
    for (WriteOp* op : batch) op->status = s;
  };
  if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) {
    fail_all(s);
    return -1;
  }
  for (WriteOp* op : batch) {
    absl::Status s = conn.Exec("SAVEPOINT op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return -1;
    }
    absl::Status result = op->fn(conn);
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (I/O error, disk full...):
      // nothing of this batch was written.
      fail_all(result.ok() ? absl::UnavailableError("sqlite: transaction rolled back") : result);
      return -1;
    }
    if (result.ok() && low_space_) result = CheckNoGrowth(conn);
    if (!result.ok()) s = conn.Exec("ROLLBACK TO op");
    if (s.ok()) s = conn.Exec("RELEASE op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return -1;
    }
    op->status = std::move(result);
  }
  // Only the COMMIT's sync is deferred: a checkpoint's sync of the WAL, on
  // this connection too, stays real.
  const bool defer = options_.defer_wal_syncs && sqlite::WalBufferVfsBeginDeferral(conn.db());
  absl::Status committed = conn.Exec("COMMIT");
  // A deferred sync is taken even if the COMMIT failed after it: syncing
  // more than needed is harmless.
  const int sync_fd = defer ? sqlite::WalBufferVfsEndDeferral(conn.db()) : -1;
  if (!committed.ok()) {
    if (!sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
    fail_all(committed);
  }
  return sync_fd;
}

absl::Status SqliteStore::CheckNoGrowth(Connection& conn) {
  ASSIGN_OR_RETURN(int64_t pages, conn.QueryInt("PRAGMA page_count"));
  if (low_space_max_pages_ < 0) low_space_max_pages_ = pages;  // first write since EnterLowSpace
  if (pages <= low_space_max_pages_) return absl::OkStatus();
  return absl::UnavailableError(
      "the disk is full: this write needs more space than deletes have freed");
}

bool SqliteStore::ScrubWal() {
  // TRUNCATE waits (busy handler) for readers of older snapshots to finish,
  // copies every frame into the database file, syncs it and truncates the
  // log; secure_delete has already zeroed what the commit freed. If it
  // cannot finish (SQLITE_BUSY, an I/O error) the commit stands: the caller
  // tries again after the next batch.
  const int rc = CheckpointHere(SQLITE_CHECKPOINT_TRUNCATE);
  if (rc != SQLITE_OK) {
    std::cerr << "parley: could not truncate the WAL after a scrub (" << sqlite3_errstr(rc)
              << "); trying again after the next write\n";
  }
  return rc == SQLITE_OK;
}

SqliteStore::WriterStats SqliteStore::writer_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<Store::BackendMetric> SqliteStore::BackendMetrics() const {
  WriterStats stats;
  bool refusing = false;
  {
    absl::MutexLock lock(&mu_);
    stats = stats_;
    refusing = !sync_error_.ok();
  }
  auto count = [](int64_t n) { return static_cast<double>(n); };
  return {
      {"parley_sqlite_commits_total", "Group commits (transactions) run by the writer thread", true,
       count(stats.batches)},
      {"parley_sqlite_writes_total", "Writes run in group commits", true, count(stats.ops)},
      {"parley_sqlite_largest_commit_writes", "Most writes in one group commit since the start", false,
       count(stats.largest_batch)},
      {"parley_sqlite_deferred_syncs_total",
       "WAL syncs run by the syncer thread for commits that did not wait for the disk (ADR 0048)", true,
       count(stats.syncs)},
      {"parley_sqlite_checkpoints_total", "WAL checkpoints run by the checkpointer thread", true,
       count(stats.checkpoints)},
      {"parley_sqlite_writer_checkpoints_total",
       "WAL checkpoints run by the writer thread (tail copies, the WAL bound, disk space)", true,
       count(stats.writer_checkpoints)},
      {"parley_sqlite_writes_refused",
       "1 once a WAL sync failed: every write is refused until the process restarts", false,
       refusing ? 1.0 : 0.0},
  };
}

void SqliteStore::PauseWriterForTest() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void SqliteStore::SetSyncHookForTest(std::function<int()> hook) {
  absl::MutexLock lock(&sync_mu_);
  sync_hook_for_test_ = std::move(hook);
}

void SqliteStore::ResumeWriterForTest() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

size_t SqliteStore::QueuedWritesForTest() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace parley::store
