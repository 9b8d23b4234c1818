#include "analysis/sentiment/sentiment_scorer.h"

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace parley::analysis {
namespace {

class SentimentScorerTest : public ::testing::Test {
 protected:
  float ScoreOf(std::string_view text) const { return scorer_.Score(text).score(); }
  float MagnitudeOf(std::string_view text) const { return scorer_.Score(text).magnitude(); }

  // The final valence the explanation gives `token`, or NaN if none.
  float ValenceOf(std::string_view text, std::string_view token) const {
    std::vector<core::SentimentContribution> c;
    scorer_.Score(text, &c);
    for (const auto& x : c) {
      if (x.token() == token) return x.valence();
    }
    return std::nanf("");
  }

  SentimentScorer scorer_;
};

TEST_F(SentimentScorerTest, EmptyAndNeutralTextScoreZero) {
  std::vector<core::SentimentContribution> c = {core::SentimentContribution()};
  core::Sentiment s = scorer_.Score("", &c);
  EXPECT_EQ(s.score(), 0);
  EXPECT_EQ(s.magnitude(), 0);
  EXPECT_TRUE(c.empty());  // cleared
  for (std::string_view text : {"   \n\t ", "...!?", "The package is on the truck.", "My account number is 1234."}) {
    s = scorer_.Score(text, &c);
    EXPECT_EQ(s.score(), 0) << text;
    EXPECT_EQ(s.magnitude(), 0) << text;
    EXPECT_TRUE(c.empty()) << text;
  }
}

TEST_F(SentimentScorerTest, PolarityOfPlainWords) {
  EXPECT_GT(ScoreOf("The agent was helpful."), 0.2f);
  EXPECT_LT(ScoreOf("The agent was rude."), -0.2f);
  EXPECT_GT(ScoreOf("I love this phone"), ScoreOf("I like this phone"));
}

TEST_F(SentimentScorerTest, NegationFlips) {
  EXPECT_GT(ScoreOf("The food is good."), 0);
  for (std::string_view text : {"The food is not good.", "The food isn't good.", "The food is n't good .",
                                "The food isn’t good.", "The food is never good.", "The food is not very good.",
                                "This is the least helpful answer."}) {
    EXPECT_LT(ScoreOf(text), 0) << text;
  }
  EXPECT_GT(ScoreOf("The food is not bad."), 0);
  EXPECT_GT(ScoreOf("It arrived without any problems."), 0);
  EXPECT_GT(ScoreOf("We never had the slightest problem."), 0);  // four words back
  // Negation stays within its clause.
  EXPECT_GT(ScoreOf("I did not call, and it was great."), 0);
  // One negation multiplies by -0.74 (VADER's scalar).
  EXPECT_NEAR(ValenceOf("not good", "good"), -0.74f * ValenceOf("good", "good"), 1e-5);
  // "at least" is not a negation.
  EXPECT_GT(ScoreOf("At least the agent was helpful."), 0);
}

// Issue 14: negation scope in chats and in speech-recognition text (lower
// case, no punctuation), where the scope must end at clause cues.
TEST_F(SentimentScorerTest, NegationScopeInSpeechAndChat) {
  for (std::string_view text : {"not bad", "it was not bad at all", "never had a problem with them",
                                "no issues", "no issues at all", "we had no problems", "i can't complain"}) {
    EXPECT_GT(ScoreOf(text), 0) << text;
  }
  for (std::string_view text : {"i'm not happy at all", "i don't think it's great",
                                "i don't think the new plan is great", "not helpful",
                                "I don't feel they were very helpful."}) {
    EXPECT_LT(ScoreOf(text), 0) << text;
  }
  // "at all" makes a negation stronger.
  EXPECT_LT(ScoreOf("i'm not happy at all"), ScoreOf("i'm not happy"));
  // A negated negative word is weaker praise than the plain positive one.
  EXPECT_LT(ScoreOf("not bad"), ScoreOf("good"));
  // The scope ends at a clause cue or a new subject, without punctuation.
  for (std::string_view text : {"that was not the issue and the agent was great",
                                "i did not call them it's great", "no that's fine thanks so much",
                                "it didn't load thanks it works great now"}) {
    EXPECT_GT(ScoreOf(text), 0) << text;
  }
  // Without a raising verb the subject ends the scope; with one it does not.
  EXPECT_GT(ScoreOf("i don't know it's great"), 0);
  EXPECT_LT(ScoreOf("i don't believe it's great"), 0);
  // "issued" is not a form of "issue".
  EXPECT_EQ(ScoreOf("the card was not issued"), 0);
  // A sentence that disowns the one before it negates it.
  EXPECT_LT(ScoreOf("Everyone says the new app is funny and easy. I do not feel that way."), 0);
  EXPECT_LT(ScoreOf("They said it was great. I don't think so."), 0);
  EXPECT_GT(ScoreOf("They said it was great. I think so."), 0);
  EXPECT_GT(ScoreOf("It was awful. I don't think so."), 0);
}

TEST_F(SentimentScorerTest, AnswersBackchannelsAndOpenersAreNeutral) {
  // An answer or a backchannel says the speaker heard, not that they are
  // pleased; lower-case unpunctuated speech as well as chat.
  for (std::string_view text : {"okay", "Yeah.", "yes yes", "ok my account number is 1234", "uh huh yeah",
                                "okay i'm gonna put you on a short hold", "well i called yesterday",
                                "oh well", "yeah well the bill came today", "all right", "sure",
                                "good morning", "nice to meet you", "oh my god", "k"}) {
    EXPECT_EQ(ScoreOf(text), 0) << text;
  }
  // As a predicate they keep their sentiment, and negation flips it.
  for (std::string_view text : {"it's okay", "the dragons are okay", "that's alright", "it works well",
                                "it was well made", "it went well", "good"}) {
    EXPECT_GT(ScoreOf(text), 0) << text;
  }
  for (std::string_view text : {"that's not okay", "it is not ok", "this is not okay at all", "ow", "ouch that hurt",
                                "yes dull"}) {
    EXPECT_LT(ScoreOf(text), 0) << text;
  }
  // The sentiment around them is unchanged.
  EXPECT_EQ(ScoreOf("okay that's great"), ScoreOf("that's great"));
  EXPECT_EQ(ScoreOf("well this is terrible"), ScoreOf("this is terrible"));
}

TEST_F(SentimentScorerTest, WordsThatOnlyMatterWhenNegated) {
  EXPECT_EQ(ScoreOf("It works."), 0);
  EXPECT_LT(ScoreOf("It doesn't work."), 0);
  EXPECT_LT(ScoreOf("The disc won't play."), 0);
  EXPECT_EQ(ScoreOf("How can I help you today?"), 0);
  EXPECT_LT(ScoreOf("That did not help at all."), 0);
}

TEST_F(SentimentScorerTest, IntensifiersAndDampeners) {
  float good = ScoreOf("The service was good.");
  EXPECT_GT(ScoreOf("The service was very good."), good);
  EXPECT_GT(ScoreOf("The service was extremely good."), good);
  EXPECT_LT(ScoreOf("The service was kind of good."), good);
  EXPECT_LT(ScoreOf("The service was slightly good."), good);
  EXPECT_GT(ScoreOf("The service was kind of good."), 0);
  float bad = ScoreOf("The service was bad.");
  EXPECT_LT(ScoreOf("The service was very bad."), bad);
  EXPECT_GT(ScoreOf("The service was somewhat bad."), bad);
  // "pretty" modifies, it is not "pretty": "pretty bad" is worse than "bad".
  EXPECT_LT(ScoreOf("The service was pretty bad."), bad);
}

TEST_F(SentimentScorerTest, ButShiftsWeightToTheSecondClause) {
  EXPECT_LT(ScoreOf("The food was great, but the service was terrible."), 0);
  EXPECT_GT(ScoreOf("The service was terrible, but the food was great."), 0);
  std::string text = "The food was good but the service was bad.";
  EXPECT_NEAR(ValenceOf(text, "good"), 0.5f * ValenceOf("good", "good"), 1e-5);
  EXPECT_NEAR(ValenceOf(text, "bad"), 1.5f * ValenceOf("bad", "bad"), 1e-5);
  // A negation does not reach across "but".
  EXPECT_GT(ValenceOf("not cheap but good", "good"), 0);
  // A sentence that opens with "But" contrasts with the one before.
  EXPECT_LT(ScoreOf("The phone was great. But it broke after a week."), 0);
}

TEST_F(SentimentScorerTest, CapsAndExclamationsRaiseMagnitude) {
  core::Sentiment plain = scorer_.Score("The food is good.");
  core::Sentiment caps = scorer_.Score("The food is GOOD.");
  core::Sentiment bang = scorer_.Score("The food is good!!!");
  EXPECT_GT(caps.magnitude(), plain.magnitude());
  EXPECT_GT(caps.score(), plain.score());
  EXPECT_GT(bang.magnitude(), plain.magnitude());
  EXPECT_GT(bang.score(), plain.score());
  EXPECT_GT(MagnitudeOf("This is terrible!!!"), MagnitudeOf("This is terrible."));
  EXPECT_LT(ScoreOf("This is terrible!!!"), ScoreOf("This is terrible."));
  // Emphasis counts up to four "!".
  EXPECT_EQ(ScoreOf("good!!!!!!!!"), ScoreOf("good!!!!"));
  // When every word is in capitals, capitals are not emphasis.
  EXPECT_EQ(ScoreOf("THE FOOD IS GOOD"), ScoreOf("the food is good"));
  // "!" on a neutral sentence adds nothing.
  EXPECT_EQ(MagnitudeOf("The truck is here!!!"), 0);
  EXPECT_GT(MagnitudeOf("Is it broken??"), MagnitudeOf("Is it broken"));
}

TEST_F(SentimentScorerTest, EmoticonsAndEmoji) {
  EXPECT_GT(ScoreOf(":)"), 0);
  EXPECT_GT(ScoreOf("see you tomorrow :-)"), 0);
  EXPECT_LT(ScoreOf("see you tomorrow :("), 0);
  EXPECT_GT(ScoreOf("<3"), 0);
  EXPECT_GT(ScoreOf("see you tomorrow 😀"), 0);
  EXPECT_GT(ScoreOf("see you tomorrow 👍🏽"), 0);  // with a skin tone
  EXPECT_GT(ScoreOf("❤️"), 0);                    // with a variation selector
  EXPECT_LT(ScoreOf("my order is late 😡"), 0);
  EXPECT_LT(ScoreOf("late again😭"), 0);  // glued to the word
  EXPECT_FALSE(std::isnan(ValenceOf("late again😭", "😭")));
}

TEST_F(SentimentScorerTest, IdiomsAndPhrases) {
  EXPECT_LT(ScoreOf("What a waste of money."), -0.3f);
  EXPECT_GT(ScoreOf("I couldn't be happier with it."), 0.3f);  // not a negation
  EXPECT_LT(ScoreOf("It stopped working after a week."), 0);
  EXPECT_LT(ScoreOf("I can't stand this phone."), 0);
  EXPECT_GT(ScoreOf("This place is the bomb"), 0);
  EXPECT_LT(ScoreOf("yeah right"), 0);
  EXPECT_FALSE(std::isnan(ValenceOf("What a waste of money.", "waste of money")));
}

TEST_F(SentimentScorerTest, HypotheticalsAndLikeAsAPreposition) {
  EXPECT_EQ(ScoreOf("A longer cable would have been nice."), 0);
  EXPECT_EQ(ScoreOf("It looks like a phone."), 0);
  EXPECT_GT(ScoreOf("I like the phone."), 0);
  EXPECT_LT(ScoreOf("The screen is too small."), 0);
}

TEST_F(SentimentScorerTest, ContributionsExplainTheScore) {
  std::string text = "The agent was VERY helpful, but the wait was terrible!! :(";
  std::vector<core::SentimentContribution> c;
  core::Sentiment s = scorer_.Score(text, &c);
  ASSERT_GE(c.size(), 3u);
  float sum = 0, abs_sum = 0;
  for (const auto& x : c) {
    EXPECT_NE(x.valence(), 0) << x.token();
    sum += x.valence();
    abs_sum += std::fabs(x.valence());
  }
  EXPECT_NEAR(s.score(), sum / std::sqrt(sum * sum + kScoreAlpha), 1e-5);
  EXPECT_NEAR(s.magnitude(), abs_sum / kMagnitudeUnit, 1e-5);
  EXPECT_NEAR(scorer_.RawSum(text), sum, 1e-5);
  // Tokens in text order, as written; the "!!" emphasis after its sentence.
  EXPECT_EQ(c[0].token(), "helpful");
  EXPECT_GT(c[0].valence(), 0);
  EXPECT_EQ(c[1].token(), "terrible");
  EXPECT_LT(c[1].valence(), 0);
  bool has_emphasis = false, has_emoticon = false;
  for (const auto& x : c) {
    has_emphasis |= x.token() == "!!";
    has_emoticon |= x.token() == ":(";
  }
  EXPECT_TRUE(has_emphasis);
  EXPECT_TRUE(has_emoticon);
  // Capitals in the intensifier make "helpful" stronger than plain "very".
  EXPECT_GT(ValenceOf("The agent was VERY helpful, thanks", "helpful"),
            ValenceOf("The agent was very helpful, thanks", "helpful"));
}

TEST_F(SentimentScorerTest, ScoreIsBoundedAndMagnitudeGrowsWithLength) {
  std::string text;
  float last_magnitude = 0;
  for (int i = 0; i < 50; ++i) {
    text += "This is wonderful, I love it! ";
    core::Sentiment s = scorer_.Score(text);
    EXPECT_LE(s.score(), 1.0f);
    EXPECT_GT(s.score(), 0.8f);
    EXPECT_GT(s.magnitude(), last_magnitude);
    last_magnitude = s.magnitude();
  }
  EXPECT_GE(ScoreOf(std::string(1000, '!') + " awful " + std::string(5000, 'A')), -1.0f);
}

TEST_F(SentimentScorerTest, Deterministic) {
  const std::string text = "Honestly the new plan is NOT great, kind of disappointing :( but support was nice!";
  std::vector<core::SentimentContribution> a, b;
  core::Sentiment first = scorer_.Score(text, &a);
  for (int i = 0; i < 100; ++i) {
    core::Sentiment again = scorer_.Score(text, &b);
    ASSERT_EQ(again.score(), first.score());
    ASSERT_EQ(again.magnitude(), first.magnitude());
    ASSERT_EQ(a.size(), b.size());
  }
  SentimentScorer other;
  EXPECT_EQ(other.Score(text).score(), first.score());
}

TEST_F(SentimentScorerTest, ArbitraryBytesAreSafe) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    core::Sentiment r = scorer_.Score(s);
    ASSERT_GE(r.score(), -1.0f);
    ASSERT_LE(r.score(), 1.0f);
    ASSERT_GE(r.magnitude(), 0.0f);
  }
  // Truncated UTF-8 at the end, and "n't"/"'s" with nothing before them.
  EXPECT_EQ(ScoreOf("\xF0\x9F\x98"), 0);
  EXPECT_EQ(ScoreOf("n't 's"), 0);
}

