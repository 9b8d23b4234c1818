// PostgreSQL Store backend: opening and closing, the runners every call goes
// through, and the threads of the asynchronous writes. The rest is in this
// directory: pg.{h,cc} (libpq, the pool, transactions), schema.cc,
// query_sql.cc (conversation list filters), conversations.cc, records.cc
// (analyses, operations, resources, settings, audit).
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <utility>

#include "core/thread_name.h"
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
  // A node with a cache takes a view lease; every node listens, so that its
  // writes can wait for the nodes that hold one (ADR 0050).
  store->listener_ =
      std::make_unique<pg::ViewListener>(url, &store->view_cache_, /*lease=*/options.view_cache_bytes > 0);
  for (int i = 0; i < std::max(1, options.async_writers); ++i) {
    store->async_threads_.emplace_back([s = store.get()] { s->AsyncLoop(); });
    core::NameThread(store->async_threads_.back(), "parley-pg-async");
  }
  for (int i = 0; i < std::max(1, options.create_writers); ++i) {
    store->create_threads_.emplace_back([s = store.get()] { s->CreateWriterLoop(); });
    core::NameThread(store->create_threads_.back(), "parley-pg-write");
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
  create_cv_.notify_all();
  // Queued writes run before the threads end, as a closing SQLite store
  // commits its queue.
  for (std::thread& t : create_threads_) t.join();
  for (std::thread& t : async_threads_) t.join();
  closed_ = true;
  if (listener_ != nullptr) listener_->Stop();
  view_cache_.Clear();
  pool_.Close();
}

std::vector<Store::BackendMetric> PostgresStore::BackendMetrics() const {
  const ViewCache::Stats cache = view_cache_.stats();
  auto count = [](int64_t n) { return static_cast<double>(n); };
  return {
      {"parley_postgres_view_lease_held",
       "1 while this node serves its view cache without round trips (it holds its view lease, ADR 0050)", false,
       listener_fast() ? 1.0 : 0.0},
      {"parley_postgres_view_round_trips_total",
       "Round trips on the listen connection that cached reads waited for (ADR 0040)", true,
       count(listener_round_trips())},
      {"parley_postgres_writes_awaited_total",
       "Writes that waited for other nodes holding view leases to drop their views (ADR 0050)", true,
       count(listener_awaited())},
      {"parley_postgres_listen_connects_total", "Listen connections established (ADR 0033)", true,
       count(listener_connects())},
      {"parley_postgres_view_cache_hits_total", "Views served from the view cache", true, count(cache.hits)},
  };
}

absl::Status PostgresStore::Write(absl::FunctionRef<absl::Status(pg::Conn&)> fn) {
  if (closed_) return pg::Closed();
  return pg::InTransaction(pool_, fn);
}

absl::Status PostgresStore::WriteConversation(std::string_view tenant, std::string_view scope,
                                              std::string_view id,
                                              absl::FunctionRef<absl::Status(pg::Conn&)> fn) {
  // Dropped just before the COMMIT as well as after it: a reader who learns
  // of the write from another row of the transaction (an analysis's
  // operation marked done) right after the COMMIT must not be served the old
  // views while this thread reads the COMMIT's reply. Only a read that raced
  // the transaction's last statement could put them back meanwhile.
  //
  // The transaction notifies every node (ADR 0033), tagged so that the nodes
  // holding view leases answer it; it is acknowledged only once each of them
  // has dropped its views (ADR 0050).
  const uint64_t write = listener_->BeginWrite();
  const std::string tag = listener_->WriteTag(write);
  absl::Status s = Write([&](pg::Conn& conn) -> absl::Status {
    RETURN_IF_ERROR(fn(conn));
    RETURN_IF_ERROR(pg::NotifyChanged(conn, tenant, scope, id, tag));
    view_cache_.Invalidate(tenant, scope, id);
    return absl::OkStatus();
  });
  view_cache_.Invalidate(tenant, scope, id);
  if (!s.ok()) {
    listener_->EndWrite(write);
    return s;
  }
  return listener_->AwaitOthers(write);
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
      deleted = r.rows() > 0 ? r.Int(0, 0) : r.affected();
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

void PostgresStore::QueueCreate(std::unique_ptr<pg::CreateWrite> w) {
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    if (!async_stopping_) {
      create_queue_.push_back(std::move(w));
      create_cv_.notify_one();
      return;
    }
  }
  w->done(pg::Closed());
}

void PostgresStore::CreateWriterLoop() {
  std::vector<std::unique_ptr<pg::CreateWrite>> owned;
  std::vector<pg::CreateWrite*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(async_mu_);
      create_cv_.wait(lock, [&] { return async_stopping_ || !create_queue_.empty(); });
      if (create_queue_.empty()) return;
      const size_t n = std::min(create_queue_.size(),
                                static_cast<size_t>(std::max(1, options_.max_create_batch)));
      for (size_t i = 0; i < n; ++i) {
        owned.push_back(std::move(create_queue_.front()));
        create_queue_.pop_front();
      }
    }
    for (const auto& w : owned) batch.push_back(w.get());
    RunCreates(batch);
    for (const auto& w : owned) w->done(std::move(w->status));
    owned.clear();
    batch.clear();
  }
}

void PostgresStore::RunCreates(const std::vector<pg::CreateWrite*>& batch) {
  std::vector<pg::CreateWrite*> pending = batch;
  int conflicts = 0;
  while (!pending.empty()) {
    if (closed_) {
      for (pg::CreateWrite* w : pending) w->status = pg::Closed();
      return;
    }
    std::vector<pg::Statement> statements;
    std::vector<pg::CreateRole> roles;
    std::vector<size_t> owner;  // statement -> index in pending
    for (size_t i = 0; i < pending.size(); ++i) {
      pg::CreateStatements(*pending[i], &statements, &roles);
      owner.resize(statements.size(), i);
    }
    const pg::PipelineOutcome out = pg::RunPipeline(pool_, statements);
    if (out.failed < 0) {
      for (pg::CreateWrite* w : pending) w->status = absl::OkStatus();
      return;
    }
    // Serialization failures and deadlocks: the whole group again.
    if ((out.sqlstate == "40001" || out.sqlstate == "40P01") && ++conflicts < 4) continue;
    if (out.status.code() == absl::StatusCode::kUnavailable) {
      // Lost connection or a server out of service: every write of the
      // group fails; when the commit may have happened, say so.
      const absl::Status s =
          out.nothing_ran
              ? out.status
              : absl::UnavailableError(absl::StrCat(
                    "the database connection was lost; the write may have been committed: ",
                    out.status.message()));
      for (pg::CreateWrite* w : pending) w->status = s;
      return;
    }
    const size_t bad = owner[static_cast<size_t>(out.failed)];
    pg::CreateWrite& w = *pending[bad];
    const pg::CreateRole role = roles[static_cast<size_t>(out.failed)];
    if (role == pg::CreateRole::kConversation && out.sqlstate == pg::kUniqueViolation &&
        !w.expired_swept) {
      // An expired conversation not yet swept frees its key: sweep it and
      // run the group again.
      w.expired_swept = true;
      bool swept = false;
      w.status = Write([&](pg::Conn& conn) -> absl::Status {
        ASSIGN_OR_RETURN(swept, pg::SweepExpiredKey(conn, *w.conversation));
        return absl::OkStatus();
      });
      if (w.status.ok() && swept) continue;
    }
    // One create failed (a taken key): it gets its error, the others (rolled
    // back with it) run again without it.
    if (w.status.ok()) w.status = pg::CreateFailure(w, role, out);
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(bad));
  }
}

}  // namespace parley::store
