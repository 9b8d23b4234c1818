// AnalysisService helpers: sampling and annotator selection.
#include "service/analysis_service.h"

#include <string>

#include "gtest/gtest.h"

namespace parley::service {
namespace {

TEST(InSampleTest, IsStableAndNearTheAskedPercentage) {
  int in = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string id = "conv-" + std::to_string(i);
    bool a = InSample(id, 25);
    EXPECT_EQ(a, InSample(id, 25));  // stable
    if (a) {
      ++in;
      EXPECT_TRUE(InSample(id, 50));  // a larger sample contains a smaller one
    }
  }
  EXPECT_NEAR(in / 20000.0, 0.25, 0.02);
  EXPECT_TRUE(InSample("x", 100));
  EXPECT_FALSE(InSample("x", 0));
}

core::AnalysisResult FullResult() {
  core::AnalysisResult r;
  r.add_message_sentiments()->set_message_index(0);
  r.add_channel_sentiments()->set_channel(1);
  r.mutable_overall_sentiment()->set_score(0.5f);
  r.add_entities()->set_id("e1");
  r.add_intents()->set_intent_id("i1");
  r.add_pii()->set_info_type("EMAIL_ADDRESS");
  r.add_phrase_matches()->set_matcher_id("m1");
  r.add_phrase_matches()->set_matcher_id("m2");
  r.add_silences()->set_duration_us(6'000'000);
  r.set_silence_duration_us(6'000'000);
  r.add_interruptions()->set_duration_us(1);
  r.add_holds()->set_duration_us(1);
  r.set_summary("s");
  r.add_topics()->set_text("refund");
  return r;
}

TEST(ApplySelectionTest, AllKeepsEverything) {
  core::AnalyzerSelection all;
  all.set_all(true);
  core::AnalysisResult r = FullResult();
  ApplySelection(all, &r);
  EXPECT_EQ(r.SerializeAsString(), FullResult().SerializeAsString());
}

TEST(ApplySelectionTest, KeepsOnlyTheSelectedAnalyzers) {
  core::AnalyzerSelection s;
  s.set_sentiment(true);
  s.set_phrase_matchers(true);
  s.add_phrase_matcher_ids("m2");
  core::AnalysisResult r = FullResult();
  ApplySelection(s, &r);
  EXPECT_EQ(r.message_sentiments_size(), 1);
  EXPECT_EQ(r.channel_sentiments_size(), 1);
  EXPECT_EQ(r.entities_size(), 0);
  EXPECT_EQ(r.intents_size(), 0);
  EXPECT_EQ(r.pii_size(), 0);
  ASSERT_EQ(r.phrase_matches_size(), 1);
  EXPECT_EQ(r.phrase_matches(0).matcher_id(), "m2");
  EXPECT_EQ(r.silences_size(), 0);
  EXPECT_EQ(r.silence_duration_us(), 0);
  EXPECT_EQ(r.interruptions_size(), 0);
  EXPECT_EQ(r.summary(), "");
  EXPECT_EQ(r.topics_size(), 0);
}

}  // namespace
}  // namespace parley::service
