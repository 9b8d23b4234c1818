// SummaryAnalyzer: the "summary" step of the analysis pipeline, an
// extractive summary of the conversation and its key phrases (topics).
//
// The text is cut into sentences once (ConversationText); Summarize picks
// the summary's sentences and ExtractKeyPhrases the topics. Adds to the
// result:
//   - summary_sentences: the chosen sentences, in conversation order, with
//     their byte spans (past a leading "Well, ", "Oh, ") and, when the conversation has customer and agent
//     roles, the section each tells (situation, action, resolution);
//   - summary_message_indices: the messages holding them, ascending;
//   - summary: one line per message holding chosen sentences, prefixed with
//     the speaker's role when known ("Customer: …", "Agent: …",
//     "Virtual agent: …"), else with the participant's speaker label
//     (Participant.role_name: "Maria: …") when the transcript gives one;
//   - topics: up to 8 key phrases, best first, the best scoring 1.
// An empty conversation, or one of small talk only, gets an empty summary
// and no topics. Deleted messages are skipped.
#pragma once

#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/summary/keyphrases.h"
#include "analysis/summary/summarizer.h"

namespace parley::analysis {

class SummaryAnalyzer final : public Analyzer {
 public:
  explicit SummaryAnalyzer(summary::SummaryOptions summary_options = {},
                           summary::KeyPhraseOptions topic_options = {})
      : summary_options_(summary_options), topic_options_(topic_options) {}

  std::string_view name() const override { return "summary"; }

  // Replaces any summary and topics already in `result`; leaves its other
  // fields alone. Always OK.
  absl::Status Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const override;

 private:
  summary::SummaryOptions summary_options_;
  summary::KeyPhraseOptions topic_options_;
};

}  // namespace parley::analysis
