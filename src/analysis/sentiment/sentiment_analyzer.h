// SentimentAnalyzer: the "sentiment" step of the analysis pipeline.
//
// Scores every message with SentimentScorer and adds to the result:
//   - message_sentiments: one per message with text, in message order, with
//     the contributions that explain its score;
//   - channel_sentiments: one per speaker (the message's participant, or its
//     channel when it names none), in order of first appearance, with the
//     speaker's channel by core::SpeakerChannel (chats: by role);
//   - overall_sentiment: the whole conversation.
// Aggregates add up the magnitudes of their messages; their score is a
// magnitude-weighted mean of the messages' scores, so "ok", "account 1234"
// and other neutral lines do not dilute it. A speaker's call-level score
// (ChannelSentiment.sentiment) also weights each message by 1 + 2 x its
// position in the conversation (0 first, 1 last): how the customer leaves
// the call counts three times as much as how they opened it (a complaint
// that ends the call is not hidden by an earlier "thank you", and a
// complaint that was resolved weighs less than the thanks that closed it).
// Deleted messages are skipped.
#pragma once

#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/sentiment/sentiment_scorer.h"

namespace parley::analysis {

class SentimentAnalyzer : public Analyzer {
 public:
  // With `explain`, each MessageSentiment lists its contributions.
  explicit SentimentAnalyzer(bool explain = true, const Lexicon& lexicon = Lexicon::Default());

  std::string_view name() const override { return "sentiment"; }

  // Replaces any sentiment findings already in `result`; leaves its other
  // fields alone. Always OK.
  absl::Status Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const override;

 private:
  SentimentScorer scorer_;
  bool explain_;
};

}  // namespace parley::analysis
