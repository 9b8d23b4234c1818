#include "store/sqlite/wal_buffer_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace parley::store::sqlite {
namespace {

constexpr int kBufferBytes = 1 << 20;  // flushed when full

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

struct File {
  sqlite3_file base;    // base.pMethods: kPassMethods, kWalMethods or kDbMethods
  sqlite3_file* real;   // the wrapped file, allocated right after this struct
  char* buf;            // WAL files only
  sqlite3_int64 buf_off;
  int buf_len;
  // The unix VFS's descriptor of a file opened read-write through
  // kDbMethods (found at open), or of a WAL once a deferral asked for it
  // (kNotLookedUp until then); -1: unknown (no pacing, no deferred syncs).
  int fd;
  const char* name;  // as given to xOpen (SQLite keeps it until xClose)
  // WAL files: deferred syncs (WalBufferVfsBeginDeferral). `size` is the
  // file's size as written through this handle, `synced_size` what a real
  // sync covered (blocks allocated then); `header_written`: the WAL header
  // (offset 0) was written since the last real sync. Only the connection
  // that defers may truncate the WAL (the store's writer: its commits after
  // a restart and its TRUNCATE checkpoints; the checkpointer's are PASSIVE),
  // so truncations are seen here.
  bool defer;
  bool deferred;
  bool header_written;
  sqlite3_int64 size;
  sqlite3_int64 synced_size;
  // Database files: the byte range written since the last paced writeback.
  sqlite3_int64 dirty_lo;
  sqlite3_int64 dirty_hi;
  sqlite3_int64 dirty_bytes;
};

std::atomic<long long> paced_writebacks{0};
constexpr int kNotLookedUp = -2;

File* F(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* R(sqlite3_file* f) { return F(f)->real; }

// The unix VFS writes at most 128 KiB - 1 per call (it masks the length to
// 17 bits, and a longer write comes back short, as SQLITE_FULL), so the WAL
// buffer, and any longer write, goes out in chunks below that. SQLite's own
// writes are a page or a WAL frame, but a statement journal spilling to its
// temp file writes its in-memory block (1 MiB, connection.cc) in one call.
constexpr int kChunkBytes = 64 * 1024;

int WriteInChunks(sqlite3_file* real, const void* p, int n, sqlite3_int64 off) {
  int rc = SQLITE_OK;
  for (int done = 0; done < n && rc == SQLITE_OK; done += kChunkBytes) {
    rc = real->pMethods->xWrite(real, static_cast<const char*>(p) + done,
                                n - done < kChunkBytes ? n - done : kChunkBytes, off + done);
  }
  return rc;
}

// Notes a write of [off, off + n) to a WAL file.
void Wrote(File* w, sqlite3_int64 off, int n) {
  if (off + n > w->size) w->size = off + n;
  if (off < 32) w->header_written = true;  // the WAL header is 32 bytes
}

int Flush(File* f) {
  if (f->buf_len == 0) return SQLITE_OK;
  const int rc = WriteInChunks(f->real, f->buf, f->buf_len, f->buf_off);
  Wrote(f, f->buf_off, f->buf_len);
  f->buf_len = 0;
  return rc;
}

// ---- pass-through methods ----
int PassClose(sqlite3_file* f) {
  int rc = R(f)->pMethods->xClose(R(f));
  std::free(F(f)->buf);
  F(f)->buf = nullptr;
  return rc;
}
int PassRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) { return R(f)->pMethods->xRead(R(f), p, n, off); }
int PassWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) { return WriteInChunks(R(f), p, n, off); }
int PassTruncate(sqlite3_file* f, sqlite3_int64 size) { return R(f)->pMethods->xTruncate(R(f), size); }
int PassSync(sqlite3_file* f, int flags) { return R(f)->pMethods->xSync(R(f), flags); }
int PassFileSize(sqlite3_file* f, sqlite3_int64* size) { return R(f)->pMethods->xFileSize(R(f), size); }
int PassLock(sqlite3_file* f, int lock) { return R(f)->pMethods->xLock(R(f), lock); }
int PassUnlock(sqlite3_file* f, int lock) { return R(f)->pMethods->xUnlock(R(f), lock); }
int PassCheckReserved(sqlite3_file* f, int* out) { return R(f)->pMethods->xCheckReservedLock(R(f), out); }
// Whether `level`, the value of a `PRAGMA synchronous=level`, makes every
// commit sync the WAL: FULL or EXTRA, by name or number. Anything else
// (NORMAL, OFF, on, yes, -1, ...) does not, or is a spelling not worth
// telling apart.
bool SyncsEveryCommit(const char* level) {
  for (const char* ok : {"full", "extra", "2", "3"}) {
    if (sqlite3_stricmp(level, ok) == 0) return true;
  }
  return false;
}

