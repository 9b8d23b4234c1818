// Insights wire <-> core mapping, and the filter/order_by vocabulary.
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/filter_fields.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/transcript_file.h"
#include "core/filter.h"
#include "core/transcript.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace parley::insights_v1 {
namespace {

using google::protobuf::util::MessageDifferencer;

Conversation SampleWire() {
  Conversation w;
  w.set_medium(Conversation::CHAT);
  w.set_agent_id("agent-1");
  w.set_language_code("en-US");
  (*w.mutable_labels())["team"] = "billing";
  w.mutable_start_time()->set_seconds(1'700'000'000);
  w.mutable_call_metadata()->set_agent_channel(2);
  w.mutable_call_metadata()->set_customer_channel(1);
  auto* q = w.mutable_quality_metadata();
  q->set_customer_satisfaction_rating(4);
  q->mutable_wait_duration()->set_seconds(30);
  q->set_menu_path("1>2");
  auto* a = q->add_agent_info();
  a->set_agent_id("agent-1");
  a->set_team("blue");
  a->set_agent_type(ConversationParticipant::HUMAN_AGENT);
  w.mutable_data_source()->mutable_gcs_source()->set_audio_uri("gs://b/a.wav");
  w.set_obfuscated_user_id("u-9");
  auto* t = w.mutable_transcript();
  auto* s1 = t->add_transcript_segments();
  s1->set_text("hello");
  s1->mutable_message_time()->set_seconds(1'700'000'010);
  s1->set_channel_tag(1);
  s1->mutable_segment_participant()->set_role(ConversationParticipant::END_USER);
  s1->mutable_segment_participant()->set_user_id("c-1");
  auto* s2 = t->add_transcript_segments();
  s2->set_text("hi there");
  s2->mutable_message_time()->set_seconds(1'700'000'040);
  s2->set_channel_tag(2);
  s2->set_confidence(0.5f);
  s2->mutable_segment_participant()->set_role(ConversationParticipant::HUMAN_AGENT);
  s2->mutable_segment_participant()->set_dialogflow_participant_name("projects/p/conversations/c/participants/x");
  auto* word = s2->add_words();
  word->set_word("hi");
  word->mutable_start_offset()->set_nanos(500'000'000);
  word->mutable_end_offset()->set_seconds(1);
  auto* s3 = t->add_transcript_segments();  // same speaker as s1: folds into one participant
  s3->set_text("thanks");
  s3->set_channel_tag(1);
  s3->mutable_segment_participant()->set_role(ConversationParticipant::END_USER);
  s3->mutable_segment_participant()->set_user_id("c-1");
  t->add_transcript_segments()->set_text("no participant");
  return w;
}

TEST(Mapping, WritableFieldsRoundTrip) {
  Conversation in = SampleWire();
  core::Conversation c;
  c.set_tenant("p");
  c.set_scope("l");
  c.set_id("conv-1");
  ASSERT_TRUE(FromWire(in, 0, &c).ok());
  EXPECT_EQ(c.participants_size(), 2);
  EXPECT_EQ(c.messages(0).participant_id(), c.messages(2).participant_id());
  EXPECT_TRUE(c.messages(3).participant_id().empty());

  Conversation out;
  ToWire(c, /*full=*/true, &out);
  EXPECT_EQ(out.name(), "projects/p/locations/l/conversations/conv-1");
  // Compare the writable fields only: output-only ones are the service's job.
  out.clear_name();
  out.clear_create_time();
  out.clear_update_time();
  out.clear_turn_count();
  out.clear_duration();
  std::string diff;
  MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(in, out)) << diff;
}

TEST(Mapping, BasicViewLeavesOutTheTranscript) {
  core::Conversation c;
  ASSERT_TRUE(FromWire(SampleWire(), 0, &c).ok());
  Conversation out;
  ToWire(c, /*full=*/false, &out);
  EXPECT_FALSE(out.has_transcript());
  EXPECT_EQ(out.agent_id(), "agent-1");
}

// What other dialects record reads through Insights (docs/dialect-mapping.md).
TEST(Mapping, OtherDialectsMessagesBecomeSegments) {
  core::Conversation c;
  c.set_tenant("p1");
  c.set_scope("us");
  c.set_id("c1");
  core::Message* said = c.add_messages();  // a CES turn: a role, no participant
  said->set_text("I want to change my flight");
  said->set_role(core::END_USER);
  core::Message* tool = c.add_messages();  // a tool call alone: not a segment
  tool->add_chunks()->mutable_tool_call()->set_id("call-1");
  core::Message* reply = c.add_messages();
  reply->set_text("Which booking?");
  reply->set_role(core::AUTOMATED_AGENT);
  Conversation wire;
  ToWire(c, /*full=*/true, &wire);
  ASSERT_EQ(wire.transcript().transcript_segments_size(), 2);
  EXPECT_EQ(wire.transcript().transcript_segments(0).segment_participant().role(),
            ConversationParticipant::END_USER);
  EXPECT_EQ(wire.transcript().transcript_segments(1).text(), "Which booking?");
  EXPECT_EQ(wire.transcript().transcript_segments(1).segment_participant().role(),
            ConversationParticipant::AUTOMATED_AGENT);
}

TEST(Mapping, TtlBecomesExpireTimeAndUnknownEnumsAreRefused) {
  Conversation w;
  w.mutable_ttl()->set_seconds(60);
  core::Conversation c;
  ASSERT_TRUE(FromWire(w, 1'000'000, &c).ok());
  EXPECT_EQ(c.expire_time_us(), 61'000'000);

  Conversation bad;
  bad.set_medium(static_cast<Conversation::Medium>(7));
  EXPECT_EQ(FromWire(bad, 0, &c).code(), absl::StatusCode::kInvalidArgument);

  Conversation bad_role;
  bad_role.mutable_transcript()->add_transcript_segments()->mutable_segment_participant()->set_role(
      static_cast<ConversationParticipant::Role>(42));
  EXPECT_EQ(FromWire(bad_role, 0, &c).code(), absl::StatusCode::kInvalidArgument);

  Conversation neg_ttl;
  neg_ttl.mutable_ttl()->set_seconds(-5);
  EXPECT_EQ(FromWire(neg_ttl, 0, &c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Mapping, UpdatePathsTouchOnlyTheirField) {
  core::Conversation c;
  ASSERT_TRUE(FromWire(SampleWire(), 0, &c).ok());
  Conversation patch;
  patch.set_agent_id("agent-2");
  patch.set_language_code("fr-FR");
  ASSERT_TRUE(ApplyUpdatePath("agent_id", patch, 0, &c).ok());
  EXPECT_EQ(c.agent_ids(0), "agent-2");
  EXPECT_EQ(c.language_code(), "en-US");
  EXPECT_EQ(c.labels().at("team"), "billing");

  (*patch.mutable_labels())["new"] = "x";
  ASSERT_TRUE(ApplyUpdatePath("labels.new", patch, 0, &c).ok());
  EXPECT_EQ(c.labels().at("new"), "x");
  EXPECT_EQ(c.labels().at("team"), "billing");
  ASSERT_TRUE(ApplyUpdatePath("labels.team", patch, 0, &c).ok());
  EXPECT_EQ(c.labels().count("team"), 0u);

  patch.mutable_quality_metadata()->set_menu_path("9");
  ASSERT_TRUE(ApplyUpdatePath("quality_metadata.menu_path", patch, 0, &c).ok());
  EXPECT_EQ(c.quality().menu_path(), "9");
  EXPECT_EQ(c.quality().customer_satisfaction_rating(), 4);

  EXPECT_TRUE(ApplyUpdatePath("turn_count", patch, 0, &c).ok());  // output only: ignored
  EXPECT_EQ(ApplyUpdatePath("no_such_field", patch, 0, &c).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyUpdatePath("quality_metadata.nope", patch, 0, &c).code(),
            absl::StatusCode::kInvalidArgument);
}

absl::StatusOr<core::Condition> Cond(const char* text) {
  auto e = core::ParseFilter(text);
  if (!e.ok()) return e.status();
  return ConversationCondition(*e);
}

TEST(FilterFields, MapsEachFieldToItsColumnAndType) {
  auto c = Cond("medium = CHAT");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->column, core::ConversationColumn::kMedium);
  EXPECT_EQ(c->int_value, core::CHAT);

  c = Cond("labels.team = \"billing\"");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->column, core::ConversationColumn::kLabel);
  EXPECT_EQ(c->label_key, "team");
  EXPECT_EQ(c->string_value, "billing");

  c = Cond("labels:\"team\"");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->op, core::CompareOp::kHas);
  EXPECT_EQ(c->label_key, "team");

  c = Cond("create_time > \"2024-01-01T00:00:00Z\"");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->int_value, 1'704'067'200'000'000);

  c = Cond("duration >= 90s");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->int_value, 90'000'000);

  c = Cond("agentId = \"a\" AND (turn_count > 3 OR NOT latest_analysis:\"*\")");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, core::Condition::Kind::kAnd);
  EXPECT_EQ(c->children[0].column, core::ConversationColumn::kAgentId);
  EXPECT_EQ(c->children[1].kind, core::Condition::Kind::kOr);
}

