#include "api/cresta_v1/routes.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/cresta_v1/mapping.h"
#include "api/google/request.h"
#include "api/google/timestamps.h"
#include "api/http/status.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/ids.h"
#include "core/public_error.h"
#include "core/time_format.h"
#include "cresta_v1/cresta.pb.h"
#include "service/conversation_service.h"
#include "service/message_service.h"
#include "service/resource_service.h"

namespace parley::cresta_v1 {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kProfile = "/v1/customers/{customer}/profiles/{profile}";
constexpr std::string_view kConversations =
    "/v1/customers/{customer}/profiles/{profile}/conversations";
constexpr std::string_view kConversation =
    "/v1/customers/{customer}/profiles/{profile}/conversations/{conversation}";
constexpr std::string_view kMomentKind = "moment";

std::string MomentScope(std::string_view profile) { return absl::StrCat("profiles/", Sv(profile)); }

Response Json(const google::protobuf::Message& m) {
  Response r;
  r.body = protojson::ToJson(m);
  return r;
}

// The ids captured from the path follow the core id rule.
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

struct Ctx {
  service::ConversationService* conversations;
  service::MessageService* messages;
  service::ResourceService* resources;
};

// The conversation of the path: NOT_FOUND also when it belongs to another
// profile (one without a profile, e.g. from Insights, is under every one).
absl::StatusOr<core::Conversation> Load(const Ctx& ctx, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile", "conversation"}); !s.ok()) return s;
  auto c = ctx.conversations->Get(p.Get("customer"), kScope, p.Get("conversation"));
  if (!c.ok()) return c.status();
  if (!c->profile().empty() && c->profile() != p.Get("profile")) {
    return absl::NotFoundError(
        absl::StrCat("conversation \"", Sv(p.Get("conversation")), "\" not found"));
  }
  return c;
}

std::string NameOf(const PathParams& p) {
  return ConversationName(p.Get("customer"), p.Get("profile"), p.Get("conversation"));
}

// ---- conversations ----

Response CreateConversation(const Ctx& ctx, const Request& req, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile"}); !s.ok()) return ErrorResponse(s);
  Conversation w;
  if (absl::Status s = ParseBody(req, &w); !s.ok()) return ErrorResponse(s);
  core::Conversation c;
  c.set_tenant(std::string(p.Get("customer")));
  c.set_scope(std::string(kScope));
  c.set_profile(std::string(p.Get("profile")));
  if (const std::string* id = req.QueryParam("conversationId"); id != nullptr) {
    if (!core::IsValidClientId(*id)) {
      return ErrorResponse(absl::InvalidArgumentError(
          "invalid conversationId: 1 to 128 of letters, digits, '_', '.', '~', '-', starting "
          "with a letter or digit"));
    }
    c.set_id(*id);
  }
  if (w.state() == CLOSED) {
    return ErrorResponse(absl::InvalidArgumentError("a conversation cannot be created CLOSED"));
  }
  c.set_medium(core::CHAT);
  c.set_source(ToCoreSource(w.source()));
  c.set_lifecycle(core::IN_PROGRESS);
  c.set_display_name(w.display_name());
  c.set_language_code(w.language_code());
  c.set_skill(w.skill());
  c.set_shared(w.shared());
  c.set_audio_persistence(static_cast<core::AudioPersistence>(w.audio_persistence()));
  c.set_skip_annotations(w.feature_override().skip_annotations());
  c.set_start_time_us(core::NowMicros());
  for (const auto& [key, values] : w.metadata_values()) {
    *c.add_metadata() = ToCoreMetadata(key, values);
  }
  std::sort(c.mutable_metadata()->begin(), c.mutable_metadata()->end(),
            [](const auto& a, const auto& b) { return a.key() < b.key(); });
  for (const std::string& t : w.tags()) {
    if (!core::IsValidClientId(t)) return ErrorResponse(absl::InvalidArgumentError("invalid tag"));
    if (std::find(c.tag_ids().begin(), c.tag_ids().end(), t) == c.tag_ids().end()) c.add_tag_ids(t);
  }
  auto created = ctx.conversations->Create(std::move(c));
  if (!created.ok()) return ErrorResponse(created.status());
  return Json(ToWire(*created, p.Get("profile")));
}

Response GetConversation(const Ctx& ctx, const PathParams& p) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  return Json(ToWire(*c, p.Get("profile")));
}

