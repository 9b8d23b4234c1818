// Conversations (create, get, list, complete), their participants (create,
// get, list, patch, analyzeContent), messages (list, batchCreate) and
// suggestions:suggestConversationSummary. A Dialogflow conversation is a
// core conversation (tenant = project, scope = location, id) with a
// profile, source LIVE and a Dialogflow data source, so Insights reads and
// analyses it; its messages are the transcript.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/dialogflow_v2/agent.h"
#include "api/dialogflow_v2/answer_records.h"
#include "api/dialogflow_v2/common.h"
#include "api/dialogflow_v2/routes.h"
#include "api/dialogflow_v2/suggestions.h"
#include "api/google/timestamps.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/conversation_origin.h"
#include "core/conversation_query.h"
#include "core/filter.h"
#include "core/filter_tree.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "service/analysis_service.h"
#include "service/conversation_service.h"
#include "service/genai_service.h"
#include "service/message_service.h"
#include "service/virtual_agent_service.h"

namespace parley::dialogflow_v2 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

// AnalyzeContentRequest.text_input.text: "at most 256 KiB" (TextInput).
constexpr size_t kMaxTextInputBytes = 256 * 1024;
// v2beta1 BatchCreateMessagesRequest.requests: "A maximum of 300 messages
// can be created in a batch."
constexpr int kMaxBatchMessages = 300;
// SuggestConversationSummaryRequest.context_size: "If zero or less than
// zero, 500 will be used."
constexpr int kDefaultContextSize = 500;

// Dialogflow's conversation id rule: ^[a-zA-Z][a-zA-Z0-9_-]*$, 3 to 64.
absl::Status CheckConversationId(std::string_view id) {
  bool ok = id.size() >= 3 && id.size() <= 64 && absl::ascii_isalpha(static_cast<unsigned char>(id[0]));
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') ok = false;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "conversation_id \"", Sv(id),
      "\" is invalid: it must match ^[a-zA-Z][a-zA-Z0-9_-]*$ and be 3 to 64 characters long"));
}

// One comparison of a conversations filter: lifecycle_state = "IN_PROGRESS"
// | "COMPLETED" (or the numbers).
absl::StatusOr<core::Condition> LifecycleCompare(const core::FilterExpr& e) {
  core::Condition c;
  const std::string field = absl::StrJoin(e.field, ".");
  if (field != "lifecycle_state" && field != "lifecycleState") {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: unsupported field \"", field, "\"; the only supported field is lifecycle_state"));
  }
  if (e.op != core::CompareOp::kEq && e.op != core::CompareOp::kNe) {
    return absl::InvalidArgumentError(absl::StrCat("filter: operator '", Sv(core::CompareOpText(e.op)),
                                                   "' is not supported on lifecycle_state"));
  }
  const std::string v = absl::AsciiStrToUpper(e.value);
  c.kind = core::Condition::Kind::kCompare;
  c.column = core::ConversationColumn::kLifecycle;
  c.op = e.op;
  if (v == "IN_PROGRESS" || v == "1") {
    c.int_value = core::IN_PROGRESS;
  } else if (v == "COMPLETED" || v == "2") {
    c.int_value = core::COMPLETED;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: lifecycle_state is IN_PROGRESS or COMPLETED, not \"", e.value, "\""));
  }
  return c;
}

// Those comparisons combined with AND, OR, NOT.
absl::StatusOr<core::Condition> LifecycleCondition(const core::FilterExpr& e) {
  return core::ConditionFromFilter(e, LifecycleCompare);
}

// Messages filter: create_time compared with RFC 3339 timestamps, combined
// with AND, OR, NOT; evaluated on each message.
absl::Status CheckMessageCompare(const core::FilterExpr& e) {
  const std::string field = absl::StrJoin(e.field, ".");
  if (field != "create_time" && field != "createTime") {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: unsupported field \"", field, "\"; the only supported field is create_time"));
  }
  if (e.op == core::CompareOp::kHas) {
    return absl::InvalidArgumentError("filter: operator ':' is not supported on create_time");
  }
  auto t = core::ParseTimestampMicros(e.value);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: create_time needs an RFC 3339 timestamp, not \"", e.value, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckMessageFilter(const core::FilterExpr& e) {
  return core::EvalFilter(e, [](const core::FilterExpr& leaf) -> absl::StatusOr<bool> {
           if (auto st = CheckMessageCompare(leaf); !st.ok()) return st;
           return true;
         })
      .status();
}

bool MessageCompare(const core::FilterExpr& e, const core::Message& m) {
  const int64_t v = *core::ParseTimestampMicros(e.value);  // checked by CheckMessageFilter
  const int64_t t = m.create_time_us();
  switch (e.op) {
    case core::CompareOp::kEq:
      return t == v;
    case core::CompareOp::kNe:
      return t != v;
    case core::CompareOp::kLt:
      return t < v;
    case core::CompareOp::kLe:
      return t <= v;
    case core::CompareOp::kGt:
      return t > v;
    case core::CompareOp::kGe:
      return t >= v;
    case core::CompareOp::kHas:
      break;
  }
  return false;
}

// Whether `m` passes a filter CheckMessageFilter accepted.
bool MatchesMessage(const core::FilterExpr& e, const core::Message& m) {
  return *core::EvalFilter(e, [&m](const core::FilterExpr& leaf) -> absl::StatusOr<bool> {
    return MessageCompare(leaf, m);
  });
}

