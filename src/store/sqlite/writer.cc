// Group commit with leader/follower hand-off (ADR 0042).
//
// One write connection; whoever holds the commit (`committing_`) uses it.
// A write is an operation (a closure over that connection and a completion
// callback, `done`) queued in `queue_`. The committer takes every queued
// operation (up to max_batch), runs them in ONE transaction, each inside its
// own SAVEPOINT so one operation's failure (ALREADY_EXISTS, ...) rolls back
// only that operation, COMMITs once (synchronous=FULL: one WAL fsync for the
// whole group), then calls every operation's `done` with its own status, in
// commit order. A failed COMMIT fails every operation of the group.
//
// Who commits: a synchronous caller (Write, WriteUpdate, CreateConversation)
// that finds no commit in progress takes the commit and runs the batch on its
// own thread (the leader): its own operation and whatever is queued. Callers
// that arrive meanwhile queue and sleep on their own Waiter; the leader
// answers each (its `done` on the leader's thread, in commit order, then a
// wake-up) and hands the commit to the first synchronous caller still queued,
// which commits the next batch. So a synchronous write costs no hand-off to
// another thread when it is alone, and one wake-up when it is not (it was
// two: caller -> writer thread -> caller).
// Operations nobody waits for (WriteAsync: network threads must not
// block, lazy audit entries) go with the next batch, or, when no synchronous
// caller is queued, the writer thread commits them (a lazy one after
// lazy_write_delay_ms, unless another write takes it first).
#include <algorithm>
#include <iostream>
#include <memory>
#include <utility>

#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

// A queued write: its closure, and the callback the committer calls with its
// result after the group commit.
struct SqliteStore::WriteOp {
  absl::AnyInvocable<absl::Status(Connection&) const> fn;
  WriteDone done;
  absl::Status status;
  bool scrub_files = false;
  bool lazy = false;
  // The synchronous caller that waits for this op (WriteAndWait), which owns
  // it; null: the committer owns it and deletes it once answered.
  Waiter* waiter = nullptr;
};

// Where a synchronous caller sleeps until the committer answers its write or
// hands it the commit. Only the caller destroys it, after Wait returned
// kAnswered, or after it led the batch that answered its write.
class SqliteStore::Waiter {
 public:
  enum State { kWaiting, kAnswered, kLead };
  void Signal(State s) {
    absl::MutexLock lock(&mu_);
    state_ = s;
  }
  State Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](State* s) ABSL_NO_THREAD_SAFETY_ANALYSIS { return *s != kWaiting; }, &state_));
    return std::exchange(state_, kWaiting);
  }

 private:
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = kWaiting;
};

absl::Status SqliteStore::Write(absl::FunctionRef<absl::Status(Connection&)> fn,
                                bool scrub_files) {
  return Write(fn, [] {}, scrub_files);
}

absl::Status SqliteStore::Write(absl::FunctionRef<absl::Status(Connection&)> fn,
                                absl::FunctionRef<void()> settled, bool scrub_files) {
  absl::Status result;
  // `settled` runs before `fn` too: what a cache holds from before the write
  // is gone before the commit, so from the commit to the second call (in
  // `done`, right after the commit: CommitBatch) only a read that raced this
  // transaction could have put anything back.
  WriteAndWait(
      [fn, settled](Connection& conn) {
        settled();
        return fn(conn);
      },
      [&](absl::Status s) {
        settled();
        result = std::move(s);
      },
      scrub_files);
  return result;
}

void SqliteStore::WriteAsync(absl::AnyInvocable<absl::Status(Connection&) const> fn, WriteDone done,
                             bool scrub_files, bool lazy) {
  auto op = std::make_unique<WriteOp>(
      WriteOp{std::move(fn), std::move(done), absl::OkStatus(), scrub_files, lazy, nullptr});
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      // The next batch takes it: a leader's, or the writer thread's (its
      // condition holds once no commit is in progress).
      Queue(op.release());
      return;
    }
  }
  op->done(sqlite::Closed());
}

