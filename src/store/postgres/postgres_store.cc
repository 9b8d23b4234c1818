// PostgreSQL Store backend: opening and closing, the runners every call goes
// through, and the threads of the asynchronous writes. The rest is in this
// directory: pg.{h,cc} (libpq, the pool, transactions), schema.cc,
// query_sql.cc (conversation list filters), conversations.cc, records.cc
// (analyses, operations, resources, settings, audit).
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <utility>

#include "store/postgres/postgres_internal.h"

namespace parley::store {

PostgresStore::PostgresStore(const std::string& url, const PostgresStoreOptions& options)
    : options_(options),
      pool_(url, std::max(1, options.max_connections)),
      view_cache_(options.view_cache_bytes) {}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const std::string& url, const PostgresStoreOptions& options) {
  {
    ASSIGN_OR_RETURN(std::unique_ptr<pg::Conn> conn, pg::Conn::Open(url));
    RETURN_IF_ERROR(pg::Migrate(*conn));
  }
  auto store = std::unique_ptr<PostgresStore>(new PostgresStore(url, options));
  if (options.view_cache_bytes > 0) {
    store->listener_ = std::make_unique<pg::ViewListener>(url, &store->view_cache_);
  }
  for (int i = 0; i < std::max(1, options.async_writers); ++i) {
    store->async_threads_.emplace_back([s = store.get()] { s->AsyncLoop(); });
  }
  return store;
}

PostgresStore::~PostgresStore() { Close(); }

void PostgresStore::Close() {
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    if (async_stopping_) return;
    async_stopping_ = true;
  }
  async_cv_.notify_all();
  // Queued writes run before the threads end, as a closing SQLite store
  // commits its queue.
  for (std::thread& t : async_threads_) t.join();
  closed_ = true;
  if (listener_ != nullptr) listener_->Stop();
  view_cache_.Clear();
  pool_.Close();
}

absl::Status PostgresStore::Write(absl::FunctionRef<absl::Status(pg::Conn&)> fn) {
  if (closed_) return pg::Closed();
  return pg::InTransaction(pool_, fn);
}

absl::Status PostgresStore::WriteConversation(std::string_view tenant, std::string_view scope,
                                              std::string_view id,
                                              absl::FunctionRef<absl::Status(pg::Conn&)> fn) {
  absl::Status s = Write(fn);
  view_cache_.Invalidate(tenant, scope, id);
  return s;
}

absl::Status PostgresStore::Read(absl::FunctionRef<absl::Status(pg::Conn&)> fn) {
  if (closed_) return pg::Closed();
  return pg::WithConnection(pool_, fn);
}

absl::StatusOr<int64_t> PostgresStore::DeleteInChunks(std::string_view sql, int64_t arg, int64_t chunk) {
  int64_t total = 0;
  for (;;) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(Write([&](pg::Conn& conn) -> absl::Status {
      pg::Params p;
      p.Int(arg).Int(chunk);
      ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, p));
      deleted = r.affected();
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < chunk) return total;
  }
}

void PostgresStore::Async(absl::AnyInvocable<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    if (!async_stopping_) {
      async_queue_.push_back(std::move(fn));
      async_cv_.notify_one();
      return;
    }
  }
  fn();  // closing: runs here (and fails UNAVAILABLE once closed)
}

void PostgresStore::AsyncLoop() {
  for (;;) {
    absl::AnyInvocable<void()> fn;
    {
      std::unique_lock<std::mutex> lock(async_mu_);
      async_cv_.wait(lock, [&] { return async_stopping_ || !async_queue_.empty(); });
      if (async_queue_.empty()) return;
      fn = std::move(async_queue_.front());
      async_queue_.pop_front();
    }
    fn();
  }
}

}  // namespace parley::store