TEST(FilterFields, RefusesWhatItCannotAnswer) {
  for (const char* bad : {"nope = 1", "medium = FAX", "turn_count = many", "create_time > yesterday",
                          "agent_id > \"a\"", "latest_analysis = 1", "labels = \"x\"", "duration:5s"}) {
    auto c = Cond(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(FilterFields, OrderBy) {
  auto o = ParseOrderBy("");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->column, core::ConversationColumn::kCreateTime);
  EXPECT_EQ(o->order, core::SortOrder::kDescending);
  o = ParseOrderBy("turnCount");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->column, core::ConversationColumn::kTurnCount);
  EXPECT_EQ(o->order, core::SortOrder::kAscending);
  o = ParseOrderBy("start_time desc");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->order, core::SortOrder::kDescending);
  EXPECT_FALSE(ParseOrderBy("agent_id").ok());
  EXPECT_FALSE(ParseOrderBy("create_time sideways").ok());
  EXPECT_FALSE(ParseOrderBy("create_time, duration").ok());
}

TEST(TranscriptFile, ReadsSpeechToTextAndChatShapes) {
  Conversation::CallMetadata channels;
  channels.set_agent_channel(1);
  channels.set_customer_channel(2);
  auto stt = ParseTranscriptFile(
      R"({"results":[{"alternatives":[{"transcript":"hello","confidence":0.9,
          "words":[{"word":"hello","startTime":"0.5s","endTime":"1s"}]}],"channelTag":1,"languageCode":"en-us"},
          {"alternatives":[{"transcript":"hi"}],"channelTag":2}]})",
      channels);
  ASSERT_TRUE(stt.ok()) << stt.status();
  EXPECT_EQ(stt->medium, Conversation::PHONE_CALL);
  ASSERT_EQ(stt->transcript.transcript_segments_size(), 2);
  EXPECT_EQ(stt->transcript.transcript_segments(0).segment_participant().role(),
            ConversationParticipant::HUMAN_AGENT);
  EXPECT_EQ(stt->transcript.transcript_segments(1).segment_participant().role(),
            ConversationParticipant::END_USER);
  EXPECT_EQ(stt->transcript.transcript_segments(0).words(0).end_offset().seconds(), 1);

  ASSERT_EQ(stt->segment_ends.size(), 2u);
  EXPECT_FALSE(stt->segment_ends[0].has_value());

  auto chat = ParseTranscriptFile(
      R"({"entries":[{"text":"hi","role":"CUSTOMER","user_id":1,"start_timestamp_usec":1700000000000000},
                     {"text":"hello","role":"AGENT","user_id":2,"start_timestamp_usec":1700000005000000}]})",
      channels);
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(chat->medium, Conversation::CHAT);
  EXPECT_EQ(chat->transcript.transcript_segments(0).segment_participant().user_id(), "1");
  EXPECT_EQ(chat->transcript.transcript_segments(1).message_time().seconds(), 1'700'000'005);

  EXPECT_FALSE(ParseTranscriptFile("{", channels).ok());
  EXPECT_FALSE(ParseTranscriptFile("{}", channels).ok());
  EXPECT_FALSE(ParseTranscriptFile(R"({"entries":[{"text":"x","role":"BOSS"}]})", channels).ok());
}


