// multipart/form-data bodies (RFC 7578 over RFC 2046): the parts of an upload
// as ElevateAI's SDKs send it (one file part, any name). Outside input: every
// malformed body is INVALID_ARGUMENT, never a crash (tests/fuzz/multipart_fuzzer.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::core {

struct MultipartPart {
  std::string name;          // Content-Disposition name (may be empty: the SDKs send "")
  std::string filename;      // Content-Disposition filename, empty when none
  std::string content_type;  // the part's Content-Type, empty when none
  std::string_view data;     // the part's bytes (a view into the body)
};

// The boundary parameter of a `multipart/form-data; boundary=...` Content-Type
// (quoted or not). INVALID_ARGUMENT when the type is not multipart or the
// boundary is missing or longer than 70 characters.
absl::StatusOr<std::string> MultipartBoundary(std::string_view content_type);

// The parts of `body` delimited by `boundary`, at most `max_parts`.
// INVALID_ARGUMENT when the body has no opening or closing delimiter, a part
// has no header/body separator or a malformed header, or there are more parts.
absl::StatusOr<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                          std::string_view boundary,
                                                          size_t max_parts = 16);

}  // namespace parley::core
