// SQLite Store backend: opening and closing the store, and the pool of read
// connections. The rest of SqliteStore is in this directory, one concern per
// file: connection.{h,cc} (connections, statements), schema.cc (schema and
// migrations), writer.cc (writer thread, group commit), checkpoints.cc (WAL
// checkpoints), disk_space.cc (reserve, low-space mode), conversation_rows.cc
// and stored_views.cc (a conversation's rows), conversation_writes.cc,
// conversation_reads.cc, analyses.cc, operations.cc, resources.cc,
// settings.cc; sqlite_internal.h declares what they share.
//
// Reads: a small pool of query_only connections; WAL lets them read a
// consistent snapshot while the writer commits.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <system_error>
#include <utility>

#include "core/thread_name.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

SqliteStore::SqliteStore(std::string path, const SqliteStoreOptions& options)
    : path_(std::move(path)), options_(options), view_cache_(options.view_cache_bytes) {}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& data_dir,
                                                               const SqliteStoreOptions& options) {
  // The store holds every tenant's data: directories it creates are 0700 and
  // the database 0600, whatever the umask (SQLite gives the -wal and -shm
  // files the database file's mode). An existing directory keeps its mode.
  std::filesystem::path made;
  for (const std::filesystem::path& part : std::filesystem::path(data_dir)) {
    made /= part;
    if (::mkdir(made.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", data_dir, ": ", std::strerror(errno)));
    }
  }
  std::string path = (std::filesystem::path(data_dir) / "parley.db").string();
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); fd >= 0) {
    ::fchmod(fd, 0600);  // a database created by an older version was 0644
    ::close(fd);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(path, Connection::Mode::kWriter, options));
  RETURN_IF_ERROR(sqlite::Migrate(*writer, path));
  // Make the database file's directory entry durable (SQLite syncs the
  // directory for the WAL it creates, not for the main file).
  if (int fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, options));
  RETURN_IF_ERROR(store->Start(std::move(writer)));
  return store;
}

absl::Status SqliteStore::Start(std::unique_ptr<Connection> writer) {
  writer_ = std::move(writer);
  // Check a reader can open before accepting traffic.
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReleaseReader(std::move(reader));
  RETURN_IF_ERROR(StartCheckpoints());
  StartDiskSpace();
  syncer_thread_ = std::thread([this] { SyncerLoop(); });
  core::NameThread(syncer_thread_, "parley-syncer");
  writer_thread_ = std::thread([this] { WriterLoop(); });
  core::NameThread(writer_thread_, "parley-writer");
  return absl::OkStatus();
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  if (closed_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    paused_ = false;
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    absl::MutexLock lock(&sync_mu_);
    sync_stopping_ = true;
  }
  if (syncer_thread_.joinable()) syncer_thread_.join();
  StopCheckpoints();
  std::vector<std::unique_ptr<Connection>> idle;
  {
    absl::MutexLock lock(&pool_mu_);
    readers_closed_ = true;
    idle.swap(idle_readers_);
    open_readers_ -= static_cast<int>(idle.size());
  }
  idle.clear();
  {
    // Wait for reads in flight; they close their connection on release.
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &open_readers_));
  }
  writer_.reset();  // last connection: checkpoints the WAL
  view_cache_.Clear();
}

absl::StatusOr<std::unique_ptr<Connection>> SqliteStore::AcquireReader() {
  {
    absl::MutexLock lock(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](SqliteStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return s->readers_closed_ || !s->idle_readers_.empty() ||
                 s->open_readers_ < std::max(1, s->options_.max_read_connections);
        },
        this));
    if (readers_closed_) return sqlite::Closed();
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    ++open_readers_;
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn =
      Connection::Open(path_, Connection::Mode::kReader, options_);
  if (!conn.ok()) {
    absl::MutexLock lock(&pool_mu_);
    --open_readers_;
  }
  return conn;
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&pool_mu_);
  if (readers_closed_) {
    conn.reset();
    --open_readers_;
    return;
  }
  idle_readers_.push_back(std::move(conn));
}

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                       const StoreOptions& options) {
  SqliteStoreOptions sqlite_options;
  sqlite_options.view_cache_bytes = options.view_cache_bytes;
  sqlite_options.list_query_max_steps = options.list_query_max_steps;
  sqlite_options.disk_reserve_bytes = options.disk_reserve_bytes;
  sqlite_options.uncached_resource_kinds = options.uncached_resource_kinds;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(data_dir, sqlite_options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace parley::store
