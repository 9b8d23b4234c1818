// Checks of Insights' settings fields (the settings themselves are kept by
// service::SettingsService).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"

namespace parley::insights_v1 {

// INVALID_ARGUMENT unless each non-empty template is a DLP template name
// (projects/P[/locations/L]/deidentifyTemplates/T, .../inspectTemplates/T).
// `field` names the config in the message ("redaction_config").
absl::Status ValidateRedactionConfig(std::string_view deidentify_template,
                                     std::string_view inspect_template, std::string_view field);

// INVALID_ARGUMENT unless an non-empty recognizer is
// projects/P/locations/L/recognizers/R.
absl::Status ValidateSpeechRecognizer(std::string_view recognizer, std::string_view field);

}  // namespace parley::insights_v1
