#include "api/insights_v1/mapping.h"

#include <map>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/google/request.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"

namespace parley::insights_v1 {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

using google_api::Micros;

absl::StatusOr<core::Role> RoleFromWire(ConversationParticipant::Role r, std::string_view field) {
  switch (r) {
    case ConversationParticipant::ROLE_UNSPECIFIED: return core::ROLE_UNSPECIFIED;
    case ConversationParticipant::HUMAN_AGENT: return core::HUMAN_AGENT;
    case ConversationParticipant::AUTOMATED_AGENT: return core::AUTOMATED_AGENT;
    case ConversationParticipant::END_USER: return core::END_USER;
    case ConversationParticipant::ANY_AGENT: return core::ANY_AGENT;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid value at '", Sv(field), "' (TYPE_ENUM), ", static_cast<int>(r)));
  }
}

ConversationParticipant::Role RoleToWire(core::Role r) {
  switch (r) {
    case core::HUMAN_AGENT: return ConversationParticipant::HUMAN_AGENT;
    case core::AUTOMATED_AGENT: return ConversationParticipant::AUTOMATED_AGENT;
    case core::END_USER: return ConversationParticipant::END_USER;
    case core::ANY_AGENT: return ConversationParticipant::ANY_AGENT;
    default: return ConversationParticipant::ROLE_UNSPECIFIED;
  }
}

absl::Status DataSourceFromWire(const ConversationDataSource& in, core::DataSource* out) {
  out->Clear();
  if (in.has_gcs_source()) {
    out->set_kind(core::DataSource::GCS);
    out->set_audio_uri(in.gcs_source().audio_uri());
    out->set_transcript_uri(in.gcs_source().transcript_uri());
  } else if (in.has_dialogflow_source()) {
    out->set_kind(core::DataSource::DIALOGFLOW);
    out->set_audio_uri(in.dialogflow_source().audio_uri());
    out->set_dialogflow_conversation(in.dialogflow_source().dialogflow_conversation());
  }
  return absl::OkStatus();
}

absl::Status QualityFromWire(const Conversation::QualityMetadata& in, core::QualityMetadata* out) {
  out->Clear();
  out->set_customer_satisfaction_rating(in.customer_satisfaction_rating());
  if (in.has_wait_duration()) out->set_wait_duration_us(Micros(in.wait_duration()));
  out->set_menu_path(in.menu_path());
  for (int i = 0; i < in.agent_info_size(); ++i) {
    const auto& a = in.agent_info(i);
    core::AgentInfo* o = out->add_agent_info();
    o->set_agent_id(a.agent_id());
    o->set_display_name(a.display_name());
    o->set_team(a.team());
    o->set_disposition_code(a.disposition_code());
    auto role = RoleFromWire(a.agent_type(),
                             absl::StrCat("quality_metadata.agent_info[", i, "].agent_type"));
    if (!role.ok()) return role.status();
    o->set_agent_type(*role);
  }
  return absl::OkStatus();
}

absl::Status ExpirationFromWire(const Conversation& in, int64_t now_us, core::Conversation* out) {
  if (in.has_expire_time()) {
    out->set_expire_time_us(Micros(in.expire_time()));
  } else if (in.has_ttl()) {
    if (Micros(in.ttl()) <= 0) return absl::InvalidArgumentError("ttl must be positive");
    // ttl is at most 10000 years (the Duration range): no overflow, but the
    // sum may pass the last Timestamp, which could not be written back.
    if (Micros(in.ttl()) > google_api::kMaxTimestampMicros - now_us) {
      return absl::InvalidArgumentError("ttl is too long: the expiration would be after 9999-12-31T23:59:59Z");
    }
    out->set_expire_time_us(now_us + Micros(in.ttl()));
  } else {
    out->set_expire_time_us(0);
  }
  return absl::OkStatus();
}

absl::Status MediumFromWire(Conversation::Medium m, core::Conversation* out) {
  switch (m) {
    case Conversation::MEDIUM_UNSPECIFIED: out->set_medium(core::MEDIUM_UNSPECIFIED); break;
    case Conversation::PHONE_CALL: out->set_medium(core::PHONE_CALL); break;
    case Conversation::CHAT: out->set_medium(core::CHAT); break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid value at 'conversation.medium' (TYPE_ENUM), ", static_cast<int>(m)));
  }
  return absl::OkStatus();
}

Conversation::Medium MediumToWire(core::Medium m) {
  switch (m) {
    case core::PHONE_CALL: return Conversation::PHONE_CALL;
    case core::CHAT: return Conversation::CHAT;
    default: return Conversation::MEDIUM_UNSPECIFIED;
  }
}

void SetAgentId(const std::string& agent_id, core::Conversation* out) {
  out->clear_agent_ids();
  if (!agent_id.empty()) out->add_agent_ids(agent_id);
}

}  // namespace

