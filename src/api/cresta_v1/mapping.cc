#include "api/cresta_v1/mapping.h"

#include "absl/strings/str_cat.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"

namespace parley::cresta_v1 {

std::string ConversationName(std::string_view customer, std::string_view profile,
                             std::string_view id) {
  return absl::StrCat("customers/", Sv(customer), "/profiles/", Sv(profile), "/conversations/",
                      Sv(id));
}

core::Source ToCoreSource(ConversationSource s) {
  switch (s) {
    case LIVE: return core::LIVE;
    case STUDIO_SYNTHETIC_ANNOTATION: return core::STUDIO_SYNTHETIC_ANNOTATION;
    case STUDIO_USER_DEFINED: return core::STUDIO_USER_DEFINED;
    case OPERA_SYNTHETIC: return core::OPERA_SYNTHETIC;
    case OPERA_SIMULATION: return core::OPERA_SIMULATION;
    default: return core::SOURCE_UNSPECIFIED;
  }
}

ConversationSource ToWireSource(core::Source s) {
  switch (s) {
    case core::LIVE: return LIVE;
    case core::STUDIO_SYNTHETIC_ANNOTATION: return STUDIO_SYNTHETIC_ANNOTATION;
    case core::STUDIO_USER_DEFINED: return STUDIO_USER_DEFINED;
    case core::OPERA_SYNTHETIC: return OPERA_SYNTHETIC;
    case core::OPERA_SIMULATION: return OPERA_SIMULATION;
    default: return SOURCE_UNSPECIFIED;  // Insights IMPORTED, CES values: none in Cresta
  }
}

absl::StatusOr<core::MetadataSource> ParseMetadataSource(std::string_view s) {
  if (s == "SOURCE_CCAAS") return core::CCAAS;
  if (s == "SOURCE_FILE") return core::FILE;
  if (s == "SOURCE_CRM") return core::CRM;
  if (s == "SOURCE_VA") return core::VIRTUAL_AGENT;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid source \"", Sv(s),
      "\": one of SOURCE_CCAAS, SOURCE_FILE, SOURCE_CRM, SOURCE_VA is required"));
}

std::string MetadataSourceName(core::MetadataSource s) {
  switch (s) {
    case core::CCAAS: return "SOURCE_CCAAS";
    case core::FILE: return "SOURCE_FILE";
    case core::CRM: return "SOURCE_CRM";
    case core::VIRTUAL_AGENT: return "SOURCE_VA";
    default: return "";
  }
}

absl::Status CheckMetadataValues(const std::string& key, const MetadataValues& values) {
  for (const MetadataValue& v : values.values()) {
    if (v.value_case() == MetadataValue::VALUE_NOT_SET) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata key \"", key, "\": each value needs stringValue, numberValue or booleanValue"));
    }
  }
  return absl::OkStatus();
}

core::MetadataEntry ToCoreMetadata(const std::string& key, const MetadataValues& values) {
  core::MetadataEntry e;
  e.set_key(key);
  for (const MetadataValue& v : values.values()) {
    core::MetadataValue* out = e.add_values();
    switch (v.value_case()) {
      case MetadataValue::kStringValue: out->set_string_value(v.string_value()); break;
      case MetadataValue::kNumberValue: out->set_number_value(v.number_value()); break;
      case MetadataValue::kBooleanValue: out->set_bool_value(v.boolean_value()); break;
      default: break;  // an empty value stays empty
    }
  }
  return e;
}

void ToWireMetadata(const core::MetadataEntry& entry, MetadataValues* out) {
  for (const core::MetadataValue& v : entry.values()) {
    MetadataValue* w = out->add_values();
    switch (v.kind_case()) {
      case core::MetadataValue::kStringValue: w->set_string_value(v.string_value()); break;
      case core::MetadataValue::kNumberValue: w->set_number_value(v.number_value()); break;
      case core::MetadataValue::kBoolValue: w->set_boolean_value(v.bool_value()); break;
      default: break;
    }
  }
}

