#include "service/settings_service.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/time_format.h"

namespace parley::service {
namespace {

struct CachedSettings {
  std::shared_ptr<const core::TenantSettings> settings;
  int64_t loaded_us = 0;
};

struct SettingsCache {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, CachedSettings> by_key ABSL_GUARDED_BY(mu);
  // Bumped by every change: a load that raced with a change is not cached.
  uint64_t generation ABSL_GUARDED_BY(mu) = 0;
};

SettingsCache& Cache() {
  static SettingsCache* cache = new SettingsCache();
  return *cache;
}

std::string CacheKey(std::string_view tenant, std::string_view location) {
  return absl::StrCat(tenant.size(), ":", std::string(tenant), std::string(location));
}

void Forget(std::string_view tenant, std::string_view location) {
  SettingsCache& cache = Cache();
  absl::MutexLock lock(&cache.mu);
  cache.by_key.erase(CacheKey(tenant, location));
  ++cache.generation;
}

ResourceKey KeyOf(std::string_view tenant, std::string_view location) {
  return ResourceKey{tenant, kSettingsKind, location, location};
}

}  // namespace

absl::StatusOr<core::TenantSettings> SettingsService::Get(std::string_view tenant,
                                                          std::string_view location) {
  core::TenantSettings s;
  auto stored = resources_->Get(KeyOf(tenant, location), &s);
  if (absl::IsNotFound(stored.status())) {
    s.Clear();
    s.set_tenant(std::string(tenant));
    s.set_location(std::string(location));
    return s;
  }
  if (!stored.ok()) return stored.status();
  return s;
}

absl::StatusOr<std::shared_ptr<const core::TenantSettings>> SettingsService::Cached(
    std::string_view tenant, std::string_view location) {
  // Another node may have changed them: there a copy is kept only briefly.
  const int64_t now = core::NowMicros();
  const int64_t oldest = resources_->SharedWithOtherProcesses() ? now - kSharedStoreCacheUs : std::numeric_limits<int64_t>::min();
  const std::string key = CacheKey(tenant, location);
  SettingsCache& cache = Cache();
  uint64_t generation;
  {
    absl::MutexLock lock(&cache.mu);
    auto it = cache.by_key.find(key);
    if (it != cache.by_key.end() && it->second.loaded_us >= oldest) return it->second.settings;
    generation = cache.generation;
  }
  absl::StatusOr<core::TenantSettings> loaded = Get(tenant, location);
  if (!loaded.ok()) return loaded.status();
  auto settings = std::make_shared<const core::TenantSettings>(std::move(*loaded));
  absl::MutexLock lock(&cache.mu);
  if (cache.generation != generation) return settings;  // changed meanwhile: do not cache
  if (cache.by_key.size() > 10'000) cache.by_key.clear();  // bounded
  cache.by_key[key] = CachedSettings{settings, now};
  return settings;
}

absl::StatusOr<core::TenantSettings> SettingsService::Update(
    std::string_view tenant, std::string_view location,
    const std::function<absl::Status(core::TenantSettings&)>& mutate) {
  core::TenantSettings stored;
  absl::Status st = resources_->Update(
      KeyOf(tenant, location), /*create_if_absent=*/true, &stored,
      [&](google::protobuf::Message& m, int64_t stored_update) -> absl::StatusOr<int64_t> {
        auto& s = static_cast<core::TenantSettings&>(m);
        if (stored_update == 0) {
          s.set_tenant(std::string(tenant));
          s.set_location(std::string(location));
        }
        if (absl::Status e = mutate(s); !e.ok()) return e;
        const int64_t now = std::max(core::NowMicros(), stored_update + 1);
        if (s.create_time_us() == 0) s.set_create_time_us(now);
        s.set_update_time_us(now);
        return now;
      });
  Forget(tenant, location);
  if (!st.ok()) return st;
  return stored;
}

}  // namespace parley::service
