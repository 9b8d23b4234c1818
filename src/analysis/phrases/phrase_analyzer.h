// PhraseAnalyzer: the phrase-matcher step of the analysis pipeline.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/phrases/phrase_matcher.h"

namespace parley::analysis::phrases {

// Adds the phrase matches of a compiled PhraseMatcherSet to an analysis (see
// PhraseMatcherSet::Match for what is added).
class PhraseAnalyzer : public Analyzer {
 public:
  // Chooses the matchers for a conversation (typically its tenant's current
  // set). May return null: no matchers, no findings. Must be thread-safe.
  using SetProvider =
      std::function<std::shared_ptr<const PhraseMatcherSet>(const core::Conversation& conversation)>;

  // Matches every conversation against `set` (null: no matchers).
  explicit PhraseAnalyzer(std::shared_ptr<const PhraseMatcherSet> set);
  // Matches each conversation against the set `provider` gives for it, so
  // tenants' matchers can change without rebuilding the pipeline.
  explicit PhraseAnalyzer(SetProvider provider);

  std::string_view name() const override { return "phrases"; }

  absl::Status Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const override;

 private:
  SetProvider provider_;
};

}  // namespace parley::analysis::phrases