Conversation ToWire(const core::Conversation& c, std::string_view profile) {
  Conversation w;
  w.set_name(ConversationName(c.tenant(), c.profile().empty() ? profile : c.profile(), c.id()));
  w.set_display_name(c.display_name());
  w.set_language_code(c.language_code());
  w.set_skill(c.skill());
  w.set_state(c.lifecycle() == core::COMPLETED ? CLOSED : OPEN);
  w.set_source(ToWireSource(c.source()));
  w.set_shared(c.shared());
  w.set_audio_persistence(static_cast<AudioPersistence>(c.audio_persistence()));
  for (const core::MetadataEntry& e : c.metadata()) {
    ToWireMetadata(e, &(*w.mutable_metadata_values())[e.key()]);
  }
  for (const std::string& t : c.tag_ids()) w.add_tags(t);
  google_api::SetTimestamp(c.create_time_us(), w.mutable_create_time());
  google_api::SetTimestamp(c.update_time_us(), w.mutable_update_time());
  if (c.has_end_time_us()) google_api::SetTimestamp(c.end_time_us(), w.mutable_end_time());
  if (c.skip_annotations()) w.mutable_feature_override()->set_skip_annotations(true);
  return w;
}

namespace {

core::Role RoleOf(Speaker s) {
  switch (s) {
    case AGENT: return core::HUMAN_AGENT;
    case VISITOR: return core::END_USER;
    case BOT: return core::AUTOMATED_AGENT;
    default: return core::ROLE_UNSPECIFIED;
  }
}

}  // namespace

absl::StatusOr<core::Message> ToCore(const ConversationMessage& w) {
  core::Message m;
  m.set_text(w.text());
  m.set_text_html(w.text_html());
  m.set_legacy_id(w.legacy_message_id());
  m.set_role(RoleOf(w.speaker()));
  if (w.speaker() != ROLE_UNSPECIFIED) m.set_role_name(Speaker_Name(w.speaker()));
  if (w.sequence_position() != 0) m.set_sequence_position(w.sequence_position());
  if (w.has_audio_start_offset()) {
    const int64_t us = google_api::Micros(w.audio_start_offset());
    if (us < 0) return absl::InvalidArgumentError("audioStartOffset must not be negative");
    m.set_audio_start_us(us);
  }
  if (w.has_audio_end_offset()) {
    const int64_t us = google_api::Micros(w.audio_end_offset());
    if (us < 0) return absl::InvalidArgumentError("audioEndOffset must not be negative");
    m.set_audio_end_us(us);
  }
  m.set_used_suggestion_id(w.used_suggestion_id());
  m.set_used_coach_suggestion_id(w.used_coach_suggestion_id());
  m.set_transferred(w.is_transferred());
  return m;
}

ConversationMessage ToWire(const core::Conversation& c, const core::Message& m,
                           std::string_view conversation_name) {
  ConversationMessage w;
  w.set_name(absl::StrCat(Sv(conversation_name), "/messages/", m.id()));
  w.set_legacy_message_id(m.legacy_id());
  w.set_text(m.text());
  w.set_text_html(m.text_html());
  core::Role role = m.role();
  for (const core::Participant& p : c.participants()) {
    if (p.id() != m.participant_id() || m.participant_id().empty()) continue;
    if (!p.user_id().empty()) w.set_agent(p.user_id());
    if (role == core::ROLE_UNSPECIFIED) role = p.role();
  }
  Speaker speaker = ROLE_UNSPECIFIED;
  if (!m.role_name().empty() && Speaker_Parse(m.role_name(), &speaker)) {
  } else if (role == core::HUMAN_AGENT || role == core::ANY_AGENT) {
    speaker = AGENT;
  } else if (role == core::END_USER) {
    speaker = VISITOR;
  } else if (role == core::AUTOMATED_AGENT) {
    speaker = BOT;
  }
  w.set_speaker(speaker);
  switch (m.state()) {
    case core::MESSAGE_ACTIVE: w.set_state(ACTIVE); break;
    case core::MESSAGE_REDACTED: w.set_state(REDACTED); break;
    case core::MESSAGE_DELETED: w.set_state(DELETED); break;
    default: w.set_state(ACTIVE); break;  // messages other dialects stored whole
  }
  if (m.has_sequence_position()) w.set_sequence_position(m.sequence_position());
  if (m.has_create_time_us()) google_api::SetTimestamp(m.create_time_us(), w.mutable_create_time());
  if (m.has_update_time_us()) google_api::SetTimestamp(m.update_time_us(), w.mutable_update_time());
  if (m.has_audio_start_us()) google_api::SetDuration(m.audio_start_us(), w.mutable_audio_start_offset());
  if (m.has_audio_end_us()) google_api::SetDuration(m.audio_end_us(), w.mutable_audio_end_offset());
  w.set_used_suggestion_id(m.used_suggestion_id());
  w.set_used_coach_suggestion_id(m.used_coach_suggestion_id());
  const std::string_view name = conversation_name;
  const std::string moments_prefix(name.substr(0, name.find("/conversations/")));
  for (const core::Redaction& r : m.redactions()) {
    Redaction* out = w.add_redaction();
    if (!r.moment().empty()) out->set_moment(absl::StrCat(moments_prefix, "/moments/", r.moment()));
    out->set_start_index(r.start_byte());
    out->set_end_index(r.end_byte());
    google_api::SetTimestamp(r.time_us(), out->mutable_redact_time());
  }
  w.set_is_transferred(m.transferred());
  return w;
}

