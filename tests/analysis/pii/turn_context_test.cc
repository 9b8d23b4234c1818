// Replies read with the turn before (turn_context.h): "may I have your name
// please?" -> "Crystal Minh", through PiiDetector, RedactConversation and
// PiiAnalyzer.
#include "analysis/pii/turn_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "analysis/pii/pii_analyzer.h"
#include "analysis/pii/pii_detector.h"
#include "analysis/pii/redact_conversation.h"
#include "typed_spans.h"

namespace parley::analysis::pii {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const PiiDetector& Detector() { return SharedDetector(); }

std::vector<std::string> Spans(std::string_view text, Asked asked) {
  return TypedSpans(text, Detector().Find(text, InfoTypeSet::All(), asked));
}

// A chat of (role, text) turns.
core::Conversation Chat(const std::vector<std::pair<core::Role, std::string>>& turns) {
  core::Conversation c;
  for (const auto& [role, text] : turns) {
    core::Message* m = c.add_messages();
    m->set_role(role);
    m->set_text(text);
  }
  return c;
}

TEST(AskedIn, NameAndPhoneQuestions) {
  EXPECT_EQ(AskedIn("sure, may I have your name please?"), Asked::kName);
  EXPECT_EQ(AskedIn("Who am I speaking with today?"), Asked::kName);
  EXPECT_EQ(AskedIn("could you spell that for me"), Asked::kName);
  EXPECT_EQ(AskedIn("what's the best number to reach you at"), Asked::kPhone);
  EXPECT_EQ(AskedIn("and your phone number?"), Asked::kPhone);
  // Of two, the one asked last.
  EXPECT_EQ(AskedIn("thanks for your name, and your phone number?"), Asked::kPhone);
  EXPECT_EQ(AskedIn("how can I help you today?"), Asked::kNothing);
  EXPECT_EQ(AskedIn("what is your order number"), Asked::kNothing);
  EXPECT_EQ(AskedIn(""), Asked::kNothing);
}

TEST(FindAsked, BareAnswers) {
  // The same words with and without the question before them.
  EXPECT_THAT(Spans("crystal minh", Asked::kNothing), IsEmpty());
  EXPECT_THAT(Spans("crystal minh", Asked::kName), ElementsAre("PERSON_NAME:crystal minh"));
  EXPECT_THAT(Spans("sure it's grace", Asked::kName), ElementsAre("PERSON_NAME:grace"));
  EXPECT_THAT(Spans("Crystal", Asked::kName), ElementsAre("PERSON_NAME:Crystal"));
  EXPECT_THAT(Spans("9472 7916", Asked::kNothing), IsEmpty());
  EXPECT_THAT(Spans("9472 7916", Asked::kPhone), ElementsAre("PHONE_NUMBER:9472 7916"));
  EXPECT_THAT(Spans("yeah it's nine four seven two seven nine one six", Asked::kPhone),
              ElementsAre("PHONE_NUMBER:nine four seven two seven nine one six"));
  // A reply that gives no name gets none.
  EXPECT_THAT(Spans("sorry what", Asked::kName), IsEmpty());
  EXPECT_THAT(Spans("hold on", Asked::kName), IsEmpty());
  EXPECT_THAT(Spans("Maybe later", Asked::kName), IsEmpty());
  EXPECT_THAT(Spans("Sure, it's John Smith", Asked::kName), ElementsAre("PERSON_NAME:John Smith"));
  EXPECT_THAT(Spans("", Asked::kName), IsEmpty());
}

TEST(AskedBefore, OtherSpeakersTurnOverAPause) {
  const core::Conversation c = Chat({{core::HUMAN_AGENT, "may I have your name please?"},
                                     {core::END_USER, "sure"},
                                     {core::END_USER, "crystal minh"},
                                     {core::HUMAN_AGENT, "thanks"}});
  EXPECT_EQ(AskedBefore(c, 0), Asked::kNothing);
  EXPECT_EQ(AskedBefore(c, 1), Asked::kName);
  EXPECT_EQ(AskedBefore(c, 2), Asked::kName);
  EXPECT_EQ(AskedBefore(c, 3), Asked::kNothing);
  EXPECT_EQ(AskedBefore(c, 9), Asked::kNothing);
  // With no speaker known, nothing is assumed.
  core::Conversation anonymous;
  anonymous.add_messages()->set_text("your name?");
  anonymous.add_messages()->set_text("crystal minh");
  EXPECT_EQ(AskedBefore(anonymous, 1), Asked::kNothing);
  // Audio channels tell speakers apart.
  core::Conversation call;
  call.add_messages()->set_text("what's the best number to reach you");
  call.mutable_messages(0)->set_channel(1);
  call.add_messages()->set_text("four one five");
  call.mutable_messages(1)->set_channel(2);
  EXPECT_EQ(AskedBefore(call, 1), Asked::kPhone);
}

TEST(RedactConversationAsked, ReplyToTheNameQuestion) {
  core::Conversation c = Chat({{core::HUMAN_AGENT, "may I have your name please?"},
                               {core::END_USER, "crystal minh"},
                               {core::HUMAN_AGENT, "and the best number to reach you?"},
                               {core::END_USER, "9472 7916"},
                               {core::END_USER, "crystal clear"}});
  ASSERT_TRUE(RedactConversation(Detector(), {}, &c).ok());
  EXPECT_EQ(c.messages(1).text(), "[PERSON_NAME]");
  EXPECT_EQ(c.messages(3).text(), "[PHONE_NUMBER]");
  EXPECT_EQ(c.messages(4).text(), "crystal clear");  // not a reply to the question
  ASSERT_EQ(c.messages(1).redactions_size(), 1);
  EXPECT_EQ(c.messages(1).redactions(0).info_type(), "PERSON_NAME");
}

TEST(PiiAnalyzerAsked, FindingsInTheReply) {
  const core::Conversation c =
      Chat({{core::HUMAN_AGENT, "who am I speaking with?"}, {core::END_USER, "crystal minh"}});
  PiiAnalyzer analyzer(&Detector());
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());
  ASSERT_EQ(result.pii_size(), 1);
  EXPECT_EQ(result.pii(0).info_type(), "PERSON_NAME");
  EXPECT_EQ(result.pii(0).mention().message_index(), 1);
  EXPECT_EQ(result.pii(0).mention().text(), "crystal minh");
}

}  // namespace
}  // namespace parley::analysis::pii
