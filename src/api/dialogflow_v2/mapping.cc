#include "api/dialogflow_v2/mapping.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"
#include "service/analysis_service.h"

namespace parley::dialogflow_v2 {
namespace {

using HAAC = HumanAgentAssistantConfig;

core::SuggestionFeature::Type FeatureTypeFromWire(SuggestionFeature::Type t) {
  switch (t) {
    case SuggestionFeature::ARTICLE_SUGGESTION:
      return core::SuggestionFeature::ARTICLE_SUGGESTION;
    case SuggestionFeature::FAQ:
      return core::SuggestionFeature::FAQ;
    case SuggestionFeature::SMART_REPLY:
      return core::SuggestionFeature::SMART_REPLY;
    case SuggestionFeature::CONVERSATION_SUMMARIZATION:
      return core::SuggestionFeature::CONVERSATION_SUMMARIZATION;
    case SuggestionFeature::KNOWLEDGE_SEARCH:
      return core::SuggestionFeature::KNOWLEDGE_SEARCH;
    case SuggestionFeature::KNOWLEDGE_ASSIST:
      return core::SuggestionFeature::KNOWLEDGE_ASSIST;
    default:
      return core::SuggestionFeature::TYPE_UNSPECIFIED;
  }
}

SuggestionFeature::Type FeatureTypeToWire(core::SuggestionFeature::Type t) {
  switch (t) {
    case core::SuggestionFeature::ARTICLE_SUGGESTION:
      return SuggestionFeature::ARTICLE_SUGGESTION;
    case core::SuggestionFeature::FAQ:
      return SuggestionFeature::FAQ;
    case core::SuggestionFeature::SMART_REPLY:
      return SuggestionFeature::SMART_REPLY;
    case core::SuggestionFeature::CONVERSATION_SUMMARIZATION:
      return SuggestionFeature::CONVERSATION_SUMMARIZATION;
    case core::SuggestionFeature::KNOWLEDGE_SEARCH:
      return SuggestionFeature::KNOWLEDGE_SEARCH;
    case core::SuggestionFeature::KNOWLEDGE_ASSIST:
      return SuggestionFeature::KNOWLEDGE_ASSIST;
    default:
      return SuggestionFeature::TYPE_UNSPECIFIED;
  }
}

void FeatureFromWire(const HAAC::SuggestionFeatureConfig& in, core::SuggestionFeature* out) {
  out->set_type(FeatureTypeFromWire(in.suggestion_feature().type()));
  out->set_enable_event_based_suggestion(in.enable_event_based_suggestion());
  out->set_disable_agent_query_logging(in.disable_agent_query_logging());
  out->set_enable_conversation_augmented_query(in.enable_conversation_augmented_query());
  const auto& q = in.query_config();
  for (const std::string& kb : q.knowledge_base_query_source().knowledge_bases()) {
    out->add_knowledge_bases(kb);
  }
  for (const std::string& d : q.document_query_source().documents()) out->add_documents(d);
  out->set_dialogflow_agent(q.dialogflow_query_source().agent());
  out->set_max_results(q.max_results());
  out->set_confidence_threshold(q.confidence_threshold());
  out->set_recent_sentences_count(in.conversation_process_config().recent_sentences_count());
}

void FeatureToWire(const core::SuggestionFeature& in, HAAC::SuggestionFeatureConfig* out) {
  out->mutable_suggestion_feature()->set_type(FeatureTypeToWire(in.type()));
  out->set_enable_event_based_suggestion(in.enable_event_based_suggestion());
  out->set_disable_agent_query_logging(in.disable_agent_query_logging());
  out->set_enable_conversation_augmented_query(in.enable_conversation_augmented_query());
  HAAC::SuggestionQueryConfig q;
  if (in.knowledge_bases_size() > 0) {
    for (const std::string& kb : in.knowledge_bases()) {
      q.mutable_knowledge_base_query_source()->add_knowledge_bases(kb);
    }
  } else if (in.documents_size() > 0) {
    for (const std::string& d : in.documents()) q.mutable_document_query_source()->add_documents(d);
  } else if (!in.dialogflow_agent().empty()) {
    q.mutable_dialogflow_query_source()->set_agent(in.dialogflow_agent());
  }
  q.set_max_results(in.max_results());
  q.set_confidence_threshold(in.confidence_threshold());
  if (q.ByteSizeLong() > 0) *out->mutable_query_config() = std::move(q);
  if (in.recent_sentences_count() != 0) {
    out->mutable_conversation_process_config()->set_recent_sentences_count(in.recent_sentences_count());
  }
}

void NotificationFromWire(const NotificationConfig& in, core::NotificationConfig* out) {
  out->set_topic(in.topic());
  out->set_message_format(static_cast<core::NotificationConfig::MessageFormat>(in.message_format()));
}

void NotificationToWire(const core::NotificationConfig& in, NotificationConfig* out) {
  out->set_topic(in.topic());
  out->set_message_format(static_cast<NotificationConfig::MessageFormat>(in.message_format()));
}

}  // namespace

std::string ProfileName(const Place& place, std::string_view id) {
  return absl::StrCat(place.prefix, "/conversationProfiles/", Sv(id));
}
std::string ConversationName(const Place& place, std::string_view id) {
  return absl::StrCat(place.prefix, "/conversations/", Sv(id));
}
std::string ParticipantName(const Place& place, std::string_view conversation, std::string_view id) {
  return absl::StrCat(ConversationName(place, conversation), "/participants/", Sv(id));
}
std::string MessageName(const Place& place, std::string_view conversation, std::string_view id) {
  return absl::StrCat(ConversationName(place, conversation), "/messages/", Sv(id));
}

absl::Status ParseProfileName(std::string_view name, std::string_view field, Place* place,
                              std::string* id) {
  std::vector<absl::string_view> parts = absl::StrSplit(Sv(name), '/');
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(field), " \"", Sv(name),
        "\" is not a conversation profile name: projects/<Project ID>/locations/<Location "
        "ID>/conversationProfiles/<Conversation Profile ID>"));
  };
  for (absl::string_view part : parts) {
    if (part.empty()) return bad();
  }
  if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "conversationProfiles") {
    place->project = std::string(parts[1]);
    place->scope = "global";
    place->prefix = absl::StrCat("projects/", parts[1]);
    *id = std::string(parts[3]);
    return absl::OkStatus();
  }
  if (parts.size() == 6 && parts[0] == "projects" && parts[2] == "locations" &&
      parts[4] == "conversationProfiles") {
    place->project = std::string(parts[1]);
    place->scope = std::string(parts[3]);
    place->prefix = absl::StrCat("projects/", parts[1], "/locations/", parts[3]);
    *id = std::string(parts[5]);
    return absl::OkStatus();
  }
  return bad();
}

