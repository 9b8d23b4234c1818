#include "api/google/errors.h"

#include <charconv>
#include <cstdio>
#include <random>
#include <string>
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

// The client-facing text for the codes whose messages come from the server's
// insides (storage errors, file paths, sqlite codes); nullptr for the others,
// whose messages are written for the client.
const char* GenericMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInternal: return "Internal error encountered.";
    case absl::StatusCode::kUnknown: return "Unknown error.";
    case absl::StatusCode::kDataLoss: return "Data loss error encountered.";
    case absl::StatusCode::kUnavailable: return "The service is currently unavailable.";
    default: return nullptr;
  }
}

// 16 random hex digits: ties a generic error the client sees to the log line
// that has the details.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 0xf];
  return id;
}

}  // namespace

http::Response ErrorResponse(const absl::Status& status) {
  absl::StatusCode code = status.code();
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  // absl::string_view need not be std::string_view in this absl build.
  std::string_view message(status.message().data(), status.message().size());
  if (const char* generic = GenericMessage(code)) {
    // The details go to the log only, under an id the client can quote.
    std::string id = NewRequestId();
    std::fprintf(stderr, "parley: request %s: %s: %.*s\n", id.c_str(),
                 std::string(http::CanonicalCodeName(code)).c_str(),
                 static_cast<int>(message.size()), message.data());
    return ErrorBody(http::HttpStatusFor(code), code,
                     std::string(generic) + " Request id: " + id);
  }
  return ErrorBody(http::HttpStatusFor(code), code, message);
}

http::Response ErrorResponse(int http_status, const std::string& message) {
  return ErrorBody(http_status, http::CodeForHttpStatus(http_status), message);
}

}  // namespace parley::google_api
