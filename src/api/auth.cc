#include "api/auth.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/key_service.h"

namespace parley::api {
namespace {

int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// nullopt when `caller` has a token left, else the 429 to answer.
std::optional<http::Response> Throttle(const Dialect& dialect, RateLimiter* limits,
                                       std::string_view caller) {
  if (limits == nullptr) return std::nullopt;
  std::optional<int> retry_after = limits->Take(caller, MonotonicMicros());
  if (!retry_after) return std::nullopt;
  http::Response r = dialect.RenderError(
      429, absl::StrCat("Too many requests; retry after ", *retry_after, " s."));
  r.headers.emplace_back("Retry-After", std::to_string(*retry_after));
  return r;
}

}  // namespace

core::ApiKeyRole RoleNeeded(const Dialect& dialect, http::Method method, std::string_view pattern) {
  if (dialect.IsAdminRoute(method, pattern)) return core::ADMIN;
  if (method == http::Method::kGet || method == http::Method::kHead) return core::VIEWER;
  return core::EDITOR;
}

http::Guard MakeAuthGuard(const Dialect* dialect, service::KeyService* keys, RateLimits limits,
                          http::Method method, std::string_view pattern) {
  const core::ApiKeyRole needed = RoleNeeded(*dialect, method, pattern);
  return [dialect, keys, limits, needed](const http::Request& req,
                                         const http::PathParams& params) -> std::optional<http::Response> {
    if (!keys->Required()) {
      // Development mode: no key to count by, so the client's address.
      return Throttle(*dialect, limits.per_address, req.remote_address);
    }
    const Caller caller = dialect->FindCaller(req, params);
    auto authorized = keys->Authorize(caller.credential, caller.tenant, needed);
    if (authorized.ok()) return Throttle(*dialect, limits.per_key, authorized->key_id);
    const absl::Status& s = authorized.status();
    const int status = absl::IsUnauthenticated(s) ? 401 : absl::IsPermissionDenied(s) ? 403 : 500;
    http::Response r = dialect->RenderError(status, std::string(s.message()));
    return r;
  };
}

}  // namespace parley::api
