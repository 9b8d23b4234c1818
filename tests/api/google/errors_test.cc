#include "api/google/errors.h"

#include <regex>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace parley::google_api {
namespace {

TEST(GoogleErrorsTest, RendersStatusAsGoogleJson) {
  http::Response r = ErrorResponse(absl::NotFoundError("Conversation c1 not found."));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json; charset=UTF-8");
  EXPECT_EQ(r.body,
            R"({"error":{"code":404,"message":"Conversation c1 not found.","status":"NOT_FOUND"}})");

  http::Response p = ErrorResponse(absl::FailedPreconditionError("busy"));
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(p.body, R"({"error":{"code":400,"message":"busy","status":"FAILED_PRECONDITION"}})");
}

TEST(GoogleErrorsTest, RendersServerDetectedErrorsWithTheHttpCode) {
  http::Response r = ErrorResponse(405, "Method PUT is not allowed.");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body,
            R"({"error":{"code":405,"message":"Method PUT is not allowed.","status":"UNIMPLEMENTED"}})");
  http::Response big = ErrorResponse(413, "too big");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body, R"({"error":{"code":413,"message":"too big","status":"INVALID_ARGUMENT"}})");
}

TEST(GoogleErrorsTest, OkStatusIsNotRenderedAsSuccess) {
  http::Response r = ErrorResponse(absl::OkStatus());
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find(R"("status":"UNKNOWN")"), std::string::npos);
}

// Internal details (storage errors, file paths) stay in the log: the client
// gets a generic message and a request id to quote, a new one each time.
TEST(GoogleErrorsTest, HidesInternalDetailsBehindARequestId) {
  const std::string secret = "sqlite: COMMIT: database or disk is full (code 13) /var/lib/parley/db";
  std::string ids[2];
  for (int i = 0; i < 2; ++i) {
    testing::internal::CaptureStderr();
    http::Response r = ErrorResponse(absl::InternalError(secret));
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/var/lib"), std::string::npos) << r.body;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(
        r.body, m,
        std::regex(R"re(\{"error":\{"code":500,"message":"Internal error encountered\. Reference: ([0-9a-f]{16})","status":"INTERNAL"\}\})re")))
        << r.body;
    ids[i] = m[1];
    // The log has the details under the same id.
    EXPECT_NE(log.find(ids[i]), std::string::npos) << log;
    EXPECT_NE(log.find(secret), std::string::npos) << log;
  }
  EXPECT_NE(ids[0], ids[1]);

  for (const absl::Status& s : {absl::UnknownError(secret), absl::DataLossError(secret),
                                absl::UnavailableError(secret)}) {
    testing::internal::CaptureStderr();
    http::Response r = ErrorResponse(s);
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("Reference: "), std::string::npos) << r.body;
  }
  EXPECT_EQ(ErrorResponse(absl::UnavailableError(secret)).status, 503);
  // Messages written for the client are kept.
  EXPECT_NE(ErrorResponse(absl::NotFoundError("Conversation c1 not found.")).body.find("c1"),
            std::string::npos);
}

TEST(GoogleErrorsTest, EscapesTheMessage) {
  http::Response r = ErrorResponse(absl::InvalidArgumentError("bad \"name\""));
  EXPECT_EQ(r.body,
            R"({"error":{"code":400,"message":"bad \"name\"","status":"INVALID_ARGUMENT"}})");
}

}  // namespace
}  // namespace parley::google_api
