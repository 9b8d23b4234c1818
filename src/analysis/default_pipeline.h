// The analysis pipeline Parley runs, the same for the server and the CLI.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "analysis/intents/intent_analyzer.h"
#include "analysis/intents/intent_model.h"
#include "analysis/phrases/phrase_matcher.h"
#include "analysis/pipeline.h"

namespace parley::analysis {

struct PipelineOptions {
  bool explain_sentiment = true;  // keep per-word contributions
  // Phrase matchers to run; null or empty: none.
  std::shared_ptr<const phrases::PhraseMatcherSet> phrase_matchers;
  // The intent model to name customers' intents with; null: no intents.
  std::shared_ptr<const intents::IntentModel> intent_model;
  float intent_threshold = intents::kDefaultIntentThreshold;  // lower confidences are out of scope
};

// Sentiment, timing (silence, overtalk, hold), PII, entities, intents (with a
// model), phrase matching, and summary and topics, in that order.
absl::StatusOr<std::unique_ptr<Pipeline>> BuildPipeline(const PipelineOptions& options);

}  // namespace parley::analysis
