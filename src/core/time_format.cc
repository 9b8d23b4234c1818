#include "core/time_format.h"

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/absl_compat.h"

namespace parley::core {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<int64_t> ParseTimestampMicros(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid timestamp \"", Sv(text), "\": expected RFC 3339 such as 2024-01-02T03:04:05Z"));
  }
  return absl::ToUnixMicros(t);
}

absl::StatusOr<int64_t> ParseDurationMicros(std::string_view text) {
  std::string s(text);
  if (!s.empty() && s.back() == 's') s.pop_back();
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", Sv(text), "\""));
  char* end = nullptr;
  double seconds = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(seconds) || std::fabs(seconds) > 315576000000.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", Sv(text), "\": expected seconds such as 90s or 1.5s"));
  }
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

std::string FormatTimestampMicros(int64_t micros) {
  absl::Time t = absl::FromUnixMicros(micros);
  int64_t frac = micros % 1000000;
  if (frac < 0) frac += 1000000;
  std::string base = absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::UTCTimeZone());
  if (frac == 0) return base + "Z";
  if (frac % 1000 == 0) return absl::StrFormat("%s.%03dZ", base, frac / 1000);
  return absl::StrFormat("%s.%06dZ", base, frac);
}

}  // namespace parley::core
