// The syntax of Google's `fields` system parameter (partial responses),
// shared by the protobuf selector (field_selector.h) and the JSON one
// (json_field_selector.h): a comma-separated list of field paths; a path is
// names joined by '.' or '/'; `name(a,b)` selects a and b inside name; `*`
// selects everything at its level. Names are kept as written.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::protojson {

// A selection at one level: name -> selection inside it (null: all of it).
struct FieldTree {
  bool all = false;
  std::map<std::string, std::unique_ptr<FieldTree>> fields;
};

// INVALID_ARGUMENT naming the position of the first syntax error.
absl::StatusOr<FieldTree> ParseFieldSelector(std::string_view selector);

}  // namespace parley::protojson
