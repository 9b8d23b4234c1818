// Debian's abseil is built with its own absl::string_view rather than an alias
// of std::string_view, so absl string functions do not take std::string_view.
// Sv() adapts one at the call site.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace parley {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace parley