int PassFileControl(sqlite3_file* f, int op, void* arg) {
  if (op == SQLITE_FCNTL_PRAGMA) {
    // SQLite asks the database file about every PRAGMA before running it:
    // arg is {error message out, pragma name, value or null}.
    char** pragma = static_cast<char**>(arg);
    if (sqlite3_stricmp(pragma[1], "synchronous") == 0 && pragma[2] != nullptr &&
        !SyncsEveryCommit(pragma[2])) {
      pragma[0] = sqlite3_mprintf(
          "the parley-walbuf VFS needs PRAGMA synchronous=FULL or EXTRA, not %s: it flushes "
          "its WAL buffer when a commit syncs",
          pragma[2]);
      return SQLITE_ERROR;
    }
  }
  return R(f)->pMethods->xFileControl(R(f), op, arg);
}
int PassSectorSize(sqlite3_file* f) { return R(f)->pMethods->xSectorSize(R(f)); }
int PassDeviceCharacteristics(sqlite3_file* f) { return R(f)->pMethods->xDeviceCharacteristics(R(f)); }
int PassShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** pp) {
  return R(f)->pMethods->xShmMap(R(f), region, size, extend, pp);
}
int PassShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return R(f)->pMethods->xShmLock(R(f), offset, n, flags);
}
void PassShmBarrier(sqlite3_file* f) { R(f)->pMethods->xShmBarrier(R(f)); }
int PassShmUnmap(sqlite3_file* f, int del) { return R(f)->pMethods->xShmUnmap(R(f), del); }
int PassFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  return R(f)->pMethods->xFetch(R(f), off, n, pp);
}
int PassUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return R(f)->pMethods->xUnfetch(R(f), off, p); }

// ---- WAL methods: buffer contiguous writes ----
int WalClose(sqlite3_file* f) {
  int rc = Flush(F(f));
  int rc2 = PassClose(f);
  return rc != SQLITE_OK ? rc : rc2;
}
int WalRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  File* w = F(f);
  if (w->buf_len > 0 && off < w->buf_off + w->buf_len && off + n > w->buf_off) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  return PassRead(f, p, n, off);
}
int WalWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  File* w = F(f);
  if (w->buf_len > 0 && (off != w->buf_off + w->buf_len || w->buf_len + n > kBufferBytes)) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  if (n > kChunkBytes) {
    Wrote(w, off, n);
    return PassWrite(f, p, n, off);
  }
  if (w->buf_len == 0) w->buf_off = off;
  std::memcpy(w->buf + w->buf_len, p, static_cast<size_t>(n));
  w->buf_len += n;
  return SQLITE_OK;
}
int WalTruncate(sqlite3_file* f, sqlite3_int64 size) {
  File* w = F(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  // Blocks past the new end are freed: writing there again allocates.
  if (size < w->size) w->size = size;
  if (size < w->synced_size) w->synced_size = size;
  return PassTruncate(f, size);
}
// A sync with deferral on (the writer's COMMIT, ADR 0048) only hands the
// frames to the kernel: the syncer thread's fdatasync makes them durable
// before any write of the commit is acknowledged. It syncs for real when
// the WAL grew since the last real sync (new blocks are allocated at
// writeback, where a full disk would fail; so a commit that may fail that
// way fails in its COMMIT, as before) or its header was written (a WAL
// restart: SQLite orders the header before the frames that follow it).
int WalSync(sqlite3_file* f, int flags) {
  File* w = F(f);
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  if (w->defer && !w->header_written && w->size <= w->synced_size) {
    w->deferred = true;
    return SQLITE_OK;
  }
  const sqlite3_int64 size = w->size;
  const int rc = PassSync(f, flags);
  if (rc == SQLITE_OK) {
    w->synced_size = size;
    w->header_written = false;
    w->deferred = false;  // this sync covered what was deferred
  }
  return rc;
}
int WalFileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassFileSize(f, size);
}
int WalFileControl(sqlite3_file* f, int op, void* arg) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassFileControl(f, op, arg);
}

