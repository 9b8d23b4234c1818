#include "store/sqlite/wal_buffer_vfs.h"

#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace parley::store::sqlite {
namespace {

constexpr int kBufferBytes = 1 << 20;  // flushed when full

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

struct File {
  sqlite3_file base;    // base.pMethods: kPassMethods or kWalMethods
  sqlite3_file* real;   // the wrapped file, allocated right after this struct
  char* buf;            // WAL files only
  sqlite3_int64 buf_off;
  int buf_len;
};

File* F(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* R(sqlite3_file* f) { return F(f)->real; }

// The unix VFS writes at most 128 KiB - 1 per call (it masks the length to
// 17 bits), so the buffer goes out in chunks below that.
constexpr int kChunkBytes = 64 * 1024;

int Flush(File* f) {
  int rc = SQLITE_OK;
  for (int done = 0; done < f->buf_len && rc == SQLITE_OK; done += kChunkBytes) {
    int n = f->buf_len - done < kChunkBytes ? f->buf_len - done : kChunkBytes;
    rc = f->real->pMethods->xWrite(f->real, f->buf + done, n, f->buf_off + done);
  }
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
int PassWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  return R(f)->pMethods->xWrite(R(f), p, n, off);
}
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
  if (n > kChunkBytes) return PassWrite(f, p, n, off);  // as SQLite would have
  if (w->buf_len == 0) w->buf_off = off;
  std::memcpy(w->buf + w->buf_len, p, static_cast<size_t>(n));
  w->buf_len += n;
  return SQLITE_OK;
}
int WalTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassTruncate(f, size);
}
int WalSync(sqlite3_file* f, int flags) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassSync(f, flags);
}
int WalFileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassFileSize(f, size);
}
int WalFileControl(sqlite3_file* f, int op, void* arg) {
  if (int rc = Flush(F(f)); rc != SQLITE_OK) return rc;
  return PassFileControl(f, op, arg);
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

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = F(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->buf = nullptr;
  f->buf_off = 0;
  f->buf_len = 0;
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

}  // namespace parley::store::sqlite