ConversationEvent ToWire(const core::Event& e, std::string_view conversation_name) {
  ConversationEvent w;
  w.set_name(absl::StrCat(Sv(conversation_name), "/events/", e.id()));
  if (!e.message_id().empty()) {
    w.set_associated_message(absl::StrCat(Sv(conversation_name), "/messages/", e.message_id()));
  }
  switch (e.type()) {
    case core::EVENT_METADATA_CHANGED: {
      w.set_type(ConversationEvent::CONVERSATION_METADATA);
      ConversationMetadata* md = w.mutable_conversation_metadata();
      for (const core::MetadataEntry& set : e.metadata_changed().set()) {
        ToWireMetadata(set, &(*md->mutable_metadata_values())[set.key()]);
      }
      md->set_source(MetadataSourceName(e.metadata_changed().source()));
      break;
    }
    case core::EVENT_MESSAGE_REDACTED: w.set_type(ConversationEvent::MESSAGE_REDACTED); break;
    case core::EVENT_MESSAGE_DELETED: w.set_type(ConversationEvent::MESSAGE_DELETED); break;
    case core::EVENT_CONVERSATION_COMPLETED: w.set_type(ConversationEvent::CONVERSATION_CLOSED); break;
    default: w.set_type(ConversationEvent::EVENT_TYPE_UNSPECIFIED); break;
  }
  google_api::SetTimestamp(e.time_us(), w.mutable_create_time());
  return w;
}

MomentAnnotation ToWire(const core::MomentAnnotation& a, std::string_view conversation_name,
                        std::string_view customer, std::string_view profile) {
  MomentAnnotation w;
  w.set_name(absl::StrCat(Sv(conversation_name), "/momentAnnotations/", a.id()));
  w.set_moment(absl::StrCat("customers/", Sv(customer), "/profiles/", Sv(profile), "/moments/",
                            a.moment_id()));
  w.set_type(static_cast<Moment::Type>(a.type()));
  if (!a.message_id().empty()) {
    w.set_conversation_message(absl::StrCat(Sv(conversation_name), "/messages/", a.message_id()));
    w.set_start_index(a.start_byte());
    w.set_end_index(a.end_byte());
  }
  if (!a.metadata_key().empty()) {
    w.set_metadata_key(a.metadata_key());
    core::MetadataEntry e;
    *e.mutable_values() = a.values();
    ToWireMetadata(e, w.mutable_metadata_values());
  }
  if (!a.event_id().empty()) {
    w.set_conversation_event(absl::StrCat(Sv(conversation_name), "/events/", a.event_id()));
  }
  google_api::SetTimestamp(a.create_time_us(), w.mutable_create_time());
  return w;
}

Moment ToWire(const core::Moment& m, std::string_view customer, std::string_view profile) {
  Moment w;
  w.set_name(absl::StrCat("customers/", Sv(customer), "/profiles/", Sv(profile), "/moments/", m.id()));
  w.set_taxonomy(m.taxonomy());
  w.set_type(static_cast<Moment::Type>(m.type()));
  w.set_display_name(m.display_name());
  google_api::SetTimestamp(m.create_time_us(), w.mutable_create_time());
  return w;
}

}  // namespace parley::cresta_v1
