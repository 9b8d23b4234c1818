#include "api/ces_v1/mapping.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/google/timestamps.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/time_format.h"

namespace parley::ces_v1 {
namespace {

std::string StructJson(const google::protobuf::Struct& s) { return protojson::ToJson(s); }

void JsonToStruct(const std::string& json, google::protobuf::Struct* out) {
  if (json.empty()) return;
  // Stored by this mapping from a parsed Struct: always parses.
  (void)protojson::Parse(json, out);
}

}  // namespace

absl::Status ChildId(std::string_view field, const std::string& name, const AppPlace& place,
                     std::string_view collection, std::string* id) {
  if (name.empty()) return absl::OkStatus();
  const std::string want = absl::StrCat(place.prefix(), "/", Sv(collection), "/");
  if (!absl::StartsWith(Sv(name), want) || name.size() == want.size() ||
      name.find('/', want.size()) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(field), " \"", name, "\" must be a name ", want, "{id}"));
  }
  *id = name.substr(want.size());
  return absl::OkStatus();
}

namespace {

void ToolRefFromWire(const std::string& tool, const ToolsetTool& tt, const std::string& display,
                     core::ToolRef* out) {
  out->set_tool(tool);
  out->set_toolset(tt.toolset());
  out->set_toolset_tool_id(tt.tool_id());
  out->set_display_name(display);
}

void MessageFromWire(const Message& in, core::Message* out) {
  out->set_role(RoleToCore(in.role()));
  out->set_role_name(in.role());
  if (in.has_event_time()) out->set_time_us(google_api::Micros(in.event_time()));
  std::string text;
  for (const Chunk& c : in.chunks()) {
    core::Chunk* k = out->add_chunks();
    if (!c.text().empty()) {
      k->set_text(c.text());
    } else if (!c.transcript().empty()) {
      k->set_transcript(c.transcript());
    } else if (c.has_payload()) {
      k->set_payload_json(StructJson(c.payload()));
    } else if (c.has_tool_call()) {
      auto* t = k->mutable_tool_call();
      t->set_id(c.tool_call().id());
      ToolRefFromWire(c.tool_call().tool(), c.tool_call().toolset_tool(), c.tool_call().display_name(),
                      t->mutable_tool());
      if (c.tool_call().has_args()) t->set_args_json(StructJson(c.tool_call().args()));
    } else if (c.has_tool_response()) {
      auto* t = k->mutable_tool_response();
      t->set_id(c.tool_response().id());
      ToolRefFromWire(c.tool_response().tool(), c.tool_response().toolset_tool(),
                      c.tool_response().display_name(), t->mutable_tool());
      if (c.tool_response().has_response()) t->set_response_json(StructJson(c.tool_response().response()));
    } else if (c.has_agent_transfer()) {
      k->mutable_agent_transfer()->set_target_agent(c.agent_transfer().target_agent());
      k->mutable_agent_transfer()->set_display_name(c.agent_transfer().display_name());
    } else if (c.has_image()) {
      k->mutable_image()->set_mime_type(c.image().mime_type());
      k->mutable_image()->set_data(c.image().data());
    } else if (c.has_blob()) {
      k->mutable_blob()->set_mime_type(c.blob().mime_type());
      k->mutable_blob()->set_data(c.blob().data());
    } else if (c.has_updated_variables()) {
      k->set_updated_variables_json(StructJson(c.updated_variables()));
    } else if (c.has_default_variables()) {
      k->set_default_variables_json(StructJson(c.default_variables()));
    }
    const std::string& piece = !c.text().empty() ? c.text() : c.transcript();
    if (!piece.empty()) {
      if (!text.empty()) text += ' ';
      text += piece;
    }
  }
  out->set_text(text);
}

}  // namespace

