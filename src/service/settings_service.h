// SettingsService: a tenant's settings in one location (Insights
// projects/P/locations/L/settings, and what other dialects read from them:
// the default TTL, analysis sampling, redaction), a core::TenantSettings
// stored as a configuration resource of kind kSettingsKind whose id is the
// location.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "parley/operation.pb.h"
#include "service/resource_service.h"

namespace parley::service {

inline constexpr std::string_view kSettingsKind = "settings";

class SettingsService {
 public:
  // `resources` must outlive the service.
  explicit SettingsService(ResourceService* resources) : resources_(resources) {}

  // The stored settings of (tenant, location); when none are stored, the
  // defaults (nothing set but tenant and location).
  absl::StatusOr<core::TenantSettings> Get(std::string_view tenant, std::string_view location);

  // Get through a per-process cache: creates read the settings (for the
  // default TTL) on every call. Update forgets the cached copy; a change
  // another process makes is not seen, so on a store shared by several
  // processes (PostgreSQL nodes) a copy serves for kSharedStoreCacheUs only:
  // another node's change applies to creates within a second. (Reading them
  // on every create there halved a node's create rate.)
  static constexpr int64_t kSharedStoreCacheUs = 1'000'000;
  absl::StatusOr<std::shared_ptr<const core::TenantSettings>> Cached(std::string_view tenant,
                                                                     std::string_view location);

  // Read-modify-write of (tenant, location)'s settings: `mutate` changes a
  // copy (an error from it is returned and nothing is stored); create and
  // update times are set here. Returns what was stored.
  absl::StatusOr<core::TenantSettings> Update(
      std::string_view tenant, std::string_view location,
      const std::function<absl::Status(core::TenantSettings&)>& mutate);

 private:
  ResourceService* resources_;
};

}  // namespace parley::service
