// Cresta conversation messages: create (one or a batch), list, get, delete
// (studio/OPERA sources only) and :redact (admin keys, see dialect.cc).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/cresta_v1/mapping.h"
#include "api/cresta_v1/route_helpers.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "cresta_v1/cresta.pb.h"
#include "service/conversation_service.h"
#include "service/message_service.h"

namespace parley::cresta_v1 {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

// The participant an `agent` resource name speaks as (its last segment is
// the participant id; user_id keeps the name), added when new.
absl::StatusOr<std::string> AgentParticipant(const Ctx& ctx, const PathParams& p,
                                             const core::Conversation& c, const std::string& agent) {
  const std::string id(agent.substr(agent.rfind('/') + 1));
  if (!core::IsValidClientId(id)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid agent \"", agent, "\""));
  }
  for (const core::Participant& part : c.participants()) {
    if (part.id() == id) return id;
  }
  core::Participant part;
  part.set_id(id);
  part.set_role(core::HUMAN_AGENT);
  part.set_user_id(agent);
  auto added = ctx.messages->AddParticipant(p.Get("customer"), kScope, p.Get("conversation"), part);
  if (!added.ok() && added.status().code() != absl::StatusCode::kAlreadyExists) return added.status();
  return id;
}

Response AppendMessages(const Ctx& ctx, const PathParams& p,
                        const std::vector<std::pair<ConversationMessage, std::string>>& given,
                        bool allow_closed, bool batch) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  std::vector<core::Message> messages;
  const int64_t now = core::NowMicros();
  for (const auto& [w, id] : given) {
    auto m = ToCore(w);
    if (!m.ok()) return ErrorResponse(m.status());
    m->set_id(id);
    m->set_time_us(now);
    if (!w.agent().empty()) {
      auto participant = AgentParticipant(ctx, p, *c, w.agent());
      if (!participant.ok()) return ErrorResponse(participant.status());
      m->set_participant_id(*participant);
    }
    messages.push_back(*std::move(m));
  }
  service::MessageService::AppendOptions options;
  options.allow_closed = allow_closed;
  auto stored = ctx.messages->AppendMessages(p.Get("customer"), kScope, p.Get("conversation"),
                                             std::move(messages), options);
  if (!stored.ok()) return ErrorResponse(stored.status());
  auto after = ctx.conversations->Get(p.Get("customer"), kScope, p.Get("conversation"));
  const core::Conversation& view = after.ok() ? *after : *c;
  if (!batch) return Json(ToWire(view, stored->front(), NameOf(p)));
  BatchCreateConversationMessagesResponse out;
  for (const core::Message& m : *stored) *out.add_messages() = ToWire(view, m, NameOf(p));
  return Json(out);
}

Response CreateMessage(const Ctx& ctx, const Request& req, const PathParams& p) {
  ConversationMessage w;
  if (absl::Status s = ParseBody(req, &w); !s.ok()) return ErrorResponse(s);
  auto allow = BoolParam(req, "allowClosedConversation");
  if (!allow.ok()) return ErrorResponse(allow.status());
  std::string id;
  if (const std::string* q = req.QueryParam("messageId"); q != nullptr) id = *q;
  return AppendMessages(ctx, p, {{w, id}}, *allow, false);
}

Response BatchCreateMessages(const Ctx& ctx, const Request& req, const PathParams& p) {
  BatchCreateConversationMessagesRequest body;
  if (absl::Status s = ParseBody(req, &body); !s.ok()) return ErrorResponse(s);
  std::vector<std::pair<ConversationMessage, std::string>> given;
  const std::string prefix = NameOf(p) + "/messages/";
  for (const ConversationMessage& w : body.messages()) {
    std::string id;
    if (!w.name().empty()) {
      if (!absl::StartsWith(w.name(), prefix)) {
        return ErrorResponse(absl::InvalidArgumentError(
            absl::StrCat("message name \"", w.name(), "\" is not in this conversation")));
      }
      id = w.name().substr(prefix.size());
    }
    given.emplace_back(w, id);
  }
  return AppendMessages(ctx, p, given, body.allow_closed_conversation(), true);
}