std::string MessageIdOf(const Place& place, std::string_view conversation, std::string_view name) {
  const std::string prefix = absl::StrCat(ConversationName(place, conversation), "/messages/");
  if (!absl::StartsWith(Sv(name), prefix)) return "";
  absl::string_view id = Sv(name).substr(prefix.size());
  if (id.empty() || absl::StrContains(id, '/')) return "";
  return std::string(id);
}

void ProfileFromWire(const ConversationProfile& in, core::Profile* out) {
  out->set_display_name(in.display_name());
  out->set_language_code(in.language_code());
  out->set_time_zone(in.time_zone());
  out->set_security_settings(in.security_settings());
  out->set_enable_stackdriver_logging(in.logging_config().enable_stackdriver_logging());
  out->clear_automated_agent();
  if (in.has_automated_agent_config()) {
    out->mutable_automated_agent()->set_agent(in.automated_agent_config().agent());
    if (in.automated_agent_config().has_session_ttl()) {
      out->mutable_automated_agent()->set_session_ttl_us(
          google_api::Micros(in.automated_agent_config().session_ttl()));
    }
  }
  out->clear_human_agent_assist();
  out->clear_knowledge_bases();
  if (in.has_human_agent_assistant_config()) {
    const HAAC& h = in.human_agent_assistant_config();
    core::HumanAgentAssistConfig* c = out->mutable_human_agent_assist();
    for (const auto& f : h.human_agent_suggestion_config().feature_configs()) {
      FeatureFromWire(f, c->add_human_agent_suggestions());
    }
    for (const auto& f : h.end_user_suggestion_config().feature_configs()) {
      FeatureFromWire(f, c->add_end_user_suggestions());
    }
    c->set_group_suggestion_responses(h.human_agent_suggestion_config().group_suggestion_responses());
    c->set_enable_entity_extraction(h.message_analysis_config().enable_entity_extraction());
    c->set_enable_sentiment_analysis(h.message_analysis_config().enable_sentiment_analysis());
    if (h.has_notification_config()) NotificationFromWire(h.notification_config(), c->mutable_notification());
    for (const auto* list : {&c->human_agent_suggestions(), &c->end_user_suggestions()}) {
      for (const core::SuggestionFeature& f : *list) {
        for (const std::string& kb : f.knowledge_bases()) {
          if (std::find(out->knowledge_bases().begin(), out->knowledge_bases().end(), kb) ==
              out->knowledge_bases().end()) {
            out->add_knowledge_bases(kb);
          }
        }
      }
    }
  }
  out->clear_notification();
  if (in.has_notification_config()) NotificationFromWire(in.notification_config(), out->mutable_notification());
  out->clear_new_message_notification();
  if (in.has_new_message_event_notification_config()) {
    NotificationFromWire(in.new_message_event_notification_config(), out->mutable_new_message_notification());
  }
}