std::string LocationName(std::string_view tenant, std::string_view location) {
  return absl::StrCat("projects/", Sv(tenant), "/locations/", Sv(location));
}

std::string ConversationName(std::string_view tenant, std::string_view location, std::string_view id) {
  return absl::StrCat(LocationName(tenant, location), "/conversations/", Sv(id));
}

std::string ConversationName(const core::Conversation& c) {
  // The scope of a conversation Insights shows is a location.
  return ConversationName(c.tenant(), c.scope(), c.id());
}

absl::Status CheckClientConversationId(std::string_view id) {
  bool ok = id.size() >= 4 && id.size() <= 64;
  for (char c : id) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid conversation id \"", Sv(id),
      "\": it must be 4 to 64 characters of lower-case letters, digits and hyphens"));
}

std::string PhraseMatcherName(std::string_view tenant, std::string_view location, std::string_view id) {
  return absl::StrCat(LocationName(tenant, location), "/phraseMatchers/", Sv(id));
}

absl::Status TranscriptFromWire(const Conversation::Transcript& transcript, core::Conversation* out) {
  out->clear_messages();
  out->clear_participants();
  // Segment participants with identical identity fold into one core participant.
  std::map<std::tuple<int, std::string, std::string, std::string, std::string, int>, std::string> ids;
  for (int i = 0; i < transcript.transcript_segments_size(); ++i) {
    const auto& seg = transcript.transcript_segments(i);
    core::Message* m = out->add_messages();
    m->set_text(seg.text());
    if (seg.has_message_time()) m->set_time_us(Micros(seg.message_time()));
    m->set_channel(seg.channel_tag());
    m->set_confidence(seg.confidence());
    m->set_language_code(seg.language_code());
    if (seg.has_dialogflow_segment_metadata()) {
      m->set_smart_reply_allowlist_covered(
          seg.dialogflow_segment_metadata().smart_reply_allowlist_covered());
    }
    for (const auto& w : seg.words()) {
      core::WordInfo* cw = m->add_words();
      cw->set_word(w.word());
      cw->set_confidence(w.confidence());
      if (w.has_start_offset()) cw->set_start_offset_us(Micros(w.start_offset()));
      if (w.has_end_offset()) cw->set_end_offset_us(Micros(w.end_offset()));
    }
    if (seg.has_segment_participant()) {
      const auto& p = seg.segment_participant();
      auto role = RoleFromWire(
          p.role(), absl::StrCat("transcript.transcript_segments[", i, "].segment_participant.role"));
      if (!role.ok()) return role.status();
      // The oneof member used is part of the identity: kind 1 = participant name, 2 = user id.
      int kind = p.has_dialogflow_participant_name() ? 1 : p.has_user_id() ? 2 : 0;
      auto key = std::make_tuple(static_cast<int>(*role), p.dialogflow_participant_name(),
                                 p.user_id(), p.dialogflow_participant(),
                                 p.obfuscated_external_user_id(), kind);
      auto it = ids.find(key);
      if (it == ids.end()) {
        core::Participant* cp = out->add_participants();
        cp->set_id(absl::StrCat("p", out->participants_size()));
        cp->set_role(*role);
        cp->set_channel(seg.channel_tag());
        cp->set_external_participant_name(p.dialogflow_participant_name());
        cp->set_user_id(p.user_id());
        cp->set_external_participant_legacy(p.dialogflow_participant());
        cp->set_obfuscated_external_user_id(p.obfuscated_external_user_id());
        if (kind == 1) (*cp->mutable_documents_metadata_filters())["insights.participant_oneof"] = "name";
        if (kind == 2) (*cp->mutable_documents_metadata_filters())["insights.participant_oneof"] = "user_id";
        it = ids.emplace(key, cp->id()).first;
      }
      m->set_participant_id(it->second);
    }
  }
  return absl::OkStatus();
}

