#include "api/cresta_v1/routes.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/cresta_v1/route_helpers.h"
#include "api/http/status.h"
#include "core/public_error.h"

namespace parley::cresta_v1 {

using http::Response;

http::Response ErrorResponse(int http_status, absl::StatusCode code, const std::string& message) {
  Response r;
  r.status = http_status;
  r.body = absl::StrCat("{\"code\":", static_cast<int>(code), ",\"message\":");
  http::AppendJsonString(message, &r.body);
  r.body += ",\"details\":[]}";
  return r;
}

http::Response ErrorResponse(const absl::Status& status) {
  if (status.ok()) return ErrorResponse(500, absl::StatusCode::kUnknown, "unknown error");
  return ErrorResponse(http::HttpStatusFor(status.code()), status.code(),
                       core::PublicErrorMessage(status));
}

std::string BearerToken(const http::Request& request) {
  const std::string* h = request.Header("authorization");
  if (h == nullptr) return "";
  absl::string_view v = *h;
  if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) {
    return std::string(absl::StripAsciiWhitespace(v.substr(7)));
  }
  return "";
}

void AddRoutes(const api::Services& services, http::Router* router) {
  const Ctx ctx{services.conversations, services.messages, services.resources};
  AddConversationRoutes(ctx, router);
  AddMessageRoutes(ctx, router);
  AddMetadataRoutes(ctx, router);
}

}  // namespace parley::cresta_v1