void MessageToWire(const core::Message& in, Message* out) {
  out->set_role(in.role_name());
  if (in.has_time_us()) google_api::SetTimestamp(in.time_us(), out->mutable_event_time());
  for (const core::Chunk& k : in.chunks()) {
    Chunk* c = out->add_chunks();
    switch (k.kind_case()) {
      case core::Chunk::kText: c->set_text(k.text()); break;
      case core::Chunk::kTranscript: c->set_transcript(k.transcript()); break;
      case core::Chunk::kPayloadJson: JsonToStruct(k.payload_json(), c->mutable_payload()); break;
      case core::Chunk::kToolCall: {
        auto* t = c->mutable_tool_call();
        t->set_id(k.tool_call().id());
        t->set_tool(k.tool_call().tool().tool());
        if (!k.tool_call().tool().toolset().empty()) {
          t->mutable_toolset_tool()->set_toolset(k.tool_call().tool().toolset());
          t->mutable_toolset_tool()->set_tool_id(k.tool_call().tool().toolset_tool_id());
        }
        t->set_display_name(k.tool_call().tool().display_name());
        if (!k.tool_call().args_json().empty()) JsonToStruct(k.tool_call().args_json(), t->mutable_args());
        break;
      }
      case core::Chunk::kToolResponse: {
        auto* t = c->mutable_tool_response();
        t->set_id(k.tool_response().id());
        t->set_tool(k.tool_response().tool().tool());
        if (!k.tool_response().tool().toolset().empty()) {
          t->mutable_toolset_tool()->set_toolset(k.tool_response().tool().toolset());
          t->mutable_toolset_tool()->set_tool_id(k.tool_response().tool().toolset_tool_id());
        }
        t->set_display_name(k.tool_response().tool().display_name());
        if (!k.tool_response().response_json().empty()) JsonToStruct(k.tool_response().response_json(), t->mutable_response());
        break;
      }
      case core::Chunk::kAgentTransfer:
        c->mutable_agent_transfer()->set_target_agent(k.agent_transfer().target_agent());
        c->mutable_agent_transfer()->set_display_name(k.agent_transfer().display_name());
        break;
      case core::Chunk::kImage:
        c->mutable_image()->set_mime_type(k.image().mime_type());
        c->mutable_image()->set_data(k.image().data());
        break;
      case core::Chunk::kBlob:
        c->mutable_blob()->set_mime_type(k.blob().mime_type());
        c->mutable_blob()->set_data(k.blob().data());
        break;
      case core::Chunk::kUpdatedVariablesJson:
        JsonToStruct(k.updated_variables_json(), c->mutable_updated_variables());
        break;
      case core::Chunk::kDefaultVariablesJson:
        JsonToStruct(k.default_variables_json(), c->mutable_default_variables());
        break;
      case core::Chunk::KIND_NOT_SET:
        // A message another dialect stored: its text is one text chunk.
        break;
    }
  }
  if (in.chunks().empty() && !in.text().empty()) out->add_chunks()->set_text(in.text());
}

namespace {

void SpanFromWire(const Span& in, core::Span* out) {
  out->set_name(in.name());
  if (in.has_start_time()) out->set_start_time_us(google_api::Micros(in.start_time()));
  if (in.has_end_time()) out->set_end_time_us(google_api::Micros(in.end_time()));
  if (in.has_duration()) out->set_duration_us(google_api::Micros(in.duration()));
  if (in.has_attributes()) out->set_attributes_json(StructJson(in.attributes()));
  for (const Span& c : in.child_spans()) SpanFromWire(c, out->add_children());
}

}  // namespace

void SpanToWire(const core::Span& in, Span* out) {
  out->set_name(in.name());
  if (in.has_start_time_us()) google_api::SetTimestamp(in.start_time_us(), out->mutable_start_time());
  if (in.has_end_time_us()) google_api::SetTimestamp(in.end_time_us(), out->mutable_end_time());
  if (in.has_duration_us()) {
    out->mutable_duration()->set_seconds(in.duration_us() / 1'000'000);
    out->mutable_duration()->set_nanos(static_cast<int32_t>(in.duration_us() % 1'000'000) * 1000);
  }
  if (!in.attributes_json().empty()) JsonToStruct(in.attributes_json(), out->mutable_attributes());
  for (const core::Span& c : in.children()) SpanToWire(c, out->add_child_spans());
}

namespace {

// What the end user's messages carried: the CES input types.
void DeriveInputTypes(const core::Conversation& c, std::set<int>* types) {
  for (const core::Message& m : c.messages()) {
    if (m.role() != core::END_USER) continue;
    for (const core::Chunk& k : m.chunks()) {
      if (k.has_text()) types->insert(core::INPUT_TYPE_TEXT);
      if (k.has_transcript()) types->insert(core::INPUT_TYPE_AUDIO);
      if (k.has_image()) types->insert(core::INPUT_TYPE_IMAGE);
      if (k.has_blob()) types->insert(core::INPUT_TYPE_BLOB);
    }
  }
}

}  // namespace

