// The CES (Customer Engagement Suite) v1 dialect as `parley serve` registers
// it: apps and their conversations under
// /v1/projects/{project}/locations/{location}/apps/ (routes.cc), Google's
// error shape, Google's credentials, the project as the tenant. Its
// operations are polled at .../locations/{location}/operations/{op}, a route
// Insights owns (one operations collection per location).
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "api/ces_v1/routes.h"
#include "api/dialect.h"
#include "api/google/errors.h"
#include "api/google/request.h"
#include "core/absl_compat.h"

namespace parley::ces_v1 {
namespace {

class CesDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "ces_v1"; }

  bool Owns(std::string_view path) const override {
    // projects/P/locations/L/apps[/...]: the segment after the location.
    if (!absl::StartsWith(Sv(path), "/v1/projects/")) return false;
    const std::vector<absl::string_view> segments = absl::StrSplit(Sv(path), '/');
    // "", "v1", "projects", P, "locations", L, "apps", ...
    return segments.size() >= 7 && segments[4] == "locations" && absl::StartsWith(segments[6], "apps");
  }

  void AddRoutes(const api::ServerConfig& config, const api::Services& services,
                 http::Router* router) override {
    ces_v1::AddRoutes(config, services, router);
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return google_api::ErrorResponse(http_status, message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams& params) const override {
    return api::Caller{google_api::FindCredential(request), std::string(Tenant(params))};
  }
  std::string_view TenantParam() const override { return "project"; }

  // Bulk deletion (conversations:batchDelete) needs an admin key, as
  // Insights' bulkDelete does.
  bool IsAdminRoute(http::Method method, std::string_view pattern) const override {
    return method == http::Method::kPost && absl::EndsWith(Sv(pattern), ":batchDelete");
  }
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<CesDialect>(); }

}  // namespace parley::ces_v1
