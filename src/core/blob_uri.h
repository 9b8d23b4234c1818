// Reading the objects a conversation's data source points at.
//
// Parley cannot reach cloud storage; `gs://BUCKET/OBJECT` is served from a
// local directory tree (<bucket_dir>/BUCKET/OBJECT), and `file:///path` from
// the local disk under file_root (refused when no file_root is set).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace parley::core {

struct BlobOptions {
  std::string bucket_dir;            // empty: gs:// URIs are refused
  std::string file_root;             // empty: file:// URIs are refused; else they must lie under it
  // Larger objects are refused before any byte is read (the size is taken
  // from fstat, and the read stops past it should the file grow). The server
  // sets it to the conversation size limit (--max-conversation-mb).
  size_t max_bytes = 32u << 20;
};

// Returns the contents of `uri`. INVALID_ARGUMENT, with a message saying
// which, for a malformed URI (unsupported scheme, a "." or ".." segment as
// written or percent-encoded), a scheme the options do not allow, or an
// object over max_bytes. Confinement is checked on the resolved path (symbolic
// links followed): one that is missing, lies outside bucket_dir / file_root,
// or is not a regular file (a FIFO, a directory) gets one and the same
// message, `transcript URI "..." cannot be read`, so that answers tell
// nothing about the server's disk; file contents are never echoed.
absl::StatusOr<std::string> ReadBlobUri(std::string_view uri, const BlobOptions& options);

}  // namespace parley::core