absl::StatusOr<core::Condition> ToCondition(const core::FilterExpr& e) {
  core::Condition c;
  switch (e.kind) {
    case core::FilterExpr::Kind::kAnd:
    case core::FilterExpr::Kind::kOr:
    case core::FilterExpr::Kind::kNot:
      c.kind = e.kind == core::FilterExpr::Kind::kAnd  ? core::Condition::Kind::kAnd
               : e.kind == core::FilterExpr::Kind::kOr ? core::Condition::Kind::kOr
                                                       : core::Condition::Kind::kNot;
      for (const core::FilterExpr& child : e.children) {
        auto cc = ToCondition(child);
        if (!cc.ok()) return cc.status();
        c.children.push_back(*std::move(cc));
      }
      return c;
    case core::FilterExpr::Kind::kCompare:
      break;
  }
  const std::string field = absl::StrJoin(e.field, ".");
  c.op = e.op;
  if (e.op == core::CompareOp::kHas) {
    return absl::InvalidArgumentError(absl::StrCat("filter: ':' is not supported on ", field));
  }
  if (field == "state") {
    if (e.op != core::CompareOp::kEq && e.op != core::CompareOp::kNe) {
      return absl::InvalidArgumentError("filter: state takes = or !=");
    }
    c.column = core::ConversationColumn::kLifecycle;
    if (e.value == "OPEN") {
      c.int_value = core::IN_PROGRESS;
    } else if (e.value == "CLOSED") {
      c.int_value = core::COMPLETED;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("filter: invalid state \"", e.value, "\""));
    }
    return c;
  }
  if (field == "source") {
    if (e.op != core::CompareOp::kEq && e.op != core::CompareOp::kNe) {
      return absl::InvalidArgumentError("filter: source takes = or !=");
    }
    ConversationSource s;
    if (!ConversationSource_Parse(e.value, &s)) {
      return absl::InvalidArgumentError(absl::StrCat("filter: invalid source \"", e.value, "\""));
    }
    c.column = core::ConversationColumn::kSource;
    c.int_value = ToCoreSource(s);
    return c;
  }
  if (field == "createTime" || field == "create_time") {
    c.column = core::ConversationColumn::kCreateTime;
    auto t = core::ParseTimestampMicros(e.value);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: createTime needs an RFC 3339 time, not \"", e.value, "\""));
    }
    c.int_value = *t;
    return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("filter: unknown field \"", field, "\" (state, source, createTime)"));
}

Response ListConversations(const Ctx& ctx, const Request& req, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile"}); !s.ok()) return ErrorResponse(s);
  core::ConversationQuery q;
  q.tenant = std::string(p.Get("customer"));
  q.scope = std::string(kScope);
  // This profile's conversations and those without a profile.
  core::Condition mine;
  mine.kind = core::Condition::Kind::kOr;
  for (std::string_view v : {p.Get("profile"), std::string_view()}) {
    core::Condition eq;
    eq.column = core::ConversationColumn::kProfile;
    eq.string_value = std::string(v);
    mine.children.push_back(std::move(eq));
  }
  std::string filter;
  if (const std::string* f = req.QueryParam("filter"); f != nullptr) filter = *f;
  if (!absl::StripAsciiWhitespace(filter).empty()) {
    auto expr = core::ParseFilter(filter);
    if (!expr.ok()) return ErrorResponse(expr.status());
    auto cond = ToCondition(*expr);
    if (!cond.ok()) return ErrorResponse(cond.status());
    core::Condition both;
    both.kind = core::Condition::Kind::kAnd;
    both.children.push_back(std::move(mine));
    both.children.push_back(*std::move(cond));
    q.condition = std::move(both);
  } else {
    q.condition = std::move(mine);
  }
  int page_size = 0;
  if (const std::string* s = req.QueryParam("pageSize"); s != nullptr) {
    if (!absl::SimpleAtoi(*s, &page_size) || page_size < 0) {
      return ErrorResponse(absl::InvalidArgumentError("pageSize must be a non-negative number"));
    }
  }
  const auto& limits = ctx.conversations->limits();
  q.page_size = page_size == 0 ? limits.default_page_size : std::min(page_size, limits.max_page_size);
  const std::string* token = req.QueryParam("pageToken");
  auto page = ctx.conversations->List(std::move(q), token ? *token : "",
                                      absl::StrCat("cresta|", Sv(p.Get("profile")), "|", filter));
  if (!page.ok()) return ErrorResponse(page.status());
  ListConversationsResponse out;
  for (const core::Conversation& c : page->conversations) *out.add_conversations() = ToWire(c, p.Get("profile"));
  out.set_next_page_token(page->next_page_token);
  return Json(out);
}

