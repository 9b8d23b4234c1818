// Cresta UpsertConversationMetadata, the events and moment annotations it (and
// redaction) records, and the moments that annotations name.
#include <algorithm>
#include <string>
#include <vector>

#include "api/cresta_v1/mapping.h"
#include "api/cresta_v1/route_helpers.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "cresta_v1/cresta.pb.h"
#include "service/message_service.h"
#include "service/resource_service.h"

namespace parley::cresta_v1 {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

Response UpsertMetadata(const Ctx& ctx, const Request& req, const PathParams& p) {
  UpsertConversationMetadataRequest body;
  if (absl::Status s = ParseBody(req, &body); !s.ok()) return ErrorResponse(s);
  auto source = ParseMetadataSource(body.source());
  if (!source.ok()) return ErrorResponse(source.status());
  if (body.metadata_values().empty()) {
    return ErrorResponse(absl::InvalidArgumentError("metadataValues must not be empty"));
  }
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  std::vector<core::MetadataEntry> entries;
  for (const auto& [key, values] : body.metadata_values()) {
    if (absl::Status s = CheckMetadataValues(key, values); !s.ok()) return ErrorResponse(s);
    entries.push_back(ToCoreMetadata(key, values));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key() < b.key(); });
  service::MessageService::UpsertOptions options;
  options.annotate_completed = body.index_closed_conversations();
  // skipAnnotations (in the call, or in the conversation's feature override
  // at its start): none, unless saveConversationMetadataAnnotation asks for
  // the CONVERSATION_METADATA ones (the only kind this call makes).
  const bool skip = body.skip_annotations() || c->skip_annotations();
  if (!skip || body.save_conversation_metadata_annotation()) {
    const std::string profile = c->profile().empty() ? std::string(p.Get("profile")) : c->profile();
    auto scanned = ctx.resources->Scan(
        p.Get("customer"), kMomentKind, MomentScope(profile), "", 100,
        [&](std::string_view id, const std::string& bytes) -> absl::StatusOr<bool> {
          core::Moment m;
          if (!m.ParseFromString(bytes)) return absl::InternalError("stored moment does not parse");
          if (m.type() == core::Moment::CONVERSATION_METADATA &&
              body.metadata_values().count(m.taxonomy()) > 0) {
            options.annotate.emplace(m.taxonomy(), std::string(id));
          }
          return true;
        });
    if (!scanned.ok()) return ErrorResponse(scanned.status());
  }
  auto upserted = ctx.messages->UpsertMetadata(p.Get("customer"), kScope, p.Get("conversation"),
                                               entries, *source, options);
  if (!upserted.ok()) return ErrorResponse(upserted.status());
  if (!upserted->event.has_value()) {
    Response r;
    r.body = "{\"conversationMetadataEvent\":\"\"}";
    return r;
  }
  UpsertConversationMetadataResponse out;
  *out.mutable_conversation_event() = ToWire(*upserted->event, NameOf(p));
  out.set_conversation_metadata_event(out.conversation_event().name());
  return Json(out);
}

Response ListEvents(const Ctx& ctx, const PathParams& p) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  ListConversationEventsResponse out;
  for (const core::Event& e : c->events()) *out.add_events() = ToWire(e, NameOf(p));
  return Json(out);
}

Response ListAnnotations(const Ctx& ctx, const PathParams& p) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  ListMomentAnnotationsResponse out;
  for (const core::MomentAnnotation& a : c->moment_annotations()) {
    *out.add_moment_annotations() = ToWire(a, NameOf(p), p.Get("customer"), p.Get("profile"));
  }
  return Json(out);
}


Response CreateMoment(const Ctx& ctx, const Request& req, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile"}); !s.ok()) return ErrorResponse(s);
  Moment w;
  if (absl::Status s = ParseBody(req, &w); !s.ok()) return ErrorResponse(s);
  if (w.type() == Moment::TYPE_UNSPECIFIED) {
    return ErrorResponse(absl::InvalidArgumentError("moment type is required"));
  }
  if (w.type() == Moment::CONVERSATION_METADATA && w.taxonomy().empty()) {
    return ErrorResponse(absl::InvalidArgumentError(
        "a CONVERSATION_METADATA moment needs a taxonomy (the metadata key it annotates)"));
  }
  core::Moment m;
  if (const std::string* id = req.QueryParam("momentId"); id != nullptr) {
    if (!core::IsValidClientId(*id)) return ErrorResponse(absl::InvalidArgumentError("invalid momentId"));
    m.set_id(*id);
  } else {
    m.set_id(core::NewId());
  }
  m.set_taxonomy(w.taxonomy());
  m.set_type(static_cast<core::Moment::Type>(w.type()));
  m.set_display_name(w.display_name());
  const int64_t now = core::NowMicros();
  m.set_create_time_us(now);
  m.set_update_time_us(now);
  const std::string scope = MomentScope(p.Get("profile"));
  if (absl::Status s = ctx.resources->Create(
          service::ResourceKey{p.Get("customer"), kMomentKind, scope, m.id()}, now, m);
      !s.ok()) {
    return ErrorResponse(s);
  }
  return Json(ToWire(m, p.Get("customer"), p.Get("profile")));
}

Response ListMoments(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile"}); !s.ok()) return ErrorResponse(s);
  ListMomentsResponse out;
  auto scanned = ctx.resources->Scan(
      p.Get("customer"), kMomentKind, MomentScope(p.Get("profile")), "", 100,
      [&](std::string_view, const std::string& bytes) -> absl::StatusOr<bool> {
        core::Moment m;
        if (!m.ParseFromString(bytes)) return absl::InternalError("stored moment does not parse");
        *out.add_moments() = ToWire(m, p.Get("customer"), p.Get("profile"));
        return true;
      });
  if (!scanned.ok()) return ErrorResponse(scanned.status());
  return Json(out);
}

Response GetMoment(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile", "moment"}); !s.ok()) return ErrorResponse(s);
  auto m = LoadMoment(ctx, p.Get("customer"), p.Get("profile"), p.Get("moment"));
  if (!m.ok()) return ErrorResponse(m.status());
  return Json(ToWire(*m, p.Get("customer"), p.Get("profile")));
}

}  // namespace

void AddMetadataRoutes(const Ctx& ctx, http::Router* router) {
  const auto blocking = http::Dispatch::kBlocking;
  const std::string conv(kConversation);
  const std::string moments = std::string(kProfile) + "/moments";
  router->Add(Method::kPost, conv + ":upsertMetadata",
              [ctx](const Request& r, const PathParams& p) { return UpsertMetadata(ctx, r, p); }, blocking);
  router->Add(Method::kGet, conv + "/events",
              [ctx](const Request&, const PathParams& p) { return ListEvents(ctx, p); }, blocking);
  router->Add(Method::kGet, conv + "/momentAnnotations",
              [ctx](const Request&, const PathParams& p) { return ListAnnotations(ctx, p); }, blocking);
  router->Add(Method::kPost, moments,
              [ctx](const Request& r, const PathParams& p) { return CreateMoment(ctx, r, p); }, blocking);
  router->Add(Method::kGet, moments,
              [ctx](const Request&, const PathParams& p) { return ListMoments(ctx, p); }, blocking);
  router->Add(Method::kGet, moments + "/{moment}",
              [ctx](const Request&, const PathParams& p) { return GetMoment(ctx, p); }, blocking);
}

}  // namespace parley::cresta_v1
