// The local generative engine: Insights and answers to questions built on
// the analysis pipeline (extractive summary, entities, topics, sentiment,
// timing), without a network. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "genai/insights.h"
#include "parley/analysis.pb.h"
#include "parley/conversation.pb.h"

namespace parley::genai {

// The pipeline's result for `conversation` (sentiment, timing, entities,
// summary, topics; no intents or phrase matchers).
absl::StatusOr<core::AnalysisResult> AnalyzeForGenAi(const core::Conversation& conversation);

// Everything, from the conversation and its analysis.
Insights LocalInsights(const core::Conversation& conversation, const core::AnalysisResult& analysis);

// An extractive answer: the conversation's sentences that share the most
// content words (stemmed) with `question`, speaker named; when none does,
// a sentence saying the conversation does not tell.
std::string LocalAnswer(const core::Conversation& conversation, std::string_view question);

// Helpers the engine and its callers share.
bool IsAgentMessage(const core::Conversation& conversation, const core::Message& message);
// "Agent: text\nCustomer: text\n..." (the prompt form of a transcript).
std::string TranscriptText(const core::Conversation& conversation);

}  // namespace parley::genai
