// The twelve generative endpoints (seed elevateai-genai-interactions.txt):
// gen-ai/cx/{summary, summary/details, agent/action-items,
// agent/coaching-assistant, topics, conversation-composition, ask} and
// gen-ai/{summary, summary/details, action-items, topics, ask}. Audio must
// be processed first (409); chats and transcripts answer at once. The engine
// is service::GenAiService (local, or an LLM with --llm-endpoint).
#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "api/elevateai_v1/mapping.h"
#include "api/elevateai_v1/routes.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/genai_service.h"

namespace parley::elevateai_v1 {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

using Render = std::function<Struct(const genai::Insights&)>;

void Strings(const std::vector<std::string>& in, google::protobuf::Value* out) {
  ListValue* l = out->mutable_list_value();
  for (const std::string& s : in) l->add_values()->set_string_value(s);
}

void Entities(const genai::Insights& g, google::protobuf::Value* out) {
  ListValue* l = out->mutable_list_value();
  for (const auto& e : g.entities) {
    auto& f = *l->add_values()->mutable_struct_value()->mutable_fields();
    f["type"].set_string_value(e.type);
    f["value"].set_string_value(e.value);
  }
}

// The interaction, ready for generative AI: processed, else 409.
absl::StatusOr<core::Conversation> Ready(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto c = Load(ctx, req, p);
  if (!c.ok()) return c.status();
  if (StatusName(*c) != "processed") {
    return absl::FailedPreconditionError(absl::StrCat(
        "The audio interaction must complete processing before Generative AI results are available (status ",
        StatusName(*c), ")."));
  }
  return c;
}

Response Generate(const Ctx& ctx, const Request& req, const PathParams& p, genai::Kind kind,
                  const Render& render) {
  auto c = Ready(ctx, req, p);
  if (!c.ok()) return ErrorResponse(c.status());
  auto g = ctx.services.genai->Generate(*c, kind);
  if (!g.ok()) {
    if (absl::IsInvalidArgument(g.status())) return ErrorResponse(422, std::string(g.status().message()));
    return ErrorResponse(g.status());
  }
  return Json(render(*g));
}

Struct QaJson(const core::QaExchange& q) {
  Struct s;
  auto& f = *s.mutable_fields();
  f["question"].set_string_value(q.question());
  f["answer"].set_string_value(q.answer());
  f["isSuccessful"].set_bool_value(q.error_code() == 0);
  if (q.error_code() != 0) f["error"].set_string_value(q.error());
  f["askedAt"].set_string_value(core::FormatTimestampMicros(q.ask_time_us()));
  return s;
}

Response AskPost(const Ctx& ctx, const Request& req, const PathParams& p, std::string_view variant) {
  std::string tenant;
  auto c = Load(ctx, req, p, &tenant);
  if (!c.ok()) return ErrorResponse(c.status());
  if (StatusName(*c) != "processed") return ErrorResponse(Ready(ctx, req, p).status());
  Struct body;
  if (req.body.empty() || !protojson::Parse(req.body, &body).ok()) {
    return ErrorResponse(400, "The request body must be a JSON object {\"question\": \"...\"}.");
  }
  const google::protobuf::Value* q = Prop(body, "question");
  if (q == nullptr || q->kind_case() != google::protobuf::Value::kStringValue) {
    return ErrorResponse(400, "\"question\" (a string of up to 250 characters) is required.");
  }
  auto qa = ctx.services.genai->Ask(tenant, kScope, c->id(), q->string_value(), variant);
  if (!qa.ok()) {
    if (absl::IsInvalidArgument(qa.status())) return ErrorResponse(422, std::string(qa.status().message()));
    return ErrorResponse(qa.status());
  }
  return Json(QaJson(*qa));
}

Response AskGet(const Ctx& ctx, const Request& req, const PathParams& p, std::string_view variant) {
  auto c = Load(ctx, req, p);
  if (!c.ok()) return ErrorResponse(c.status());
  Struct out;
  ListValue* l = (*out.mutable_fields())["questionsAndAnswers"].mutable_list_value();
  for (const auto& q : c->qa_history()) {
    if (q.variant() == variant) *l->add_values()->mutable_struct_value() = QaJson(q);
  }
  return Json(out);
}

}  // namespace