void SqliteStore::Queue(WriteOp* op) {
  if (op->lazy && lazy_queued_++ == 0) {
    lazy_deadline_ = absl::Now() + absl::Milliseconds(options_.lazy_write_delay_ms);
  }
  queue_.push_back(op);
}

void SqliteStore::WriteAndWait(absl::FunctionRef<absl::Status(Connection&)> fn,
                               absl::FunctionRef<void(absl::Status)> done, bool scrub_files) {
  Waiter waiter;
  WriteOp op{fn, done, absl::OkStatus(), scrub_files, /*lazy=*/false, &waiter};
  bool queued = false, lead = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      Queue(&op);
      queued = true;
      if (!committing_ && !paused_) committing_ = lead = true;
    }
  }
  if (!queued) return op.done(sqlite::Closed());
  for (;;) {
    if (!lead && waiter.Wait() == Waiter::kAnswered) return;
    // This thread holds the commit: it was free, or the last committer
    // handed it over.
    int wal_mode = -1;
    const bool answered = CommitBatch(&op, &wal_mode);
    lead = PassCommit(answered ? nullptr : &op, wal_mode);
    if (answered) return;
  }
}

void SqliteStore::Answer(WriteOp* op, const WriteOp* mine) {
  Waiter* waiter = op->waiter;
  op->done(std::move(op->status));
  if (waiter == nullptr) {
    delete op;
  } else if (op != mine) {
    waiter->Signal(Waiter::kAnswered);  // `op` may be gone from here on
  }
}

bool SqliteStore::CommitBatch(const WriteOp* mine, int* deferred_wal) {
  *deferred_wal = -1;
  std::vector<WriteOp*>& batch = batch_;
  int due = -1;
  {
    absl::MutexLock lock(&mu_);
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
    batch.assign(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    for (const WriteOp* op : batch) lazy_queued_ -= op->lazy ? 1 : 0;
    // Lazy writes left behind by a full batch go with the next one.
    if (lazy_queued_ > 0) lazy_deadline_ = absl::InfinitePast();
    due = std::exchange(wal_due_, -1);
  }
  // A checkpoint the last committer left (it had answered its own caller):
  // between two commits, as ManageWal would have run it.
  if (due >= 0) RunDueCheckpoint(due);
  if (batch.empty()) return false;

  if (options_.disk_reserve_bytes > 0 && low_space_) MaybeLeaveLowSpace();
  RunBatch(batch);
  const int64_t n = static_cast<int64_t>(batch.size());
  {
    absl::MutexLock lock(&mu_);
    stats_.batches++;
    stats_.ops += n;
    stats_.largest_batch = std::max(stats_.largest_batch, n);
    if (mine != nullptr) stats_.caller_batches++;
  }
  bool hit_full = false, mine_in_batch = false, mine_answered = false;
  for (const WriteOp* op : batch) {
    hit_full = hit_full || sqlite::IsDiskFull(op->status);
    if (op->scrub_files && op->status.ok()) scrub_pending_ = true;
    mine_in_batch = mine_in_batch || op == mine;
  }
  // A committed write is answered at once, before the WAL is managed (that
  // may checkpoint here): its caller waits no longer than the commit, and
  // the caches its `done` drops are dropped as soon as others can read
  // what it wrote (a reader who learnt of the write from another row of
  // the transaction must not be served the old copy meanwhile). In commit
  // order, which write-through caches rely on: a committed scrub and every
  // write after it are answered after the scrub (the write that asked for
  // it returns with the -wal file truncated); failed writes after the WAL
  // work, as before (a disk-full failure once low-space mode began).
  for (WriteOp*& op : batch) {
    if (op->scrub_files && op->status.ok()) break;
    if (!op->status.ok()) continue;
    mine_answered = mine_answered || op == mine;
    Answer(std::exchange(op, nullptr), mine);
  }
  const bool all_answered =
      std::all_of(batch.begin(), batch.end(), [](const WriteOp* op) { return op == nullptr; });
  if (mine_answered && all_answered && !hit_full && !scrub_pending_) {
    // A caller leads and nothing it must answer waits for the WAL: the
    // bookkeeping runs here (it is cheap), but a checkpoint the WAL needs on
    // the write connection is left to the next committer, before its batch
    // (ManageWal), so it does not lengthen this caller's reply.
    *deferred_wal = ManageWal(false, /*may_defer=*/true);
  } else {
    ManageWal(hit_full, /*may_defer=*/false);
    if (scrub_pending_) scrub_pending_ = !ScrubWal();
    // Outside the lock: a callback may queue another write.
    for (WriteOp* op : batch) {
      if (op != nullptr) Answer(op, mine);
    }
  }
  batch.clear();
  return mine_in_batch;
}

bool SqliteStore::PassCommit(const WriteOp* keep, int wal_mode) {
  Waiter* next = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (wal_mode >= 0) wal_due_ = wal_mode;
    if (!paused_) {
      if (keep != nullptr) return true;  // its write is still queued: it commits again
      for (const WriteOp* op : queue_) {
        if (op->waiter != nullptr) {
          next = op->waiter;
          break;
        }
      }
    }
    // Nobody to hand it to: the writer thread takes what is left (writes
    // nobody waits for, a checkpoint left for later) once its condition
    // holds, when this lock is released.
    if (next == nullptr) committing_ = false;
  }
  if (next != nullptr) next->Signal(Waiter::kLead);
  return false;
}

