// A seeded random filler for protobuf messages (any type, via reflection),
// used to compare the protojson codec with protobuf's own JSON util.
#pragma once

#include <cstdint>
#include <random>

#include "google/protobuf/message.h"

namespace parley::protojson::testing {

struct FillOptions {
  int max_depth = 4;                // message nesting
  double field_probability = 0.5;   // chance that a field (or a oneof) is set
  int max_repeated = 4;             // elements of a repeated field
  int max_map_entries = 3;          // entries of a map or Struct
  bool non_finite = true;           // NaN/Infinity in float/double fields
};

// Clears `message` and fills it with random contents that have a JSON form
// (no Any, Value always has a kind, NullValue fields hold NULL_VALUE, Value
// numbers are finite, strings are valid UTF-8, map keys are unique).
void FillRandom(google::protobuf::Message* message, std::mt19937_64& rng,
                const FillOptions& options = {});

}  // namespace parley::protojson::testing