absl::Status FromWire(const Conversation& in, int64_t now_us, core::Conversation* out) {
  if (in.has_data_source()) {
    if (auto s = DataSourceFromWire(in.data_source(), out->mutable_data_source()); !s.ok()) return s;
  }
  if (in.has_start_time()) out->set_start_time_us(Micros(in.start_time()));
  out->set_language_code(in.language_code());
  SetAgentId(in.agent_id(), out);
  out->mutable_labels()->insert(in.labels().begin(), in.labels().end());
  if (in.has_quality_metadata()) {
    if (auto s = QualityFromWire(in.quality_metadata(), out->mutable_quality()); !s.ok()) return s;
  }
  out->set_metadata_json(in.metadata_json());
  if (in.has_transcript()) {
    if (auto s = TranscriptFromWire(in.transcript(), out); !s.ok()) return s;
  }
  if (auto s = MediumFromWire(in.medium(), out); !s.ok()) return s;
  if (in.has_call_metadata()) {
    if (in.call_metadata().customer_channel() < 0 || in.call_metadata().agent_channel() < 0) {
      return absl::InvalidArgumentError("call_metadata channels must not be negative");
    }
    out->mutable_call_channels()->set_customer_channel(in.call_metadata().customer_channel());
    out->mutable_call_channels()->set_agent_channel(in.call_metadata().agent_channel());
  }
  if (auto s = ExpirationFromWire(in, now_us, out); !s.ok()) return s;
  out->set_obfuscated_user_id(in.obfuscated_user_id());
  return absl::OkStatus();
}

