// The ES agent: agent/intents (create, get, list, patch, delete) and
// agent:train, a long-running operation served at the dialect's
// .../operations/{operation} routes (knowledge_routes.cc). Intents are the
// shared virtual agent's (service::VirtualAgentService), mapped in agent.h.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dialogflow_v2/agent.h"
#include "api/dialogflow_v2/common.h"
#include "api/dialogflow_v2/routes.h"
#include "api/google/operation.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/operation_state.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/operation_service.h"
#include "service/resource_service.h"
#include "service/virtual_agent_service.h"

namespace parley::dialogflow_v2 {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

// CreateIntentRequest.intent.priority: "If the supplied value is
// unspecified or 0, the service translates the value to 500,000".
constexpr int kDefaultPriority = 500000;

std::string PhraseText(const Intent::TrainingPhrase& phrase) {
  std::string text;
  for (const auto& part : phrase.parts()) text += part.text();
  return text;
}

}  // namespace

std::string AgentName(const Place& place) { return absl::StrCat(place.prefix, "/agent"); }
std::string IntentName(const Place& place, std::string_view id) {
  return absl::StrCat(place.prefix, "/agent/intents/", Sv(id));
}

core::AgentIntent IntentToCore(const Intent& in) {
  core::AgentIntent out;
  out.set_display_name(in.display_name());
  out.set_priority(in.priority());
  out.set_is_fallback(in.is_fallback());
  out.set_live_agent_handoff(in.live_agent_handoff());
  out.set_end_interaction(in.end_interaction());
  for (const Intent::TrainingPhrase& p : in.training_phrases()) {
    core::AgentIntent::TrainingPhrase* q = out.add_training_phrases();
    q->set_name(p.name());
    q->set_type(p.type());
    q->set_times_added_count(p.times_added_count());
    for (const Intent::TrainingPhrase::Part& part : p.parts()) {
      core::AgentIntent::TrainingPhrase::Part* r = q->add_parts();
      r->set_text(part.text());
      r->set_entity_type(part.entity_type());
      r->set_alias(part.alias());
      r->set_user_defined(part.user_defined());
    }
  }
  for (const Intent::Message& m : in.messages()) {
    core::AgentIntent::Response* r = out.add_responses();
    if (m.has_text()) {
      *r->mutable_texts()->mutable_text() = m.text().text();
    } else if (m.has_payload()) {
      r->set_payload_json(protojson::ToJson(m.payload()));
    }
  }
  return out;
}

Intent IntentFromCore(const core::AgentIntent& in) {
  Intent out;
  out.set_display_name(in.display_name());
  out.set_priority(in.priority());
  out.set_is_fallback(in.is_fallback());
  out.set_live_agent_handoff(in.live_agent_handoff());
  out.set_end_interaction(in.end_interaction());
  for (const core::AgentIntent::TrainingPhrase& p : in.training_phrases()) {
    Intent::TrainingPhrase* q = out.add_training_phrases();
    q->set_name(p.name());
    q->set_type(static_cast<Intent::TrainingPhrase::Type>(p.type()));
    q->set_times_added_count(p.times_added_count());
    for (const auto& part : p.parts()) {
      Intent::TrainingPhrase::Part* r = q->add_parts();
      r->set_text(part.text());
      r->set_entity_type(part.entity_type());
      r->set_alias(part.alias());
      r->set_user_defined(part.user_defined());
    }
  }
  for (const core::AgentIntent::Response& r : in.responses()) {
    Intent::Message* m = out.add_messages();
    if (r.has_texts()) {
      *m->mutable_text()->mutable_text() = r.texts().text();
    } else {
      // Stored by IntentToCore from a parsed Struct: always parses.
      (void)protojson::Parse(r.payload_json(), m->mutable_payload());
    }
  }
  return out;
}

std::string AgentOperationJson(const core::Operation& op, const Place& place,
                               const protojson::PrintOptions& print) {
  constexpr char kStruct[] = R"({"@type":"type.googleapis.com/google.protobuf.Struct","value":{}})";
  constexpr char kEmpty[] = R"({"@type":"type.googleapis.com/google.protobuf.Empty"})";
  return google_api::OperationJson(op, absl::StrCat(place.prefix, "/operations/", op.id()), kStruct,
                                   op.state() == core::OPERATION_SUCCEEDED ? kEmpty : "", print);
}

