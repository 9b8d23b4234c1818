// Disk space: the reserve file, checkpoints that keep the WAL's pending pages
// within reach of the free space, and low-space mode (docs/RELIABILITY.md,
// "Disk full").
//
// Why: with the disk full, a delete needs room too. It appends frames to the
// WAL, and the WAL can only start over at its beginning (reusing its file)
// once a checkpoint has copied every frame into the database file, which
// needs room for the pages the WAL added. Without space for that checkpoint
// nothing can be written any more, deletes included, so nothing can free
// space through the API.
//
// How, on the writer thread:
//   - A reserve file (DATA_DIR/parley.reserve, `disk_reserve_bytes`) holds
//     space that no write uses.
//   - After every group commit (checkpoints.cc, ManageWal), besides the
//     background checkpoints that keep the WAL short, the writer checkpoints
//     itself when the bytes the WAL's uncopied frames may add to the
//     database file exceed half of free space plus the reserve, so the pages
//     a checkpoint must add always fit in the reserve once the disk is full.
//   - On SQLITE_FULL (a commit or a checkpoint), low-space mode: the reserve
//     is deleted, a checkpoint copies the WAL into the database file, and from
//     then on a write that would make the database file larger is rolled back
//     (503 UNAVAILABLE). Deletes never make it larger; creates and updates
//     that fit in pages freed by deletes go through. The WAL restarts in its
//     own file, which needs no new space.
//   - Before each group commit in low-space mode: once the file system has
//     room for twice the reserve, the reserve is re-created and the mode ends.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>

#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

int64_t SqliteStore::FreeBytes() const {
  struct statvfs st;
  if (::statvfs(data_dir_.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

bool SqliteStore::EnsureReserve() {
  const int64_t size = options_.disk_reserve_bytes;
  int fd = ::open(reserve_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size >= size && st.st_blocks * 512 >= size) {
    ::close(fd);
    return true;
  }
  const int err = ::posix_fallocate(fd, 0, size);
  ::close(fd);
  if (err != 0) {
    ::unlink(reserve_path_.c_str());  // a partial reserve would only hold space
    return false;
  }
  return true;
}

void SqliteStore::EnterLowSpace() {
  low_space_ = true;
  const bool released = ::unlink(reserve_path_.c_str()) == 0;
  const int rc = CheckpointHere(SQLITE_CHECKPOINT_PASSIVE);
  absl::StatusOr<int64_t> pages = writer_->QueryInt("PRAGMA page_count");
  // Unknown: RunBatch reads it at its next transaction.
  low_space_max_pages_ = pages.ok() ? *pages : -1;
  std::cerr << "parley: the disk of " << data_dir_ << " is full"
            << (released ? "; released the reserve" : " and there is no reserve to release")
            << (rc == SQLITE_OK ? "" : "; the checkpoint failed too")
            << ". Until space is freed, writes that need more space get 503; deletes and "
               "writes that fit in what deletes free go through.\n";
}

void SqliteStore::MaybeLeaveLowSpace() {
  const int64_t free = FreeBytes();
  if (free < 2 * options_.disk_reserve_bytes) return;
  if (!EnsureReserve()) return;
  low_space_ = false;
  low_space_max_pages_ = 0;
  std::cerr << "parley: " << data_dir_ << " has space again (" << (free >> 20)
            << " MiB free); re-created the reserve, writes are accepted\n";
}

void SqliteStore::StartDiskSpace() {
  if (options_.disk_reserve_bytes <= 0) return;  // SQLite's own autocheckpoint stays
  data_dir_ = std::filesystem::path(path_).parent_path().string();
  if (data_dir_.empty()) data_dir_ = ".";
  reserve_path_ = (std::filesystem::path(data_dir_) / "parley.reserve").string();
  if (!EnsureReserve()) EnterLowSpace();
}

}  // namespace parley::store
