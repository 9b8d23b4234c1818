#include "analysis/phrases/phrase_analyzer.h"

#include <utility>

namespace parley::analysis::phrases {

PhraseAnalyzer::PhraseAnalyzer(std::shared_ptr<const PhraseMatcherSet> set)
    : provider_([set = std::move(set)](const core::Conversation&) { return set; }) {}

PhraseAnalyzer::PhraseAnalyzer(SetProvider provider) : provider_(std::move(provider)) {}

absl::Status PhraseAnalyzer::Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const {
  if (result == nullptr) return absl::InvalidArgumentError("no analysis result to add phrase matches to");
  const std::shared_ptr<const PhraseMatcherSet> set = provider_ ? provider_(conversation) : nullptr;
  if (set != nullptr) set->Match(conversation, result);
  return absl::OkStatus();
}

}  // namespace parley::analysis::phrases
