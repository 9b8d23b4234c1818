#include "api/dialogflow_v2/common.h"

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/conversation_origin.h"
#include "service/conversation_service.h"
#include "service/message_service.h"
#include "service/resource_service.h"

namespace parley::dialogflow_v2 {

Place PlaceOf(const http::PathParams& p) {
  Place place;
  place.project = std::string(p.Get("project"));
  std::string_view location = p.Get("location");
  if (location.empty()) {
    place.scope = "global";
    place.prefix = absl::StrCat("projects/", place.project);
  } else {
    place.scope = std::string(location);
    place.prefix = absl::StrCat("projects/", place.project, "/locations/", place.scope);
  }
  return place;
}

void AddBoth(http::Router* router, http::Method method, std::string_view suffix, http::Handler handler,
             http::Dispatch dispatch) {
  router->Add(method, absl::StrCat("/v2/projects/{project}", Sv(suffix)), handler, dispatch);
  router->Add(method, absl::StrCat("/v2/projects/{project}/locations/{location}", Sv(suffix)),
              std::move(handler), dispatch);
}

absl::StatusOr<int64_t> DecodeOffset(const core::PageTokenCodec& tokens, const Query& q,
                                     std::string_view fingerprint) {
  auto cursor = PageCursor(q, tokens, fingerprint);
  if (!cursor.ok()) return cursor.status();
  if (!*cursor) return 0;
  if ((*cursor)->sort_value < 0) return absl::InvalidArgumentError("invalid page token");
  return (*cursor)->sort_value;
}

std::string EncodeOffset(const core::PageTokenCodec& tokens, int64_t offset, std::string_view fingerprint) {
  return tokens.Encode(core::ListCursor{offset, ""}, fingerprint);
}

absl::Status ConversationNotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("conversation \"", Sv(id), "\" not found"));
}

namespace {

// What a Dialogflow read of conversation `id` answers after a read with
// status `read` of `c`: NOT_FOUND naming it, also for another dialect's.
absl::Status CheckRead(const absl::Status& read, const core::Conversation* c, std::string_view id) {
  if (!read.ok()) return absl::IsNotFound(read) ? ConversationNotFound(id) : read;
  if (core::OriginOf(*c) != core::ConversationOrigin::kDialogflow) return ConversationNotFound(id);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<core::Conversation> LoadConversation(const api::ServerConfig& config,
                                                    const api::Services& services, const Place& place,
                                                    std::string_view id) {
  auto c = services.messages->CompleteIfIdle(place.project, place.scope, id, config.idle_complete_us);
  if (absl::Status st = CheckRead(c.status(), c.ok() ? &*c : nullptr, id); !st.ok()) return st;
  return c;
}

absl::StatusOr<std::shared_ptr<const core::Conversation>> ShareConversation(const api::ServerConfig& config,
                                                                           const api::Services& services,
                                                                           const Place& place, std::string_view id) {
  auto c = services.messages->ShareCompleteIfIdle(place.project, place.scope, id, config.idle_complete_us);
  if (absl::Status st = CheckRead(c.status(), c.ok() ? c->get() : nullptr, id); !st.ok()) return st;
  return c;
}

absl::StatusOr<core::Profile> LoadProfile(const api::Services& services, const Place& place,
                                          std::string_view id) {
  core::Profile profile;
  auto stored = services.resources->Get(
      service::ResourceKey{place.project, kProfileKind, place.scope, id}, &profile);
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) {
      return absl::NotFoundError(absl::StrCat("conversation profile \"", Sv(id), "\" not found"));
    }
    return stored.status();
  }
  return profile;
}

}  // namespace parley::dialogflow_v2
