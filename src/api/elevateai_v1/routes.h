// The ElevateAI interactions API (docs.elevateai.com), all under
// /v1/interactions:
//   POST   /v1/interactions                          declare audio / transcript / chat -> 201
//   POST   /v1/interactions/{id}/upload              the audio file (multipart, any part name)
//   GET    /v1/interactions/{id}/status
//   GET    /v1/interactions/{id}/transcript, /transcripts      word by word
//   GET    /v1/interactions/{id}/transcripts/punctuated
//   GET    /v1/interactions/{id}/ai                  CX AI
//   DELETE /v1/interactions/{id}
//   GET    /v1/interactions/{id}/gen-ai/...          the twelve generative endpoints (ask: also POST)
// Identity (docs/dialect-mapping.md): the tenant is the API key's first
// tenant ("default" in development mode, without keys); interactions live
// in scope "global", so Insights shows them at projects/{tenant}/locations/global.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/dialect.h"
#include "api/http/message.h"
#include "api/http/router.h"
#include "google/protobuf/struct.pb.h"
#include "parley/conversation.pb.h"

namespace parley::elevateai_v1 {

inline constexpr std::string_view kScope = "global";
inline constexpr std::string_view kDevTenant = "default";
inline constexpr std::string_view kInteraction = "/v1/interactions/{interaction}";

struct Ctx {
  api::Services services;
  api::ServerConfig config;
};

void AddRoutes(const Ctx& ctx, http::Router* router);
void AddInteractionRoutes(const Ctx& ctx, http::Router* router);
void AddGenAiRoutes(const Ctx& ctx, http::Router* router);

// ElevateAI's error shape (ASP.NET problem details): {"type", "title",
// "status", "detail"}, title being ElevateAI's message ("NotFound",
// "RequestTimeout", "TooManyRequests", ...).
http::Response ErrorResponse(int http_status, std::string_view detail);
http::Response ErrorResponse(const absl::Status& status);

// `body` as JSON with `http_status`.
http::Response Json(const google::protobuf::Struct& body, int http_status = 200);

// The X-API-Token header; empty when absent.
std::string ApiToken(const http::Request& request);

// The tenant the request acts for (the key's first tenant; kDevTenant without keys).
absl::StatusOr<std::string> TenantOf(const Ctx& ctx, const http::Request& request);

// The interaction of the path, NOT_FOUND when absent or not a GUID.
absl::StatusOr<core::Conversation> Load(const Ctx& ctx, const http::Request& request,
                                        const http::PathParams& params, std::string* tenant = nullptr);

// Whether `id` is a GUID (8-4-4-4-12 hex digits).
bool IsGuid(std::string_view id);

}  // namespace parley::elevateai_v1
