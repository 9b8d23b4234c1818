#include "api/auth.h"

#include <string>

#include "service/key_service.h"

namespace parley::api {

core::ApiKeyRole RoleNeeded(const Dialect& dialect, http::Method method, std::string_view pattern) {
  if (dialect.IsAdminRoute(method, pattern)) return core::ADMIN;
  if (method == http::Method::kGet || method == http::Method::kHead) return core::VIEWER;
  return core::EDITOR;
}

http::Guard MakeAuthGuard(const Dialect* dialect, service::KeyService* keys, http::Method method,
                          std::string_view pattern) {
  const core::ApiKeyRole needed = RoleNeeded(*dialect, method, pattern);
  return [dialect, keys, needed](const http::Request& req,
                                 const http::PathParams& params) -> std::optional<http::Response> {
    if (!keys->Required()) return std::nullopt;  // development mode
    const Caller caller = dialect->FindCaller(req, params);
    auto tenant = keys->Authorize(caller.credential, caller.tenant, needed);
    if (tenant.ok()) return std::nullopt;
    const absl::Status& s = tenant.status();
    const int status = absl::IsUnauthenticated(s) ? 401 : absl::IsPermissionDenied(s) ? 403 : 500;
    http::Response r = dialect->RenderError(status, std::string(s.message()));
    return r;
  };
}

}  // namespace parley::api
