#include "api/auth.h"

#include <cctype>
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

// nullopt when `retry_after` is (a token was there), else the 429 that
// says how long to wait.
std::optional<http::Response> TooMany(const Dialect& dialect, const char* what,
                                      std::optional<int> retry_after) {
  if (!retry_after) return std::nullopt;
  http::Response r =
      dialect.RenderError(429, absl::StrCat("Too many ", what, "; retry after ", *retry_after, " s."));
  r.headers.emplace_back("Retry-After", std::to_string(*retry_after));
  return r;
}

// nullopt when `caller` has a token left, else the 429 to answer.
std::optional<http::Response> Throttle(const Dialect& dialect, RateLimiter* limits,
                                       std::string_view caller) {
  if (limits == nullptr) return std::nullopt;
  return TooMany(dialect, "requests", limits->Take(caller, MonotonicMicros()));
}

// nullopt unless `address` has used up its failed authentications; then the
// 429 to answer instead of looking its credential up.
std::optional<http::Response> RefuseFailing(const Dialect& dialect, RateLimiter* failed_auth,
                                            std::string_view address) {
  if (failed_auth == nullptr) return std::nullopt;
  return TooMany(dialect, "failed authentications from this address",
                 failed_auth->Check(address, MonotonicMicros()));
}

// The 401 or 403 of `refusal`, counted against `address` (a 500, the
// server's own failure, is not the caller's).
http::Response RefuseCaller(const Dialect& dialect, RateLimiter* failed_auth,
                            std::string_view address, const absl::Status& refusal) {
  const int status = absl::IsUnauthenticated(refusal) ? 401 : absl::IsPermissionDenied(refusal) ? 403 : 500;
  if (failed_auth != nullptr && status != 500) failed_auth->Take(address, MonotonicMicros());
  return dialect.RenderError(status, std::string(refusal.message()));
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
    if (auto refused = RefuseFailing(*dialect, limits.failed_auth, req.remote_address)) return refused;
    const Caller caller = dialect->FindCaller(req, params);
    auto authorized = keys->Authorize(caller.credential, caller.tenant, needed);
    if (authorized.ok()) return Throttle(*dialect, limits.per_key, authorized->key_id);
    return RefuseCaller(*dialect, limits.failed_auth, req.remote_address, authorized.status());
  };
}

bool FailuresExhausted(RateLimiter* failed_auth, std::string_view address) {
  return failed_auth != nullptr && failed_auth->Check(address, MonotonicMicros()).has_value();
}

http::Guard MakeUnmatchedAuthGuard(const std::vector<std::unique_ptr<Dialect>>* dialects,
                                   service::KeyService* keys, RateLimiter* failed_auth) {
  return [dialects, keys, failed_auth](const http::Request& req,
                                       const http::PathParams& params) -> std::optional<http::Response> {
    if (!keys->Required()) return std::nullopt;
    const Dialect* dialect = DialectFor(*dialects, req.path);
    if (dialect == nullptr) return std::nullopt;
    if (auto refused = RefuseFailing(*dialect, failed_auth, req.remote_address)) return refused;
    // Any valid key may learn that a path does not exist; its tenant and role
    // do not matter here.
    auto tenant = keys->Authorize(dialect->FindCaller(req, params).credential, "", core::VIEWER);
    if (tenant.ok() || !absl::IsUnauthenticated(tenant.status())) return std::nullopt;
    return RefuseCaller(*dialect, failed_auth, req.remote_address, tenant.status());
  };
}

http::Guard MakeBodyTypeGuard(const Dialect* dialect, http::Method method, std::string_view pattern) {
  return [dialect, method, pattern = std::string(pattern)](
             const http::Request& req, const http::PathParams&) -> std::optional<http::Response> {
    if (req.body.empty()) return std::nullopt;
    const std::string* type = req.Header("content-type");
    std::string media;
    if (type != nullptr) {
      std::string_view t = *type;
      t = t.substr(0, t.find(';'));
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      media.assign(t);
      for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!media.empty() && dialect->TakesBodyType(method, pattern, media)) return std::nullopt;
    return dialect->RenderError(
        415, type == nullptr
                 ? std::string("The request body has no Content-Type; send Content-Type: application/json.")
                 : absl::StrCat("Content-Type \"", type->substr(0, 128),
                                "\" is not supported for this method; send application/json."));
  };
}

}  // namespace parley::api
