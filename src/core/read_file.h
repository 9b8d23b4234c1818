// Reading a small file whole (a key file, a configuration file, a recording
// given on the command line), with a size cap and errors that name it.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace parley::core {

// The contents of the regular file at `path`, at most `max_bytes`. Errors
// name the path: NOT_FOUND (absent), PERMISSION_DENIED (unreadable) or
// FAILED_PRECONDITION (not a regular file, or a read error) as "cannot read
// PATH: reason"; OUT_OF_RANGE "PATH is larger than N bytes" for a larger
// file, refused before it is read.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes);

// The same over an open descriptor `fd` (left open), for callers that open
// the file their own way; the errors name `path`.
absl::StatusOr<std::string> ReadOpenFile(int fd, const std::string& path, size_t max_bytes);

}  // namespace parley::core
