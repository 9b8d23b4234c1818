// Time values as the core keeps them (int64 microseconds) and the text forms
// filters use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::core {

// Microseconds since the Unix epoch, from the system clock.
int64_t NowMicros();

// Parses an RFC 3339 timestamp ("2024-01-02T03:04:05Z", fractional seconds and
// offsets allowed) into microseconds since the epoch. INVALID_ARGUMENT if malformed.
absl::StatusOr<int64_t> ParseTimestampMicros(std::string_view text);

// Parses a duration: "12.5s" (protobuf JSON form) or a plain number of seconds
// ("90", "1.5"). INVALID_ARGUMENT if malformed.
absl::StatusOr<int64_t> ParseDurationMicros(std::string_view text);

// RFC 3339 in UTC with 0, 3 or 6 fractional digits, e.g. "2024-01-02T03:04:05.120Z".
std::string FormatTimestampMicros(int64_t micros);

}  // namespace parley::core
