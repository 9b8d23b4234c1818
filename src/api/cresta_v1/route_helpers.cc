#include "api/cresta_v1/route_helpers.h"

#include "absl/strings/str_cat.h"
#include "api/cresta_v1/mapping.h"
#include "api/google/request.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/conversation_origin.h"
#include "core/ids.h"
#include "service/conversation_service.h"
#include "service/resource_service.h"

namespace parley::cresta_v1 {

using http::PathParams;
using http::Request;
using http::Response;

std::string MomentScope(std::string_view profile) { return absl::StrCat("profiles/", Sv(profile)); }

Response Json(const google::protobuf::Message& m) {
  Response r;
  r.body = protojson::ToJson(m);
  return r;
}

absl::Status CheckIds(const PathParams& p, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    std::string_view v = p.Get(n);
    if (v.empty()) continue;
    if (!core::IsValidClientId(v)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid ", Sv(n), " id in the resource name"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseBody(const Request& req, google::protobuf::Message* out) {
  if (google_api::IsEmptyBody(req.body)) {
    out->Clear();
    return absl::OkStatus();
  }
  return protojson::Parse(req.body, out);
}

absl::StatusOr<bool> BoolParam(const Request& req, std::string_view name) {
  const std::string* v = req.QueryParam(name);
  if (v == nullptr || *v == "false") return false;
  if (*v == "true") return true;
  return absl::InvalidArgumentError(absl::StrCat("invalid value for ", Sv(name), ": ", *v));
}


absl::StatusOr<core::Conversation> Load(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile", "conversation"}); !s.ok()) return s;
  auto c = ctx.conversations->Get(p.Get("customer"), kScope, p.Get("conversation"));
  if (!c.ok()) return c.status();
  // Cresta's conversations of this profile, and those of no dialect's
  // profile or app (Insights, ElevateAI): docs/dialect-mapping.md.
  const core::ConversationOrigin origin = core::OriginOf(*c);
  if (!(origin == core::ConversationOrigin::kOther ||
        (origin == core::ConversationOrigin::kCresta && c->profile() == p.Get("profile")))) {
    return absl::NotFoundError(
        absl::StrCat("conversation \"", Sv(p.Get("conversation")), "\" not found"));
  }
  return c;
}

std::string NameOf(const PathParams& p) {
  return ConversationName(p.Get("customer"), p.Get("profile"), p.Get("conversation"));
}

absl::StatusOr<core::Moment> LoadMoment(const Ctx& ctx, std::string_view customer,
                                        std::string_view profile, std::string_view id) {
  core::Moment m;
  auto got = ctx.resources->Get(
      service::ResourceKey{customer, kMomentKind, MomentScope(profile), id}, &m);
  if (!got.ok()) {
    if (got.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("moment \"", Sv(id), "\" not found"));
    }
    return got.status();
  }
  return m;
}

}  // namespace parley::cresta_v1
