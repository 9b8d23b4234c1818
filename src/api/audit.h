// The audit log of the routes every dialect registers (ADR 0013): `parley
// serve` pushes MakeAuditTracker as a router tracker while a dialect adds its
// routes, so each destructive or admin request is recorded once answered —
// allowed or refused (401, 403, 429) — with the caller's key name.
#pragma once

#include <string_view>

#include "api/dialect.h"
#include "api/http/router.h"
#include "api/rate_limit.h"

namespace parley::service {
class AuditService;
class KeyService;
}  // namespace parley::service

namespace parley::api {

// Whether requests of a route are audited: DELETE routes (they destroy) and
// the routes the dialect says need an admin key (bulk delete, settings,
// redaction).
bool IsAuditedRoute(const Dialect& dialect, http::Method method, std::string_view pattern);

// The tracker of one route of `dialect`: null unless IsAuditedRoute; else
// each request appends {time answered, key name ("dev" in development mode,
// "-" without a valid key), tenant, action "METHOD PATTERN", resource (the
// decoded request path), result (the HTTP status)} through `audit`, without
// waiting for it to be durable. A request from an address refused for its
// failed authentications (FailuresExhausted with `failed_auth`; null: none)
// is not recorded: a client hammering with wrong keys costs no audit entry.
// All must outlive the router.
http::Tracker MakeAuditTracker(const Dialect* dialect, service::KeyService* keys,
                               service::AuditService* audit, RateLimiter* failed_auth,
                               http::Method method, std::string_view pattern);

}  // namespace parley::api
