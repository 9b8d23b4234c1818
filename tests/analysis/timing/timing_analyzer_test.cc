#include "analysis/timing/timing_analyzer.h"

#include "gtest/gtest.h"

namespace parley::analysis {
namespace {

core::Message* Said(core::Conversation& c, const char* who, const char* text, int64_t start_s,
                    int64_t end_s) {
  core::Message* m = c.add_messages();
  m->set_participant_id(who);
  m->set_text(text);
  core::WordInfo* a = m->add_words();
  a->set_word("w");
  a->set_start_offset_us(start_s * 1'000'000);
  a->set_end_offset_us(start_s * 1'000'000 + 100'000);
  core::WordInfo* b = m->add_words();
  b->set_word("w");
  b->set_start_offset_us(end_s * 1'000'000 - 100'000);
  b->set_end_offset_us(end_s * 1'000'000);
  return m;
}

core::Conversation Call() {
  core::Conversation c;
  core::Participant* agent = c.add_participants();
  agent->set_id("agent");
  agent->set_role(core::HUMAN_AGENT);
  core::Participant* user = c.add_participants();
  user->set_id("user");
  user->set_role(core::END_USER);
  return c;
}

TEST(TimingAnalyzer, FindsSilenceOvertalkAndHold) {
  core::Conversation c = Call();
  Said(c, "user", "my card is blocked", 0, 4);
  Said(c, "agent", "let me check", 3, 6);             // starts before the user ends: overtalk
  Said(c, "agent", "please hold while I look", 6, 8);
  Said(c, "agent", "thanks for waiting", 48, 50);      // 40 s gap after a hold mention: hold
  Said(c, "user", "ok", 57, 58);                       // 7 s gap: silence
  core::AnalysisResult r;
  ASSERT_TRUE(TimingAnalyzer().Analyze(c, &r).ok());
  ASSERT_EQ(r.interruptions_size(), 1);
  EXPECT_EQ(r.interruptions(0).start_message(), 1);
  EXPECT_EQ(r.interruptions(0).duration_us(), 1'000'000);
  ASSERT_EQ(r.silences_size(), 2);
  EXPECT_EQ(r.silences(0).start_message(), 2);
  EXPECT_EQ(r.silences(0).duration_us(), 40'000'000);
  EXPECT_EQ(r.silences(1).duration_us(), 7'000'000);
  ASSERT_EQ(r.holds_size(), 1);
  EXPECT_EQ(r.holds(0).start_message(), 2);
  EXPECT_EQ(r.silence_duration_us(), 47'000'000);
  EXPECT_NEAR(r.silence_percentage(), 100.0 * 47 / 58, 0.01);
}

TEST(TimingAnalyzer, ChatsUseMessageTimesAndEmptyIsEmpty) {
  core::Conversation chat;
  chat.add_messages()->set_time_us(0);
  chat.add_messages()->set_time_us(3'000'000);
  chat.add_messages()->set_time_us(20'000'000);
  core::AnalysisResult r;
  ASSERT_TRUE(TimingAnalyzer().Analyze(chat, &r).ok());
  ASSERT_EQ(r.silences_size(), 1);
  EXPECT_EQ(r.silences(0).start_message(), 1);
  EXPECT_EQ(r.interruptions_size(), 0);

  core::AnalysisResult empty;
  ASSERT_TRUE(TimingAnalyzer().Analyze(core::Conversation(), &empty).ok());
  EXPECT_EQ(empty.silences_size(), 0);
  EXPECT_EQ(empty.silence_percentage(), 0.0f);
}

TEST(TimingAnalyzer, ChatMediumGetsNoSilenceOvertalkOrHold) {
  core::Conversation chat = Call();
  chat.set_medium(core::CHAT);
  Said(chat, "agent", "please hold while I look", 0, 3);
  Said(chat, "user", "ok", 1, 2);               // would be overtalk in a call
  Said(chat, "agent", "found it", 60, 61);      // would be a hold in a call
  core::AnalysisResult r;
  ASSERT_TRUE(TimingAnalyzer().Analyze(chat, &r).ok());
  EXPECT_EQ(r.silences_size(), 0);
  EXPECT_EQ(r.interruptions_size(), 0);
  EXPECT_EQ(r.holds_size(), 0);
  EXPECT_EQ(r.silence_duration_us(), 0);
  EXPECT_EQ(r.silence_percentage(), 0.0f);

  chat.set_medium(core::PHONE_CALL);  // the same messages as a call
  core::AnalysisResult call;
  ASSERT_TRUE(TimingAnalyzer().Analyze(chat, &call).ok());
  EXPECT_EQ(call.silences_size(), 1);
  EXPECT_EQ(call.interruptions_size(), 1);
  EXPECT_EQ(call.holds_size(), 1);
}

TEST(TimingAnalyzer, SameSpeakerOverlapIsNotAnInterruption) {
  core::Conversation c = Call();
  Said(c, "user", "a", 0, 4);
  Said(c, "user", "b", 3, 5);
  core::AnalysisResult r;
  ASSERT_TRUE(TimingAnalyzer().Analyze(c, &r).ok());
  EXPECT_EQ(r.interruptions_size(), 0);
}

}  // namespace
}  // namespace parley::analysis
