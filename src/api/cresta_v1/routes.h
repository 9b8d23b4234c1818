// The Cresta conversation service's routes (seed:
// /work/shared/seeds/cresta-conversation-service.txt), all under
// /v1/customers/{customer}/profiles/{profile}/:
//   conversations              POST (?conversationId=), GET (filter, pageSize, pageToken)
//   conversations/{c}          GET, PATCH (?updateMask=)
//   conversations/{c}:close, :upsertMetadata, :addTags, :removeTags   POST
//   conversations/{c}/tags     GET
//   conversations/{c}/messages POST (?messageId=, ?allowClosedConversation=), GET
//   conversations/{c}/messages:batchCreate                             POST
//   conversations/{c}/messages/{m}          GET, DELETE
//   conversations/{c}/messages/{m}:redact   POST (admin)
//   conversations/{c}/events, /momentAnnotations                       GET
//   moments                    POST (?momentId=), GET;  moments/{m}  GET
// Identity (docs/dialect-mapping.md): tenant = customer; conversations live
// in scope "global" with Conversation.profile = the profile id, so Insights
// shows them at projects/{customer}/locations/global.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "api/dialect.h"
#include "api/http/message.h"
#include "api/http/router.h"

namespace parley::cresta_v1 {

void AddRoutes(const api::Services& services, http::Router* router);

// google.rpc.Status as gRPC-gateway writes it, with HTTP status `http_status`:
// {"code": <canonical code number>, "message": "...", "details": []}.
http::Response ErrorResponse(int http_status, absl::StatusCode code, const std::string& message);
http::Response ErrorResponse(const absl::Status& status);

// The KEY of `Authorization: Bearer KEY`; empty when absent.
std::string BearerToken(const http::Request& request);

}  // namespace parley::cresta_v1
