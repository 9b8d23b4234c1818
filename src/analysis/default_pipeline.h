// The analysis pipeline Parley runs, the same for the server and the CLI.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "analysis/phrases/phrase_matcher.h"
#include "analysis/pipeline.h"

namespace parley::analysis {

struct PipelineOptions {
  bool explain_sentiment = true;  // keep per-word contributions
  // Phrase matchers to run; null or empty: none.
  std::shared_ptr<const phrases::PhraseMatcherSet> phrase_matchers;
};

// Sentiment, timing (silence, overtalk, hold), PII, entities, phrase
// matching, and summary and topics, in that order.
absl::StatusOr<std::unique_ptr<Pipeline>> BuildPipeline(const PipelineOptions& options);

}  // namespace parley::analysis