Response ListMessages(const Ctx& ctx, const PathParams& p) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  std::vector<const core::Message*> ordered;
  for (const core::Message& m : c->messages()) ordered.push_back(&m);
  std::stable_sort(ordered.begin(), ordered.end(), [](const core::Message* a, const core::Message* b) {
    return a->sequence_position() < b->sequence_position();
  });
  ListConversationMessagesResponse out;
  for (const core::Message* m : ordered) *out.add_messages() = ToWire(*c, *m, NameOf(p));
  return Json(out);
}

Response GetMessage(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"message"}); !s.ok()) return ErrorResponse(s);
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  for (const core::Message& m : c->messages()) {
    if (m.id() == p.Get("message")) return Json(ToWire(*c, m, NameOf(p)));
  }
  return ErrorResponse(absl::NotFoundError(absl::StrCat("message \"", Sv(p.Get("message")), "\" not found")));
}

Response DeleteMessage(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"message"}); !s.ok()) return ErrorResponse(s);
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  auto deleted = ctx.messages->DeleteMessage(p.Get("customer"), kScope, p.Get("conversation"),
                                             p.Get("message"));
  if (!deleted.ok()) return ErrorResponse(deleted.status());
  return Json(DeleteConversationMessageResponse());
}

Response RedactMessage(const Ctx& ctx, const Request& req, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"message"}); !s.ok()) return ErrorResponse(s);
  RedactConversationMessageRequest body;
  if (absl::Status s = ParseBody(req, &body); !s.ok()) return ErrorResponse(s);
  if (body.moment().empty()) return ErrorResponse(absl::InvalidArgumentError("moment is required"));
  const std::string prefix = absl::StrCat("customers/", Sv(p.Get("customer")), "/profiles/",
                                          Sv(p.Get("profile")), "/moments/");
  if (!absl::StartsWith(body.moment(), prefix) || !core::IsValidClientId(body.moment().substr(prefix.size()))) {
    return ErrorResponse(absl::InvalidArgumentError(
        absl::StrCat("moment must be a moment of this profile: ", prefix, "{moment}")));
  }
  const std::string moment_id = body.moment().substr(prefix.size());
  if (body.start_index() < 0 || body.start_index() >= body.end_index()) {
    return ErrorResponse(absl::InvalidArgumentError(
        "startIndex must be at least 0 and less than endIndex"));
  }
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  auto moment = LoadMoment(ctx, p.Get("customer"), p.Get("profile"), moment_id);
  if (!moment.ok()) return ErrorResponse(moment.status());
  if (moment->type() != core::Moment::ENTITY) {
    return ErrorResponse(absl::InvalidArgumentError("moment must be of type ENTITY"));
  }
  auto redacted = ctx.messages->RedactMessage(
      p.Get("customer"), kScope, p.Get("conversation"), p.Get("message"),
      {service::MessageService::ByteRange{body.start_index(), body.end_index(), ""}}, moment_id);
  if (!redacted.ok()) return ErrorResponse(redacted.status());
  auto after = ctx.conversations->Get(p.Get("customer"), kScope, p.Get("conversation"));
  RedactConversationMessageResponse out;
  *out.mutable_conversation_message() = ToWire(after.ok() ? *after : *c, *redacted, NameOf(p));
  return Json(out);
}

}  // namespace

void AddMessageRoutes(const Ctx& ctx, http::Router* router) {
  const auto blocking = http::Dispatch::kBlocking;
  const std::string msgs = std::string(kConversation) + "/messages";
  router->Add(Method::kPost, msgs,
              [ctx](const Request& r, const PathParams& p) { return CreateMessage(ctx, r, p); }, blocking);
  router->Add(Method::kPost, msgs + ":batchCreate",
              [ctx](const Request& r, const PathParams& p) { return BatchCreateMessages(ctx, r, p); }, blocking);
  router->Add(Method::kGet, msgs,
              [ctx](const Request&, const PathParams& p) { return ListMessages(ctx, p); }, blocking);
  router->Add(Method::kGet, msgs + "/{message}",
              [ctx](const Request&, const PathParams& p) { return GetMessage(ctx, p); }, blocking);
  router->Add(Method::kDelete, msgs + "/{message}",
              [ctx](const Request&, const PathParams& p) { return DeleteMessage(ctx, p); }, blocking);
  router->Add(Method::kPost, msgs + "/{message}:redact",
              [ctx](const Request& r, const PathParams& p) { return RedactMessage(ctx, r, p); }, blocking);
}

}  // namespace parley::cresta_v1
