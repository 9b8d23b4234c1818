#include "genai/llm_insights.h"

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "genai/local_engine.h"

namespace parley::genai {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

Value Type(std::string_view t) {
  Value v;
  (*v.mutable_struct_value()->mutable_fields())["type"].set_string_value(std::string(t));
  return v;
}

Value ArrayOf(Value items) {
  Value v = Type("array");
  *(*v.mutable_struct_value()->mutable_fields())["items"].mutable_struct_value() = items.struct_value();
  return v;
}

Value Object(std::initializer_list<std::pair<const char*, Value>> props) {
  Value v = Type("object");
  auto& f = *v.mutable_struct_value()->mutable_fields();
  auto* required = f["required"].mutable_list_value();
  f["additionalProperties"].set_bool_value(false);
  for (const auto& [name, schema] : props) {
    (*f["properties"].mutable_struct_value()->mutable_fields())[name] = schema;
    required->add_values()->set_string_value(name);
  }
  return v;
}

struct Ask {
  const char* name;
  const char* instruction;
  Value schema;
};

Ask AskFor(Kind kind) {
  switch (kind) {
    case Kind::kSummary:
      return {"summary", "Summarize the interaction between the agent and the customer in 2-4 sentences.",
              Object({{"summary", Type("string")}})};
    case Kind::kDetails:
      return {"summary_details",
              "List the reasons the customer contacted, the actions the agent took, the entities mentioned "
              "(type and value) and whether the issue was resolved.",
              Object({{"reasons", ArrayOf(Type("string"))},
                      {"actionsTakenByAgent", ArrayOf(Type("string"))},
                      {"entities", ArrayOf(Object({{"type", Type("string")}, {"value", Type("string")}}))},
                      {"isResolved", Type("boolean")}})};
    case Kind::kActionItems:
      return {"action_items",
              "List the action items raised in the interaction: what the agent did and what was promised.",
              Object({{"actionItems", ArrayOf(Type("string"))}})};
    case Kind::kCoaching:
      return {"coaching",
              "Coach the agent: for each behaviour (empathy, holds, silence, interruptions, unanswered "
              "questions, closing, resolution) say what was observed, whether it was a strength, and what to do.",
              Object({{"coaching", ArrayOf(Object({{"behavior", Type("string")},
                                                   {"strength", Type("boolean")},
                                                   {"observation", Type("string")},
                                                   {"recommendation", Type("string")}}))}})};
    case Kind::kTopics:
      return {"topics", "List the topics discussed, as short noun phrases.",
              Object({{"topics", ArrayOf(Type("string"))}})};
    case Kind::kComposition:
      return {"composition",
              "List the concerns the customer raised, the actions taken to resolve each, and whether each was "
              "resolved.",
              Object({{"concerns", ArrayOf(Object({{"concern", Type("string")},
                                                   {"actions", ArrayOf(Type("string"))},
                                                   {"resolved", Type("boolean")}}))}})};
  }
  return {"summary", "", Object({})};
}

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::Status Strings(const Struct& s, const char* name, std::vector<std::string>* out) {
  const Value* v = Field(s, name);
  if (v == nullptr || v->kind_case() != Value::kListValue) {
    return absl::InternalError(absl::StrCat("LLM reply lacks ", name));
  }
  for (const Value& item : v->list_value().values()) {
    if (item.kind_case() == Value::kStringValue) out->push_back(item.string_value());
  }
  return absl::OkStatus();
}

std::string Str(const Struct& s, const char* name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

bool Bool(const Struct& s, const char* name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->kind_case() == Value::kBoolValue && v->bool_value();
}

constexpr std::string_view kSystem =
    "You analyse customer-service interactions between an agent and a customer. Answer only from the "
    "transcript, in English, as JSON that follows the given schema.";

}  // namespace

absl::StatusOr<Insights> LlmInsights(const LlmClient& client, const core::Conversation& conversation, Kind kind) {
  Ask ask = AskFor(kind);
  const std::string user = absl::StrCat(ask.instruction, "\n\nTranscript:\n", TranscriptText(conversation));
  auto reply = client.CompleteJson(kSystem, user, ask.schema.struct_value(), ask.name);
  if (!reply.ok()) return reply.status();
  Insights out;
  out.backend = absl::StrCat("llm:", client.options().model);
  switch (kind) {
    case Kind::kSummary: {
      const Value* v = Field(*reply, "summary");
      if (v == nullptr || v->kind_case() != Value::kStringValue) return absl::InternalError("LLM reply lacks summary");
      out.summary = v->string_value();
      break;
    }
    case Kind::kDetails: {
      if (absl::Status s = Strings(*reply, "reasons", &out.reasons); !s.ok()) return s;
      if (absl::Status s = Strings(*reply, "actionsTakenByAgent", &out.actions_taken); !s.ok()) return s;
      if (const Value* e = Field(*reply, "entities"); e != nullptr) {
        for (const Value& item : e->list_value().values()) {
          out.entities.push_back({Str(item.struct_value(), "type"), Str(item.struct_value(), "value")});
        }
      }
      out.is_resolved = Bool(*reply, "isResolved");
      break;
    }
    case Kind::kActionItems:
      if (absl::Status s = Strings(*reply, "actionItems", &out.action_items); !s.ok()) return s;
      break;
    case Kind::kCoaching: {
      const Value* v = Field(*reply, "coaching");
      if (v == nullptr) return absl::InternalError("LLM reply lacks coaching");
      for (const Value& item : v->list_value().values()) {
        const Struct& c = item.struct_value();
        out.coaching.push_back({Str(c, "behavior"), Bool(c, "strength"), Str(c, "observation"),
                                Str(c, "recommendation")});
      }
      break;
    }
    case Kind::kTopics:
      if (absl::Status s = Strings(*reply, "topics", &out.topics); !s.ok()) return s;
      break;
    case Kind::kComposition: {
      const Value* v = Field(*reply, "concerns");
      if (v == nullptr) return absl::InternalError("LLM reply lacks concerns");
      for (const Value& item : v->list_value().values()) {
        Concern c{Str(item.struct_value(), "concern"), {}, Bool(item.struct_value(), "resolved")};
        (void)Strings(item.struct_value(), "actions", &c.actions);
        out.concerns.push_back(std::move(c));
      }
      break;
    }
  }
  return out;
}

absl::StatusOr<std::string> LlmAnswer(const LlmClient& client, const core::Conversation& conversation,
                                      std::string_view question) {
  Value schema = Object({{"answer", Type("string")}});
  const std::string user = absl::StrCat("Answer the question about the interaction in one or two sentences.\n",
                                        "Question: ", Sv(question), "\n\nTranscript:\n", TranscriptText(conversation));
  auto reply = client.CompleteJson(kSystem, user, schema.struct_value(), "answer");
  if (!reply.ok()) return reply.status();
  const Value* v = Field(*reply, "answer");
  if (v == nullptr || v->kind_case() != Value::kStringValue) return absl::InternalError("LLM reply lacks answer");
  return v->string_value();
}

}  // namespace parley::genai