TEST(AnalysisMapping, ReportsFindingsAsInsightsDoes) {
  core::Conversation c;
  c.set_tenant("p");
  c.set_scope("l");
  c.set_id("c1");
  c.add_messages()->set_channel(1);
  c.add_messages()->set_channel(2);
  core::Analysis a;
  a.set_id("a1");
  a.set_create_time_us(2'000'000);
  a.set_end_time_us(3'000'000);
  core::AnalysisResult* r = a.mutable_result();
  auto* cs = r->add_channel_sentiments();
  cs->set_channel(2);
  cs->mutable_sentiment()->set_score(-0.5f);
  cs->mutable_sentiment()->set_magnitude(1.5f);
  auto* ms = r->add_message_sentiments();
  ms->set_message_index(1);
  ms->mutable_sentiment()->set_score(-0.5f);
  auto* e = r->add_entities();
  e->set_id("e1");
  e->set_display_name("Lisbon");
  e->set_type(core::LOCATION);
  e->set_salience(0.7f);
  auto* mention = e->add_mentions();
  mention->set_message_index(0);
  mention->set_word_index(3);
  auto* intent = r->add_intents();
  intent->set_intent_id("card_lost");
  intent->set_display_name("card_lost");
  intent->set_confidence(0.75f);
  intent->set_message_index(0);
  auto* pm = r->add_phrase_matches();
  pm->set_matcher_id("m1");
  pm->set_display_name("Greeting");
  pm->set_message_index(1);
  pm->set_start_word(0);
  pm->set_end_word(1);
  r->set_silence_duration_us(7'500'000);
  r->set_silence_percentage(12.5f);

  Analysis out;
  AnalysisToWire(a, c, &out);
  EXPECT_EQ(out.name(), "projects/p/locations/l/conversations/c1/analyses/a1");
  EXPECT_EQ(out.create_time().seconds(), 2);
  EXPECT_EQ(out.analysis_result().end_time().seconds(), 3);
  const auto& meta = out.analysis_result().call_analysis_metadata();
  ASSERT_EQ(meta.sentiments_size(), 1);
  EXPECT_EQ(meta.sentiments(0).channel_tag(), 2);
  EXPECT_FLOAT_EQ(meta.sentiments(0).sentiment_data().magnitude(), 1.5f);
  EXPECT_EQ(meta.entities().at("e1").type(), Entity::LOCATION);
  EXPECT_EQ(meta.intents().at("card_lost").display_name(), "card_lost");
  EXPECT_EQ(meta.phrase_matchers().at("projects/p/locations/l/phraseMatchers/m1").display_name(), "Greeting");
  EXPECT_EQ(meta.silence().silence_duration().seconds(), 7);
  EXPECT_EQ(meta.silence().silence_duration().nanos(), 500'000'000);
  // sentiment, entity mention, intent, phrase match: one annotation each.
  ASSERT_EQ(meta.annotations_size(), 4);
  EXPECT_TRUE(meta.annotations(0).has_sentiment_data());
  EXPECT_EQ(meta.annotations(0).channel_tag(), 2);
  EXPECT_EQ(meta.annotations(1).entity_mention_data().type(), EntityMentionData::PROPER);
  EXPECT_EQ(meta.annotations(1).annotation_start_boundary().word_index(), 3);
  EXPECT_EQ(meta.annotations(2).intent_match_data().intent_unique_id(), "card_lost");
  EXPECT_FLOAT_EQ(meta.annotations(2).intent_match_data().confidence(), 0.75f);
  EXPECT_EQ(meta.annotations(3).annotation_end_boundary().word_index(), 1);
}

