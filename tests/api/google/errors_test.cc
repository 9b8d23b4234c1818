#include "api/google/errors.h"

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

TEST(GoogleErrorsTest, EscapesTheMessage) {
  http::Response r = ErrorResponse(absl::InvalidArgumentError("bad \"name\""));
  EXPECT_EQ(r.body,
            R"({"error":{"code":400,"message":"bad \"name\"","status":"INVALID_ARGUMENT"}})");
}

}  // namespace
}  // namespace parley::google_api
