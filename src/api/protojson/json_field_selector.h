// The `fields` system parameter applied to JSON text, for responses that are
// not one protobuf message (a google.longrunning.Operation, whose metadata
// and response are Any values). Same syntax as ApplyFieldSelector
// (field_selector.h); names are matched as written or in lowerCamelCase, an
// object keeps its "@type", and names that are absent select nothing.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::protojson {

// `json` (an object) with only the selected fields. INVALID_ARGUMENT if the
// selector is malformed.
absl::StatusOr<std::string> SelectJsonFields(std::string_view selector, std::string_view json);

}  // namespace parley::protojson
