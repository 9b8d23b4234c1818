// PiiAnalyzer: the "pii" step of the analysis pipeline. Adds one
// core::PiiFinding per piece of personal data in each message's text.
#pragma once

#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/pii/pii_detector.h"

namespace parley::analysis::pii {

class PiiAnalyzer : public Analyzer {
 public:
  // `detector` must outlive the analyzer. Only `types` are reported.
  explicit PiiAnalyzer(const PiiDetector* detector, InfoTypeSet types = InfoTypeSet::All());

  std::string_view name() const override { return "pii"; }

  // Appends to result->pii, in message order then byte order: info_type, the
  // mention (message index, byte span in the message's text, the text
  // itself, the index of its first word) and the likelihood. Never fails.
  absl::Status Analyze(const core::Conversation& conversation,
                       core::AnalysisResult* result) const override;

 private:
  const PiiDetector* detector_;
  InfoTypeSet types_;
};

}  // namespace parley::analysis::pii
