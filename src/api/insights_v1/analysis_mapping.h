// core::Analysis -> Insights v1 Analysis (callAnalysisMetadata, annotations).
#pragma once

#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"

namespace parley::insights_v1 {

// Renders `analysis` of `conversation` the way Insights reports it:
// conversation-level sentiment per channel, entities, intents and phrase
// matchers keyed by id, silence, and one CallAnnotation per finding with
// transcript/word boundaries.
void AnalysisToWire(const core::Analysis& analysis, const core::Conversation& conversation,
                    Analysis* out);

}  // namespace parley::insights_v1
