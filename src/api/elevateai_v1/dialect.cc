// The ElevateAI interactions API as `parley serve` registers it: every route
// under /v1/interactions (routes.h), ASP.NET problem details as the error
// shape, the `X-API-Token` header as the API key and its first tenant as the
// tenant (ElevateAI paths name none).
#include <memory>

#include "absl/strings/match.h"
#include "api/dialect.h"
#include "api/elevateai_v1/routes.h"
#include "core/absl_compat.h"

namespace parley::elevateai_v1 {
namespace {

class ElevateAiDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "elevateai_v1"; }

  bool Owns(std::string_view path) const override {
    return path == "/v1/interactions" || absl::StartsWith(Sv(path), "/v1/interactions/");
  }

  void AddRoutes(const api::ServerConfig& config, const api::Services& services,
                 http::Router* router) override {
    elevateai_v1::AddRoutes(Ctx{services, config}, router);
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return ErrorResponse(http_status, message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams&) const override {
    return api::Caller{ApiToken(request), ""};
  }

  // The upload takes the SDKs' multipart/form-data (and raw audio).
  bool TakesBodyType(http::Method method, std::string_view pattern,
                     std::string_view media_type) const override {
    if (method == http::Method::kPost && absl::EndsWith(Sv(pattern), "/upload")) {
      return media_type == "multipart/form-data" || media_type == "application/octet-stream" ||
             absl::StartsWith(Sv(media_type), "audio/");
    }
    return media_type == "application/json";
  }
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<ElevateAiDialect>(); }

}  // namespace parley::elevateai_v1
