// The Dialogflow ES v2 dialect as `parley serve` registers it: conversation
// profiles, conversations, participants, messages and summaries under
// /v2/projects/{project}/locations/{location}/ and the location-less
// /v2/projects/{project}/ (location "global"); Google's error shape, Google's
// credentials, the project as the tenant.
#include <memory>

#include "absl/strings/match.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/routes.h"
#include "api/google/errors.h"
#include "api/google/request.h"
#include "core/absl_compat.h"
#include "dialogflow_v2/dialogflow.pb.h"

namespace parley::dialogflow_v2 {
namespace {

class DialogflowDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "dialogflow_v2"; }

  bool Owns(std::string_view path) const override {
    return absl::StartsWith(Sv(path), "/v2/projects/");
  }

  void AddRoutes(const api::ServerConfig& config, const api::Services& services,
                 http::Router* router) override {
    dialogflow_v2::AddRoutes(config, services, router);
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return google_api::ErrorResponse(http_status, message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams& params) const override {
    return api::Caller{google_api::FindCredential(request), std::string(Tenant(params))};
  }
  std::string_view TenantParam() const override { return "project"; }
  // analyzeContent (with and without a location).
  BodyTypes BodyTypesOf(http::Method method, std::string_view pattern) const override {
    if (method == http::Method::kPost && absl::EndsWith(Sv(pattern), ":analyzeContent")) {
      return {AnalyzeContentRequest::descriptor(), AnalyzeContentResponse::descriptor()};
    }
    return {};
  }
  // No admin routes: every route reads (viewer) or writes one tenant's
  // conversations and profiles (editor).
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<DialogflowDialect>(); }

}  // namespace parley::dialogflow_v2