Response UpdateConversation(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto loaded = Load(ctx, p);
  if (!loaded.ok()) return ErrorResponse(loaded.status());
  Conversation w;
  if (absl::Status s = ParseBody(req, &w); !s.ok()) return ErrorResponse(s);
  if (!w.name().empty() && w.name() != NameOf(p)) {
    return ErrorResponse(absl::InvalidArgumentError("conversation.name does not match the URL"));
  }
  std::vector<std::string> paths;
  std::map<std::string, std::string> as_given;  // snake_case path -> as the request spelt it
  const std::string* mask = req.QueryParam("updateMask");
  if (mask == nullptr) mask = req.QueryParam("update_mask");
  if (mask != nullptr && !mask->empty()) {
    for (absl::string_view part : absl::StrSplit(*mask, ',')) {
      absl::string_view trimmed = absl::StripAsciiWhitespace(part);
      paths.push_back(google_api::SnakeCase(std::string_view(trimmed.data(), trimmed.size())));
      as_given[paths.back()] = std::string(trimmed);
    }
  } else {
    return ErrorResponse(absl::InvalidArgumentError("updateMask is required"));
  }
  std::optional<ConversationState> state;
  for (const std::string& path : paths) {
    if (path == "source") {
      return ErrorResponse(absl::InvalidArgumentError("source is set at creation and cannot change"));
    }
    if (path == "state") {
      if (w.state() == CONVERSATION_STATE_UNSPECIFIED) {
        return ErrorResponse(absl::InvalidArgumentError("state must be OPEN or CLOSED"));
      }
      state = w.state();
      continue;
    }
    if (path != "display_name" && path != "language_code" && path != "skill" &&
        path != "shared" && path != "audio_persistence" && path != "metadata_values") {
      return ErrorResponse(absl::InvalidArgumentError(
          absl::StrCat("updateMask: \"", as_given[path], "\" cannot be updated (displayName, languageCode, "
                       "skill, state, shared, audioPersistence, metadataValues)")));
    }
  }
  auto updated = ctx.conversations->Update(
      p.Get("customer"), kScope, p.Get("conversation"), [&](core::Conversation& c) -> absl::Status {
        if (state == OPEN && c.lifecycle() == core::COMPLETED) {
          return absl::FailedPreconditionError("a closed conversation cannot be reopened");
        }
        for (const std::string& path : paths) {
          if (path == "display_name") c.set_display_name(w.display_name());
          if (path == "language_code") c.set_language_code(w.language_code());
          if (path == "skill") c.set_skill(w.skill());
          if (path == "shared") c.set_shared(w.shared());
          if (path == "audio_persistence") {
            c.set_audio_persistence(static_cast<core::AudioPersistence>(w.audio_persistence()));
          }
          if (path == "metadata_values") {
            c.clear_metadata();
            for (const auto& [key, values] : w.metadata_values()) {
              *c.add_metadata() = ToCoreMetadata(key, values);
            }
            std::sort(c.mutable_metadata()->begin(), c.mutable_metadata()->end(),
                      [](const auto& a, const auto& b) { return a.key() < b.key(); });
          }
        }
        return absl::OkStatus();
      });
  if (!updated.ok()) return ErrorResponse(updated.status());
  if (state == CLOSED && updated->lifecycle() != core::COMPLETED) {
    auto closed = ctx.messages->Complete(p.Get("customer"), kScope, p.Get("conversation"),
                                         std::nullopt, "close");
    if (!closed.ok()) return ErrorResponse(closed.status());
    return Json(ToWire(*closed, p.Get("profile")));
  }
  return Json(ToWire(*updated, p.Get("profile")));
}

Response CloseConversation(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto loaded = Load(ctx, p);
  if (!loaded.ok()) return ErrorResponse(loaded.status());
  CloseConversationRequest body;
  if (absl::Status s = ParseBody(req, &body); !s.ok()) return ErrorResponse(s);
  std::optional<int64_t> end;
  if (body.has_end_time()) end = google_api::Micros(body.end_time());
  auto closed = ctx.messages->Complete(p.Get("customer"), kScope, p.Get("conversation"), end, "close");
  if (!closed.ok()) return ErrorResponse(closed.status());
  return Json(ToWire(*closed, p.Get("profile")));
}

Response ChangeTags(const Ctx& ctx, const Request& req, const PathParams& p, bool add) {
  auto loaded = Load(ctx, p);
  if (!loaded.ok()) return ErrorResponse(loaded.status());
  Tags body;
  if (absl::Status s = ParseBody(req, &body); !s.ok()) return ErrorResponse(s);
  if (body.tags().empty()) return ErrorResponse(absl::InvalidArgumentError("tags must not be empty"));
  for (const std::string& t : body.tags()) {
    if (!core::IsValidClientId(t)) {
      return ErrorResponse(absl::InvalidArgumentError(absl::StrCat("invalid tag \"", t, "\"")));
    }
  }
  auto updated = ctx.conversations->Update(
      p.Get("customer"), kScope, p.Get("conversation"), [&](core::Conversation& c) {
        for (const std::string& t : body.tags()) {
          auto* tags = c.mutable_tag_ids();
          auto at = std::find(tags->begin(), tags->end(), t);
          if (add && at == tags->end()) c.add_tag_ids(t);
          if (!add && at != tags->end()) tags->erase(at);
        }
        return absl::OkStatus();
      });
  if (!updated.ok()) return ErrorResponse(updated.status());
  Tags out;
  for (const std::string& t : updated->tag_ids()) out.add_tags(t);
  return Json(out);
}

