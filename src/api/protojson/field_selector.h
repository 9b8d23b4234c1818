// Google's `fields` system parameter (partial responses): keeps only the
// selected fields of a response message before it is printed.
//
// Syntax: a comma-separated list of field paths; a path is field names joined
// by '.' or '/'; `name(a,b)` selects a and b inside name; `*` selects
// everything at its level. Names may be lowerCamelCase (JSON) or snake_case.
// Selecting a repeated or map field of messages applies the sub-selection to
// every element. Example: "conversations(name,labels),nextPageToken".
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace parley::protojson {

// Clears every field of `message` the selector does not select.
// INVALID_ARGUMENT if the selector is malformed or names a field that does not
// exist (nothing is changed then).
absl::Status ApplyFieldSelector(std::string_view selector, google::protobuf::Message* message);

}  // namespace parley::protojson