std::string AppPlace::prefix() const {
  return absl::StrCat("projects/", project, "/locations/", location, "/apps/", app);
}

core::Source SourceToCore(Conversation::Source s) {
  switch (s) {
    case Conversation::LIVE: return core::LIVE;
    case Conversation::SIMULATOR: return core::SIMULATOR;
    case Conversation::EVAL: return core::EVALUATION;
    default: return core::SOURCE_UNSPECIFIED;
  }
}

Conversation::Source SourceFromCore(core::Source s) {
  switch (s) {
    case core::LIVE: return Conversation::LIVE;
    case core::SIMULATOR: return Conversation::SIMULATOR;
    case core::EVALUATION: return Conversation::EVAL;
    default: return Conversation::SOURCE_UNSPECIFIED;
  }
}

core::Role RoleToCore(std::string_view role) {
  const std::string r = absl::AsciiStrToLower(Sv(role));
  if (r.empty() || r == "system") return core::ROLE_UNSPECIFIED;
  if (r == "user" || r == "end_user") return core::END_USER;
  if (r == "human" || r == "human_agent") return core::HUMAN_AGENT;
  return core::AUTOMATED_AGENT;
}

absl::Status ConversationFromWire(const Conversation& in, const AppPlace& place, core::Conversation* out) {
  out->set_tenant(place.project);
  out->set_scope(place.location);
  out->set_app(place.app);
  out->set_source(in.source() == Conversation::SOURCE_UNSPECIFIED ? core::LIVE : SourceToCore(in.source()));
  std::string id;
  if (auto st = ChildId("conversation.entry_agent", in.entry_agent(), place, "agents", &id); !st.ok()) return st;
  out->set_entry_agent(id);
  id.clear();
  if (auto st = ChildId("conversation.deployment", in.deployment(), place, "deployments", &id); !st.ok()) return st;
  out->set_deployment(id);
  id.clear();
  if (auto st = ChildId("conversation.app_version", in.app_version(), place, "versions", &id); !st.ok()) return st;
  out->set_app_version(id);
  out->set_language_code(in.language_code());
  for (const ConversationTurn& t : in.turns()) {
    core::Turn* turn = out->add_turns();
    for (const Message& m : t.messages()) {
      turn->add_message_indices(out->messages_size());
      MessageFromWire(m, out->add_messages());
    }
    if (t.has_root_span()) SpanFromWire(t.root_span(), turn->mutable_root_span());
  }
  // The deprecated flat form: messages outside any turn.
  for (const Message& m : in.messages()) MessageFromWire(m, out->add_messages());
  // One participant per speaker role, so that analyses tell the end user from
  // the agent (per-speaker sentiment) as they do for other dialects.
  for (core::Message& m : *out->mutable_messages()) {
    const char* id = m.role() == core::END_USER          ? "end-user"
                     : m.role() == core::AUTOMATED_AGENT ? "virtual-agent"
                     : m.role() == core::HUMAN_AGENT     ? "human-agent"
                                                         : nullptr;
    if (id == nullptr) continue;
    m.set_participant_id(id);
    bool known = false;
    for (const core::Participant& p : out->participants()) known |= p.id() == id;
    if (!known) {
      core::Participant* p = out->add_participants();
      p->set_id(id);
      p->set_role(m.role());
    }
  }
  std::set<int> types;
  for (int t : in.input_types()) {
    if (t != Conversation::INPUT_TYPE_UNSPECIFIED) types.insert(t);
  }
  if (types.empty()) DeriveInputTypes(*out, &types);
  for (int t : types) out->add_input_types(static_cast<core::InputType>(t));
  const bool audio = types.count(core::INPUT_TYPE_AUDIO) > 0 || in.channel_type() == Conversation::AUDIO;
  const bool multimodal = types.count(core::INPUT_TYPE_IMAGE) > 0 || types.count(core::INPUT_TYPE_BLOB) > 0 ||
                          in.channel_type() == Conversation::MULTIMODAL;
  out->set_channel_type(audio        ? core::CHANNEL_AUDIO
                        : multimodal ? core::CHANNEL_MULTIMODAL
                                     : core::CHANNEL_TEXT);
  out->set_medium(audio ? core::PHONE_CALL : core::CHAT);
  // Times: as given, else from the messages' event times.
  int64_t first = 0, last = 0;
  for (const core::Message& m : out->messages()) {
    if (!m.has_time_us()) continue;
    if (first == 0 || m.time_us() < first) first = m.time_us();
    last = std::max(last, m.time_us());
  }
  if (in.has_start_time()) {
    out->set_start_time_us(google_api::Micros(in.start_time()));
  } else if (first != 0) {
    out->set_start_time_us(first);
  }
  if (in.has_end_time()) {
    out->set_end_time_us(google_api::Micros(in.end_time()));
    if (out->has_start_time_us() && out->end_time_us() < out->start_time_us()) {
      return absl::InvalidArgumentError("conversation.end_time is before conversation.start_time");
    }
  }
  out->set_lifecycle(in.has_end_time() ? core::COMPLETED : core::IN_PROGRESS);
  return absl::OkStatus();
}

