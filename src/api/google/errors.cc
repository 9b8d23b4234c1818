#include "api/google/errors.h"

#include <charconv>
#include <string_view>

#include "api/http/status.h"

namespace parley::google_api {
namespace {

http::Response ErrorBody(int http_status, absl::StatusCode code, std::string_view message) {
  http::Response r;
  r.status = http_status;
  r.content_type = "application/json; charset=UTF-8";
  std::string& b = r.body;
  b.reserve(64 + message.size());
  b += R"({"error":{"code":)";
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, http_status);
  b.append(digits, end);
  b += R"(,"message":)";
  http::AppendJsonString(message, &b);
  b += R"(,"status":")";
  b += http::CanonicalCodeName(code);
  b += "\"}}";
  return r;
}

}  // namespace

http::Response ErrorResponse(const absl::Status& status) {
  absl::StatusCode code = status.code();
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  // absl::string_view need not be std::string_view in this absl build.
  return ErrorBody(http::HttpStatusFor(code), code,
                   std::string_view(status.message().data(), status.message().size()));
}

http::Response ErrorResponse(int http_status, const std::string& message) {
  return ErrorBody(http_status, http::CodeForHttpStatus(http_status), message);
}

}  // namespace parley::google_api
