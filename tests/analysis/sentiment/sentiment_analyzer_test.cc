#include "analysis/sentiment/sentiment_analyzer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace parley::analysis {
namespace {

core::Conversation SupportCall() {
  core::Conversation c;
  core::Participant* agent = c.add_participants();
  agent->set_id("agent-1");
  agent->set_role(core::HUMAN_AGENT);
  agent->set_channel(1);
  core::Participant* customer = c.add_participants();
  customer->set_id("customer-1");
  customer->set_role(core::END_USER);
  customer->set_channel(2);
  auto add = [&](const char* participant, const char* text) {
    core::Message* m = c.add_messages();
    m->set_participant_id(participant);
    m->set_text(text);
  };
  add("customer-1", "My internet is down AGAIN, this is terrible!");
  add("agent-1", "I'm so sorry about that. Let me check your line.");
  add("customer-1", "");  // nothing said
  add("agent-1", "Done, the line is reset. It should work now.");
  add("customer-1", "It works, thank you so much, you were great!");
  return c;
}

TEST(SentimentAnalyzerTest, Name) { EXPECT_EQ(SentimentAnalyzer().name(), "sentiment"); }

TEST(SentimentAnalyzerTest, FillsMessageChannelAndOverallSentiment) {
  SentimentAnalyzer analyzer;
  core::Conversation c = SupportCall();
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());

  // One per message with text, pointing at the right message.
  ASSERT_EQ(result.message_sentiments_size(), 4);
  EXPECT_EQ(result.message_sentiments(0).message_index(), 0);
  EXPECT_EQ(result.message_sentiments(1).message_index(), 1);
  EXPECT_EQ(result.message_sentiments(2).message_index(), 3);
  EXPECT_EQ(result.message_sentiments(3).message_index(), 4);
  EXPECT_LT(result.message_sentiments(0).sentiment().score(), -0.3f);
  EXPECT_GT(result.message_sentiments(3).sentiment().score(), 0.3f);

  // Each message's sentiment is the scorer's, explained by its contributions.
  SentimentScorer scorer;
  for (const auto& ms : result.message_sentiments()) {
    const std::string& text = c.messages(ms.message_index()).text();
    const bool agent = c.messages(ms.message_index()).participant_id() == "agent-1";
    EXPECT_EQ(ms.sentiment().score(), scorer.Score(text, nullptr, agent).score()) << text;
    EXPECT_EQ(ms.sentiment().magnitude(), scorer.Score(text, nullptr, agent).magnitude()) << text;
    float abs_sum = 0;
    for (const auto& contribution : ms.contributions()) abs_sum += std::fabs(contribution.valence());
    EXPECT_NEAR(abs_sum / kMagnitudeUnit, ms.sentiment().magnitude(), 1e-5) << text;
  }
  bool explains_terrible = false;
  for (const auto& contribution : result.message_sentiments(0).contributions()) {
    explains_terrible |= contribution.token() == "terrible" && contribution.valence() < 0;
  }
  EXPECT_TRUE(explains_terrible);

  // One aggregate per speaker, in order of first appearance, with the
  // participant's channel.
  ASSERT_EQ(result.channel_sentiments_size(), 2);
  const core::ChannelSentiment& customer = result.channel_sentiments(0);
  const core::ChannelSentiment& agent = result.channel_sentiments(1);
  EXPECT_EQ(customer.participant_id(), "customer-1");
  EXPECT_EQ(customer.channel(), 2);
  EXPECT_EQ(agent.participant_id(), "agent-1");
  EXPECT_EQ(agent.channel(), 1);
  float customer_magnitude =
      result.message_sentiments(0).sentiment().magnitude() + result.message_sentiments(3).sentiment().magnitude();
  EXPECT_NEAR(customer.sentiment().magnitude(), customer_magnitude, 1e-5);
  // The call-level score: the magnitude-weighted mean of the customer's two
  // messages, the last message of the call (4 of 0..4) weighing 1 + 2 = 3
  // times as much as the first.
  const core::Sentiment& first = result.message_sentiments(0).sentiment();
  const core::Sentiment& last = result.message_sentiments(3).sentiment();
  float end_weighted = first.score() * first.magnitude() + 3 * last.score() * last.magnitude();
  EXPECT_NEAR(customer.sentiment().score(), end_weighted / (first.magnitude() + 3 * last.magnitude()), 1e-5);

  float total = 0;
  for (const auto& ms : result.message_sentiments()) total += ms.sentiment().magnitude();
  ASSERT_TRUE(result.has_overall_sentiment());
  EXPECT_NEAR(result.overall_sentiment().magnitude(), total, 1e-4);
  EXPECT_GE(result.overall_sentiment().score(), -1.0f);
  EXPECT_LE(result.overall_sentiment().score(), 1.0f);
}

// Issue 14: chats have no audio channels; speakers get their role's channel
// (the conversation's call_channels, else agent 1 and customer 2).
TEST(SentimentAnalyzerTest, ChatSpeakersGetTheirRolesChannel) {
  core::Conversation c = SupportCall();
  for (core::Participant& p : *c.mutable_participants()) p.clear_channel();
  core::AnalysisResult result;
  ASSERT_TRUE(SentimentAnalyzer().Analyze(c, &result).ok());
  ASSERT_EQ(result.channel_sentiments_size(), 2);
  EXPECT_EQ(result.channel_sentiments(0).participant_id(), "customer-1");
  EXPECT_EQ(result.channel_sentiments(0).channel(), 2);
  EXPECT_EQ(result.channel_sentiments(1).channel(), 1);

  c.mutable_call_channels()->set_agent_channel(2);
  c.mutable_call_channels()->set_customer_channel(1);
  ASSERT_TRUE(SentimentAnalyzer().Analyze(c, &result).ok());
  EXPECT_EQ(result.channel_sentiments(0).channel(), 1);
  EXPECT_EQ(result.channel_sentiments(1).channel(), 2);
}

