#include "analysis/deadline.h"
#include "analysis/pii/pii_analyzer.h"

#include <string>

#include "analysis/pii/word_spans.h"

namespace parley::analysis::pii {

PiiAnalyzer::PiiAnalyzer(const PiiDetector* detector, InfoTypeSet types)
    : detector_(detector), types_(types) {}

absl::Status PiiAnalyzer::Analyze(const core::Conversation& conversation,
                                  core::AnalysisResult* result) const {
  for (int i = 0; i < conversation.messages_size(); ++i) {
    if (absl::Status s = CheckDeadline(); !s.ok()) return s;  // analysis/deadline.h
    const core::Message& message = conversation.messages(i);
    const std::string& text = message.text();
    for (const Finding& f : detector_->Find(text, types_, AskedBefore(conversation, i))) {
      core::PiiFinding* out = result->add_pii();
      out->set_info_type(std::string(FindingTypeName(f)));
      out->set_likelihood(f.likelihood);
      core::Mention* m = out->mutable_mention();
      m->set_message_index(i);
      m->set_start_byte(static_cast<int32_t>(f.start));
      m->set_end_byte(static_cast<int32_t>(f.end));
      m->set_text(text.substr(f.start, f.end - f.start));
      m->set_word_index(WordIndexAt(message, f.start));
    }
  }
  return absl::OkStatus();
}

}  // namespace parley::analysis::pii
