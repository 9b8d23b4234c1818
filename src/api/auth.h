// Authentication and authorization of every route a dialect registers
// (issue 9): `parley serve` installs MakeAuthGuard as the router's guard
// factory while a dialect adds its routes.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "api/dialect.h"
#include "api/http/router.h"
#include "api/rate_limit.h"
#include "parley/auth.pb.h"

namespace parley::service {
class KeyService;
}

namespace parley::api {

// The role a route needs: admin when `dialect` says so, viewer for GET and
// HEAD, editor otherwise.
core::ApiKeyRole RoleNeeded(const Dialect& dialect, http::Method method, std::string_view pattern);

// The guard of one route of `dialect`: while `keys` requires a key, the
// request's credential (Dialect::FindCaller) must be a valid key (else 401)
// for the request's tenant with the route's role (else 403), both rendered
// by Dialect::RenderError. A 403 for a tenant does not depend on what exists
// in it. Then the request takes a token from the bucket of its key
// (`limits.per_key`), or in development mode of the client's address
// (`limits.per_address`); null: no limit. Without a token it is answered 429
// RESOURCE_EXHAUSTED with Retry-After. Each 401 or 403 takes a token from
// the client address's bucket of failures (`limits.failed_auth`); while
// that bucket is empty the address's requests are answered 429 before any
// key is looked up. `dialect`, `keys` and the limiters must outlive the
// router.
struct RateLimits {
  RateLimiter* per_key = nullptr;
  RateLimiter* per_address = nullptr;
  RateLimiter* failed_auth = nullptr;
};
http::Guard MakeAuthGuard(const Dialect* dialect, service::KeyService* keys, RateLimits limits,
                          http::Method method, std::string_view pattern);

// The guard of requests that match no route (http::Router::SetUnmatchedGuard):
// while `keys` requires a key, a request without a valid one gets 401 in the
// shape of the dialect owning the path, so that routes are not revealed to
// unauthenticated callers; with a valid key the 404 or 405 follows. Such a
// 401 counts in `failed_auth` (null: not counted) as in MakeAuthGuard.
http::Guard MakeUnmatchedAuthGuard(const std::vector<std::unique_ptr<Dialect>>* dialects,
                                   service::KeyService* keys, RateLimiter* failed_auth);

// Whether the client at `address` is refused for failed authentications now
// (its bucket in `failed_auth` is empty; null: never): then its request is
// answered 429 without a key lookup, and not audited.
bool FailuresExhausted(RateLimiter* failed_auth, std::string_view address);

// The guard of one route checking its request body's Content-Type
// (Dialect::TakesBodyType): a non-empty body of a type the route does not
// take gets 415 (INVALID_ARGUMENT in Google's shape). An empty body needs
// no Content-Type.
http::Guard MakeBodyTypeGuard(const Dialect* dialect, http::Method method, std::string_view pattern);

}  // namespace parley::api
