// A SQLite VFS that coalesces the writes of a commit to the write-ahead log
// (docs/adr/0009-wal-buffer-vfs.md).
//
// SQLite writes each WAL frame with two pwrite calls (a 24-byte frame header,
// then the page) and syncs once per commit. Where a system call is expensive
// (virtual machines), those calls cost more than the rest of a write. This VFS
// wraps the default one; for "-wal" files it keeps contiguous writes in a
// buffer and hands them to the kernel (in writes of up to 64 KiB) before the
// file is synced, read where buffered, truncated, sized, closed, given a file
// control or written elsewhere. Other files pass straight through.
//
// Precondition: every commit syncs the WAL, i.e. PRAGMA synchronous is FULL
// or EXTRA on every connection. The sync is what empties the buffer before
// SQLite publishes the commit in the WAL index; other connections (with
// their own file handle and buffer) and checkpoints read the frames from the
// file. With NORMAL or OFF a commit's frames would stay in this process's
// buffer after COMMIT returns: invisible to other handles, which would read
// stale bytes, and lost by kill -9. So the VFS refuses `PRAGMA synchronous`
// below FULL, and a connection must check the level it runs with
// (kWalBufferMinSynchronous), since a compiled-in default applies when no
// pragma sets it.
//
// Database files opened read-write are written only by checkpoints (WAL
// mode); their writes are paced (see kPaceBytes in the .cc).
#pragma once

struct sqlite3;

namespace parley::store::sqlite {

// The lowest PRAGMA synchronous this VFS is correct with (2 = FULL).
inline constexpr int kWalBufferMinSynchronous = 2;

// The VFS name to give sqlite3_open_v2. Registers the VFS on first use
// (thread-safe); null if it could not be registered (then use the default).
const char* WalBufferVfsName();

// Whether db's main file, opened through this VFS, paces checkpoint writes
// (writes out and waits for every 128 KiB written, so a checkpoint never
// stands thousands of requests ahead of a commit's WAL write on the disk).
bool WalBufferVfsPaces(sqlite3* db);

// Paced writebacks so far, all files (for tests).
long long WalBufferVfsPacedWritebacks();

// Deferred WAL syncs (ADR 0048), for the connection that writes, around its
// COMMIT only (a checkpoint's own sync of the WAL must stay real). Between
// Begin and End a WAL sync hands the frames to the kernel (so other
// connections and kill -9 see them) and returns without waiting for the
// disk, unless the WAL grew or its header was written since the last real
// sync (then it syncs as before). Begin returns false (and defers nothing)
// if db has no WAL open through this VFS or its descriptor is unknown.
bool WalBufferVfsBeginDeferral(sqlite3* db);
// Ends the deferral; if a sync was deferred, returns the WAL's descriptor,
// for fdatasync on another thread before the commit is acknowledged (it
// stays open as long as db); -1 otherwise.
int WalBufferVfsEndDeferral(sqlite3* db);

}  // namespace parley::store::sqlite
