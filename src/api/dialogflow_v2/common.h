// What the Dialogflow v2 handlers share: the two path forms, the place a
// request names, paging, and loading a conversation as Dialogflow sees it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/mapping.h"
#include "api/google/request.h"
#include "api/http/router.h"
#include "core/page_token.h"
#include "parley/conversation.pb.h"
#include "parley/profile.pb.h"

namespace parley::dialogflow_v2 {

using google_api::CheckFields;
using google_api::CheckNameMatchesUrl;
using google_api::EffectivePageSize;
using google_api::Error;
using google_api::IsEmptyBody;
using google_api::Json;
using google_api::ParseBody;
using google_api::ParsePageSize;
using google_api::PageCursor;
using google_api::PatchPaths;
using google_api::Query;
using google_api::UpdateMaskPaths;

// Resource kind of conversation profiles in ResourceService (body:
// core::Profile, scope: the location).
inline constexpr std::string_view kProfileKind = "profile";

// A Dialogflow list page (AIP-158, as Dialogflow documents it): 0 (unset) is
// 100, more than 1000 is 1000.
inline int PageSize(int requested) { return EffectivePageSize(requested, 100, 1000); }

// The place the request's path names: {project} and {location} ("global"
// when the path has none).
Place PlaceOf(const http::PathParams& p);

// Registers `handler` at "/v2/projects/{project}" + suffix and at
// "/v2/projects/{project}/locations/{location}" + suffix.
void AddBoth(http::Router* router, http::Method method, std::string_view suffix, http::Handler handler,
             http::Dispatch dispatch = http::Dispatch::kInline);

// Page tokens of lists served from one conversation (participants,
// messages): the offset into the filtered list, signed for `fingerprint`.
absl::StatusOr<int64_t> DecodeOffset(const core::PageTokenCodec& tokens, const Query& q,
                                     std::string_view fingerprint);
std::string EncodeOffset(const core::PageTokenCodec& tokens, int64_t offset, std::string_view fingerprint);

// The conversation `id` at `place` as Dialogflow sees it: one that runs
// under a conversation profile (Dialogflow or another dialect with
// profiles); other conversations of the scope (Insights uploads) are
// NOT_FOUND here. An idle one is completed first (config.idle_complete_us).
absl::StatusOr<core::Conversation> LoadConversation(const api::ServerConfig& config,
                                                    const api::Services& services, const Place& place,
                                                    std::string_view id);
// LoadConversation as an immutable share (MessageService::ShareCompleteIfIdle):
// no copy of a live conversation. Drop it before writing the conversation.
absl::StatusOr<std::shared_ptr<const core::Conversation>> ShareConversation(const api::ServerConfig& config,
                                                                           const api::Services& services,
                                                                           const Place& place, std::string_view id);
absl::Status ConversationNotFound(std::string_view id);

// The stored profile `id` at `place`; NOT_FOUND naming it.
absl::StatusOr<core::Profile> LoadProfile(const api::Services& services, const Place& place,
                                          std::string_view id);

}  // namespace parley::dialogflow_v2
