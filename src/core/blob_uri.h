// Reading the objects a conversation's data source points at.
//
// Parley cannot reach cloud storage; `gs://BUCKET/OBJECT` is served from a
// local directory tree (<bucket_dir>/BUCKET/OBJECT), and `file:///path` from
// the local disk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::core {

struct BlobOptions {
  std::string bucket_dir;            // empty: gs:// URIs are refused
  std::string file_root;             // non-empty: file:// paths must lie under it
  size_t max_bytes = 64u << 20;      // larger objects are refused
};

// Returns the contents of `uri`. INVALID_ARGUMENT for an unsupported scheme,
// a path that climbs out of its bucket (".."), a file:// path outside
// file_root (when set), a missing or unreadable object,
// or one over max_bytes — the message says which.
absl::StatusOr<std::string> ReadBlobUri(std::string_view uri, const BlobOptions& options);

}  // namespace parley::core