void ProfileToWire(const core::Profile& p, const Place& place, ConversationProfile* out) {
  out->set_name(ProfileName(place, p.id()));
  out->set_display_name(p.display_name());
  google_api::SetTimestamp(p.create_time_us(), out->mutable_create_time());
  google_api::SetTimestamp(p.update_time_us(), out->mutable_update_time());
  if (p.has_automated_agent()) {
    out->mutable_automated_agent_config()->set_agent(p.automated_agent().agent());
    if (p.automated_agent().has_session_ttl_us()) {
      google_api::SetDuration(p.automated_agent().session_ttl_us(),
                              out->mutable_automated_agent_config()->mutable_session_ttl());
    }
  }
  if (p.has_human_agent_assist()) {
    const core::HumanAgentAssistConfig& c = p.human_agent_assist();
    HAAC* h = out->mutable_human_agent_assistant_config();
    if (c.human_agent_suggestions_size() > 0 || c.group_suggestion_responses()) {
      auto* s = h->mutable_human_agent_suggestion_config();
      for (const auto& f : c.human_agent_suggestions()) FeatureToWire(f, s->add_feature_configs());
      s->set_group_suggestion_responses(c.group_suggestion_responses());
    }
    if (c.end_user_suggestions_size() > 0) {
      auto* s = h->mutable_end_user_suggestion_config();
      for (const auto& f : c.end_user_suggestions()) FeatureToWire(f, s->add_feature_configs());
    }
    if (c.enable_entity_extraction() || c.enable_sentiment_analysis()) {
      h->mutable_message_analysis_config()->set_enable_entity_extraction(c.enable_entity_extraction());
      h->mutable_message_analysis_config()->set_enable_sentiment_analysis(c.enable_sentiment_analysis());
    }
    if (c.has_notification()) NotificationToWire(c.notification(), h->mutable_notification_config());
  }
  if (p.has_notification()) NotificationToWire(p.notification(), out->mutable_notification_config());
  if (p.has_new_message_notification()) {
    NotificationToWire(p.new_message_notification(), out->mutable_new_message_event_notification_config());
  }
  if (p.enable_stackdriver_logging()) out->mutable_logging_config()->set_enable_stackdriver_logging(true);
  out->set_language_code(p.language_code());
  out->set_time_zone(p.time_zone());
  out->set_security_settings(p.security_settings());
}