void AddGenAiRoutes(const Ctx& ctx, http::Router* router) {
  const auto blocking = http::Dispatch::kBlocking;
  const std::string base = absl::StrCat(Sv(kInteraction), "/gen-ai");
  auto add = [&](std::string path, genai::Kind kind, Render render) {
    router->Add(Method::kGet, base + path,
                [ctx, kind, render](const Request& r, const PathParams& p) {
                  return Generate(ctx, r, p, kind, render);
                },
                blocking);
  };
  const Render summary = [](const genai::Insights& g) {
    Struct s;
    (*s.mutable_fields())["summary"].set_string_value(g.summary);
    return s;
  };
  const Render topics = [](const genai::Insights& g) {
    Struct s;
    Strings(g.topics, &(*s.mutable_fields())["topics"]);
    return s;
  };
  add("/cx/summary", genai::Kind::kSummary, summary);
  add("/summary", genai::Kind::kSummary, summary);
  add("/cx/summary/details", genai::Kind::kDetails, [](const genai::Insights& g) {
    Struct s;
    auto& f = *s.mutable_fields();
    Strings(g.reasons, &f["reasons"]);
    Strings(g.actions_taken, &f["actionsTakenByAgent"]);
    Entities(g, &f["entities"]);
    f["isResolved"].set_bool_value(g.is_resolved);
    return s;
  });
  // "Summarizes the entities mentioned within the interaction."
  add("/summary/details", genai::Kind::kDetails, [](const genai::Insights& g) {
    Struct s;
    Entities(g, &(*s.mutable_fields())["entities"]);
    return s;
  });
  // What the agent did and committed to.
  add("/cx/agent/action-items", genai::Kind::kActionItems, [](const genai::Insights& g) {
    std::vector<std::string> items = g.actions_taken;
    for (const std::string& a : g.action_items) {
      if (std::find(items.begin(), items.end(), a) == items.end()) items.push_back(a);
    }
    Struct s;
    Strings(items, &(*s.mutable_fields())["actionItems"]);
    return s;
  });
  // "The action items which were raised during the interaction": what is still to do.
  add("/action-items", genai::Kind::kActionItems, [](const genai::Insights& g) {
    Struct s;
    Strings(g.action_items, &(*s.mutable_fields())["actionItems"]);
    return s;
  });
  add("/cx/agent/coaching-assistant", genai::Kind::kCoaching, [](const genai::Insights& g) {
    Struct s;
    auto& f = *s.mutable_fields();
    ListValue* strengths = f["strengths"].mutable_list_value();
    ListValue* recs = f["coachingRecommendations"].mutable_list_value();
    for (const auto& n : g.coaching) {
      auto& item = *(n.strength ? strengths : recs)->add_values()->mutable_struct_value()->mutable_fields();
      item["behavior"].set_string_value(n.behavior);
      item["observation"].set_string_value(n.observation);
      if (!n.strength) item["recommendation"].set_string_value(n.recommendation);
    }
    return s;
  });
  add("/cx/topics", genai::Kind::kTopics, topics);
  add("/topics", genai::Kind::kTopics, topics);
  add("/cx/conversation-composition", genai::Kind::kComposition, [](const genai::Insights& g) {
    Struct s;
    ListValue* l = (*s.mutable_fields())["concerns"].mutable_list_value();
    for (const auto& c : g.concerns) {
      auto& f = *l->add_values()->mutable_struct_value()->mutable_fields();
      f["concern"].set_string_value(c.concern);
      Strings(c.actions, &f["actionsTaken"]);
      f["resolutionStatus"].set_string_value(c.resolved ? "resolved" : "unresolved");
    }
    return s;
  });
  for (auto [path, variant] : {std::pair<const char*, const char*>{"/cx/ask", "cx"}, {"/ask", ""}}) {
    std::string v = variant;
    router->Add(Method::kPost, base + path,
                [ctx, v](const Request& r, const PathParams& p) { return AskPost(ctx, r, p, v); }, blocking);
    router->Add(Method::kGet, base + path,
                [ctx, v](const Request& r, const PathParams& p) { return AskGet(ctx, r, p, v); }, blocking);
  }
}

}  // namespace parley::elevateai_v1
