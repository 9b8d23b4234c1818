// The invariant both protojson targets check: JSON that parses into a message
// prints as JSON that parses again, and that printed form is a fixed point
// (parsing and printing it again gives it back), with enums as names and as
// numbers. Not "prints as the input read": FieldMask paths convert between
// snake_case and lowerCamelCase as protobuf's util does, which is lossy for
// paths that are neither (`b_zQ` prints as `bZQ`, read back as `b_zq`; `_`
// prints as an empty segment, which is refused: tests/fuzz/crashes/
// protojson_all_types/, docs/RELIABILITY.md). `normalize`, when given, runs
// on the parsed message first (to drop such paths).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/protojson/protojson.h"
#include "fuzz/fuzz_check.h"

namespace parley::fuzz {

inline void CheckRoundTrip(std::string_view json, google::protobuf::Message* first,
                           google::protobuf::Message* second,
                           const std::function<void(google::protobuf::Message*)>& normalize = {}) {
  if (!protojson::Parse(json, first).ok()) return;
  if (normalize) normalize(first);
  for (bool ints : {false, true}) {
    protojson::PrintOptions options;
    options.enums_as_ints = ints;
    const std::string once = protojson::ToJson(*first, options);
    FUZZ_CHECK(protojson::Parse(once, second).ok());
    const std::string printed = protojson::ToJson(*second, options);
    absl::Status reparsed = protojson::Parse(printed, second);
    if (!reparsed.ok()) {
      std::fprintf(stderr, "printed: %s\nreparse: %s\n", printed.c_str(),
                   std::string(reparsed.message()).c_str());
    }
    FUZZ_CHECK(reparsed.ok());
    const std::string again = protojson::ToJson(*second, options);
    if (again != printed) std::fprintf(stderr, "printed: %s\nagain:   %s\n", printed.c_str(), again.c_str());
    FUZZ_CHECK(again == printed);
  }
}

}  // namespace parley::fuzz