TEST_F(SentimentScorerTest, ThreadSafe) {
  std::vector<std::string> texts;
  const char* parts[] = {"great", "not good", "terrible!!", "kind of ok", "I LOVE it", ":(", "😀", "but awful",
                         "waste of money", "never again", "it works", "doesn't work"};
  std::mt19937 rng(3);
  for (int i = 0; i < 400; ++i) {
    std::string t;
    for (int k = 0; k < 6; ++k) t += std::string(parts[rng() % 12]) + (k % 2 ? ". " : " ");
    texts.push_back(t);
  }
  std::vector<float> expected;
  for (const auto& t : texts) expected.push_back(scorer_.Score(t).score());

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::vector<core::SentimentContribution> c;
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          size_t k = (i + th * 97) % texts.size();
          if (scorer_.Score(texts[k], (round % 2) ? &c : nullptr).score() != expected[k]) ++mismatches[th];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int th = 0; th < 4; ++th) EXPECT_EQ(mismatches[th], 0) << "thread " << th;
}

TEST(LexiconTest, EmbedsVaderAndEmojiLexicons) {
  const Lexicon& lex = Lexicon::Default();
  EXPECT_GT(lex.size(), 7000u);
  ASSERT_NE(lex.Find("good"), nullptr);
  EXPECT_FLOAT_EQ(lex.Find("good")->valence, 1.9f);  // VADER's rating
  ASSERT_NE(lex.Find(":)"), nullptr);
  EXPECT_GT(lex.Find(":)")->valence, 0);
  ASSERT_NE(lex.Find("😀"), nullptr);
  EXPECT_GT(lex.Find("😀")->valence, 0);
  EXPECT_EQ(lex.Find("187"), nullptr);  // numeric slang dropped
  ASSERT_NE(lex.Find("not"), nullptr);
  EXPECT_TRUE(lex.Find("not")->flags & kNegator);
  EXPECT_GT(lex.Find("very")->booster, 0);
  EXPECT_LT(lex.Find("slightly")->booster, 0);
}

}  // namespace
}  // namespace parley::analysis

