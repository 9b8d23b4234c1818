#include "api/http/status.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace parley::http {
namespace {

TEST(StatusCodesTest, MapsEveryCanonicalCodeToHttp) {
  struct Row {
    absl::StatusCode code;
    const char* name;
    int http;
  };
  const Row rows[] = {
      {absl::StatusCode::kOk, "OK", 200},
      {absl::StatusCode::kCancelled, "CANCELLED", 499},
      {absl::StatusCode::kUnknown, "UNKNOWN", 500},
      {absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT", 400},
      {absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED", 504},
      {absl::StatusCode::kNotFound, "NOT_FOUND", 404},
      {absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS", 409},
      {absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED", 403},
      {absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", 401},
      {absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED", 429},
      {absl::StatusCode::kFailedPrecondition, "FAILED_PRECONDITION", 400},
      {absl::StatusCode::kAborted, "ABORTED", 409},
      {absl::StatusCode::kOutOfRange, "OUT_OF_RANGE", 400},
      {absl::StatusCode::kUnimplemented, "UNIMPLEMENTED", 501},
      {absl::StatusCode::kInternal, "INTERNAL", 500},
      {absl::StatusCode::kUnavailable, "UNAVAILABLE", 503},
      {absl::StatusCode::kDataLoss, "DATA_LOSS", 500},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(CanonicalCodeName(row.code), row.name);
    EXPECT_EQ(HttpStatusFor(row.code), row.http) << row.name;
  }
  EXPECT_EQ(CanonicalCodeName(static_cast<absl::StatusCode>(99)), "UNKNOWN");
  EXPECT_EQ(HttpStatusFor(static_cast<absl::StatusCode>(99)), 500);
}

TEST(StatusCodesTest, CodeForServerDetectedStatuses) {
  EXPECT_EQ(CodeForHttpStatus(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForHttpStatus(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(CodeForHttpStatus(405), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CodeForHttpStatus(413), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForHttpStatus(431), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForHttpStatus(429), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(CodeForHttpStatus(500), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForHttpStatus(503), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForHttpStatus(502), absl::StatusCode::kInternal);
  EXPECT_EQ(CodeForHttpStatus(204), absl::StatusCode::kOk);
  EXPECT_EQ(CodeForHttpStatus(302), absl::StatusCode::kUnknown);
}

TEST(StatusCodesTest, EscapesMessagesAsJson) {
  std::string out;
  AppendJsonString("say \"hi\"\\ \n\t\r\b\f\x01\x1f end", &out);
  EXPECT_EQ(out, R"("say \"hi\"\\ \n\t\r\b\f\u0001\u001f end")");

  out.clear();
  AppendJsonString("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", &out);  // valid UTF-8 kept
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");

  out.clear();
  // A stray continuation byte, a truncated sequence, an overlong '/' and a surrogate.
  AppendJsonString("a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80", &out);
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD"
            "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace parley::http
