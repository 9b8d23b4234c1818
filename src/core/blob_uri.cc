#include "core/blob_uri.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/absl_compat.h"

namespace parley::core {
namespace {

bool ClimbsOut(std::string_view path) {
  for (absl::string_view part : absl::StrSplit(Sv(path), '/')) {
    if (part == "..") return true;
  }
  return false;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view uri, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read \"", Sv(uri), "\": no such object"));
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat("cannot read \"", Sv(uri), "\""));
  if (static_cast<size_t>(size) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" is larger than ", max_bytes, " bytes"));
  }
  in.seekg(0);
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), size);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read \"", Sv(uri), "\""));
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
    if (ClimbsOut(rest)) return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" contains '..'"));
    if (options.bucket_dir.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read \"", Sv(uri), "\": the server has no bucket directory (--bucket-dir)"));
    }
    return ReadFile(absl::StrCat(options.bucket_dir, "/", Sv(rest)), uri, options.max_bytes);
  }
  if (absl::StartsWith(Sv(uri), "file://")) {
    std::string_view path = uri.substr(7);
    if (path.empty() || path[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" must be file:///absolute/path"));
    }
    if (ClimbsOut(path)) return absl::InvalidArgumentError(absl::StrCat("\"", Sv(uri), "\" contains '..'"));
    if (!options.file_root.empty()) {
      std::string root = options.file_root;
      if (root.back() != '/') root += '/';
      if (!absl::StartsWith(Sv(path), root)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot read \"", Sv(uri), "\": file:// URIs must lie under the server's --file-root"));
      }
    }
    return ReadFile(std::string(path), uri, options.max_bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported URI \"", Sv(uri), "\": use gs://BUCKET/OBJECT or file:///path"));
}

}  // namespace parley::core
