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

// True if `id` is an acceptable client-chosen id in the core (ADR 0010):
// 1 to 128 characters of [A-Za-z0-9_.~-], starting with a letter or digit.
// Every dialect's vendor rule (Insights 4-64 of [a-z0-9-], ...) is checked by
// the dialect on top of this, and only when a client picks an id at create
// time: reads never check ids, so ids stored under any rule stay readable.
bool IsValidClientId(std::string_view id);

}  // namespace parley::core
