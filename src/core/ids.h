// Resource ids: generation and validation.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::core {

// A new id: 19 decimal digits, never starting with 0, unique within the
// process and increasing in creation order (it is time-based: see ids.cc).
// Not a secret: tenants are isolated by the store, not by unguessable ids.
// Thread-safe.
std::string NewId();

// `n` bytes from the system's cryptographic random generator (OpenSSL), for
// secrets: API keys, their salts, the page-token key. INTERNAL if none could
// be had. Thread-safe.
absl::StatusOr<std::string> SecureRandomBytes(size_t n);
// The same as 2n lower-case hex digits.
absl::StatusOr<std::string> SecureRandomHex(size_t n);

// True if `id` is an acceptable client-chosen id in the core (ADR 0010):
// 1 to 128 characters of [A-Za-z0-9_.~-], starting with a letter or digit.
// Every dialect's vendor rule (Insights 4-64 of [a-z0-9-], ...) is checked by
// the dialect on top of this, and only when a client picks an id at create
// time: reads never check ids, so ids stored under any rule stay readable.
bool IsValidClientId(std::string_view id);

}  // namespace parley::core
