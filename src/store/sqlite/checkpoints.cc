// WAL checkpoints off the writer thread (ADR 0024).
//
// A checkpoint copies the pages committed to the WAL into the database file
// and syncs it; once every frame is copied the next write starts the WAL over
// at its beginning. Run on the writer thread (SQLite's autocheckpoint did
// that), a checkpoint of ~10,000 pages took tens of milliseconds during which
// no group commit could start, and every write queued behind it waited: most
// of analyzeContent's and runSession's p99 (docs/PERFORMANCE.md).
//
// So a checkpointer thread with its own connection runs PASSIVE checkpoints.
// In WAL mode a PASSIVE checkpoint takes no lock a writer needs: it copies
// the frames committed when it started while the writer keeps appending. The
// writer thread, after each group commit (ManageWal):
//   - asks the checkpointer for a checkpoint once the WAL holds
//     `wal_autocheckpoint_pages` frames and more than a tail of them are not
//     yet copied;
//   - when the frames not yet copied are only that tail (what came in during
//     the background checkpoint; the checkpointer has synced the database
//     file after its copy, so that the tail's sync has little to write),
//     copies them itself (a short PASSIVE on the
//     write connection, between two group commits, so nothing is appended
//     during it), so that the next write can restart the WAL; without that
//     step a WAL written to without pause would never be fully copied and
//     would grow without end;
//   - runs a RESTART checkpoint itself (waiting for readers to leave the
//     WAL) if the WAL reaches kWalBoundFactor times the autocheckpoint size
//     anyway (the checkpointer cannot keep up, or readers kept it from
//     restarting);
//   - keeps the disk-space rules of disk_space.cc: a checkpoint on the writer
//     thread when the pages the WAL may add to the database file come near
//     the free space plus the reserve, after every commit in low-space mode,
//     and low-space mode when a checkpoint hits SQLITE_FULL.
// Checkpoints on the two connections never overlap (checkpoint_run_mu_): a
// writer-thread checkpoint waits for the background one to finish.
//
// The WAL-buffering VFS (ADR 0009) is unaffected: a checkpointer reads only
// frames the WAL index shows as committed, which the writer has flushed and
// synced before publishing them; the checkpointer never writes to the WAL.
#include <algorithm>

#include "core/thread_name.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

namespace {
// Frames not yet copied that the writer thread copies itself rather than
// waiting for another background checkpoint: at most 1/32 of the
// autocheckpoint size (~1.25 MiB at the default 10,000 pages).
int TailPages(int autocheckpoint_pages) { return std::max(16, autocheckpoint_pages / 32); }
}  // namespace

int SqliteStore::OnWalCommit(void* self, sqlite3*, const char*, int frames) {
  auto* store = static_cast<SqliteStore*>(self);
  // Fewer frames than after the last commit: the WAL started over, and what
  // was known copied belongs to the old one. (A restart whose first
  // transaction has at least as many frames as the whole previous WAL goes
  // unseen; the old WAL's count then stands for copied frames of the new
  // one, an error of at most one transaction.)
  if (frames < store->wal_frames_) {
    ++store->wal_generation_;
    store->wal_backfilled_ = 0;
  }
  store->wal_frames_ = frames;
  return SQLITE_OK;
}

void SqliteStore::NoteBackfill(int log_frames, int checkpointed) {
  if (log_frames < 0) return;  // not in WAL mode (never for this store)
  wal_backfilled_ = std::clamp(checkpointed, wal_backfilled_, wal_frames_);
}

int SqliteStore::CheckpointHere(int mode) {
  absl::MutexLock run(&checkpoint_run_mu_);  // waits for a background checkpoint
  int log_frames = 0, checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, mode, &log_frames, &checkpointed);
  if (rc == SQLITE_OK) NoteBackfill(log_frames, checkpointed);
  absl::MutexLock lock(&mu_);
  stats_.writer_checkpoints++;
  return rc;
}