Response ListTags(const Ctx& ctx, const PathParams& p) {
  auto c = Load(ctx, p);
  if (!c.ok()) return ErrorResponse(c.status());
  Tags out;
  for (const std::string& t : c->tag_ids()) out.add_tags(t);
  return Json(out);
}

// ---- messages ----

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

// ---- metadata, events, annotations ----

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
  for (const auto& [key, values] : body.metadata_values()) entries.push_back(ToCoreMetadata(key, values));
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

// ---- moments ----

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

http::Response ErrorResponse(int http_status, absl::StatusCode code, const std::string& message) {
  Response r;
  r.status = http_status;
  r.body = absl::StrCat("{\"code\":", static_cast<int>(code), ",\"message\":");
  http::AppendJsonString(message, &r.body);
  r.body += ",\"details\":[]}";
  return r;
}

http::Response ErrorResponse(const absl::Status& status) {
  if (status.ok()) return ErrorResponse(500, absl::StatusCode::kUnknown, "unknown error");
  return ErrorResponse(http::HttpStatusFor(status.code()), status.code(),
                       core::PublicErrorMessage(status));
}

std::string BearerToken(const http::Request& request) {
  const std::string* h = request.Header("authorization");
  if (h == nullptr) return "";
  absl::string_view v = *h;
  if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) {
    return std::string(absl::StripAsciiWhitespace(v.substr(7)));
  }
  return "";
}

void AddRoutes(const api::Services& services, http::Router* router) {
  const Ctx ctx{services.conversations, services.messages, services.resources};
  const auto blocking = http::Dispatch::kBlocking;
  const std::string conv(kConversation);
  const std::string msgs = conv + "/messages";
  router->Add(Method::kPost, kConversations,
              [ctx](const Request& r, const PathParams& p) { return CreateConversation(ctx, r, p); }, blocking);
  router->Add(Method::kGet, kConversations,
              [ctx](const Request& r, const PathParams& p) { return ListConversations(ctx, r, p); }, blocking);
  router->Add(Method::kGet, conv,
              [ctx](const Request&, const PathParams& p) { return GetConversation(ctx, p); }, blocking);
  router->Add(Method::kPatch, conv,
              [ctx](const Request& r, const PathParams& p) { return UpdateConversation(ctx, r, p); }, blocking);
  router->Add(Method::kPost, conv + ":close",
              [ctx](const Request& r, const PathParams& p) { return CloseConversation(ctx, r, p); }, blocking);
  router->Add(Method::kPost, conv + ":upsertMetadata",
              [ctx](const Request& r, const PathParams& p) { return UpsertMetadata(ctx, r, p); }, blocking);
  router->Add(Method::kPost, conv + ":addTags",
              [ctx](const Request& r, const PathParams& p) { return ChangeTags(ctx, r, p, true); }, blocking);
  router->Add(Method::kPost, conv + ":removeTags",
              [ctx](const Request& r, const PathParams& p) { return ChangeTags(ctx, r, p, false); }, blocking);
  router->Add(Method::kGet, conv + "/tags",
              [ctx](const Request&, const PathParams& p) { return ListTags(ctx, p); }, blocking);
  router->Add(Method::kGet, conv + "/events",
              [ctx](const Request&, const PathParams& p) { return ListEvents(ctx, p); }, blocking);
  router->Add(Method::kGet, conv + "/momentAnnotations",
              [ctx](const Request&, const PathParams& p) { return ListAnnotations(ctx, p); }, blocking);
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
  const std::string moments = std::string(kProfile) + "/moments";
  router->Add(Method::kPost, moments,
              [ctx](const Request& r, const PathParams& p) { return CreateMoment(ctx, r, p); }, blocking);
  router->Add(Method::kGet, moments,
              [ctx](const Request&, const PathParams& p) { return ListMoments(ctx, p); }, blocking);
  router->Add(Method::kGet, moments + "/{moment}",
              [ctx](const Request&, const PathParams& p) { return GetMoment(ctx, p); }, blocking);
}

}  // namespace parley::cresta_v1