// ---- database methods: pace a checkpoint's writes ----
// In WAL mode only checkpoints write the database file: pages in page order,
// scattered over the file, then one sync. Left to that sync, a checkpoint of
// ~1,400 pages goes to the disk as ~1,400 requests at once, and the WAL's
// write and flush for the next group commit queue behind all of them (on a
// VM whose disk is one host thread, tens of milliseconds; PERFORMANCE.md,
// session 14). So every kPaceBytes written, the dirty range is written out
// and waited for (sync_file_range: data only, no flush, no metadata; the
// checkpoint's own sync still follows and is what makes it durable), and at
// most that much stands ahead of a commit.
constexpr sqlite3_int64 kPaceBytes = 128 * 1024;

void Forget(File* f) { f->dirty_lo = f->dirty_hi = f->dirty_bytes = 0; }

void Writeback(File* f) {
  // An error is left to the checkpoint's sync to report: it writes the same
  // pages.
  (void)sync_file_range(f->fd, f->dirty_lo, f->dirty_hi - f->dirty_lo,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  Forget(f);
  paced_writebacks.fetch_add(1, std::memory_order_relaxed);
}
int DbWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  const int rc = PassWrite(f, p, n, off);
  File* d = F(f);
  if (rc != SQLITE_OK || d->fd < 0) return rc;
  if (d->dirty_bytes == 0 || off < d->dirty_lo) d->dirty_lo = off;
  if (d->dirty_bytes == 0 || off + n > d->dirty_hi) d->dirty_hi = off + n;
  d->dirty_bytes += n;
  if (d->dirty_bytes >= kPaceBytes) Writeback(d);
  return SQLITE_OK;
}
int DbSync(sqlite3_file* f, int flags) {
  Forget(F(f));
  return PassSync(f, flags);
}

const sqlite3_io_methods kPassMethods = {
    3,           PassClose,       PassRead,         PassWrite,      PassTruncate,
    PassSync,    PassFileSize,    PassLock,         PassUnlock,     PassCheckReserved,
    PassFileControl, PassSectorSize, PassDeviceCharacteristics, PassShmMap, PassShmLock,
    PassShmBarrier, PassShmUnmap, PassFetch,        PassUnfetch};

const sqlite3_io_methods kWalMethods = {
    3,           WalClose,        WalRead,          WalWrite,       WalTruncate,
    WalSync,     WalFileSize,     PassLock,         PassUnlock,     PassCheckReserved,
    WalFileControl, PassSectorSize, PassDeviceCharacteristics, PassShmMap, PassShmLock,
    PassShmBarrier, PassShmUnmap, PassFetch,        PassUnfetch};

const sqlite3_io_methods kDbMethods = {
    3,           PassClose,       PassRead,         DbWrite,        PassTruncate,
    DbSync,      PassFileSize,    PassLock,         PassUnlock,     PassCheckReserved,
    PassFileControl, PassSectorSize, PassDeviceCharacteristics, PassShmMap, PassShmLock,
    PassShmBarrier, PassShmUnmap, PassFetch,        PassUnfetch};

