#include "analysis/intents/intent_analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/intents/synthetic_examples.h"

namespace parley::analysis::intents {
namespace {

std::shared_ptr<const IntentModel> Model() {
  static std::shared_ptr<const IntentModel> model = [] {
    auto trained = IntentModel::Train(testing::SyntheticExamples(), TrainOptions{});
    EXPECT_TRUE(trained.ok()) << trained.status();
    return std::make_shared<const IntentModel>(std::move(*trained));
  }();
  return model;
}

void AddMessage(core::Conversation* c, const std::string& participant, const std::string& text) {
  core::Message* m = c->add_messages();
  m->set_participant_id(participant);
  m->set_text(text);
}

core::Conversation SupportChat() {
  core::Conversation c;
  core::Participant* agent = c.add_participants();
  agent->set_id("agent");
  agent->set_role(core::HUMAN_AGENT);
  core::Participant* customer = c.add_participants();
  customer->set_id("customer");
  customer->set_role(core::END_USER);
  AddMessage(&c, "agent", "Hello, how can I help? Is it about your card or your balance?");  // 0
  AddMessage(&c, "customer", "My credit card got stolen yesterday");                          // 1
  AddMessage(&c, "agent", "I have blocked it. Anything else?");                               // 2
  AddMessage(&c, "customer", "Yes, how much money is in my checking account?");               // 3
  AddMessage(&c, "customer", "");                                                              // 4
  AddMessage(&c, "customer", "And what time does the branch open on Sunday?");                // 5
  return c;
}

TEST(IntentAnalyzerTest, FindsTheCustomersIntents) {
  IntentAnalyzer analyzer(Model(), 0.0f);
  EXPECT_EQ(analyzer.name(), "intents");
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(SupportChat(), &result).ok());
  ASSERT_EQ(result.intents_size(), 3);
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "block_card"}, {3, "check_balance"}, {5, "opening_hours"}};
  for (int i = 0; i < 3; ++i) {
    const core::IntentMatch& m = result.intents(i);
    EXPECT_EQ(m.message_index(), expected[i].first);
    EXPECT_EQ(m.intent_id(), expected[i].second);
    EXPECT_EQ(m.display_name(), expected[i].second);
    EXPECT_GT(m.confidence(), 0.5f);
    EXPECT_LE(m.confidence(), 1.0f);
  }
}

TEST(IntentAnalyzerTest, ThresholdDropsOutOfScopeMessages) {
  core::Conversation c = SupportChat();
  AddMessage(&c, "customer", "recommend a good pizza recipe");
  core::AnalysisResult all;
  ASSERT_TRUE(IntentAnalyzer(Model(), 0.0f).Analyze(c, &all).ok());
  ASSERT_EQ(all.intents_size(), 4);
  float pizza = all.intents(3).confidence();
  float weakest_real = std::min({all.intents(0).confidence(), all.intents(1).confidence(),
                                 all.intents(2).confidence()});
  ASSERT_LT(pizza, weakest_real);

  core::AnalysisResult filtered;
  ASSERT_TRUE(IntentAnalyzer(Model(), (pizza + weakest_real) / 2).Analyze(c, &filtered).ok());
  EXPECT_EQ(filtered.intents_size(), 3);
  for (const core::IntentMatch& m : filtered.intents()) EXPECT_NE(m.message_index(), 6);

  core::AnalysisResult none;
  ASSERT_TRUE(IntentAnalyzer(Model(), 1.01f).Analyze(c, &none).ok());
  EXPECT_EQ(none.intents_size(), 0);
}

TEST(IntentAnalyzerTest, WithoutRolesEveryMessageIsClassified) {
  core::Conversation c;
  AddMessage(&c, "", "please block my card");
  AddMessage(&c, "", "are you open today");
  core::AnalysisResult result;
  ASSERT_TRUE(IntentAnalyzer(Model(), 0.0f).Analyze(c, &result).ok());
  ASSERT_EQ(result.intents_size(), 2);
  EXPECT_EQ(result.intents(0).intent_id(), "block_card");
  EXPECT_EQ(result.intents(1).intent_id(), "opening_hours");
}

TEST(IntentAnalyzerTest, SkipsDeletedMessagesAndEmptyConversations) {
  core::Conversation c = SupportChat();
  c.mutable_messages(1)->set_state(core::MESSAGE_DELETED);
  core::AnalysisResult result;
  ASSERT_TRUE(IntentAnalyzer(Model(), 0.0f).Analyze(c, &result).ok());
  EXPECT_EQ(result.intents_size(), 2);
  EXPECT_EQ(result.intents(0).message_index(), 3);

  core::AnalysisResult empty;
  ASSERT_TRUE(IntentAnalyzer(Model(), 0.0f).Analyze(core::Conversation(), &empty).ok());
  EXPECT_EQ(empty.intents_size(), 0);
}

}  // namespace
}  // namespace parley::analysis::intents
