// What the generative engine says about a conversation, independent of any
// vendor's wire shape: the ElevateAI gen-ai endpoints render it, and the
// Insights, Dialogflow and CES summaries can (genai/local_engine.h makes it
// locally, genai/llm_client.h through an OpenAI-compatible server).
#pragma once

#include <string>
#include <vector>

namespace parley::genai {

// What is asked for (each vendor endpoint needs one of these).
enum class Kind {
  kSummary,        // summary
  kDetails,        // reasons, actions_taken, entities, is_resolved
  kActionItems,    // action_items (and actions_taken)
  kCoaching,       // coaching
  kTopics,         // topics
  kComposition,    // concerns
};

struct TypedValue {
  std::string type;   // lower case: "person", "price", "date", ...
  std::string value;
};

// One behaviour the agent showed or should have shown, measured.
struct CoachingNote {
  std::string behavior;        // "empathy", "hold", "silence", "interruptions", ...
  bool strength = false;       // true: done well; false: an opportunity
  std::string observation;     // what was measured ("2 holds, 95 s in total")
  std::string recommendation;  // what to do (empty for a strength)
};

// A concern the customer raised, what the agent did about it, and whether it
// was resolved (ElevateAI conversation-composition).
struct Concern {
  std::string concern;
  std::vector<std::string> actions;
  bool resolved = false;
};

struct Insights {
  std::string summary;
  std::vector<std::string> reasons;        // why the customer contacted
  std::vector<std::string> actions_taken;  // what the agent did (past)
  std::vector<TypedValue> entities;
  bool is_resolved = false;
  std::vector<std::string> action_items;  // commitments still to do
  std::vector<CoachingNote> coaching;
  std::vector<std::string> topics;
  std::vector<Concern> concerns;
  std::string backend = "local";  // "local" or "llm:<model>"
};

}  // namespace parley::genai
