// The pieces under the summary analyzer: stemmer, sentence splitter,
// ConversationText.
#include <string>
#include <vector>

#include "analysis/summary/conversation_text.h"
#include "analysis/summary/porter_stemmer.h"
#include "analysis/summary/sentences.h"
#include "gtest/gtest.h"

namespace parley::analysis::summary {
namespace {

std::string Stem(const char* w) {
  std::string out;
  PorterStem(w, &out);
  return out;
}

TEST(PorterStem, ExamplesFromPortersPaper) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"caresses", "caress"}, {"ponies", "poni"},       {"cats", "cat"},         {"feed", "feed"},
      {"agreed", "agre"},     {"plastered", "plaster"}, {"motoring", "motor"},   {"sing", "sing"},
      {"hopping", "hop"},     {"falling", "fall"},      {"hissing", "hiss"},     {"filing", "file"},
      {"happy", "happi"},     {"sky", "sky"},           {"relational", "relat"}, {"conditional", "condit"},
      {"rational", "ration"}, {"hopefulness", "hope"},  {"goodness", "good"},    {"electrical", "electr"},
      {"adjustable", "adjust"}, {"replacement", "replac"}, {"adoption", "adopt"}, {"controlling", "control"},
      {"rolling", "roll"},    {"generalization", "gener"}, {"charged", "charg"}, {"charges", "charg"},
      {"charging", "charg"},
  };
  for (const auto& [word, stem] : cases) EXPECT_EQ(Stem(word), stem) << word;
}

// Snowball's "porter" undoubles only bb dd ff gg mm nn pp rr tt; the paper
// undoubles any final double consonant but l, s and z.
TEST(PorterStem, UndoublesOnlySnowballsConsonants) {
  EXPECT_EQ(Stem("stopped"), "stop");
  EXPECT_EQ(Stem("trekking"), "trekk");
}

TEST(PorterStem, LeavesShortAndNonAsciiWordsAlone) {
  EXPECT_EQ(Stem("is"), "is");
  EXPECT_EQ(Stem("réservation"), "réservation");
  EXPECT_EQ(Stem("4471"), "4471");
}

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  for (const SentenceSpan& s : SplitSentences(text)) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(SplitSentences, EndsAtMarksAndLineBreaksOnly) {
  EXPECT_EQ(Split("Hi there. My card was charged twice! Can you help?"),
            (std::vector<std::string>{"Hi there.", "My card was charged twice!", "Can you help?"}));
  EXPECT_EQ(Split("Mr. Smith paid $2.50 on Jan. 5. J. Doe did not."),
            (std::vector<std::string>{"Mr. Smith paid $2.50 on Jan. 5.", "J. Doe did not."}));
  EXPECT_EQ(Split("Order No. 5 is late. No. It is not."),
            (std::vector<std::string>{"Order No. 5 is late.", "No.", "It is not."}));
  EXPECT_EQ(Split("what?! \"Really.\" ok\nnext line"),
            (std::vector<std::string>{"what?!", "\"Really.\" ok", "next line"}));
  EXPECT_EQ(Split("no punctuation from speech recognition at all"),
            (std::vector<std::string>{"no punctuation from speech recognition at all"}));
  EXPECT_EQ(Split("Wait… I see."), (std::vector<std::string>{"Wait…", "I see."}));
  EXPECT_TRUE(Split("  \n ").empty());
}

TEST(ConversationText, SpeakersRolesAndSmallTalk) {
  core::Conversation c;
  core::Participant* a = c.add_participants();
  a->set_id("a");
  a->set_role(core::HUMAN_AGENT);
  c.add_participants()->set_id("u");
  c.mutable_participants(1)->set_role(core::END_USER);
  c.add_messages()->set_text("Thank you for calling Acme Bank, my name is Sarah. How can I help you today?");
  c.mutable_messages(0)->set_participant_id("a");
  c.add_messages()->set_text("Hi Sarah, my name is John and my debit card was declined twice at the store.");
  c.mutable_messages(1)->set_participant_id("u");
  c.add_messages()->set_text("deleted text about mortgages");
  c.mutable_messages(2)->set_state(core::MESSAGE_DELETED);

  const ConversationText text(c);
  ASSERT_EQ(text.sentences().size(), 3u);
  EXPECT_TRUE(text.has_roles());
  EXPECT_EQ(text.sentences()[0].role, SpeakerRole::kAgent);
  EXPECT_TRUE(text.sentences()[0].small_talk);  // the call opening
  EXPECT_TRUE(text.sentences()[1].small_talk);  // "How can I help you today?"
  EXPECT_TRUE(text.sentences()[1].question);
  EXPECT_EQ(text.sentences()[2].role, SpeakerRole::kCustomer);
  EXPECT_FALSE(text.sentences()[2].small_talk);  // an introduction that states an issue
  EXPECT_EQ(text.FindWord("mortgages"), -1);
  EXPECT_EQ(text.Text(text.sentences()[1]), "How can I help you today?");
}

}  // namespace
}  // namespace parley::analysis::summary
