// Resource ids: generation and validation.
#pragma once

#include <string>
#include <string_view>

namespace parley::core {

// A new id: 19 decimal digits, never starting with 0, unique within the
// process and increasing in creation order (it is time-based: see ids.cc).
// Not a secret: tenants are isolated by the store, not by unguessable ids.
// Thread-safe.
std::string NewId();

// True if `id` is an acceptable client-chosen id: 4 to 64 characters of
// [a-z0-9-] (the Google resource-id rule used by Insights).
bool IsValidClientId(std::string_view id);

}  // namespace parley::core
