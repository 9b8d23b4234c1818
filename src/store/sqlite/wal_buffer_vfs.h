// A SQLite VFS that coalesces the writes of a commit to the write-ahead log.
//
// SQLite writes each WAL frame with two pwrite calls (a 24-byte frame header,
// then the page) and syncs once per commit. Where a system call is expensive
// (virtual machines), those calls cost more than the rest of a write. This VFS
// wraps the default one; for "-wal" files it keeps contiguous writes in a
// buffer and hands them to the kernel in one pwrite before the file is
// synced, read, truncated, sized, closed or written elsewhere. Durability is
// unchanged: everything written reaches the file before the sync that makes
// a commit durable, and before any read that could see it. Other files pass
// straight through.
#pragma once

namespace parley::store::sqlite {

// The VFS name to give sqlite3_open_v2. Registers the VFS on first use
// (thread-safe); null if it could not be registered (then use the default).
const char* WalBufferVfsName();

}  // namespace parley::store::sqlite
