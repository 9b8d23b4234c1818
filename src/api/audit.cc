#include "api/audit.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/auth.h"
#include "service/audit_service.h"
#include "service/key_service.h"

namespace parley::api {

bool IsAuditedRoute(const Dialect& dialect, http::Method method, std::string_view pattern) {
  return method == http::Method::kDelete || dialect.IsAdminRoute(method, pattern);
}

http::Tracker MakeAuditTracker(const Dialect* dialect, service::KeyService* keys,
                               service::AuditService* audit, RateLimiter* failed_auth,
                               http::Method method, std::string_view pattern) {
  if (!IsAuditedRoute(*dialect, method, pattern)) return nullptr;
  std::string action = std::string(http::MethodName(method)) + " " + std::string(pattern);
  return [dialect, keys, audit, failed_auth, action = std::move(action)](
             const http::Request& req, const http::PathParams& params) -> http::Completion {
    if (keys->Required() && FailuresExhausted(failed_auth, req.remote_address)) return nullptr;
    service::AuditEntry entry;
    entry.action = action;
    if (!http::PercentDecode(req.path, &entry.resource)) entry.resource = req.path;
    const Caller caller = dialect->FindCaller(req, params);
    entry.tenant = caller.tenant;
    if (!keys->Required()) {
      entry.key = "dev";
    } else if (auto key = keys->Verify(caller.credential); key.ok()) {
      // Verified secrets are cached, so the guard that follows does not hash again.
      entry.key = key->name().empty() ? key->id() : key->name();
      if (entry.tenant.empty() && key->tenants_size() > 0) entry.tenant = key->tenants(0);
    } else {
      entry.key = "-";
    }
    return [audit, entry = std::move(entry)](const http::Response& response) mutable {
      entry.result = std::to_string(response.status);
      audit->Record(std::move(entry));
    };
  };
}

}  // namespace parley::api
