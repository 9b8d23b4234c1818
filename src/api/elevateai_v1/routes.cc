#include "api/elevateai_v1/routes.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/http/status.h"
#include "core/absl_compat.h"
#include "api/protojson/protojson.h"
#include "core/public_error.h"
#include "service/conversation_service.h"
#include "service/key_service.h"

namespace parley::elevateai_v1 {

namespace {

std::string_view Title(int status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 408: return "RequestTimeout";
    case 409: return "Conflict";
    case 413: return "PayloadTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "UnprocessableEntity";
    case 429: return "TooManyRequests";
    case 503: return "ServiceUnavailable";
    case 504: return "GatewayTimeout";
    default: return status >= 500 ? "InternalServerError" : "BadRequest";
  }
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kDeadlineExceeded: return 408;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

}  // namespace

http::Response ErrorResponse(int http_status, std::string_view detail) {
  http::Response r;
  r.status = http_status;
  r.content_type = "application/problem+json; charset=utf-8";
  r.body = absl::StrCat("{\"type\":\"https://httpstatuses.io/", http_status, "\",\"title\":\"",
                        Sv(Title(http_status)), "\",\"status\":", http_status, ",\"detail\":");
  http::AppendJsonString(detail, &r.body);
  r.body += "}";
  return r;
}

http::Response ErrorResponse(const absl::Status& status) {
  if (status.ok()) return ErrorResponse(500, "unknown error");
  return ErrorResponse(HttpStatusOf(status.code()), core::PublicErrorMessage(status));
}

http::Response Json(const google::protobuf::Struct& body, int http_status) {
  http::Response r;
  r.status = http_status;
  r.body = protojson::ToJson(body);
  return r;
}

std::string ApiToken(const http::Request& request) {
  const std::string* h = request.Header("x-api-token");
  return h == nullptr ? "" : std::string(absl::StripAsciiWhitespace(*h));
}

absl::StatusOr<std::string> TenantOf(const Ctx& ctx, const http::Request& request) {
  service::KeyService* keys = ctx.services.keys;
  if (keys == nullptr || !keys->Required()) return std::string(kDevTenant);
  auto authorized = keys->Authorize(ApiToken(request), "", core::VIEWER);
  if (!authorized.ok()) return authorized.status();
  return authorized->tenant;
}

bool IsGuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

absl::StatusOr<core::Conversation> Load(const Ctx& ctx, const http::Request& request,
                                        const http::PathParams& params, std::string* tenant_out) {
  auto tenant = TenantOf(ctx, request);
  if (!tenant.ok()) return tenant.status();
  std::string id = absl::AsciiStrToLower(Sv(params.Get("interaction")));
  if (!IsGuid(id)) return absl::NotFoundError("Interaction not found: the identifier is not a GUID.");
  auto c = ctx.services.conversations->Get(*tenant, kScope, id);
  if (!c.ok() && absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat("Interaction ", id, " not found."));
  }
  if (tenant_out != nullptr) *tenant_out = *tenant;
  return c;
}

void AddRoutes(const Ctx& ctx, http::Router* router) {
  AddInteractionRoutes(ctx, router);
  AddGenAiRoutes(ctx, router);
}

}  // namespace parley::elevateai_v1
