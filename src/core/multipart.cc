#include "core/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/absl_compat.h"

namespace parley::core {
namespace {

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed multipart body: ", Sv(why)));
}

// The value of parameter `key` in a header value like `form-data; name="a";
// filename=b.wav`; quoted strings may contain ';' and backslash escapes.
bool FindParam(std::string_view header, std::string_view key, std::string* out) {
  size_t i = header.find(';');
  while (i != std::string_view::npos && i < header.size()) {
    ++i;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) return false;
    absl::string_view name = absl::StripAsciiWhitespace(Sv(header.substr(i, eq - i)));
    size_t j = eq + 1;
    std::string value;
    if (j < header.size() && header[j] == '"') {
      ++j;
      while (j < header.size() && header[j] != '"') {
        if (header[j] == '\\' && j + 1 < header.size()) ++j;
        value.push_back(header[j]);
        ++j;
      }
      if (j < header.size()) ++j;  // closing quote
      i = header.find(';', j);
    } else {
      size_t end = header.find(';', j);
      value = std::string(absl::StripAsciiWhitespace(
          Sv(header.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j))));
      i = end;
    }
    if (absl::EqualsIgnoreCase(name, Sv(key))) {
      *out = std::move(value);
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> MultipartBoundary(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(Sv(media)), "multipart/form-data")) {
    return absl::InvalidArgumentError("the upload must be multipart/form-data");
  }
  std::string boundary;
  if (!FindParam(content_type, "boundary", &boundary) || boundary.empty()) {
    return absl::InvalidArgumentError("multipart/form-data without a boundary");
  }
  if (boundary.size() > 70) return absl::InvalidArgumentError("multipart boundary longer than 70 characters");
  return boundary;
}

absl::StatusOr<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                          std::string_view boundary,
                                                          size_t max_parts) {
  if (boundary.empty()) return Bad("empty boundary");
  const std::string delim = absl::StrCat("--", Sv(boundary));
  // The first delimiter: at the start, or after a preamble ending in CRLF.
  size_t pos;
  if (absl::StartsWith(Sv(body), delim)) {
    pos = 0;
  } else {
    pos = body.find(absl::StrCat("\r\n", delim));
    if (pos == std::string_view::npos) return Bad("no opening boundary");
    pos += 2;
  }
  const std::string next_delim = absl::StrCat("\r\n", delim);
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return Bad("boundary not followed by CRLF");
    pos += 2;
    if (parts.size() == max_parts) return Bad(absl::StrCat("more than ", max_parts, " parts"));
    const size_t headers_end = body.find("\r\n\r\n", pos);
    // A part with no headers starts directly with the blank line.
    size_t data_start;
    std::string_view headers;
    if (body.substr(pos, 2) == "\r\n") {
      data_start = pos + 2;
    } else {
      if (headers_end == std::string_view::npos) return Bad("part without a blank line after its headers");
      headers = body.substr(pos, headers_end - pos);
      data_start = headers_end + 4;
    }
    const size_t data_end = body.find(next_delim, data_start);
    if (data_end == std::string_view::npos) return Bad("no closing boundary");
    MultipartPart part;
    for (absl::string_view line : absl::StrSplit(Sv(headers), "\r\n")) {
      if (line.empty()) continue;
      size_t colon = line.find(':');
      if (colon == absl::string_view::npos || colon == 0) return Bad("part header without ':'");
      absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
      absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
      if (absl::EqualsIgnoreCase(name, "content-disposition")) {
        FindParam(std::string_view(value.data(), value.size()), "name", &part.name);
        FindParam(std::string_view(value.data(), value.size()), "filename", &part.filename);
      } else if (absl::EqualsIgnoreCase(name, "content-type")) {
        part.content_type = std::string(value);
      }
    }
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + 2;
  }
}

}  // namespace parley::core