namespace {

// INTENT_VIEW_UNSPECIFIED (the default) leaves training phrases out.
absl::StatusOr<bool> FullView(const Query& q) {
  const std::string* v = q.Get("intent_view");
  if (v == nullptr || v->empty() || *v == "INTENT_VIEW_UNSPECIFIED" || *v == "0") return false;
  if (*v == "INTENT_VIEW_FULL" || *v == "1") return true;
  return absl::InvalidArgumentError(
      absl::StrCat("intent_view \"", *v, "\" is not INTENT_VIEW_UNSPECIFIED or INTENT_VIEW_FULL"));
}

absl::Status CheckIntent(const Intent& in) {
  if (in.display_name().empty()) return absl::InvalidArgumentError("intent.display_name is required");
  for (int i = 0; i < in.training_phrases_size(); ++i) {
    const auto& phrase = in.training_phrases(i);
    if (phrase.type() == Intent::TrainingPhrase::TEMPLATE) {
      return absl::InvalidArgumentError(
          absl::StrCat("intent.training_phrases[", i, "].type: TEMPLATE is deprecated; use EXAMPLE"));
    }
    if (phrase.parts_size() == 0 || PhraseText(phrase).find_first_not_of(" \t\r\n") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("intent.training_phrases[", i, "].parts must hold text"));
    }
  }
  for (int i = 0; i < in.messages_size(); ++i) {
    if (in.messages(i).message_case() == Intent::Message::MESSAGE_NOT_SET) {
      return absl::InvalidArgumentError(
          absl::StrCat("intent.messages[", i, "]: one of text, payload is required"));
    }
  }
  return absl::OkStatus();
}

// Fills what the service sets: phrase names and types, the priority.
void Normalize(Intent* intent) {
  for (auto& phrase : *intent->mutable_training_phrases()) {
    if (phrase.name().empty()) phrase.set_name(core::NewId());
    if (phrase.type() == Intent::TrainingPhrase::TYPE_UNSPECIFIED) phrase.set_type(Intent::TrainingPhrase::EXAMPLE);
  }
  if (intent->priority() == 0) intent->set_priority(kDefaultPriority);
}

Intent ToWire(Intent stored, const Place& place, std::string_view id, bool full) {
  stored.set_name(IntentName(place, id));
  if (!full) stored.clear_training_phrases();
  return stored;
}

class AgentHandlers {
 public:
  explicit AgentHandlers(const api::Services& services) : s_(services) {}

