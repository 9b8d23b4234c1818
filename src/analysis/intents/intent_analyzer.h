// IntentAnalyzer: names the intent of each thing the customer says.
#pragma once

#include <memory>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/intents/intent_model.h"

namespace parley::analysis::intents {

// The default `threshold`: chosen on CLINC150 (a model trained on 80 % of
// `train`, the rejection threshold that maximises the mean of in-scope
// accuracy and out-of-scope recall on the other 20 % and half of `oos_train`);
// measured on `val` + `oos_val` in docs/quality/intents.md.
inline constexpr float kDefaultIntentThreshold = 0.54f;

// Adds one core::IntentMatch (intent_id and display_name = the model's
// label, message_index, confidence) for every customer message whose most
// likely intent has confidence >= `threshold`; messages below it are
// out of scope and get no match, and so is small talk (IsSmallTalk:
// greetings, thanks, goodbyes, acknowledgements), whatever the model says.
//
// Customer messages are those of END_USER participants. Agents' messages are
// left out: "how can I help you with your card?" is not a customer intent.
// When no participant of the conversation is an END_USER (roles unknown, as
// in a plain imported transcript), every message is classified. Deleted
// messages and messages without text are skipped.
class IntentAnalyzer : public Analyzer {
 public:
  IntentAnalyzer(std::shared_ptr<const IntentModel> model, float threshold);

  std::string_view name() const override { return "intents"; }

  // Thread-safe; never fails for a well-formed conversation.
  absl::Status Analyze(const core::Conversation& conversation,
                       core::AnalysisResult* result) const override;

 private:
  std::shared_ptr<const IntentModel> model_;
  float threshold_;
};

}  // namespace parley::analysis::intents
