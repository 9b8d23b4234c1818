// conversationProfiles: create, get, list, patch, delete. A profile is a
// core::Profile stored with ResourceService (kind "profile", scope = the
// location), so another dialect with profiles reads the same one.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dialogflow_v2/common.h"
#include "api/dialogflow_v2/routes.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "service/conversation_service.h"
#include "service/resource_service.h"

namespace parley::dialogflow_v2 {
namespace {

using google::protobuf::util::FieldMaskUtil;
using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

const std::vector<std::string>& UpdatablePaths() {
  static const std::vector<std::string> paths = {
      "display_name",        "automated_agent_config", "human_agent_assistant_config",
      "notification_config", "logging_config",         "new_message_event_notification_config",
      "language_code",       "time_zone",              "security_settings"};
  return paths;
}

bool IsOutputOnly(std::string_view path) {
  return path == "name" || path == "create_time" || path == "update_time";
}

absl::Status Validate(const core::Profile& p) {
  if (p.display_name().empty()) {
    return absl::InvalidArgumentError("conversation_profile.display_name is required");
  }
  if (p.display_name().size() > 1024) {
    return absl::InvalidArgumentError("conversation_profile.display_name is longer than 1024 characters");
  }
  for (const auto* list : {&p.human_agent_assist().human_agent_suggestions(),
                           &p.human_agent_assist().end_user_suggestions()}) {
    for (const core::SuggestionFeature& f : *list) {
      if (f.max_results() < 0) {
        return absl::InvalidArgumentError("query_config.max_results must not be negative");
      }
    }
  }
  return absl::OkStatus();
}

class ProfileHandlers {
 public:
  explicit ProfileHandlers(const api::Services& services) : s_(services) {}

  Response Create(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    ConversationProfile wire;
    if (auto st = ParseBody(req, "conversation_profile", &wire); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    core::Profile profile;
    profile.set_tenant(place.project);
    profile.set_scope(place.scope);
    profile.set_id(core::NewId());
    ProfileFromWire(wire, &profile);
    if (auto st = Validate(profile); !st.ok()) return Error(st);
    const int64_t now = core::NowMicros();
    profile.set_create_time_us(now);
    profile.set_update_time_us(now);
    if (auto st = s_.resources->Create(Key(place, profile.id()), now, profile); !st.ok()) return Error(st);
    ConversationProfile out;
    ProfileToWire(profile, place, &out);
    return Json(out, *q);
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto profile = LoadProfile(s_, place, p.Get("profile"));
    if (!profile.ok()) return Error(profile.status());
    ConversationProfile out;
    ProfileToWire(*profile, place, &out);
    return Json(out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const int page_size = PageSize(*size);
    const Place place = PlaceOf(p);
    const std::string fingerprint = absl::StrCat("dialogflow_v2/conversationProfiles\x1f", place.scope);
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    const std::string after = *cursor ? (*cursor)->id : std::string();
    ListConversationProfilesResponse out;
    auto next = s_.resources->Scan(
        place.project, kProfileKind, place.scope, after, page_size + 1,
        [&](std::string_view, const std::string& body) -> absl::StatusOr<bool> {
          if (out.conversation_profiles_size() == page_size) return false;  // more remain
          core::Profile profile;
          if (!profile.ParseFromString(body)) return absl::InternalError("stored profile is corrupt");
          ProfileToWire(profile, place, out.add_conversation_profiles());
          return true;
        });
    if (!next.ok()) return Error(next.status());
    if (*next) {
      out.set_next_page_token(s_.conversations->tokens().Encode(core::ListCursor{0, **next}, fingerprint));
    }
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    ConversationProfile patch;
    if (auto st = ParseBody(req, "conversation_profile", &patch); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("conversation_profile.name", patch.name(),
                                      ProfileName(place, p.Get("profile")));
        !st.ok()) {
      return Error(st);
    }
    std::vector<std::string> paths;
    for (const std::string& path : PatchPaths(*q, patch, UpdatablePaths())) {
      if (IsOutputOnly(path)) continue;
      if (!FieldMaskUtil::IsValidPath<ConversationProfile>(path)) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("update_mask: \"", path, "\" is not a field of ConversationProfile")));
      }
      paths.push_back(path);
    }
    core::Profile profile;
    absl::Status st = s_.resources->Update(
        Key(place, p.Get("profile")), /*create_if_absent=*/false, &profile,
        [&](google::protobuf::Message&, int64_t stored_update) -> absl::StatusOr<int64_t> {
          ConversationProfile wire;
          ProfileToWire(profile, place, &wire);
          google::protobuf::FieldMask mask;
          for (const std::string& path : paths) mask.add_paths(path);
          FieldMaskUtil::MergeOptions options;
          options.set_replace_message_fields(true);
          options.set_replace_repeated_fields(true);
          FieldMaskUtil::MergeMessageTo(patch, mask, options, &wire);
          ProfileFromWire(wire, &profile);
          if (auto e = Validate(profile); !e.ok()) return e;
          const int64_t now = std::max(core::NowMicros(), stored_update + 1);
          profile.set_update_time_us(now);
          return now;
        });
    if (!st.ok()) {
      if (absl::IsNotFound(st)) {
        return Error(absl::NotFoundError(
            absl::StrCat("conversation profile \"", Sv(p.Get("profile")), "\" not found")));
      }
      return Error(st);
    }
    ConversationProfile out;
    ProfileToWire(profile, place, &out);
    return Json(out, *q);
  }

  Response Delete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    if (auto st = s_.resources->Delete(Key(place, p.Get("profile"))); !st.ok()) {
      if (absl::IsNotFound(st)) {
        return Error(absl::NotFoundError(
            absl::StrCat("conversation profile \"", Sv(p.Get("profile")), "\" not found")));
      }
      return Error(st);
    }
    Response r;
    r.body = "{}";
    return r;
  }

 private:
  static service::ResourceKey Key(const Place& place, std::string_view id) {
    return service::ResourceKey{place.project, kProfileKind, place.scope, id};
  }

  api::Services s_;
};

}  // namespace

void AddProfileRoutes(const api::ServerConfig&, const api::Services& services, http::Router* router) {
  auto h = std::make_shared<ProfileHandlers>(services);
  auto bind = [h](Response (ProfileHandlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  AddBoth(router, Method::kPost, "/conversationProfiles", bind(&ProfileHandlers::Create),
          http::Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversationProfiles", bind(&ProfileHandlers::List),
          http::Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversationProfiles/{profile}", bind(&ProfileHandlers::Get));
  AddBoth(router, Method::kPatch, "/conversationProfiles/{profile}", bind(&ProfileHandlers::Patch),
          http::Dispatch::kBlocking);
  AddBoth(router, Method::kDelete, "/conversationProfiles/{profile}", bind(&ProfileHandlers::Delete),
          http::Dispatch::kBlocking);
}

}  // namespace parley::dialogflow_v2