// The call-level score tells a call that ends in a complaint from one that
// starts with it, though both have the same messages.
TEST(SentimentAnalyzerTest, CallLevelScoreWeightsHowTheCustomerLeaves) {
  auto call = [](bool complaint_last) {
    core::Conversation c;
    core::Participant* agent = c.add_participants();
    agent->set_id("a");
    agent->set_role(core::HUMAN_AGENT);
    core::Participant* customer = c.add_participants();
    customer->set_id("c");
    customer->set_role(core::END_USER);
    const char* complaint = "this is terrible, I was charged twice and nobody helps";
    const char* thanks = "thank you, that is great";
    const char* lines[][2] = {{"c", complaint_last ? thanks : complaint},
                              {"a", "let me look at that"},
                              {"c", "ok"},
                              {"a", "I have refunded the second charge"},
                              {"c", complaint_last ? complaint : thanks}};
    for (const auto& line : lines) {
      core::Message* m = c.add_messages();
      m->set_participant_id(line[0]);
      m->set_text(line[1]);
    }
    core::AnalysisResult result;
    EXPECT_TRUE(SentimentAnalyzer().Analyze(c, &result).ok());
    return result.channel_sentiments(0);
  };
  const core::ChannelSentiment happy_end = call(false);
  const core::ChannelSentiment angry_end = call(true);
  EXPECT_NEAR(happy_end.sentiment().magnitude(), angry_end.sentiment().magnitude(), 1e-5);  // same messages
  EXPECT_GT(happy_end.sentiment().score(), 0);
  EXPECT_LT(angry_end.sentiment().score(), 0);
}

TEST(SentimentAnalyzerTest, AgentApologiesArePolitenessCustomersAreNot) {
  core::Conversation c = SupportCall();
  core::AnalysisResult r;
  ASSERT_TRUE(SentimentAnalyzer().Analyze(c, &r).ok());
  // "I'm so sorry about that. Let me check your line." from the agent.
  ASSERT_EQ(r.message_sentiments(1).message_index(), 1);
  EXPECT_GE(r.message_sentiments(1).sentiment().score(), 0);
  // The same words from the customer are regret.
  c.mutable_messages(1)->set_participant_id("customer-1");
  core::AnalysisResult as_customer;
  ASSERT_TRUE(SentimentAnalyzer().Analyze(c, &as_customer).ok());
  EXPECT_LT(as_customer.message_sentiments(1).sentiment().score(), 0);
}

TEST(SentimentAnalyzerTest, EmptyConversationHasNoFindings) {
  SentimentAnalyzer analyzer;
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(core::Conversation(), &result).ok());
  EXPECT_EQ(result.message_sentiments_size(), 0);
  EXPECT_EQ(result.channel_sentiments_size(), 0);
  EXPECT_FALSE(result.has_overall_sentiment());
}

TEST(SentimentAnalyzerTest, GroupsByChannelWithoutParticipantsAndSkipsDeleted) {
  core::Conversation c;
  auto add = [&](int channel, const char* text, core::MessageState state = core::MESSAGE_ACTIVE) {
    core::Message* m = c.add_messages();
    m->set_channel(channel);
    m->set_text(text);
    m->set_state(state);
  };
  add(1, "Thank you for calling, how can I help?");
  add(2, "This is the worst service ever.");
  add(2, "I hate this awful company", core::MESSAGE_DELETED);
  add(1, "I understand, I'm sorry.");
  add(2, "Fine.");

  SentimentAnalyzer analyzer(/*explain=*/false);
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());
  ASSERT_EQ(result.message_sentiments_size(), 4);
  for (const auto& ms : result.message_sentiments()) {
    EXPECT_NE(ms.message_index(), 2);
    EXPECT_EQ(ms.contributions_size(), 0);  // explain off
  }
  ASSERT_EQ(result.channel_sentiments_size(), 2);
  EXPECT_EQ(result.channel_sentiments(0).channel(), 1);
  EXPECT_EQ(result.channel_sentiments(0).participant_id(), "");
  EXPECT_EQ(result.channel_sentiments(1).channel(), 2);
  EXPECT_LT(result.channel_sentiments(1).sentiment().score(), 0);
}

TEST(SentimentAnalyzerTest, ReplacesEarlierSentimentAndKeepsOtherFindings) {
  SentimentAnalyzer analyzer;
  core::AnalysisResult result;
  result.add_message_sentiments()->set_message_index(99);
  result.add_channel_sentiments()->set_channel(99);
  result.set_summary("kept");
  core::Conversation c = SupportCall();
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());
  EXPECT_EQ(result.message_sentiments_size(), 4);
  EXPECT_EQ(result.channel_sentiments_size(), 2);
  EXPECT_EQ(result.summary(), "kept");

  core::AnalysisResult again;
  ASSERT_TRUE(analyzer.Analyze(c, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), [&] {
    core::AnalysisResult r = result;
    r.clear_summary();
    return r.SerializeAsString();
  }());
}

}  // namespace
}  // namespace parley::analysis
