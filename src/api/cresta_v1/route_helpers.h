// What the Cresta dialect's route files share: the services they call,
// path patterns, request parsing and the conversation a path names.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/cresta_v1/routes.h"
#include "api/http/message.h"
#include "api/http/router.h"
#include "google/protobuf/message.h"
#include "parley/conversation.pb.h"

namespace parley::service {
class ConversationService;
class MessageService;
class ResourceService;
}  // namespace parley::service

namespace parley::cresta_v1 {

inline constexpr std::string_view kProfile = "/v1/customers/{customer}/profiles/{profile}";
inline constexpr std::string_view kConversations =
    "/v1/customers/{customer}/profiles/{profile}/conversations";
inline constexpr std::string_view kConversation =
    "/v1/customers/{customer}/profiles/{profile}/conversations/{conversation}";
// Moments are ResourceService resources of this kind, in scope "profiles/P".
inline constexpr std::string_view kMomentKind = "moment";

struct Ctx {
  service::ConversationService* conversations;
  service::MessageService* messages;
  service::ResourceService* resources;
};

std::string MomentScope(std::string_view profile);

// `m` as a 200 JSON response (proto3 JSON).
http::Response Json(const google::protobuf::Message& m);

// INVALID_ARGUMENT unless the ids captured as `names` follow the core id rule.
absl::Status CheckIds(const http::PathParams& p, std::initializer_list<std::string_view> names);

// The JSON body into `out`; an empty body is the empty message.
absl::Status ParseBody(const http::Request& req, google::protobuf::Message* out);

// A boolean query parameter: absent or "false" false, "true" true, else INVALID_ARGUMENT.
absl::StatusOr<bool> BoolParam(const http::Request& req, std::string_view name);

// The conversation of the path: NOT_FOUND also when it belongs to another
// profile (one without a profile, e.g. from Insights, is under every one).
absl::StatusOr<core::Conversation> Load(const Ctx& ctx, const http::PathParams& p);

// customers/C/profiles/P/conversations/X of the path.
std::string NameOf(const http::PathParams& p);

// Moment `id` of (customer, profile); NOT_FOUND when absent.
absl::StatusOr<core::Moment> LoadMoment(const Ctx& ctx, std::string_view customer,
                                        std::string_view profile, std::string_view id);

// Each route file registers its routes (all blocking: they touch the store).
void AddConversationRoutes(const Ctx& ctx, http::Router* router);
void AddMessageRoutes(const Ctx& ctx, http::Router* router);
void AddMetadataRoutes(const Ctx& ctx, http::Router* router);

}  // namespace parley::cresta_v1