void SqliteStore::ManageWal(bool hit_full) {
  bool busy = false;
  {
    absl::MutexLock lock(&ckpt_mu_);
    if (ckpt_result_.has_value()) {
      const CheckpointResult r = *ckpt_result_;
      ckpt_result_.reset();
      if ((r.rc & 0xff) == SQLITE_FULL) hit_full = true;
      // A result from before a restart says nothing about the new WAL.
      if (r.rc == SQLITE_OK && r.generation == wal_generation_) {
        NoteBackfill(r.log_frames, r.checkpointed);
      }
    }
    busy = ckpt_busy_;
  }
  const bool manage_space = options_.disk_reserve_bytes > 0;
  const int pending = std::max(0, wal_frames_ - wal_backfilled_);
  const int limit = std::max(1, options_.wal_autocheckpoint_pages);
  int here = -1;  // checkpoint mode to run on this thread, if any
  if (low_space_) {
    // Keep the WAL restartable in its own file.
    if (pending > 0 || hit_full) here = SQLITE_CHECKPOINT_PASSIVE;
  } else if (pending > 0 && wal_frames_ >= kWalBoundFactor * limit) {
    here = SQLITE_CHECKPOINT_RESTART;
  } else if (manage_space && pending > 0 &&
             [&] {
               // The pages the WAL may add to the database file must keep
               // fitting in half of free space plus the reserve.
               const int64_t free = FreeBytes();
               return free >= 0 && 2 * int64_t{pending} * page_size_ >
                                       free + options_.disk_reserve_bytes;
             }()) {
    here = SQLITE_CHECKPOINT_PASSIVE;
  } else if (wal_frames_ >= limit && pending > 0 && !busy) {
    if (pending <= TailPages(limit)) {
      here = SQLITE_CHECKPOINT_PASSIVE;
    } else {
      absl::MutexLock lock(&ckpt_mu_);
      ckpt_busy_ = true;
      ckpt_request_generation_ = wal_generation_;
    }
  }
  if (here >= 0 && (CheckpointHere(here) & 0xff) == SQLITE_FULL) hit_full = true;
  if (manage_space && hit_full && !low_space_) EnterLowSpace();
}

void SqliteStore::CheckpointerLoop() {
  for (;;) {
    uint64_t generation = 0;
    {
      absl::MutexLock lock(&ckpt_mu_);
      ckpt_mu_.Await(absl::Condition(
          +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return s->ckpt_stopping_ || s->ckpt_busy_;
          },
          this));
      if (ckpt_stopping_) return;
      generation = ckpt_request_generation_;
    }
    CheckpointResult result;
    result.generation = generation;
    {
      absl::MutexLock run(&checkpoint_run_mu_);
      result.rc = sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                            &result.log_frames, &result.checkpointed);
    }
    // SQLite syncs the database file only in a checkpoint that copies the
    // WAL's last frame: not this one, nearly always (writes go on
    // meanwhile), but the writer thread's tail copy (ManageWal), whose sync
    // then wrote back every page copied here as well: thousands of random
    // pages, 7-18 ms with no group commit meanwhile, about twice a second
    // under runSession load (docs/PERFORMANCE.md, session 12). Synced here,
    // on this thread, the tail's sync is left with its own pages (1-4 ms).
    // A head start only: durability still rests on SQLite's own syncs.
    if (result.rc == SQLITE_OK && result.checkpointed > 0) {
      sqlite3_file* file = nullptr;
      if (sqlite3_file_control(checkpointer_->db(), "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
          file != nullptr && file->pMethods != nullptr) {
        file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
      }
    }
    {
      absl::MutexLock lock(&mu_);
      stats_.checkpoints++;
    }
    absl::MutexLock lock(&ckpt_mu_);
    ckpt_result_ = result;
    ckpt_busy_ = false;
  }
}

absl::Status SqliteStore::StartCheckpoints() {
  if (absl::StatusOr<int64_t> size = writer_->QueryInt("PRAGMA page_size"); size.ok()) {
    page_size_ = *size;
  }
  ASSIGN_OR_RETURN(checkpointer_, Connection::Open(path_, Connection::Mode::kCheckpointer, options_));
  // Replaces SQLite's autocheckpoint hook: ManageWal checkpoints.
  sqlite3_wal_hook(writer_->db(), &SqliteStore::OnWalCommit, this);
  checkpointer_thread_ = std::thread([this] { CheckpointerLoop(); });
  core::NameThread(checkpointer_thread_, "parley-ckpt");
  return absl::OkStatus();
}

void SqliteStore::StopCheckpoints() {
  {
    absl::MutexLock lock(&ckpt_mu_);
    ckpt_stopping_ = true;
  }
  if (checkpointer_thread_.joinable()) checkpointer_thread_.join();
  checkpointer_.reset();
}

}  // namespace parley::store