void ConversationToWire(const core::Conversation& c, const Place& place, Conversation* out) {
  out->set_name(ConversationName(place, c.id()));
  out->set_lifecycle_state(c.lifecycle() == core::COMPLETED ? Conversation::COMPLETED
                                                             : Conversation::IN_PROGRESS);
  if (!c.profile().empty()) out->set_conversation_profile(ProfileName(place, c.profile()));
  if (!c.phone_number().phone_number().empty()) {
    out->mutable_phone_number()->set_phone_number(c.phone_number().phone_number());
    out->mutable_phone_number()->set_country_code(c.phone_number().country_code());
  }
  if (c.has_start_time_us()) google_api::SetTimestamp(c.start_time_us(), out->mutable_start_time());
  if (c.has_end_time_us()) google_api::SetTimestamp(c.end_time_us(), out->mutable_end_time());
  out->set_conversation_stage(static_cast<Conversation::ConversationStage>(c.stage()));
}

core::Role RoleFromWire(Participant::Role r) {
  switch (r) {
    case Participant::HUMAN_AGENT:
      return core::HUMAN_AGENT;
    case Participant::AUTOMATED_AGENT:
      return core::AUTOMATED_AGENT;
    case Participant::END_USER:
      return core::END_USER;
    default:
      return core::ROLE_UNSPECIFIED;
  }
}

Participant::Role RoleToWire(core::Role r) {
  switch (r) {
    case core::HUMAN_AGENT:
    case core::ANY_AGENT:
      return Participant::HUMAN_AGENT;
    case core::AUTOMATED_AGENT:
      return Participant::AUTOMATED_AGENT;
    case core::END_USER:
      return Participant::END_USER;
    default:
      return Participant::ROLE_UNSPECIFIED;
  }
}

void ParticipantToWire(const core::Participant& p, const Place& place, std::string_view conversation,
                       Participant* out) {
  out->set_name(ParticipantName(place, conversation, p.id()));
  out->set_role(RoleToWire(p.role()));
  out->set_sip_recording_media_label(p.sip_recording_media_label());
  out->set_obfuscated_external_user_id(p.obfuscated_external_user_id());
  for (const auto& [k, v] : p.documents_metadata_filters()) (*out->mutable_documents_metadata_filters())[k] = v;
}

void MessageToWire(const core::Message& m, const core::Conversation& c, const Place& place,
                   bool sentiment, Message* out) {
  MessageToWire(m, c.id(), c.participants(), place, sentiment, out);
}

void MessageToWire(const core::Message& m, std::string_view conversation_id,
                   const google::protobuf::RepeatedPtrField<core::Participant>& participants, const Place& place,
                   bool sentiment, Message* out) {
  out->set_name(MessageName(place, conversation_id, m.id()));
  out->set_content(m.text());
  out->set_language_code(m.language_code());
  core::Role role = m.role();
  if (!m.participant_id().empty()) {
    out->set_participant(ParticipantName(place, conversation_id, m.participant_id()));
    for (const core::Participant& p : participants) {
      if (p.id() == m.participant_id()) role = p.role();
    }
  }
  out->set_participant_role(RoleToWire(role));
  if (m.has_create_time_us()) google_api::SetTimestamp(m.create_time_us(), out->mutable_create_time());
  if (m.has_time_us()) google_api::SetTimestamp(m.time_us(), out->mutable_send_time());
  if (sentiment) {
    const core::Sentiment s = service::AnalysisService::TextSentiment(m.text());
    Sentiment* w = out->mutable_sentiment_analysis()->mutable_query_text_sentiment();
    w->set_score(s.score());
    w->set_magnitude(s.magnitude());
  }
}

}  // namespace parley::dialogflow_v2