void ToWire(const core::Conversation& c, bool full, Conversation* out) {
  out->set_name(ConversationName(c));
  if (c.data_source().kind() == core::DataSource::GCS) {
    auto* g = out->mutable_data_source()->mutable_gcs_source();
    g->set_audio_uri(c.data_source().audio_uri());
    g->set_transcript_uri(c.data_source().transcript_uri());
  } else if (c.data_source().kind() == core::DataSource::DIALOGFLOW) {
    auto* d = out->mutable_data_source()->mutable_dialogflow_source();
    d->set_audio_uri(c.data_source().audio_uri());
    d->set_dialogflow_conversation(c.data_source().dialogflow_conversation());
  }
  SetTimestamp(c.create_time_us(), out->mutable_create_time());
  SetTimestamp(c.update_time_us(), out->mutable_update_time());
  if (c.has_start_time_us()) SetTimestamp(c.start_time_us(), out->mutable_start_time());
  out->set_language_code(c.language_code());
  if (c.agent_ids_size() > 0) out->set_agent_id(c.agent_ids(0));
  out->mutable_labels()->insert(c.labels().begin(), c.labels().end());
  if (c.has_quality()) {
    const core::QualityMetadata& q = c.quality();
    auto* o = out->mutable_quality_metadata();
    o->set_customer_satisfaction_rating(q.customer_satisfaction_rating());
    if (q.has_wait_duration_us()) SetDuration(q.wait_duration_us(), o->mutable_wait_duration());
    o->set_menu_path(q.menu_path());
    for (const auto& a : q.agent_info()) {
      auto* oa = o->add_agent_info();
      oa->set_agent_id(a.agent_id());
      oa->set_display_name(a.display_name());
      oa->set_team(a.team());
      oa->set_disposition_code(a.disposition_code());
      oa->set_agent_type(RoleToWire(a.agent_type()));
    }
  }
  if (full) {
    auto* t = out->mutable_transcript();
    // Conversations have a handful of participants: a scan beats a map.
    auto participant = [&c](const std::string& id) -> const core::Participant* {
      for (const core::Participant& p : c.participants()) {
        if (p.id() == id) return &p;
      }
      return nullptr;
    };
    for (const core::Message& m : c.messages()) {
      // A message of chunks alone (a virtual agent's tool call, payload,
      // transfer or media) is not something said: no segment.
      if (m.text().empty() && m.words_size() == 0 && m.chunks_size() > 0) continue;
      auto* seg = t->add_transcript_segments();
      seg->set_text(m.text());
      if (m.has_time_us()) SetTimestamp(m.time_us(), seg->mutable_message_time());
      seg->set_channel_tag(m.channel());
      seg->set_confidence(m.confidence());
      seg->set_language_code(m.language_code());
      if (m.smart_reply_allowlist_covered()) {
        seg->mutable_dialogflow_segment_metadata()->set_smart_reply_allowlist_covered(true);
      }
      for (const auto& w : m.words()) {
        auto* ow = seg->add_words();
        ow->set_word(w.word());
        ow->set_confidence(w.confidence());
        if (w.has_start_offset_us()) SetDuration(w.start_offset_us(), ow->mutable_start_offset());
        if (w.has_end_offset_us()) SetDuration(w.end_offset_us(), ow->mutable_end_offset());
      }
      const core::Participant* found = m.participant_id().empty() ? nullptr : participant(m.participant_id());
      if (found != nullptr) {
        const core::Participant& p = *found;
        auto* sp = seg->mutable_segment_participant();
        sp->set_role(RoleToWire(p.role()));
        auto oneof = p.documents_metadata_filters().find("insights.participant_oneof");
        std::string_view kind = oneof == p.documents_metadata_filters().end() ? "" : oneof->second;
        if (kind == "name" || (kind.empty() && !p.external_participant_name().empty())) {
          sp->set_dialogflow_participant_name(p.external_participant_name());
        } else if (kind == "user_id" || (kind.empty() && !p.user_id().empty())) {
          sp->set_user_id(p.user_id());
        }
        sp->set_dialogflow_participant(p.external_participant_legacy());
        sp->set_obfuscated_external_user_id(p.obfuscated_external_user_id());
      } else if (m.role() != core::ROLE_UNSPECIFIED) {
        // Dialects whose messages carry a role but no participant (CES turns).
        seg->mutable_segment_participant()->set_role(RoleToWire(m.role()));
      }
    }
  }
  out->set_medium(MediumToWire(c.medium()));
  if (c.has_duration_us()) SetDuration(c.duration_us(), out->mutable_duration());
  out->set_turn_count(c.turn_count());
  if (!c.latest_analysis_id().empty()) {
    out->mutable_latest_analysis()->set_name(
        absl::StrCat(ConversationName(c), "/analyses/", c.latest_analysis_id()));
  }
  if (c.has_call_channels()) {
    out->mutable_call_metadata()->set_customer_channel(c.call_channels().customer_channel());
    out->mutable_call_metadata()->set_agent_channel(c.call_channels().agent_channel());
  }
  if (c.expire_time_us() != 0) SetTimestamp(c.expire_time_us(), out->mutable_expire_time());
  out->set_obfuscated_user_id(c.obfuscated_user_id());
}

const std::vector<std::string>& AllUpdatablePaths() {
  static const std::vector<std::string> paths = {
      "data_source", "start_time", "language_code", "agent_id", "labels", "quality_metadata",
      "metadata_json", "transcript", "call_metadata", "expire_time", "obfuscated_user_id"};
  return paths;
}

