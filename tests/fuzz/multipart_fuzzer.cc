// core::ParseMultipart and MultipartBoundary on arbitrary input: either
// INVALID_ARGUMENT or parts whose data lie inside the body.
#include "core/multipart.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  const std::string_view text = parley::fuzz::AsText(data, size);
  // The first line is a Content-Type, the rest the body.
  const size_t nl = text.find('\n');
  const std::string_view type = text.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  auto boundary = parley::core::MultipartBoundary(type);
  if (!boundary.ok()) {
    FUZZ_CHECK(boundary.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  auto parts = parley::core::ParseMultipart(body, *boundary, 8);
  if (!parts.ok()) {
    FUZZ_CHECK(parts.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(parts->size() <= 8);
  for (const auto& p : *parts) {
    FUZZ_CHECK(p.data.data() >= body.data() && p.data.data() + p.data.size() <= body.data() + body.size());
  }
  return 0;
}
