#include "analysis/deadline.h"
#include "analysis/intents/intent_analyzer.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "analysis/intents/small_talk.h"

namespace parley::analysis::intents {

IntentAnalyzer::IntentAnalyzer(std::shared_ptr<const IntentModel> model, float threshold)
    : model_(std::move(model)), threshold_(threshold) {}

absl::Status IntentAnalyzer::Analyze(const core::Conversation& conversation,
                                     core::AnalysisResult* result) const {
  absl::flat_hash_set<std::string> customers;
  for (const core::Participant& p : conversation.participants()) {
    if (p.role() == core::END_USER) customers.insert(p.id());
  }
  for (int i = 0; i < conversation.messages_size(); ++i) {
    if (absl::Status s = CheckDeadline(); !s.ok()) return s;  // analysis/deadline.h
    const core::Message& m = conversation.messages(i);
    if (m.state() == core::MESSAGE_DELETED || m.text().empty()) continue;
    if (!customers.empty() && !customers.contains(m.participant_id())) continue;
    if (IsSmallTalk(m.text())) continue;  // greetings and thanks name no intent
    Prediction p = model_->Top(m.text(), threshold_);
    if (p.label.empty()) continue;
    core::IntentMatch* match = result->add_intents();
    match->set_intent_id(p.label);
    match->set_display_name(p.label);
    match->set_message_index(i);
    match->set_confidence(p.confidence);
  }
  return absl::OkStatus();
}

}  // namespace parley::analysis::intents