absl::Status ApplyUpdatePath(std::string_view path, const Conversation& patch, int64_t now_us,
                             core::Conversation* target) {
  if (path == "name") {
    return absl::OkStatus();  // immutable; the name in the URL decides
  }
  if (path == "create_time" || path == "update_time" || path == "duration" ||
      path == "turn_count" || path == "latest_analysis" || path == "latest_summary" ||
      path == "runtime_annotations" || path == "dialogflow_intents") {
    return absl::OkStatus();  // output only: ignored, as the API does
  }
  if (path == "medium") {
    // Immutable: the core refuses a change; the same value is a no-op.
    return MediumFromWire(patch.medium(), target);
  }
  if (path == "data_source") {
    target->clear_data_source();
    return patch.has_data_source()
               ? DataSourceFromWire(patch.data_source(), target->mutable_data_source())
               : absl::OkStatus();
  }
  if (path == "data_source.gcs_source.audio_uri") {
    target->mutable_data_source()->set_kind(core::DataSource::GCS);
    target->mutable_data_source()->set_audio_uri(patch.data_source().gcs_source().audio_uri());
    return absl::OkStatus();
  }
  if (path == "data_source.dialogflow_source.audio_uri") {
    target->mutable_data_source()->set_kind(core::DataSource::DIALOGFLOW);
    target->mutable_data_source()->set_audio_uri(patch.data_source().dialogflow_source().audio_uri());
    return absl::OkStatus();
  }
  if (path == "start_time") {
    if (patch.has_start_time()) {
      target->set_start_time_us(Micros(patch.start_time()));
    } else {
      target->clear_start_time_us();
    }
    return absl::OkStatus();
  }
  if (path == "language_code") {
    target->set_language_code(patch.language_code());
    return absl::OkStatus();
  }
  if (path == "agent_id") {
    SetAgentId(patch.agent_id(), target);
    return absl::OkStatus();
  }
  if (path == "labels") {
    target->clear_labels();
    target->mutable_labels()->insert(patch.labels().begin(), patch.labels().end());
    return absl::OkStatus();
  }
  if (path.substr(0, 7) == "labels.") {
    std::string key(path.substr(7));
    auto it = patch.labels().find(key);
    if (it == patch.labels().end()) {
      target->mutable_labels()->erase(key);
    } else {
      (*target->mutable_labels())[key] = it->second;
    }
    return absl::OkStatus();
  }
  if (path == "quality_metadata" || path.substr(0, 17) == "quality_metadata.") {
    if (path != "quality_metadata") {
      std::string_view sub = path.substr(17);
      if (sub != "customer_satisfaction_rating" && sub != "wait_duration" && sub != "menu_path" &&
          sub != "agent_info") {
        return absl::InvalidArgumentError(absl::StrCat("invalid update_mask path \"", Sv(path), "\""));
      }
    }
    if (!patch.has_quality_metadata() && path == "quality_metadata") {
      target->clear_quality();
      return absl::OkStatus();
    }
    core::QualityMetadata merged;
    if (path != "quality_metadata") {
      Conversation current;
      ToWire(*target, false, &current);
      auto q = current.quality_metadata();
      std::string_view sub = path.substr(17);
      if (sub == "customer_satisfaction_rating") {
        q.set_customer_satisfaction_rating(patch.quality_metadata().customer_satisfaction_rating());
      } else if (sub == "wait_duration") {
        *q.mutable_wait_duration() = patch.quality_metadata().wait_duration();
      } else if (sub == "menu_path") {
        q.set_menu_path(patch.quality_metadata().menu_path());
      } else {
        *q.mutable_agent_info() = patch.quality_metadata().agent_info();
      }
      if (auto s = QualityFromWire(q, &merged); !s.ok()) return s;
    } else {
      if (auto s = QualityFromWire(patch.quality_metadata(), &merged); !s.ok()) return s;
    }
    *target->mutable_quality() = merged;
    return absl::OkStatus();
  }
  if (path == "metadata_json") {
    target->set_metadata_json(patch.metadata_json());
    return absl::OkStatus();
  }
  if (path == "transcript") {
    return TranscriptFromWire(patch.transcript(), target);
  }
  if (path == "call_metadata") {
    if (patch.has_call_metadata()) {
      target->mutable_call_channels()->set_customer_channel(patch.call_metadata().customer_channel());
      target->mutable_call_channels()->set_agent_channel(patch.call_metadata().agent_channel());
    } else {
      target->clear_call_channels();
    }
    return absl::OkStatus();
  }
  if (path == "expire_time" || path == "ttl") {
    return ExpirationFromWire(patch, now_us, target);
  }
  if (path == "obfuscated_user_id") {
    target->set_obfuscated_user_id(patch.obfuscated_user_id());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid update_mask path \"", Sv(path), "\": not a field of Conversation"));
}

}  // namespace parley::insights_v1
