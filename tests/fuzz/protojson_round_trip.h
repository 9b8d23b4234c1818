// The invariant both protojson targets check: JSON that parses into a message
// prints as JSON that parses again and prints the same (print, parse and print
// agree), with enums as names and as numbers.
#pragma once

#include <string>
#include <string_view>

#include "api/protojson/protojson.h"
#include "fuzz/fuzz_check.h"

namespace parley::fuzz {

inline void CheckRoundTrip(std::string_view json, google::protobuf::Message* first,
                           google::protobuf::Message* second) {
  if (!protojson::Parse(json, first).ok()) return;
  for (bool ints : {false, true}) {
    protojson::PrintOptions options;
    options.enums_as_ints = ints;
    const std::string printed = protojson::ToJson(*first, options);
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