void SqliteStore::WriterLoop() {
  for (;;) {
    bool ops = false;
    int due = -1;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        mu_.Await(absl::Condition(
            +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              if (s->committing_) return false;
              return (s->stopping_ && s->queue_.empty()) ||
                     (!s->paused_ && (!s->queue_.empty() || s->wal_due_ >= 0));
            },
            this));
        if (queue_.empty() && wal_due_ < 0) return;  // stopping and drained
        ops = !queue_.empty() &&
              (stopping_ || queue_.size() > lazy_queued_ || absl::Now() >= lazy_deadline_);
        if (ops || wal_due_ >= 0) break;
        // Only lazy writes queued: wait for another write to join (or take
        // them), for their deadline, or for the store to close.
        mu_.AwaitWithDeadline(absl::Condition(
                                  +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return s->stopping_ || s->committing_ || s->wal_due_ >= 0 ||
                                           s->queue_.size() > s->lazy_queued_;
                                  },
                                  this),
                              lazy_deadline_);
      }
      committing_ = true;
      if (!ops) due = std::exchange(wal_due_, -1);
    }
    int unused = -1;
    if (ops) {
      CommitBatch(nullptr, &unused);
    } else {
      RunDueCheckpoint(due);
    }
    PassCommit(nullptr, -1);
  }
}

void SqliteStore::RunBatch(const std::vector<WriteOp*>& batch) {
  Connection& conn = *writer_;
  auto fail_all = [&](const absl::Status& s) {
    for (WriteOp* op : batch) op->status = s;
  };
  if (absl::Status s = conn.Exec("BEGIN IMMEDIATE"); !s.ok()) {
    fail_all(s);
    return;
  }
  for (WriteOp* op : batch) {
    absl::Status s = conn.Exec("SAVEPOINT op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return;
    }
    absl::Status result = op->fn(conn);
    if (sqlite3_get_autocommit(conn.db())) {
      // SQLite rolled the whole transaction back (I/O error, disk full...):
      // nothing of this batch was written.
      fail_all(result.ok() ? absl::UnavailableError("sqlite: transaction rolled back") : result);
      return;
    }
    if (result.ok() && low_space_) result = CheckNoGrowth(conn);
    if (!result.ok()) s = conn.Exec("ROLLBACK TO op");
    if (s.ok()) s = conn.Exec("RELEASE op");
    if (!s.ok()) {
      (void)conn.Exec("ROLLBACK");
      fail_all(s);
      return;
    }
    op->status = std::move(result);
  }
  if (absl::Status s = conn.Exec("COMMIT"); !s.ok()) {
    if (!sqlite3_get_autocommit(conn.db())) (void)conn.Exec("ROLLBACK");
    fail_all(s);
  }
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

void SqliteStore::PauseWriterForTest() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
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
