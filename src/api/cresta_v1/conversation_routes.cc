// Cresta conversations: create, get, list (filter, paging), update (updateMask),
// :close and tags.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/cresta_v1/mapping.h"
#include "api/cresta_v1/route_helpers.h"
#include "api/google/request.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"
#include "core/conversation_origin.h"
#include "core/filter.h"
#include "core/filter_tree.h"
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
    if (absl::Status s = CheckMetadataValues(key, values); !s.ok()) return ErrorResponse(s);
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

absl::StatusOr<core::Condition> CompareCondition(const core::FilterExpr& e) {
  core::Condition c;
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

absl::StatusOr<core::Condition> ToCondition(const core::FilterExpr& e) {
  return core::ConditionFromFilter(e, CompareCondition);
}

Response ListConversations(const Ctx& ctx, const Request& req, const PathParams& p) {
  if (absl::Status s = CheckIds(p, {"customer", "profile"}); !s.ok()) return ErrorResponse(s);
  core::ConversationQuery q;
  q.tenant = std::string(p.Get("customer"));
  q.scope = std::string(kScope);
  // This profile's conversations and those of no dialect's profile or app
  // (Insights, ElevateAI), as Load reads them.
  core::Condition mine;
  mine.kind = core::Condition::Kind::kOr;
  core::Condition profile;
  profile.column = core::ConversationColumn::kProfile;
  profile.string_value = std::string(p.Get("profile"));
  core::Condition cresta;
  cresta.kind = core::Condition::Kind::kAnd;
  cresta.children = {core::OriginIs(core::ConversationOrigin::kCresta), std::move(profile)};
  mine.children = {std::move(cresta), core::OriginIs(core::ConversationOrigin::kOther)};
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
  for (const auto& [key, values] : w.metadata_values()) {
    if (absl::Status s = CheckMetadataValues(key, values); !s.ok()) return ErrorResponse(s);
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

}  // namespace

void AddConversationRoutes(const Ctx& ctx, http::Router* router) {
  const auto blocking = http::Dispatch::kBlocking;
  const std::string conv(kConversation);
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
  router->Add(Method::kPost, conv + ":addTags",
              [ctx](const Request& r, const PathParams& p) { return ChangeTags(ctx, r, p, true); }, blocking);
  router->Add(Method::kPost, conv + ":removeTags",
              [ctx](const Request& r, const PathParams& p) { return ChangeTags(ctx, r, p, false); }, blocking);
  router->Add(Method::kGet, conv + "/tags",
              [ctx](const Request&, const PathParams& p) { return ListTags(ctx, p); }, blocking);
}

}  // namespace parley::cresta_v1
