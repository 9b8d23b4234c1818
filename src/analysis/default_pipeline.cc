#include "analysis/default_pipeline.h"

#include "analysis/entities/entity_analyzer.h"
#include "analysis/entities/entity_recognizer.h"
#include "analysis/intents/intent_analyzer.h"
#include "analysis/phrases/phrase_analyzer.h"
#include "analysis/pii/pii_analyzer.h"
#include "analysis/pii/pii_detector.h"
#include "analysis/sentiment/sentiment_analyzer.h"
#include "analysis/summary/summary_analyzer.h"
#include "analysis/timing/timing_analyzer.h"

namespace parley::analysis {

absl::StatusOr<std::unique_ptr<Pipeline>> BuildPipeline(const PipelineOptions& options) {
  auto pipeline = std::make_unique<Pipeline>();
  pipeline->Add(std::make_unique<SentimentAnalyzer>(options.explain_sentiment));
  pipeline->Add(std::make_unique<TimingAnalyzer>());
  // One detector serves every pipeline; it is immutable after construction.
  static const pii::PiiDetector* const detector = new pii::PiiDetector();
  pipeline->Add(std::make_unique<pii::PiiAnalyzer>(detector));
  // Likewise one recognizer (gazetteers loaded once).
  static const entities::EntityRecognizer* const recognizer = new entities::EntityRecognizer();
  pipeline->Add(std::make_unique<entities::EntitiesAnalyzer>(recognizer));
  if (options.intent_model) {
    pipeline->Add(std::make_unique<intents::IntentAnalyzer>(options.intent_model,
                                                            options.intent_threshold));
  }
  if (options.phrase_matchers && options.phrase_matchers->matcher_count() > 0) {
    pipeline->Add(std::make_unique<phrases::PhraseAnalyzer>(options.phrase_matchers));
  }
  pipeline->Add(std::make_unique<SummaryAnalyzer>());
  return pipeline;
}

}  // namespace parley::analysis