void ConversationToWire(const core::Conversation& in, const AppPlace& place, Conversation* out) {
  out->set_name(absl::StrCat(place.prefix(), "/conversations/", in.id()));
  if (in.has_start_time_us()) {
    google_api::SetTimestamp(in.start_time_us(), out->mutable_start_time());
  } else {
    google_api::SetTimestamp(in.create_time_us(), out->mutable_start_time());
  }
  if (in.has_end_time_us()) google_api::SetTimestamp(in.end_time_us(), out->mutable_end_time());
  std::vector<bool> in_turn(in.messages_size(), false);
  for (const core::Turn& t : in.turns()) {
    ConversationTurn* turn = out->add_turns();
    for (int i : t.message_indices()) {
      if (i < 0 || i >= in.messages_size()) continue;
      in_turn[i] = true;
      MessageToWire(in.messages(i), turn->add_messages());
    }
    if (t.has_root_span()) SpanToWire(t.root_span(), turn->mutable_root_span());
  }
  for (int i = 0; i < in.messages_size(); ++i) {
    if (!in_turn[i]) MessageToWire(in.messages(i), out->add_messages());
  }
  out->set_turn_count(in.has_turn_count() ? in.turn_count() : in.turns_size());
  out->set_channel_type(static_cast<Conversation::ChannelType>(in.channel_type()));
  out->set_source(SourceFromCore(in.source()));
  for (int t : in.input_types()) out->add_input_types(static_cast<Conversation::InputType>(t));
  if (!in.entry_agent().empty()) out->set_entry_agent(absl::StrCat(place.prefix(), "/agents/", in.entry_agent()));
  if (!in.deployment().empty()) out->set_deployment(absl::StrCat(place.prefix(), "/deployments/", in.deployment()));
  if (!in.app_version().empty()) out->set_app_version(absl::StrCat(place.prefix(), "/versions/", in.app_version()));
  out->set_language_code(in.language_code());
}

void AppToWire(const core::App& in, std::string_view location_prefix, App* out) {
  out->set_name(absl::StrCat(Sv(location_prefix), "/apps/", in.id()));
  out->set_display_name(in.display_name());
  out->set_description(in.description());
  out->set_global_instruction(in.global_instruction());
  out->set_root_agent(in.root_agent());
  if (!in.default_language_code().empty() || in.supported_language_codes_size() > 0 ||
      in.enable_multilingual_support() || !in.fallback_action().empty()) {
    LanguageSettings* l = out->mutable_language_settings();
    l->set_default_language_code(in.default_language_code());
    *l->mutable_supported_language_codes() = in.supported_language_codes();
    l->set_enable_multilingual_support(in.enable_multilingual_support());
    l->set_fallback_action(in.fallback_action());
  }
  google_api::SetTimestamp(in.create_time_us(), out->mutable_create_time());
  google_api::SetTimestamp(in.update_time_us(), out->mutable_update_time());
  out->set_etag(absl::StrCat(in.update_time_us()));
}

}  // namespace parley::ces_v1