TEST(TranscriptFile, ResultEndOffsetsPlaceSegmentsInTheRecording) {
  Conversation::CallMetadata channels;
  auto stt = ParseTranscriptFile(
      R"({"results":[
          {"alternatives":[{"transcript":"hello"}],"channelTag":1,"resultEndOffset":"4s"},
          {"alternatives":[{"transcript":"hi there",
             "words":[{"word":"hi","startOffset":"5.5s","endOffset":"6s"},
                      {"word":"there","startOffset":"6s","endOffset":"6.5s"}]}],
           "channelTag":2,"resultEndOffset":"7s"},
          {"alternatives":[{"transcript":"bye"}],"channelTag":1,"resultEndTime":"35s"},
          {"alternatives":[{"transcript":"?"}],"channelTag":1}]})",
      channels);
  ASSERT_TRUE(stt.ok()) << stt.status();
  ASSERT_EQ(stt->segment_ends.size(), 4u);
  EXPECT_EQ(stt->segment_ends[0], 4'000'000);
  EXPECT_EQ(stt->segment_ends[2], 35'000'000);
  EXPECT_FALSE(stt->segment_ends[3].has_value());

  core::Conversation c;
  ASSERT_TRUE(TranscriptFromWire(stt->transcript, &c).ok());
  ApplySegmentEnds(stt->segment_ends, &c);
  EXPECT_EQ(c.messages(0).audio_start_us(), 0);
  EXPECT_EQ(c.messages(0).audio_end_us(), 4'000'000);
  EXPECT_EQ(c.messages(1).audio_start_us(), 5'500'000);  // its first word
  EXPECT_EQ(c.messages(1).audio_end_us(), 7'000'000);
  EXPECT_EQ(c.messages(2).audio_start_us(), 4'000'000);  // where channel 1 stopped
  EXPECT_EQ(c.messages(2).audio_end_us(), 35'000'000);
  EXPECT_FALSE(c.messages(3).has_audio_end_us());
  EXPECT_EQ(core::TranscriptDurationMicros(c), 35'000'000);

  core::Conversation other;  // a different number of messages: nothing is set
  other.add_messages();
  ApplySegmentEnds(stt->segment_ends, &other);
  EXPECT_FALSE(other.messages(0).has_audio_end_us());
}

}  // namespace
}  // namespace parley::insights_v1
