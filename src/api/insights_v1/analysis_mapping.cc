#include "api/insights_v1/analysis_mapping.h"

#include "absl/strings/str_cat.h"
#include "api/insights_v1/mapping.h"
#include "core/transcript.h"

namespace parley::insights_v1 {
namespace {

void SetSentiment(const core::Sentiment& in, SentimentData* out) {
  out->set_score(in.score());
  out->set_magnitude(in.magnitude());
}

// The annotation's channelTag: the speaker's channel, by role in chats
// (core::SpeakerChannel, docs/adr/0029).
int32_t ChannelOf(const core::Conversation& c, int message_index) {
  return message_index >= 0 && message_index < c.messages_size()
             ? core::SpeakerChannel(c, c.messages(message_index))
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
    IntentMatchData* d =
        Annotate(c, i.message_index(), -1, i.message_index(), -1, out)->mutable_intent_match_data();
    d->set_intent_unique_id(i.intent_id());
    d->set_confidence(i.confidence());
  }
  for (const core::PhraseMatch& p : r.phrase_matches()) {
    std::string matcher = PhraseMatcherName(c.tenant(), c.scope(), p.matcher_id());
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
  const core::AnalyzerSelection& selection = analysis.selection();
  const bool all = !analysis.has_selection() || selection.all();
  if (all || selection.silence()) {
    ConversationLevelSilence* silence = meta->mutable_silence();
    SetDuration(r.silence_duration_us(), silence->mutable_silence_duration());
    silence->set_silence_percentage(r.silence_percentage());
  }
  if (!all) {
    SelectionToWire(selection, LocationName(c.tenant(), c.scope()),
                    out->mutable_annotator_selector());
  }
}

bool SummaryToWire(const core::Analysis& analysis, const core::Conversation& c,
                   ConversationSummarizationSuggestionData* out) {
  const core::AnalysisResult& r = analysis.result();
  if (r.summary().empty()) return false;
  out->set_text(r.summary());
  // Sections, as Insights' baseline model names them, from the sentences'
  // roles in the summary.
  static constexpr const char* kSections[] = {"", "situation", "action", "resolution"};
  for (const core::SummarySentence& s : r.summary_sentences()) {
    int section = static_cast<int>(s.section());
    if (section <= 0 || section > 3) continue;
    if (s.message_index() < 0 || s.message_index() >= c.messages_size()) continue;
    const std::string& message = c.messages(s.message_index()).text();
    if (s.start_byte() < 0 || s.end_byte() > static_cast<int>(message.size()) ||
        s.start_byte() >= s.end_byte()) {
      continue;
    }
    std::string& text = (*out->mutable_text_sections())[kSections[section]];
    if (!text.empty()) text += " ";
    text.append(message, s.start_byte(), s.end_byte() - s.start_byte());
  }
  out->set_confidence(1.0f);
  // The generative engine's model when it wrote the summary (then there are
  // no extractive sentences to make sections of).
  (*out->mutable_metadata())["model"] = r.summary_model().empty() ? "parley-extractive" : r.summary_model();
  return true;
}

core::AnalyzerSelection SelectionFromWire(const AnnotatorSelector* s) {
  core::AnalyzerSelection out;
  if (s == nullptr) {
    out.set_all(true);
    return out;
  }
  out.set_sentiment(s->run_sentiment_annotator());
  out.set_entities(s->run_entity_annotator());
  out.set_intents(s->run_intent_annotator());
  out.set_phrase_matchers(s->run_phrase_matcher_annotator());
  for (const std::string& name : s->phrase_matchers()) {
    size_t slash = name.rfind('/');
    out.add_phrase_matcher_ids(slash == std::string::npos ? name : name.substr(slash + 1));
  }
  out.set_silence(s->run_silence_annotator());
  out.set_interruptions(s->run_interruption_annotator());
  out.set_summary(s->run_summarization_annotator());
  return out;
}

void SelectionToWire(const core::AnalyzerSelection& s, const std::string& parent,
                     AnnotatorSelector* out) {
  const bool all = s.all();
  out->set_run_sentiment_annotator(all || s.sentiment());
  out->set_run_entity_annotator(all || s.entities());
  out->set_run_intent_annotator(all || s.intents());
  out->set_run_phrase_matcher_annotator(all || s.phrase_matchers());
  for (const std::string& id : s.phrase_matcher_ids()) {
    out->add_phrase_matchers(absl::StrCat(parent, "/phraseMatchers/", id));
  }
  out->set_run_silence_annotator(all || s.silence());
  out->set_run_interruption_annotator(all || s.interruptions());
  out->set_run_summarization_annotator(all || s.summary());
}



}  // namespace parley::insights_v1
