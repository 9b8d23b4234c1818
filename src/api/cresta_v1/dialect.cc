// The Cresta conversation service as `parley serve` registers it: every route
// under /v1/customers/{customer}/ (routes.h), gRPC-gateway's error shape
// ({"code", "message", "details"}), `Authorization: Bearer KEY`, the customer
// as the tenant. Redaction is for admin keys only.
#include <memory>

#include "absl/strings/match.h"
#include "api/cresta_v1/routes.h"
#include "api/dialect.h"
#include "api/http/status.h"
#include "core/absl_compat.h"

namespace parley::cresta_v1 {
namespace {

class CrestaDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "cresta_v1"; }

  bool Owns(std::string_view path) const override {
    return absl::StartsWith(Sv(path), "/v1/customers/");
  }

  void AddRoutes(const api::ServerConfig&, const api::Services& services,
                 http::Router* router) override {
    cresta_v1::AddRoutes(services, router);
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return ErrorResponse(http_status, http::CodeForHttpStatus(http_status), message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams& params) const override {
    return api::Caller{BearerToken(request), std::string(Tenant(params))};
  }
  std::string_view TenantParam() const override { return "customer"; }

  // "Currently only cresta admins can redact a message."
  bool IsAdminRoute(http::Method method, std::string_view pattern) const override {
    return method == http::Method::kPost && absl::EndsWith(Sv(pattern), ":redact");
  }
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<CrestaDialect>(); }

}  // namespace parley::cresta_v1
