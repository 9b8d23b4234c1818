// core::Analysis -> Insights v1 Analysis (callAnalysisMetadata, annotations).
#pragma once

#include "insights_v1/insights.pb.h"
#include <string>

#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::insights_v1 {

// Renders `analysis` of `conversation` the way Insights reports it:
// conversation-level sentiment per channel, entities, intents and phrase
// matchers keyed by id, silence, and one CallAnnotation per finding with
// transcript/word boundaries.
void AnalysisToWire(const core::Analysis& analysis, const core::Conversation& conversation,
                    Analysis* out);

// The summary of `analysis` as Insights' Conversation.latestSummary (false
// when the analysis has none).
bool SummaryToWire(const core::Analysis& analysis, const core::Conversation& conversation,
                   ConversationSummarizationSuggestionData* out);

// Insights' AnnotatorSelector <-> the core selection. An absent selector
// runs every annotator.
core::AnalyzerSelection SelectionFromWire(const AnnotatorSelector* selector);
void SelectionToWire(const core::AnalyzerSelection& selection, const std::string& parent,
                     AnnotatorSelector* out);



}  // namespace parley::insights_v1
