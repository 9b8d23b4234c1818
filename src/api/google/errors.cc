#include "api/google/errors.h"

#include <charconv>
#include <string>
#include <string_view>

#include "api/http/status.h"
#include "core/public_error.h"

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
  if (core::GenericErrorMessage(code) != nullptr) {
    // The details go to the log only, under a reference the client can quote.
    return ErrorBody(http::HttpStatusFor(code), code,
                     core::PublicErrorMessage(absl::Status(code, status.message())));
  }
  // absl::string_view need not be std::string_view in this absl build.
  std::string_view message(status.message().data(), status.message().size());
  return ErrorBody(http::HttpStatusFor(code), code, message);
}

http::Response ErrorResponse(int http_status, const std::string& message) {
  return ErrorBody(http_status, http::CodeForHttpStatus(http_status), message);
}

}  // namespace parley::google_api
