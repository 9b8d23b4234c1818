#include "api/insights_v1/analysis_mapping.h"

#include "absl/strings/str_cat.h"
#include "api/insights_v1/mapping.h"

namespace parley::insights_v1 {
namespace {

void SetSentiment(const core::Sentiment& in, SentimentData* out) {
  out->set_score(in.score());
  out->set_magnitude(in.magnitude());
}

int32_t ChannelOf(const core::Conversation& c, int message_index) {
  return message_index >= 0 && message_index < c.messages_size() ? c.messages(message_index).channel()
                                                                 : 0;
}

CallAnnotation* Annotate(const core::Conversation& c, int start_message, int start_word,
                         int end_message, int end_word, Analysis* out) {
  CallAnnotation* a =
      out->mutable_analysis_result()->mutable_call_analysis_metadata()->add_annotations();
  a->set_channel_tag(ChannelOf(c, start_message));
  a->mutable_annotation_start_boundary()->set_transcript_index(start_message);
  if (start_word >= 0) a->mutable_annotation_start_boundary()->set_word_index(start_word);
  a->mutable_annotation_end_boundary()->set_transcript_index(end_message);
  if (end_word >= 0) a->mutable_annotation_end_boundary()->set_word_index(end_word);
  return a;
}

}  // namespace

void AnalysisToWire(const core::Analysis& analysis, const core::Conversation& c, Analysis* out) {
  out->set_name(absl::StrCat(ConversationName(c), "/analyses/", analysis.id()));
  if (analysis.request_time_us() != 0) SetTimestamp(analysis.request_time_us(), out->mutable_request_time());
  if (analysis.create_time_us() != 0) SetTimestamp(analysis.create_time_us(), out->mutable_create_time());
  const core::AnalysisResult& r = analysis.result();
  AnalysisResult* result = out->mutable_analysis_result();
  if (analysis.end_time_us() != 0) SetTimestamp(analysis.end_time_us(), result->mutable_end_time());
  AnalysisResult::CallAnalysisMetadata* meta = result->mutable_call_analysis_metadata();

  for (const core::ChannelSentiment& s : r.channel_sentiments()) {
    ConversationLevelSentiment* cs = meta->add_sentiments();
    cs->set_channel_tag(s.channel());
    SetSentiment(s.sentiment(), cs->mutable_sentiment_data());
  }
  for (const core::MessageSentiment& s : r.message_sentiments()) {
    CallAnnotation* a = Annotate(c, s.message_index(), -1, s.message_index(), -1, out);
    SetSentiment(s.sentiment(), a->mutable_sentiment_data());
  }
  for (const core::Entity& e : r.entities()) {
    Entity& we = (*meta->mutable_entities())[e.id()];
    we.set_display_name(e.display_name());
    we.set_type(static_cast<Entity::Type>(e.type()));
    we.mutable_metadata()->insert(e.metadata().begin(), e.metadata().end());
    we.set_salience(e.salience());
    if (e.has_sentiment()) SetSentiment(e.sentiment(), we.mutable_sentiment());
    for (const core::Mention& m : e.mentions()) {
      CallAnnotation* a = Annotate(c, m.message_index(), m.word_index(), m.message_index(),
                                   m.word_index(), out);
      EntityMentionData* d = a->mutable_entity_mention_data();
      d->set_entity_unique_id(e.id());
      d->set_type(e.type() == core::PERSON || e.type() == core::ORGANIZATION ||
                          e.type() == core::LOCATION
                      ? EntityMentionData::PROPER
                      : EntityMentionData::COMMON);
    }
  }
  for (const core::IntentMatch& i : r.intents()) {
    Intent& wi = (*meta->mutable_intents())[i.intent_id()];
    wi.set_id(i.intent_id());
    wi.set_display_name(i.display_name());
    Annotate(c, i.message_index(), -1, i.message_index(), -1, out)
        ->mutable_intent_match_data()
        ->set_intent_unique_id(i.intent_id());
  }
  for (const core::PhraseMatch& p : r.phrase_matches()) {
    std::string matcher = absl::StrCat("projects/", c.tenant(), "/locations/", c.location(),
                                       "/phraseMatchers/", p.matcher_id());
    PhraseMatchData& wp = (*meta->mutable_phrase_matchers())[matcher];
    wp.set_phrase_matcher(matcher);
    wp.set_display_name(p.display_name());
    PhraseMatchData* d = Annotate(c, p.message_index(), p.start_word(), p.message_index(),
                                  p.end_word(), out)
                             ->mutable_phrase_match_data();
    d->set_phrase_matcher(matcher);
    d->set_display_name(p.display_name());
  }
  for (const core::TimeSpan& s : r.silences()) {
    Annotate(c, s.start_message(), s.start_word(), s.end_message(), s.end_word(), out)
        ->mutable_silence_data();
  }
  for (const core::TimeSpan& s : r.interruptions()) {
    Annotate(c, s.start_message(), s.start_word(), s.end_message(), s.end_word(), out)
        ->mutable_interruption_data();
  }
  for (const core::TimeSpan& s : r.holds()) {
    Annotate(c, s.start_message(), s.start_word(), s.end_message(), s.end_word(), out)
        ->mutable_hold_data();
  }
  ConversationLevelSilence* silence = meta->mutable_silence();
  SetDuration(r.silence_duration_us(), silence->mutable_silence_duration());
  silence->set_silence_percentage(r.silence_percentage());
}

}  // namespace parley::insights_v1
