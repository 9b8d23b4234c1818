// A tenant's Insights settings in one location (projects/P/locations/L/settings):
// stored as a configuration resource of kind kSettingsKind whose id is the
// location and whose body is a core::TenantSettings.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "parley/operation.pb.h"
#include "store/store.h"

namespace parley::insights_v1 {

inline constexpr std::string_view kSettingsKind = "settings";

// The stored settings of (tenant, location); when none are stored, the
// defaults (nothing set but tenant and location). `update_time_us` (if not
// null) gets the stored resource's update time, 0 when none is stored.
absl::StatusOr<core::TenantSettings> LoadSettings(store::Store* store, std::string_view tenant,
                                                  std::string_view location,
                                                  int64_t* update_time_us = nullptr);

// LoadSettings through a per-process cache: creates read the settings (for
// the default TTL) on every call. A settings PATCH through this process calls
// ForgetSettings; with several server processes on one store a change would
// reach the others only when they restart (fine for the single-node store).
absl::StatusOr<std::shared_ptr<const core::TenantSettings>> CachedSettings(
    store::Store* store, std::string_view tenant, std::string_view location);
void ForgetSettings(std::string_view tenant, std::string_view location);

// INVALID_ARGUMENT unless each non-empty template is a DLP template name
// (projects/P[/locations/L]/deidentifyTemplates/T, .../inspectTemplates/T).
// `field` names the config in the message ("redaction_config").
absl::Status ValidateRedactionConfig(std::string_view deidentify_template,
                                     std::string_view inspect_template, std::string_view field);

// INVALID_ARGUMENT unless an non-empty recognizer is
// projects/P/locations/L/recognizers/R.
absl::Status ValidateSpeechRecognizer(std::string_view recognizer, std::string_view field);

}  // namespace parley::insights_v1
