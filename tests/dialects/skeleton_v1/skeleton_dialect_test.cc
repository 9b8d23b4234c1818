// The parts of the skeleton dialect the API cases cannot see: how it finds
// the caller, and which paths it owns.
#include "dialects/skeleton_v1/skeleton_dialect.h"

#include "gtest/gtest.h"

namespace parley::skeleton_v1 {
namespace {

TEST(SkeletonDialect, FindsTheCredentialAndTenant) {
  auto dialect = MakeDialect();
  http::Request req;
  req.headers = {{"x-skeleton-key", "k-123"}};
  http::PathParams params;
  params.Add("tenant", "acme");
  api::Caller caller = dialect->FindCaller(req, params);
  EXPECT_EQ(caller.credential, "k-123");
  EXPECT_EQ(caller.tenant, "acme");
  EXPECT_EQ(dialect->Tenant(params), "acme");  // the request log's, no header read
  EXPECT_EQ(dialect->FindCaller(http::Request(), http::PathParams()).credential, "");
}

TEST(SkeletonDialect, OwnsItsPathsOnly) {
  auto dialect = MakeDialect();
  EXPECT_TRUE(dialect->Owns("/skeleton/v1/tenants/a/notes"));
  EXPECT_FALSE(dialect->Owns("/v1/projects/a/locations/l/conversations"));
}

TEST(SkeletonDialect, RendersErrorsInItsOwnShape) {
  http::Response r = MakeDialect()->RenderError(413, "too big");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"problem":{"status":413,"code":"INVALID_ARGUMENT","detail":"too big"}})");
}

}  // namespace
}  // namespace parley::skeleton_v1
