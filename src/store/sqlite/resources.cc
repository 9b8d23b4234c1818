// Tenants' configuration resources (phrase matchers, ...).
#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

std::string SqliteStore::ResourceCacheKey(std::string_view tenant, std::string_view kind,
                                          std::string_view id) {
  return absl::StrCat(sqlite::Sv(tenant), "\x1f", sqlite::Sv(kind), "\x1f", sqlite::Sv(id));
}

void SqliteStore::InvalidateResource(std::string_view tenant, std::string_view kind,
                                     std::string_view id) {
  const std::string key = ResourceCacheKey(tenant, kind, id);
  absl::MutexLock lock(&resource_cache_mu_);
  ++resource_cache_generation_;
  resource_cache_.erase(key);
}

namespace sqlite {

absl::Status InsertResource(Connection& conn, const Resource& r) {
  if (r.tenant.empty() || r.kind.empty() || r.id.empty()) {
    return absl::InvalidArgumentError("a resource needs a tenant, a kind and an id");
  }
  ASSIGN_OR_RETURN(Stmt s, conn.Statement("INSERT INTO resources (tenant, kind, id, location,"
                                          " create_time, update_time, body)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id).BindText(4, r.location);
  s.Bind(5, r.create_time_us).Bind(6, r.update_time_us).BindBlobStatic(7, r.body);
  int rc = s.StepRaw();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(absl::StrCat(r.kind, " ", r.id, " already exists"));
  }
  if (rc != SQLITE_DONE) return s.Error(rc, "inserting resource");
  return absl::OkStatus();
}

}  // namespace sqlite

absl::Status SqliteStore::CreateResource(const Resource& r) {
  if (closed_) return sqlite::Closed();
  auto invalidate = [&] { InvalidateResource(r.tenant, r.kind, r.id); };
  return Write([&](Connection& conn) { return sqlite::InsertResource(conn, r); }, invalidate);
}

absl::StatusOr<Resource> SqliteStore::GetResource(std::string_view tenant, std::string_view kind,
                                                  std::string_view id) {
  if (closed_) return sqlite::Closed();
  // Kinds another process writes are not cached: its writes never
  // invalidate this process's cache.
  const auto& uncached = options_.uncached_resource_kinds;
  const bool cacheable =
      std::find(uncached.begin(), uncached.end(), kind) == uncached.end();
  const std::string cache_key = ResourceCacheKey(tenant, kind, id);
  uint64_t generation = 0;
  if (cacheable) {
    absl::MutexLock lock(&resource_cache_mu_);
    auto it = resource_cache_.find(cache_key);
    if (it != resource_cache_.end()) return it->second;
    generation = resource_cache_generation_;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT location, create_time, update_time, body FROM resources"
                               " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(kind)).BindText(3, sqlite::Sv(id));
  ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(sqlite::Sv(kind), " ", sqlite::Sv(id), " not found"));
  }
  Resource found{std::string(tenant), std::string(kind), std::string(id), std::string(s.Text(0)),
                 s.Int(1), s.Int(2), std::string(s.Blob(3))};
  if (!cacheable) return found;
  absl::MutexLock lock(&resource_cache_mu_);
  if (generation == resource_cache_generation_) {
    if (resource_cache_.size() >= kResourceCacheEntries) resource_cache_.clear();
    resource_cache_.emplace(cache_key, found);
  }
  return found;
}

absl::Status SqliteStore::UpdateResource(const Resource& r, int64_t expected_update_time_us) {
  if (closed_) return sqlite::Closed();
  auto invalidate = [&] { InvalidateResource(r.tenant, r.kind, r.id); };
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT update_time FROM resources"
                                              " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
      s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id);
      ASSIGN_OR_RETURN(bool row, s.Next());
      if (!row) return absl::NotFoundError(absl::StrCat(r.kind, " ", r.id, " not found"));
      if (s.Int(0) != expected_update_time_us) {
        return absl::AbortedError(absl::StrCat(r.kind, " ", r.id, " was changed concurrently"));
      }
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("UPDATE resources SET location = ?4, create_time = ?5,"
                                            " update_time = ?6, body = ?7"
                                            " WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
    s.BindText(1, r.tenant).BindText(2, r.kind).BindText(3, r.id).BindText(4, r.location);
    s.Bind(5, r.create_time_us).Bind(6, r.update_time_us).BindBlobStatic(7, r.body);
    return s.Exec();
  }, invalidate);
}

absl::Status SqliteStore::DeleteResource(std::string_view tenant_sv, std::string_view kind_sv,
                                         std::string_view id_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view tenant = sqlite::Sv(tenant_sv), kind = sqlite::Sv(kind_sv),
                          id = sqlite::Sv(id_sv);
  auto invalidate = [&] { InvalidateResource(tenant_sv, kind_sv, id_sv); };
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, conn.Statement(
                                 "DELETE FROM resources WHERE tenant = ?1 AND kind = ?2 AND id = ?3"));
    s.BindText(1, tenant).BindText(2, kind).BindText(3, id);
    RETURN_IF_ERROR(s.Exec());
    if (sqlite3_changes64(conn.db()) == 0) {
      return absl::NotFoundError(absl::StrCat(kind, " ", id, " not found"));
    }
    return absl::OkStatus();
  }, invalidate);
}

absl::StatusOr<ResourcePage> SqliteStore::ListResources(std::string_view tenant,
                                                        std::string_view kind,
                                                        std::string_view location, int page_size,
                                                        std::string_view after_id) {
  if (closed_) return sqlite::Closed();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
  ReadLease lease(this, std::move(reader));
  ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement(
                               "SELECT id, location, create_time, update_time, body FROM resources"
                               " WHERE tenant = ?1 AND kind = ?2 AND id > ?3"
                               " AND (?4 = '' OR location = ?4) ORDER BY id LIMIT ?5"));
  s.BindText(1, sqlite::Sv(tenant)).BindText(2, sqlite::Sv(kind)).BindText(3, sqlite::Sv(after_id));
  s.BindText(4, sqlite::Sv(location)).Bind(5, int64_t{page_size} + 1);
  ResourcePage page;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    if (static_cast<int>(page.resources.size()) >= page_size) {
      page.next_after_id = page.resources.back().id;
      break;
    }
    page.resources.push_back(Resource{std::string(tenant), std::string(kind), std::string(s.Text(0)),
                                      std::string(s.Text(1)), s.Int(2), s.Int(3),
                                      std::string(s.Blob(4))});
  }
  return page;
}

}  // namespace parley::store