// The descriptor of a file the unix VFS opened, or -1. SQLite has no call
// for it; its unixFile begins {methods, vfs, inode info, int h}, a layout
// unchanged since 3.7. The guess is used only if it is an open descriptor of
// this very file (same device and inode as `name`) opened for writing, so
// another layout turns pacing off rather than pacing another file.
int UnixDescriptor(const sqlite3_file* real, const char* name) {
  if (name == nullptr) return -1;
  struct Head {
    const void* methods;
    const void* vfs;
    const void* inode;
    int h;
  };
  const int fd = reinterpret_cast<const Head*>(real)->h;
  struct stat by_fd{}, by_name{};
  if (fd < 0 || fstat(fd, &by_fd) != 0 || stat(name, &by_name) != 0) return -1;
  if (by_fd.st_dev != by_name.st_dev || by_fd.st_ino != by_name.st_ino) return -1;
  const int mode = fcntl(fd, F_GETFL);
  if (mode < 0 || (mode & O_ACCMODE) == O_RDONLY) return -1;
  return fd;
}

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = F(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->buf = nullptr;
  f->buf_off = 0;
  f->buf_len = 0;
  f->fd = -1;
  f->name = name;
  f->defer = f->deferred = f->header_written = false;
  f->size = f->synced_size = 0;
  Forget(f);
  int rc = Real(vfs)->xOpen(Real(vfs), name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // the real file's xOpen left it closed
  if (f->real->pMethods == nullptr) return SQLITE_OK;
  // The wrapped methods need version 3 underneath (the unix VFS is).
  if (f->real->pMethods->iVersion < 3) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  if ((flags & SQLITE_OPEN_WAL) != 0 && (flags & SQLITE_OPEN_READONLY) == 0) {
    f->buf = static_cast<char*>(std::malloc(kBufferBytes));
    if (f->buf == nullptr) {
      f->real->pMethods->xClose(f->real);
      return SQLITE_NOMEM;
    }
    f->base.pMethods = &kWalMethods;
    f->fd = kNotLookedUp;  // only the writer's WAL needs it (WalBufferVfsBeginDeferral)
  } else if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && (flags & SQLITE_OPEN_READONLY) == 0 &&
             (f->fd = UnixDescriptor(f->real, name)) >= 0) {
    f->base.pMethods = &kDbMethods;
  } else {
    f->base.pMethods = &kPassMethods;
  }
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* v, const char* name, int sync_dir) { return Real(v)->xDelete(Real(v), name, sync_dir); }
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Real(v)->xAccess(Real(v), name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Real(v)->xFullPathname(Real(v), name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Real(v)->xDlOpen(Real(v), name); }
void DlError(sqlite3_vfs* v, int n, char* msg) { Real(v)->xDlError(Real(v), n, msg); }
void (*DlSym(sqlite3_vfs* v, void* h, const char* sym))(void) { return Real(v)->xDlSym(Real(v), h, sym); }
void DlClose(sqlite3_vfs* v, void* h) { Real(v)->xDlClose(Real(v), h); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Real(v)->xRandomness(Real(v), n, out); }
int Sleep(sqlite3_vfs* v, int us) { return Real(v)->xSleep(Real(v), us); }
int CurrentTime(sqlite3_vfs* v, double* t) { return Real(v)->xCurrentTime(Real(v), t); }
int GetLastError(sqlite3_vfs* v, int n, char* msg) { return Real(v)->xGetLastError(Real(v), n, msg); }
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* t) { return Real(v)->xCurrentTimeInt64(Real(v), t); }

sqlite3_vfs vfs_storage;

const char* Register() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 2) return nullptr;
  sqlite3_vfs& v = vfs_storage;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.pNext = nullptr;
  v.zName = "parley-walbuf";
  v.pAppData = real;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&v, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return v.zName;
}

}  // namespace

const char* WalBufferVfsName() {
  static const char* name = Register();
  return name;
}

namespace {
// db's main file (SQLITE_FCNTL_FILE_POINTER) or WAL (..._JOURNAL_POINTER)
// if this VFS opened it with `methods`.
File* FileOf(sqlite3* db, int op, const sqlite3_io_methods* methods) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", op, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods != methods) {
    return nullptr;
  }
  return F(file);
}
}  // namespace

bool WalBufferVfsPaces(sqlite3* db) {
  // kDbMethods are given only with a descriptor found.
  return FileOf(db, SQLITE_FCNTL_FILE_POINTER, &kDbMethods) != nullptr;
}

long long WalBufferVfsPacedWritebacks() { return paced_writebacks.load(std::memory_order_relaxed); }

bool WalBufferVfsBeginDeferral(sqlite3* db) {
  File* w = FileOf(db, SQLITE_FCNTL_JOURNAL_POINTER, &kWalMethods);
  if (w == nullptr) return false;
  if (w->fd == kNotLookedUp) {
    // Once per connection. The size written so far through this handle
    // may be short of the file's (a WAL left by an earlier run).
    sqlite3_int64 size = 0;
    w->fd = UnixDescriptor(w->real, w->name);
    if (w->fd >= 0 && w->real->pMethods->xFileSize(w->real, &size) != SQLITE_OK) w->fd = -1;
    if (size > w->size) w->size = size;
  }
  w->defer = w->fd >= 0;
  return w->defer;
}

int WalBufferVfsEndDeferral(sqlite3* db) {
  File* w = FileOf(db, SQLITE_FCNTL_JOURNAL_POINTER, &kWalMethods);
  if (w == nullptr) return -1;
  w->defer = false;
  if (!w->deferred) return -1;
  w->deferred = false;
  return w->fd;
}

}  // namespace parley::store::sqlite
