// A tiny three-intent data set for the intent tests, plus held-out
// paraphrases that share vocabulary with, but do not repeat, the examples.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/intents/intent_model.h"

namespace parley::analysis::intents::testing {

inline std::vector<Example> SyntheticExamples() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> by_label = {
      {"check_balance",
       {"what is my account balance", "how much money do i have", "show me my balance",
        "check my balance please", "how much is left in my account",
        "what's the balance on my checking account", "tell me my current balance",
        "i want to know my balance", "balance inquiry", "how much money is in my savings",
        "can you check how much money i have", "what is the remaining balance"}},
      {"block_card",
       {"i lost my card", "please block my card", "my card was stolen", "freeze my credit card",
        "someone stole my wallet with my card", "i need to cancel my lost card",
        "block my debit card now", "my card is missing", "deactivate my stolen card",
        "i can't find my card anywhere", "lock my card", "report a lost card"}},
      {"opening_hours",
       {"what time do you open", "when are you open", "what are your opening hours",
        "are you open on sunday", "when does the branch close",
        "what time does the bank close today", "opening times please",
        "is the branch open on saturday", "hours of the branch", "when do you close",
        "are you open tomorrow morning", "what are the business hours"}},
  };
  std::vector<Example> out;
  for (const auto& [label, texts] : by_label) {
    for (const std::string& text : texts) out.push_back(Example{text, label});
  }
  return out;
}

inline std::vector<Example> HeldOutParaphrases() {
  return {
      {"How much money is in my checking account?", "check_balance"},
      {"show my current account balance", "check_balance"},
      {"My credit card got stolen!", "block_card"},
      {"I lost my debit card, please block it", "block_card"},
      {"What time does the branch open on Sunday?", "opening_hours"},
      {"are you open today", "opening_hours"},
  };
}

}  // namespace parley::analysis::intents::testing