namespace parley::analysis {
namespace {

TEST(SentimentSarcasm, PraiseThatOpensAComplaintIsNegative) {
  SentimentScorer scorer;
  EXPECT_LT(scorer.Score("Great, another hour on hold. Just great.").score(), 0);
  EXPECT_LT(scorer.Score("Oh wonderful! The app crashed again.").score(), 0);
  EXPECT_LT(scorer.Score("Perfect, more fees.").score(), 0);
  // Sincere praise stays positive.
  EXPECT_GT(scorer.Score("It works just great!").score(), 0);
  EXPECT_GT(scorer.Score("Great, thank you so much!").score(), 0);
  EXPECT_GT(scorer.Score("Great service, another happy year.").score(), 0);
}

TEST(SentimentPoliteness, AnAgentsApologyIsNotNegative) {
  SentimentScorer scorer;
  const char* apology = "I'm so sorry for the inconvenience, I apologise.";
  EXPECT_LT(scorer.Score(apology).score(), 0);  // from anyone else: regret
  EXPECT_GE(scorer.Score(apology, nullptr, /*agent=*/true).score(), 0);
  // Other negative words of an agent still count.
  EXPECT_LT(scorer.Score("Sorry, your card was stolen and the payment failed.", nullptr, true).score(), 0);
}

}  // namespace
}  // namespace parley::analysis