  Response Create(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"intent_view", "intentView"}, {"language_code", "languageCode"}});
    if (!q.ok()) return Error(q.status());
    auto full = FullView(*q);
    if (!full.ok()) return Error(full.status());
    Intent wire;
    if (auto st = ParseBody(req, "intent", &wire); !st.ok()) return Error(st);
    if (auto st = CheckIntent(wire); !st.ok()) return Error(st);
    if (!wire.name().empty()) {
      return Error(absl::InvalidArgumentError("intent.name must be empty: the service assigns it"));
    }
    const Place place = PlaceOf(p);
    Normalize(&wire);
    const std::string id = core::NewId();
    if (auto st = s_.resources->Create({place.project, service::kAgentIntentKind, place.scope, id},
                                       core::NowMicros(), IntentToCore(wire));
        !st.ok()) {
      return Error(st);
    }
    Intent out = ToWire(std::move(wire), place, id, *full);
    return Json(out, *q);
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"intent_view", "intentView"}, {"language_code", "languageCode"}});
    if (!q.ok()) return Error(q.status());
    auto full = FullView(*q);
    if (!full.ok()) return Error(full.status());
    const Place place = PlaceOf(p);
    Intent stored;
    if (auto st = Load(place, p.Get("intent"), &stored); !st.ok()) return Error(st);
    Intent out = ToWire(std::move(stored), place, p.Get("intent"), *full);
    return Json(out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"intent_view", "intentView"},
                                {"language_code", "languageCode"},
                                {"page_size", "pageSize"},
                                {"page_token", "pageToken"}});
    if (!q.ok()) return Error(q.status());
    auto full = FullView(*q);
    if (!full.ok()) return Error(full.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string fingerprint = absl::StrCat("dialogflow_v2/intents\x1f", place.scope);
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    const std::string after = *cursor ? (*cursor)->id : std::string();
    const int page_size = PageSize(*size);
    ListIntentsResponse out;
    std::string last;
    auto stopped = s_.resources->Scan(
        place.project, service::kAgentIntentKind, place.scope, after, page_size + 1,
        [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
          if (out.intents_size() >= page_size) return false;
          core::AgentIntent stored;
          if (!stored.ParseFromString(body)) return absl::InternalError("a stored intent does not parse");
          *out.add_intents() = ToWire(IntentFromCore(stored), place, id, *full);
          last = std::string(id);
          return true;
        });
    if (!stopped.ok()) return Error(stopped.status());
    if (stopped->has_value()) {
      out.set_next_page_token(s_.conversations->tokens().Encode(core::ListCursor{0, last}, fingerprint));
    }
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"},
                                {"intent_view", "intentView"},
                                {"language_code", "languageCode"}});
    if (!q.ok()) return Error(q.status());
    auto full = FullView(*q);
    if (!full.ok()) return Error(full.status());
    Intent wire;
    if (auto st = ParseBody(req, "intent", &wire); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string id(p.Get("intent"));
    if (auto st = CheckNameMatchesUrl("intent.name", wire.name(), IntentName(place, id)); !st.ok()) {
      return Error(st);
    }
    static const std::vector<std::string> kAll = {"display_name",       "priority",      "is_fallback",
                                                  "live_agent_handoff", "end_interaction", "training_phrases",
                                                  "messages"};
    std::vector<std::string> paths;
    for (const std::string& path : PatchPaths(*q, wire, kAll)) {
      if (path == "name") continue;
      if (std::find(kAll.begin(), kAll.end(), path) == kAll.end()) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("update_mask: \"", path, "\" is not an updatable field of Intent")));
      }
      paths.push_back(path);
    }
    core::AgentIntent scratch;
    absl::Status st = s_.resources->Update(
        {place.project, service::kAgentIntentKind, place.scope, id}, false, &scratch,
        [&](google::protobuf::Message& message, int64_t stored_us) -> absl::StatusOr<int64_t> {
          Intent target = IntentFromCore(static_cast<core::AgentIntent&>(message));
          const google::protobuf::Descriptor* d = Intent::descriptor();
          const google::protobuf::Reflection* r = Intent::GetReflection();
          for (const std::string& path : paths) {
            const google::protobuf::FieldDescriptor* f = d->FindFieldByName(path);
            r->ClearField(&target, f);
            if (f->is_repeated()) {
              for (int i = 0; i < r->FieldSize(wire, f); ++i) {
                r->AddMessage(&target, f)->CopyFrom(r->GetRepeatedMessage(wire, f, i));
              }
            } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
              r->SetString(&target, f, r->GetString(wire, f));
            } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
              r->SetInt32(&target, f, r->GetInt32(wire, f));
            } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL) {
              r->SetBool(&target, f, r->GetBool(wire, f));
            }
          }
          if (auto st = CheckIntent(target); !st.ok()) return st;
          Normalize(&target);
          static_cast<core::AgentIntent&>(message) = IntentToCore(target);
          return std::max(core::NowMicros(), stored_us + 1);
        });
    if (absl::IsNotFound(st)) return Error(IntentNotFound(id));
    if (!st.ok()) return Error(st);
    Intent out = ToWire(IntentFromCore(scratch), place, id, *full);
    return Json(out, *q);
  }

  Response Delete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    absl::Status st = s_.resources->Delete({place.project, service::kAgentIntentKind, place.scope, p.Get("intent")});
    if (absl::IsNotFound(st)) return Error(IntentNotFound(p.Get("intent")));
    if (!st.ok()) return Error(st);
    Response r;
    r.body = "{}";
    return r;
  }

  Response Train(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    TrainAgentRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("parent", body.parent(), place.prefix); !st.ok()) return Error(st);
    core::Operation op;
    op.set_tenant(place.project);
    op.set_location(place.scope);
    op.mutable_agent_train()->set_name_prefix(place.prefix);
    auto started = s_.operations->Start(std::move(op));
    if (!started.ok()) return Error(started.status());
    Response r;
    r.body = AgentOperationJson(*started, place, q->print());
    return r;
  }

 private:
  static absl::Status IntentNotFound(std::string_view id) {
    return absl::NotFoundError(absl::StrCat("intent \"", Sv(id), "\" not found"));
  }

  absl::Status Load(const Place& place, std::string_view id, Intent* out) {
    core::AgentIntent stored;
    auto got = s_.resources->Get({place.project, service::kAgentIntentKind, place.scope, id}, &stored);
    if (absl::IsNotFound(got.status())) return IntentNotFound(id);
    if (!got.ok()) return got.status();
    *out = IntentFromCore(stored);
    return absl::OkStatus();
  }

  api::Services s_;
};

}  // namespace

void AddAgentRoutes(const api::ServerConfig&, const api::Services& services, http::Router* router) {
  service::VirtualAgentService* agent = services.agent;
  services.operations->SetRunner(core::Operation::kAgentTrain, [agent](jobs::JobContext& ctx) -> absl::Status {
    core::Operation& op = ctx.operation();
    op.set_total(1);
    absl::Status st = agent->Train(op.tenant(), op.location(), op.mutable_agent_train());
    if (st.ok()) {
      op.set_succeeded(1);
    } else {
      op.set_failed(1);
    }
    return st;
  });
  auto h = std::make_shared<AgentHandlers>(services);
  auto bind = [h](Response (AgentHandlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  using http::Dispatch;
  AddBoth(router, Method::kPost, "/agent/intents", bind(&AgentHandlers::Create), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/agent/intents", bind(&AgentHandlers::List), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/agent/intents/{intent}", bind(&AgentHandlers::Get), Dispatch::kBlocking);
  AddBoth(router, Method::kPatch, "/agent/intents/{intent}", bind(&AgentHandlers::Patch), Dispatch::kBlocking);
  AddBoth(router, Method::kDelete, "/agent/intents/{intent}", bind(&AgentHandlers::Delete), Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/agent:train", bind(&AgentHandlers::Train), Dispatch::kBlocking);
}

}  // namespace parley::dialogflow_v2
