// The Insights v1 dialect as `parley serve` registers it: every route under
// /v1/projects/{project}/locations/{location}/ that routes.h lists, Google's
// error shape, Google's credentials, the project as the tenant.
#include <memory>

#include "absl/strings/match.h"
#include "api/dialect.h"
#include "api/google/errors.h"
#include "api/google/request.h"
#include "api/insights_v1/routes.h"
#include "core/absl_compat.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {
namespace {

class InsightsDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "insights_v1"; }

  bool Owns(std::string_view path) const override {
    return absl::StartsWith(Sv(path), "/v1/projects/");
  }

  void AddRoutes(const api::ServerConfig& config, const api::Services& services,
                 http::Router* router) override {
    insights_v1::AddRoutes(config, services, router);
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return google_api::ErrorResponse(http_status, message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams& params) const override {
    return api::Caller{google_api::FindCredential(request), std::string(Tenant(params))};
  }
  std::string_view TenantParam() const override { return "project"; }

  // Conversations (create, list, get, update), upload and statistics.
  BodyTypes BodyTypesOf(http::Method method, std::string_view pattern) const override {
    using http::Method;
    const auto p = Sv(pattern);
    if (absl::EndsWith(p, "/conversations")) {
      if (method == Method::kPost) return {Conversation::descriptor(), Conversation::descriptor()};
      if (method == Method::kGet) return {nullptr, ListConversationsResponse::descriptor()};
    }
    if (absl::EndsWith(p, "/conversations/{conversation}")) {
      if (method == Method::kPatch) return {Conversation::descriptor(), Conversation::descriptor()};
      if (method == Method::kGet) return {nullptr, Conversation::descriptor()};
    }
    if (method == Method::kPost && absl::EndsWith(p, "/conversations:upload")) {
      return {UploadConversationRequest::descriptor(), nullptr};
    }
    if (method == Method::kGet && absl::EndsWith(p, "/conversations:calculateStats")) {
      return {nullptr, CalculateStatsResponse::descriptor()};
    }
    return {};
  }

  // Bulk delete and settings changes (the default TTL, redaction and analysis
  // policy of every later upload) are for admins.
  bool IsAdminRoute(http::Method method, std::string_view pattern) const override {
    return (method == http::Method::kPost && absl::EndsWith(Sv(pattern), "/conversations:bulkDelete")) ||
           (method == http::Method::kPatch && absl::EndsWith(Sv(pattern), "/settings"));
  }
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<InsightsDialect>(); }

}  // namespace parley::insights_v1