const core::Participant* FindParticipant(const core::Conversation& c, std::string_view id) {
  for (const core::Participant& p : c.participants()) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

// Nothing is added to a completed conversation (participants, messages,
// suggestions): FAILED_PRECONDITION, as Dialogflow answers.
absl::Status CheckNotCompleted(const core::Conversation& c, std::string_view what) {
  if (c.lifecycle() != core::COMPLETED) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("conversation \"", c.id(), "\" is completed; no ", Sv(what), " can be added"));
}

absl::Status ParticipantNotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("participant \"", Sv(id), "\" not found"));
}

std::string_view SectionKey(core::SummarySection s) {
  switch (s) {
    case core::SUMMARY_SITUATION:
      return "situation";
    case core::SUMMARY_ACTION:
      return "action";
    case core::SUMMARY_RESOLUTION:
      return "resolution";
    default:
      return "";
  }
}

class Handlers {
 public:
  Handlers(const api::ServerConfig& config, const api::Services& services, std::shared_ptr<Suggester> suggester)
      : config_(config), s_(services), suggester_(std::move(suggester)) {}

  // ---- conversations ----

  Response Create(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"conversation_id", "conversationId"}});
    if (!q.ok()) return Error(q.status());
    Conversation wire;
    if (auto st = ParseBody(req, "conversation", &wire); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    std::string id;
    if (const std::string* given = q->Get("conversation_id"); given && !given->empty()) {
      if (auto st = CheckConversationId(*given); !st.ok()) return Error(st);
      id = *given;
    } else {
      id = core::NewId();
    }
    if (wire.conversation_profile().empty()) {
      return Error(absl::InvalidArgumentError("conversation.conversation_profile is required"));
    }
    Place profile_place;
    std::string profile_id;
    if (auto st = ParseProfileName(wire.conversation_profile(), "conversation.conversation_profile",
                                   &profile_place, &profile_id);
        !st.ok()) {
      return Error(st);
    }
    if (profile_place.project != place.project || profile_place.scope != place.scope) {
      return Error(absl::InvalidArgumentError(absl::StrCat(
          "conversation.conversation_profile \"", wire.conversation_profile(),
          "\" is not in the conversation's project and location (", place.prefix, ")")));
    }
    auto profile = LoadProfile(s_, place, profile_id);
    if (!profile.ok()) {
      if (absl::IsNotFound(profile.status())) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "conversation.conversation_profile \"", wire.conversation_profile(), "\" does not exist")));
      }
      return Error(profile.status());
    }
    core::Conversation c;
    c.set_tenant(place.project);
    c.set_scope(place.scope);
    c.set_id(id);
    c.set_medium(core::CHAT);  // no telephony: phoneNumber is never set
    c.set_source(core::LIVE);
    c.set_lifecycle(core::IN_PROGRESS);
    c.set_profile(profile_id);
    c.set_language_code(profile->language_code());
    // The profile's virtual agent answers first unless the client asks for
    // a human agent straight away.
    if (wire.conversation_stage() == Conversation::HUMAN_ASSIST_STAGE) {
      c.set_stage(core::HUMAN_ASSIST_STAGE);
    } else if (wire.conversation_stage() == Conversation::VIRTUAL_AGENT_STAGE) {
      c.set_stage(core::VIRTUAL_AGENT_STAGE);
    } else {
      c.set_stage(HasAutomatedAgent(*profile) ? core::VIRTUAL_AGENT_STAGE : core::HUMAN_ASSIST_STAGE);
    }
    c.set_start_time_us(core::NowMicros());
    c.mutable_data_source()->set_kind(core::DataSource::DIALOGFLOW);
    c.mutable_data_source()->set_dialogflow_conversation(ConversationName(place, id));
    auto created = s_.conversations->Create(std::move(c));
    if (!created.ok()) return Error(created.status());
    Conversation out;
    ConversationToWire(*created, place, &out);
    return Json(out, *q);
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    Conversation out;
    ConversationToWire(*c, place, &out);
    return Json(out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    core::ConversationQuery query;
    query.tenant = place.project;
    query.scope = place.scope;
    query.page_size = *size;
    // Dialogflow's conversations only (not Cresta's, which have a profile too).
    core::Condition dialogflow = core::OriginIs(core::ConversationOrigin::kDialogflow);
    const std::string filter_text =
        q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    if (!filter_text.empty()) {
      auto expr = core::ParseFilter(filter_text);
      if (!expr.ok()) return Error(expr.status());
      auto condition = LifecycleCondition(*expr);
      if (!condition.ok()) return Error(condition.status());
      core::Condition both;
      both.kind = core::Condition::Kind::kAnd;
      both.children = {std::move(dialogflow), std::move(*condition)};
      query.condition = std::move(both);
    } else {
      query.condition = std::move(dialogflow);
    }
    auto page = s_.conversations->List(std::move(query), q->Get("page_token") ? *q->Get("page_token") : "",
                                       absl::StrCat("dialogflow_v2/conversations\x1f", filter_text));
    if (!page.ok()) return Error(page.status());
    ListConversationsResponse out;
    const int64_t now = core::NowMicros();
    for (const core::Conversation& c : page->conversations) {
      if (service::MessageService::IsIdle(c, config_.idle_complete_us, now)) {
        auto completed = s_.messages->CompleteIfIdle(place.project, place.scope, c.id(),
                                                     config_.idle_complete_us);
        if (completed.ok()) {
          ConversationToWire(*completed, place, out.add_conversations());
          continue;
        }
      }
      ConversationToWire(c, place, out.add_conversations());
    }
    out.set_next_page_token(page->next_page_token);
    return Json(out, *q);
  }

  Response Complete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    CompleteConversationRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("name", body.name(), ConversationName(place, p.Get("conversation")));
        !st.ok()) {
      return Error(st);
    }
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    auto completed = s_.messages->Complete(place.project, place.scope, c->id(), std::nullopt, "complete");
    if (!completed.ok()) return Error(completed.status());
    Conversation out;
    ConversationToWire(*completed, place, &out);
    return Json(out, *q);
  }

  // ---- participants ----

  Response CreateParticipant(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    Participant wire;
    if (auto st = ParseBody(req, "participant", &wire); !st.ok()) return Error(st);
    if (wire.role() == Participant::ROLE_UNSPECIFIED) {
      return Error(absl::InvalidArgumentError(
          "participant.role is required: HUMAN_AGENT, AUTOMATED_AGENT or END_USER"));
    }
    const Place place = PlaceOf(p);
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    if (auto st = CheckNotCompleted(*c, "participants"); !st.ok()) return Error(st);
    core::Participant participant;
    participant.set_id(core::NewId());
    participant.set_role(RoleFromWire(wire.role()));
    participant.set_sip_recording_media_label(wire.sip_recording_media_label());
    participant.set_obfuscated_external_user_id(wire.obfuscated_external_user_id());
    for (const auto& [k, v] : wire.documents_metadata_filters()) {
      (*participant.mutable_documents_metadata_filters())[k] = v;
    }
    participant.set_external_participant_name(ParticipantName(place, c->id(), participant.id()));
    auto added = s_.messages->AddParticipant(place.project, place.scope, c->id(), std::move(participant));
    if (!added.ok()) return Error(added.status());
    Participant out;
    ParticipantToWire(*added, place, c->id(), &out);
    return Json(out, *q);
  }

  Response GetParticipant(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    const core::Participant* found = FindParticipant(*c, p.Get("participant"));
    if (found == nullptr) return Error(ParticipantNotFound(p.Get("participant")));
    Participant out;
    ParticipantToWire(*found, place, c->id(), &out);
    return Json(out, *q);
  }

  Response ListParticipants(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string fingerprint =
        absl::StrCat("dialogflow_v2/participants\x1f", place.scope, "\x1f", Sv(p.Get("conversation")));
    auto offset = DecodeOffset(s_.conversations->tokens(), *q, fingerprint);
    if (!offset.ok()) return Error(offset.status());
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    const int page_size = PageSize(*size);
    ListParticipantsResponse out;
    int64_t i = *offset;
    for (; i < c->participants_size() && out.participants_size() < page_size; ++i) {
      ParticipantToWire(c->participants(static_cast<int>(i)), place, c->id(), out.add_participants());
    }
    if (i < c->participants_size()) {
      out.set_next_page_token(EncodeOffset(s_.conversations->tokens(), i, fingerprint));
    }
    return Json(out, *q);
  }

  Response PatchParticipant(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    Participant patch;
    if (auto st = ParseBody(req, "participant", &patch); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("participant.name", patch.name(),
                                      ParticipantName(place, p.Get("conversation"), p.Get("participant")));
        !st.ok()) {
      return Error(st);
    }
    static const std::vector<std::string> kAll = {"sip_recording_media_label", "obfuscated_external_user_id",
                                                  "documents_metadata_filters"};
    const std::vector<std::string> paths = PatchPaths(*q, patch, kAll);
    for (const std::string& path : paths) {
      if (path == "name") continue;
      if (path == "role" || std::find(kAll.begin(), kAll.end(), path) != kAll.end()) continue;
      return Error(absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", path, "\" is not an updatable field of Participant")));
    }
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    auto updated = s_.messages->UpdateParticipant(
        place.project, place.scope, c->id(), p.Get("participant"),
        [&](core::Participant& target) -> absl::Status {
          for (const std::string& path : paths) {
            if (path == "role") {
              // Immutable: the service refuses a change.
              target.set_role(RoleFromWire(patch.role()));
            } else if (path == "sip_recording_media_label") {
              target.set_sip_recording_media_label(patch.sip_recording_media_label());
            } else if (path == "obfuscated_external_user_id") {
              target.set_obfuscated_external_user_id(patch.obfuscated_external_user_id());
            } else if (path == "documents_metadata_filters") {
              target.clear_documents_metadata_filters();
              for (const auto& [k, v] : patch.documents_metadata_filters()) {
                (*target.mutable_documents_metadata_filters())[k] = v;
              }
            }
          }
          return absl::OkStatus();
        });
    if (!updated.ok()) {
      if (absl::IsNotFound(updated.status())) return Error(ParticipantNotFound(p.Get("participant")));
      if (absl::IsInvalidArgument(updated.status())) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("participant.role is immutable: ", updated.status().message())));
      }
      return Error(updated.status());
    }
    Participant out;
    ParticipantToWire(*updated, place, c->id(), &out);
    return Json(out, *q);
  }

  Response AnalyzeContent(const Request& req, const PathParams& p) { return Analyze(req, p, false); }

  // `retried`: a second pass after a retry of the same call raced the first
  // (its append found the request's message stored meanwhile).
  Response Analyze(const Request& req, const PathParams& p, bool retried) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    AnalyzeContentRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("participant", body.participant(),
                                      ParticipantName(place, p.Get("conversation"), p.Get("participant")));
        !st.ok()) {
      return Error(st);
    }
    if (!body.has_text_input() && !body.has_event_input()) {
      return Error(absl::InvalidArgumentError("one of text_input, event_input is required"));
    }
    if (body.has_text_input()) {
      if (body.text_input().text().empty()) {
        return Error(absl::InvalidArgumentError("text_input.text is required"));
      }
      if (body.text_input().text().size() > kMaxTextInputBytes) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "text_input.text is ", body.text_input().text().size(), " bytes; at most 256 KiB is allowed")));
      }
    } else if (body.event_input().name().empty()) {
      return Error(absl::InvalidArgumentError("event_input.name is required"));
    }
    // A share, not a copy: the usual call (a new message, assisted) reads
    // only the participants and the latest messages, so that its cost does
    // not grow with the conversation.
    auto shared = ShareConversation(config_, s_, place, p.Get("conversation"));
    if (!shared.ok()) return Error(shared.status());
    const core::Conversation& view = **shared;
    const core::Participant* participant = FindParticipant(view, p.Get("participant"));
    if (participant == nullptr) return Error(ParticipantNotFound(p.Get("participant")));
    const std::string participant_id = participant->id();
    if (auto st = CheckNotCompleted(view, "content"); !st.ok()) return Error(st);
    auto profile = LoadProfile(s_, place, view.profile());  // a deleted profile asks for nothing
    const bool sentiment = profile.ok() && profile->human_agent_assist().enable_sentiment_analysis();
    AnalyzeContentResponse out;
    if (!body.has_text_input()) return AnalyzeReply(out, *q);
    std::optional<core::Message> stored =
        service::MessageService::FindByRequestId(view, participant_id, body.request_id());
    // In VIRTUAL_AGENT_STAGE the profile's agent answers the end user and
    // no human agent is assisted yet.
    const bool virtual_agent = view.stage() == core::VIRTUAL_AGENT_STAGE && profile.ok() &&
                               HasAutomatedAgent(*profile) && participant->role() == core::END_USER;
    core::Message m;
    m.set_id(core::NewId());
    m.set_participant_id(participant_id);
    m.set_role(participant->role());
    m.set_text(body.text_input().text());
    m.set_language_code(body.text_input().language_code().empty() ? view.language_code()
                                                                 : body.text_input().language_code());
    m.set_time_us(core::NowMicros());
    m.set_request_id(body.request_id());
    if (!stored && !virtual_agent) {
      // The suggestions are computed first, on the latest messages with this
      // one added, so that their answer records (named after the message)
      // are stored by the same write as the message: one durable write per
      // call.
      std::vector<const core::Message*> recent =
          Suggester::Context(view, view.messages_size(), kMaxSuggestionContext - 1);
      recent.push_back(&m);
      Suggest(place, view, profile, recent, m.role(), &out);
      std::optional<NamedAnswers> records = NameAnswers(place, view.id(), m.id(), SuggestedResults(&out));
      const std::string conversation_id = view.id();
      const google::protobuf::RepeatedPtrField<core::Participant> participants = view.participants();
      service::MessageService::AppendOptions append = TextInputAppend();
      if (records) append.create_resource = records->resource();
      // Without live conversations the share is the append's starting point
      // (no second read; a concurrent write makes the store refuse it and
      // the append reads again). With them the service starts from the one
      // it keeps, and the share is dropped first: a write while it is held
      // would copy the conversation.
      std::shared_ptr<const core::Conversation> snapshot = std::move(*shared);
      if (s_.conversations->keeps_live()) snapshot.reset();
      append.snapshot = snapshot.get();
      std::vector<core::Message> one;
      one.push_back(std::move(m));
      auto appended =
          s_.messages->AppendMessages(place.project, place.scope, conversation_id, std::move(one), append);
      snapshot.reset();
      if (!appended.ok()) {
        // A retry that raced the first call: answer with what it stored.
        if (absl::IsAlreadyExists(appended.status()) && !body.request_id().empty() && !retried) {
          return Analyze(req, p, true);
        }
        return Error(appended.status());
      }
      const core::Message& added = appended->front();
      MessageToWire(added, conversation_id, participants, place, sentiment, out.mutable_message());
      if (added.role() == core::HUMAN_AGENT && suggester_->Observing(place.project)) {
        if (auto now = s_.conversations->Share(place.project, place.scope, conversation_id); now.ok()) {
          suggester_->Observe(place.project, **now);
        }
      }
      return AnalyzeReply(out, *q);
    }
    // A retry, or a virtual agent's turn: on a copy of the conversation.
    core::Conversation copy = view;
    shared->reset();
    core::Conversation* c = &copy;
    if (!stored) {
      std::vector<core::Message> one;
      one.push_back(std::move(m));
      service::MessageService::AppendOptions append = TextInputAppend();
      append.snapshot = c;
      auto appended = s_.messages->AppendMessages(place.project, place.scope, c->id(), std::move(one), append);
      if (appended.ok()) {
        stored = std::move(appended->front());
        *c->add_messages() = *stored;
      } else if (absl::IsAlreadyExists(appended.status()) && !body.request_id().empty() && !retried) {
        return Analyze(req, p, true);
      } else {
        return Error(appended.status());
      }
    }
    MessageToWire(*stored, *c, place, sentiment, out.mutable_message());
    if (virtual_agent) {
      if (auto st = VirtualAgentReply(place, c, *stored, &out); !st.ok()) return Error(st);
    } else {
      // A retry of a call that stored its message: the same suggestions,
      // whose records the first call stored (the same names: nothing new
      // is stored).
      int end = 0;
      for (int i = 0; i < c->messages_size(); ++i) {
        if (c->messages(i).id() == stored->id()) end = i + 1;
      }
      if (end > 0) Suggest(place, *c, profile, end, &out);
      if (auto st = RecordAnswers(s_, place, c->id(), stored->id(), SuggestedResults(&out)); !st.ok()) {
        return Error(st);
      }
    }
    if (stored->role() == core::HUMAN_AGENT) suggester_->Observe(place.project, *c);
    return AnalyzeReply(out, *q);
  }

  // The append of an analyzeContent text input: Dialogflow's text limit,
  // not the core's (--max-segment-kb, 64 KiB).
  service::MessageService::AppendOptions TextInputAppend() const {
    service::MessageService::AppendOptions append;
    append.max_text_bytes = std::max(kMaxTextInputBytes, s_.conversations->limits().max_message_text_bytes);
    return append;
  }

  // analyzeContent's response.
  Response AnalyzeReply(AnalyzeContentResponse& out, const Query& q) {
    Response r = Json(out, q);
    // The list is there even when empty, as Dialogflow sends it for a
    // profile without features.
    if (out.human_agent_suggestion_results_size() == 0 && r.status == 200 && q.fields().empty() &&
        !r.body.empty() && r.body.back() == '}') {
      r.body.pop_back();
      r.body += r.body.size() > 1 ? ",\"humanAgentSuggestionResults\":[]}" : "\"humanAgentSuggestionResults\":[]}";
    }
    return r;
  }

  // ---- messages ----

  Response ListMessages(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string filter_text =
        q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    std::optional<core::FilterExpr> filter;
    if (!filter_text.empty()) {
      auto expr = core::ParseFilter(filter_text);
      if (!expr.ok()) return Error(expr.status());
      if (auto st = CheckMessageFilter(*expr); !st.ok()) return Error(st);
      filter = std::move(*expr);
    }
    const std::string fingerprint = absl::StrCat("dialogflow_v2/messages\x1f", place.scope, "\x1f",
                                                 Sv(p.Get("conversation")), "\x1f", filter_text);
    auto offset = DecodeOffset(s_.conversations->tokens(), *q, fingerprint);
    if (!offset.ok()) return Error(offset.status());
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    const bool sentiment = SentimentEnabled(place, *c);
    // Newest first: the reverse of the stored order.
    std::vector<const core::Message*> matching;
    for (int i = c->messages_size() - 1; i >= 0; --i) {
      const core::Message& m = c->messages(i);
      if (m.state() == core::MESSAGE_DELETED) continue;
      if (filter && !MatchesMessage(*filter, m)) continue;
      matching.push_back(&m);
    }
    const int page_size = PageSize(*size);
    ListMessagesResponse out;
    int64_t i = *offset;
    for (; i < static_cast<int64_t>(matching.size()) && out.messages_size() < page_size; ++i) {
      MessageToWire(*matching[i], *c, place, sentiment, out.add_messages());
    }
    if (i < static_cast<int64_t>(matching.size())) {
      out.set_next_page_token(EncodeOffset(s_.conversations->tokens(), i, fingerprint));
    }
    return Json(out, *q);
  }

  Response BatchCreateMessages(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    BatchCreateMessagesRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string name = ConversationName(place, p.Get("conversation"));
    if (auto st = CheckNameMatchesUrl("parent", body.parent(), name); !st.ok()) return Error(st);
    if (body.requests_size() == 0) return Error(absl::InvalidArgumentError("requests is required"));
    if (body.requests_size() > kMaxBatchMessages) {
      return Error(absl::InvalidArgumentError(absl::StrCat(
          "requests has ", body.requests_size(), " messages; at most ", kMaxBatchMessages,
          " can be created in a batch")));
    }
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    if (auto st = CheckNotCompleted(*c, "messages"); !st.ok()) return Error(st);
    const std::string participant_prefix = absl::StrCat(name, "/participants/");
    // Messages of one participant with the same send time are one message
    // (the later one is ignored), within the batch and against those stored.
    std::vector<std::pair<std::string, int64_t>> seen;
    for (const core::Message& m : c->messages()) {
      if (m.has_time_us()) seen.emplace_back(m.participant_id(), m.time_us());
    }
    std::vector<core::Message> messages;
    for (int i = 0; i < body.requests_size(); ++i) {
      const CreateMessageRequest& r = body.requests(i);
      const std::string at = absl::StrCat("requests[", i, "]");
      if (auto st = CheckNameMatchesUrl(absl::StrCat(at, ".parent"), r.parent(), name); !st.ok()) {
        return Error(st);
      }
      const Message& w = r.message();
      if (w.content().empty()) {
        return Error(absl::InvalidArgumentError(absl::StrCat(at, ".message.content is required")));
      }
      if (!w.has_send_time()) {
        return Error(absl::InvalidArgumentError(absl::StrCat(at, ".message.send_time is required")));
      }
      if (w.participant().rfind(participant_prefix, 0) != 0) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            at, ".message.participant must name a participant of ", name)));
      }
      const std::string participant_id = w.participant().substr(participant_prefix.size());
      const core::Participant* participant = FindParticipant(*c, participant_id);
      if (participant == nullptr) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            at, ".message.participant \"", w.participant(), "\" is not a participant of ", name)));
      }
      const int64_t send = google_api::Micros(w.send_time());
      if (std::find(seen.begin(), seen.end(), std::make_pair(participant_id, send)) != seen.end()) continue;
      seen.emplace_back(participant_id, send);
      core::Message m;
      m.set_participant_id(participant_id);
      m.set_role(participant->role());
      m.set_text(w.content());
      m.set_language_code(w.language_code().empty() ? c->language_code() : w.language_code());
      m.set_time_us(send);
      messages.push_back(std::move(m));
    }
    BatchCreateMessagesResponse out;
    if (!messages.empty()) {
      auto stored = s_.messages->AppendMessages(place.project, place.scope, c->id(), std::move(messages));
      if (!stored.ok()) return Error(stored.status());
      const bool sentiment = SentimentEnabled(place, *c);
      for (const core::Message& m : *stored) MessageToWire(m, *c, place, sentiment, out.add_messages());
    }
    return Json(out, *q);
  }

  // ---- summaries ----

  Response SuggestSummary(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    SuggestConversationSummaryRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string name = ConversationName(place, p.Get("conversation"));
    if (auto st = CheckNameMatchesUrl("conversation", body.conversation(), name); !st.ok()) return Error(st);
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    const int context_size = body.context_size() <= 0 ? kDefaultContextSize : body.context_size();
    // The messages up to latest_message (default: the newest), at most
    // context_size of them.
    int end = c->messages_size();
    if (!body.latest_message().empty()) {
      const std::string id = MessageIdOf(place, c->id(), body.latest_message());
      if (id.empty()) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "latest_message \"", body.latest_message(), "\" is not a message of ", name)));
      }
      end = -1;
      for (int i = 0; i < c->messages_size(); ++i) {
        if (c->messages(i).id() == id) end = i + 1;
      }
      if (end < 0) {
        return Error(absl::NotFoundError(absl::StrCat("message \"", body.latest_message(), "\" not found")));
      }
    }
    core::Conversation context = *c;
    context.clear_messages();
    std::vector<const core::Message*> used;
    for (int i = end - 1; i >= 0 && static_cast<int>(used.size()) < context_size; --i) {
      if (c->messages(i).state() != core::MESSAGE_DELETED) used.push_back(&c->messages(i));
    }
    std::reverse(used.begin(), used.end());
    for (const core::Message* m : used) *context.add_messages() = *m;
    core::AnalysisResult result = service::AnalysisService::Summarize(context);
    // The generative engine's summary when an LLM is configured (the local one otherwise).
    if (s_.genai != nullptr) s_.genai->Summarize(context, &result);
    SuggestConversationSummaryResponse out;
    auto* summary = out.mutable_summary();
    summary->set_text(result.summary());
    std::vector<std::pair<std::string, std::string>> sections;
    for (const core::SummarySentence& s : result.summary_sentences()) {
      std::string_view key = SectionKey(s.section());
      if (key.empty()) continue;
      const std::string& text = context.messages(s.message_index()).text();
      std::string sentence = text.substr(s.start_byte(), s.end_byte() - s.start_byte());
      auto it = std::find_if(sections.begin(), sections.end(), [&](const auto& e) { return e.first == key; });
      if (it == sections.end()) {
        sections.emplace_back(std::string(key), std::move(sentence));
      } else {
        absl::StrAppend(&it->second, " ", sentence);
      }
    }
    for (const auto& [key, text] : sections) {
      (*summary->mutable_text_sections())[key] = text;
      auto* sorted = summary->add_sorted_text_sections();
      sorted->set_section(key);
      sorted->set_summary(text);
    }
    summary->set_baseline_model_version(result.summary_model().empty() ? "parley-extractive-1"
                                                                        : result.summary_model());
    if (auto st = RecordAnswers(s_, place, c->id(), core::NewId(), {}, summary); !st.ok()) return Error(st);
    if (!used.empty()) out.set_latest_message(MessageName(place, c->id(), used.back()->id()));
    out.set_context_size(static_cast<int>(used.size()));
    return Json(out, *q);
  }

  // participants/{p}/suggestions:suggestArticles, :suggestFaqAnswers,
  // :suggestSmartReplies: the feature of that type the profile configures
  // for the participant's role (human agent: human_agent_suggestion_config;
  // end user: end_user_suggestion_config).
  template <typename Req, typename Resp>
  Response Suggest(const Request& req, const PathParams& p, core::SuggestionFeature::Type type,
                   Resp* (SuggestionResult::*pick)()) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    Req body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string conversation = ConversationName(place, p.Get("conversation"));
    if (auto st = CheckNameMatchesUrl("parent", body.parent(),
                                      ParticipantName(place, p.Get("conversation"), p.Get("participant")));
        !st.ok()) {
      return Error(st);
    }
    if (body.context_size() < 0) return Error(absl::InvalidArgumentError("context_size must not be negative"));
    const int context_size = body.context_size() == 0 ? kDefaultSuggestionContext
                                                      : std::min(body.context_size(), kMaxSuggestionContext);
    auto c = LoadConversation(config_, s_, place, p.Get("conversation"));
    if (!c.ok()) return Error(c.status());
    const core::Participant* participant = FindParticipant(*c, p.Get("participant"));
    if (participant == nullptr) return Error(ParticipantNotFound(p.Get("participant")));
    if (auto st = CheckNotCompleted(*c, "suggestions"); !st.ok()) return Error(st);
    auto profile = LoadProfile(s_, place, c->profile());
    if (!profile.ok()) return Error(profile.status());
    const auto& features = participant->role() == core::END_USER
                               ? profile->human_agent_assist().end_user_suggestions()
                               : profile->human_agent_assist().human_agent_suggestions();
    const core::SuggestionFeature* feature = nullptr;
    for (const core::SuggestionFeature& f : features) {
      if (f.type() == type && feature == nullptr) feature = &f;
    }
    if (feature == nullptr) {
      return Error(absl::FailedPreconditionError(absl::StrCat(
          "conversation profile \"", c->profile(), "\" has no ",
          Sv(HAAC_FeatureName(type)), " feature for ",
          participant->role() == core::END_USER ? "end-user" : "human-agent", " participants")));
    }
    int end = c->messages_size();
    if (!body.latest_message().empty()) {
      const std::string id = MessageIdOf(place, c->id(), body.latest_message());
      if (id.empty()) {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "latest_message \"", body.latest_message(), "\" is not a message of ", conversation)));
      }
      end = -1;
      for (int i = 0; i < c->messages_size(); ++i) {
        if (c->messages(i).id() == id) end = i + 1;
      }
      if (end < 0) {
        return Error(absl::NotFoundError(absl::StrCat("message \"", body.latest_message(), "\" not found")));
      }
    }
    std::string typed;
    if constexpr (std::is_same_v<Req, SuggestSmartRepliesRequest>) typed = body.current_text_input().text();
    auto result = suggester_->Compute(place, *c, *feature, Suggester::Context(*c, end, context_size), typed);
    if (!result) return Error(absl::UnimplementedError("suggestion type not supported"));
    if (result->has_error()) {
      return Error(absl::Status(static_cast<absl::StatusCode>(result->error().code()), result->error().message()));
    }
    if (auto st = RecordAnswers(s_, place, c->id(), core::NewId(), {&*result}); !st.ok()) return Error(st);
    return Json(*((*result).*pick)(), *q);
  }

  Response SuggestArticles(const Request& req, const PathParams& p) {
    return Suggest<SuggestArticlesRequest, SuggestArticlesResponse>(
        req, p, core::SuggestionFeature::ARTICLE_SUGGESTION, &SuggestionResult::mutable_suggest_articles_response);
  }
  Response SuggestFaqAnswers(const Request& req, const PathParams& p) {
    return Suggest<SuggestFaqAnswersRequest, SuggestFaqAnswersResponse>(
        req, p, core::SuggestionFeature::FAQ, &SuggestionResult::mutable_suggest_faq_answers_response);
  }
  Response SuggestSmartReplies(const Request& req, const PathParams& p) {
    return Suggest<SuggestSmartRepliesRequest, SuggestSmartRepliesResponse>(
        req, p, core::SuggestionFeature::SMART_REPLY, &SuggestionResult::mutable_suggest_smart_replies_response);
  }

 private:
  static std::string_view HAAC_FeatureName(core::SuggestionFeature::Type type) {
    switch (type) {
      case core::SuggestionFeature::ARTICLE_SUGGESTION:
        return "ARTICLE_SUGGESTION";
      case core::SuggestionFeature::FAQ:
        return "FAQ";
      case core::SuggestionFeature::SMART_REPLY:
        return "SMART_REPLY";
      default:
        return "such";
    }
  }

  // The suggestions of `profile`'s features (none when it failed to load)
  // for the message at index `end - 1` of `c` as the latest: for the human
  // agent on an end user's message, for the end user on a human agent's,
  // each list in the order of the profile's feature configs.
  void Suggest(const Place& place, const core::Conversation& c, const absl::StatusOr<core::Profile>& profile,
               int end, AnalyzeContentResponse* out) {
    if (end <= 0) return;
    Suggest(place, c, profile, Suggester::Context(c, end, kMaxSuggestionContext), c.messages(end - 1).role(), out);
  }
  // The same for `recent` as the latest messages (Suggester::ForLatest),
  // the latest of `role`.
  void Suggest(const Place& place, const core::Conversation& c, const absl::StatusOr<core::Profile>& profile,
               const std::vector<const core::Message*>& recent, core::Role role, AnalyzeContentResponse* out) {
    if (!profile.ok()) return;
    const core::HumanAgentAssistConfig& assist = profile->human_agent_assist();
    if (role == core::END_USER) {
      for (SuggestionResult& r : suggester_->ForLatest(place, c, recent, assist.human_agent_suggestions())) {
        *out->add_human_agent_suggestion_results() = std::move(r);
      }
    } else if (role == core::HUMAN_AGENT) {
      for (SuggestionResult& r : suggester_->ForLatest(place, c, recent, assist.end_user_suggestions())) {
        *out->add_end_user_suggestion_results() = std::move(r);
      }
    }
  }

  // Every suggestion result of `out`, whose answers get records.
  static std::vector<SuggestionResult*> SuggestedResults(AnalyzeContentResponse* out) {
    std::vector<SuggestionResult*> results;
    for (auto& r : *out->mutable_human_agent_suggestion_results()) results.push_back(&r);
    for (auto& r : *out->mutable_end_user_suggestion_results()) results.push_back(&r);
    return results;
  }

  // Whether the conversation's profile asks for sentiment analysis of
  // messages (a deleted profile asks for nothing).
  bool SentimentEnabled(const Place& place, const core::Conversation& c) {
    auto profile = LoadProfile(s_, place, c.profile());
    return profile.ok() && profile->human_agent_assist().enable_sentiment_analysis();
  }

  // The virtual agent's turn (VIRTUAL_AGENT_STAGE, an END_USER message):
  // the shared virtual agent of the location (service::VirtualAgentService,
  // without knowledge answers: Dialogflow's knowledge connectors are not
  // modelled) answers with the intent it detects. Its reply is stored as a
  // message of the conversation's AUTOMATED_AGENT participant (one is added
  // when the client created none, which Dialogflow's integrations do first);
  // an intent with live_agent_handoff moves the conversation to
  // HUMAN_ASSIST_STAGE. `*c` is updated to what was stored.
  absl::Status VirtualAgentReply(const Place& place, core::Conversation* c, const core::Message& said,
                                 AnalyzeContentResponse* out) {
    service::ReplyOptions options;
    options.knowledge = false;
    options.generate = false;
    auto detected = s_.agent->Reply(place.project, place.scope, said.text(), options);
    if (!detected.ok()) return detected.status();
    QueryResult* qr = out->mutable_automated_agent_reply()->mutable_detect_intent_response()->mutable_query_result();
    out->mutable_automated_agent_reply()->mutable_detect_intent_response()->set_response_id(core::NewId());
    out->mutable_automated_agent_reply()->set_automated_agent_reply_type(AutomatedAgentReply::FINAL);
    qr->set_query_text(said.text());
    qr->set_language_code(said.language_code());
    qr->set_all_required_params_present(true);
    std::string reply;
    bool handoff = false;
    if (!detected->intent_id.empty()) {
      const Intent intent = IntentFromCore(*detected->intent);
      qr->mutable_intent()->set_name(IntentName(place, detected->intent_id));
      qr->mutable_intent()->set_display_name(intent.display_name());
      if (intent.is_fallback()) qr->mutable_intent()->set_is_fallback(true);
      qr->set_intent_detection_confidence(detected->confidence);
      for (const Intent::Message& m : intent.messages()) {
        *qr->add_fulfillment_messages() = m;
        if (reply.empty() && m.has_text() && m.text().text_size() > 0) reply = m.text().text(0);
      }
      qr->set_fulfillment_text(reply);
      handoff = intent.live_agent_handoff();
    }
    out->set_reply_text(reply);
    if (!reply.empty()) {
      std::string agent_id;
      for (const core::Participant& p : c->participants()) {
        if (p.role() == core::AUTOMATED_AGENT && agent_id.empty()) agent_id = p.id();
      }
      if (agent_id.empty()) {
        core::Participant participant;
        participant.set_id(core::NewId());
        participant.set_role(core::AUTOMATED_AGENT);
        participant.set_external_participant_name(ParticipantName(place, c->id(), participant.id()));
        auto added = s_.messages->AddParticipant(place.project, place.scope, c->id(), std::move(participant));
        if (!added.ok()) return added.status();
        agent_id = added->id();
        *c->add_participants() = *added;
      }
      core::Message m;
      m.set_participant_id(agent_id);
      m.set_role(core::AUTOMATED_AGENT);
      m.set_text(reply);
      m.set_language_code(said.language_code());
      m.set_time_us(core::NowMicros());
      std::vector<core::Message> one;
      one.push_back(std::move(m));
      auto appended = s_.messages->AppendMessages(place.project, place.scope, c->id(), std::move(one));
      if (!appended.ok()) return appended.status();
      *c->add_messages() = appended->front();
    }
    if (handoff) {
      auto changed = s_.messages->ChangeStage(place.project, place.scope, c->id(), core::HUMAN_ASSIST_STAGE,
                                              said.participant_id());
      if (!changed.ok()) return changed.status();
      c->set_stage(changed->stage());
    }
    return absl::OkStatus();
  }

  api::ServerConfig config_;
  api::Services s_;
  std::shared_ptr<Suggester> suggester_;
};

}  // namespace

void AddConversationRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router) {
  auto h = std::make_shared<Handlers>(config, services, std::make_shared<Suggester>(services));
  auto bind = [h](Response (Handlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  using http::Dispatch;
  AddBoth(router, Method::kPost, "/conversations", bind(&Handlers::Create), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversations", bind(&Handlers::List), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversations/{conversation}", bind(&Handlers::Get), Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/conversations/{conversation}:complete", bind(&Handlers::Complete),
          Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/conversations/{conversation}/participants",
          bind(&Handlers::CreateParticipant), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversations/{conversation}/participants",
          bind(&Handlers::ListParticipants), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversations/{conversation}/participants/{participant}",
          bind(&Handlers::GetParticipant), Dispatch::kBlocking);
  AddBoth(router, Method::kPatch, "/conversations/{conversation}/participants/{participant}",
          bind(&Handlers::PatchParticipant), Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/conversations/{conversation}/participants/{participant}:analyzeContent",
          bind(&Handlers::AnalyzeContent), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/conversations/{conversation}/messages", bind(&Handlers::ListMessages),
          Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/conversations/{conversation}/messages:batchCreate",
          bind(&Handlers::BatchCreateMessages), Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/conversations/{conversation}/suggestions:suggestConversationSummary",
          bind(&Handlers::SuggestSummary), Dispatch::kBlocking);
  for (const auto& [suffix, fn] : std::vector<std::pair<std::string_view, Response (Handlers::*)(const Request&, const PathParams&)>>{
           {":suggestArticles", &Handlers::SuggestArticles},
           {":suggestFaqAnswers", &Handlers::SuggestFaqAnswers},
           {":suggestSmartReplies", &Handlers::SuggestSmartReplies}}) {
    AddBoth(router, Method::kPost,
            absl::StrCat("/conversations/{conversation}/participants/{participant}/suggestions", Sv(suffix)), bind(fn),
            Dispatch::kBlocking);
  }
}

void AddRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router) {
  // Ids in the path are checked before any handler runs (after the
  // authentication guard): a malformed name is INVALID_ARGUMENT.
  router->PushGuard([](Method, std::string_view) -> http::Guard {
    return [](const Request&, const PathParams& p) -> std::optional<http::Response> {
      absl::Status s = google_api::CheckPathIds(
          p, {"conversation", "participant", "profile", "kb", "doc", "operation", "intent", "answer_record"});
      if (s.ok()) return std::nullopt;
      return Error(s);
    };
  });
  AddProfileRoutes(config, services, router);
  AddConversationRoutes(config, services, router);
  AddKnowledgeRoutes(config, services, router);
  AddAgentRoutes(config, services, router);
  AddAnswerRecordRoutes(config, services, router);
  router->PopGuard();
}

}  // namespace parley::dialogflow_v2
