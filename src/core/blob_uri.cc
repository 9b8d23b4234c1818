#include "core/blob_uri.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/absl_compat.h"
#include "core/read_file.h"

namespace parley::core {
namespace {

// One message for a missing object, one outside the server's directories
// (through a symbolic link or otherwise) and one that is not a regular file:
// the answer must not tell which files exist on the server's disk.
absl::Status CannotRead(std::string_view uri) {
  return absl::InvalidArgumentError(absl::StrCat("transcript URI \"", Sv(uri), "\" cannot be read"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether a segment of `path`, as written or percent-decoded, is "." or ".."
// (or the path holds a NUL byte): such paths are refused outright.
bool HasDotSegment(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return true;
  for (absl::string_view part : absl::StrSplit(Sv(path), '/')) {
    std::string decoded;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] == '%' && i + 2 < part.size() && HexValue(part[i + 1]) >= 0 && HexValue(part[i + 2]) >= 0) {
        decoded += static_cast<char>(HexValue(part[i + 1]) * 16 + HexValue(part[i + 2]));
        i += 2;
      } else {
        decoded += part[i];
      }
    }
    if (decoded == "." || decoded == ".." || decoded.find('\0') != std::string::npos) return true;
  }
  return false;
}

// The canonical absolute path of `path` (symbolic links resolved); empty
// when it does not exist or cannot be resolved.
std::string RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : std::string();
}

// Opens `relative` (no "." or ".." segments, no symbolic links: a path
// realpath produced) under the directory `real_root` one segment at a time,
// refusing any segment that is a symbolic link. A link swapped in after
// realpath checked the path therefore fails instead of leading outside the
// root. The file itself is opened without blocking (a FIFO must not hold the
// thread). Returns -1 on failure.
int OpenBeneath(const std::string& real_root, std::string_view relative) {
  int dir = ::open(real_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  std::vector<absl::string_view> parts = absl::StrSplit(Sv(relative), '/', absl::SkipEmpty());
  if (parts.empty()) {
    ::close(dir);
    return -1;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string part(parts[i]);
    const bool last = i + 1 == parts.size();
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    int next = ::openat(dir, part.c_str(), flags);
    ::close(dir);
    if (next < 0) return -1;
    dir = next;
  }
  return dir;
}

// Reads `path` if, once resolved, it lies under the directory `root` and is a
// regular file, opened with OpenBeneath and checked with fstat.
absl::StatusOr<std::string> ReadConfined(const std::string& root, const std::string& path, std::string_view uri,
                                         size_t max_bytes) {
  std::string real_root = RealPath(root);
  std::string real = RealPath(path);
  if (real_root.empty() || real.empty()) return CannotRead(uri);
  if (real_root.back() != '/') real_root += '/';
  if (!absl::StartsWith(real, real_root)) return CannotRead(uri);
  int fd = OpenBeneath(real_root, std::string_view(real).substr(real_root.size()));
  if (fd < 0) return CannotRead(uri);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  absl::StatusOr<std::string> data = ReadOpenFile(fd, real, max_bytes);
  if (absl::IsOutOfRange(data.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("transcript URI \"", Sv(uri), "\" is larger than ", max_bytes,
                     " bytes, the size limit of a conversation"));
  }
  if (!data.ok()) return CannotRead(uri);
  return data;
}

}  // namespace

absl::StatusOr<std::string> ReadBlobUri(std::string_view uri, const BlobOptions& options) {
  if (absl::StartsWith(Sv(uri), "gs://")) {
    std::string_view rest = uri.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" is not gs://BUCKET/OBJECT"));
    }
    if (HasDotSegment(rest)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", Sv(uri), "\" contains a '.' or '..' segment (as written or percent-encoded)"));
    }
    if (options.bucket_dir.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read \"", Sv(uri), "\": the server has no bucket directory (--bucket-dir)"));
    }
    return ReadConfined(options.bucket_dir, absl::StrCat(options.bucket_dir, "/", Sv(rest)), uri,
                        options.max_bytes);
  }
  if (absl::StartsWith(Sv(uri), "file://")) {
    std::string_view path = uri.substr(7);
    if (path.empty() || path[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" must be file:///absolute/path"));
    }
    if (HasDotSegment(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", Sv(uri), "\" contains a '.' or '..' segment (as written or percent-encoded)"));
    }
    if (options.file_root.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read \"", Sv(uri), "\": file:// URIs are refused unless the server has a --file-root"));
    }
    return ReadConfined(options.file_root, std::string(path), uri, options.max_bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported URI \"", Sv(uri), "\": use gs://BUCKET/OBJECT or file:///path"));
}

}  // namespace parley::core
