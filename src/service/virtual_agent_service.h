// VirtualAgentService: the one local virtual agent every dialect answers end
// users with — Dialogflow ES (analyzeContent in VIRTUAL_AGENT_STAGE, and its
// agent/intents routes) and CES (apps/*/sessions/*:runSession). One agent per
// (tenant, scope), the scope being the location: a CES app answers with the
// agent of its project and location, the same one Dialogflow's
// projects/P/locations/L/agent edits (docs/dialect-mapping.md).
//
// Intents are core::AgentIntent resources (proto/parley/virtual_agent.proto)
// stored through ResourceService under kind kAgentIntentKind, id the intent
// id, scope the location. Dialects map their wire intents to and from it and
// store them through `resources` themselves.
//
// A turn (Reply) runs, and measures, these steps:
//  1. intent detection: the intent model trained from the intents' training
//     phrases (analysis/intents, ADR 0006). A predicted intent answers when its
//     confidence reaches kIntentThreshold and the query shares a content term
//     (stemmed, function words dropped: analysis::knowledge::AppendTerms)
//     with that intent's training phrases — a softmax over a few intents is
//     confident about anything, so a query about something else goes to the
//     fallback. An agent with a single intent with phrases has no model: its
//     confidence is the share of the query's terms found in its phrases.
//  2. knowledge retrieval (ReplyOptions::knowledge): when no intent answered,
//     the best FAQ answer of the scope's knowledge bases (KnowledgeService)
//     answers if its confidence reaches kKnowledgeThreshold.
//  3. the fallback intent (is_fallback), when neither answered.
// Then the reply text is the answering intent's first text response, or the
// FAQ answer; a ReplyGenerator, when set, may replace it (the seam for an
// LLM backend).
//
// Models are kept in memory per (tenant, scope), never persisted: the first
// Reply after a restart trains one from the stored intents (milliseconds for
// tens of phrases). Train retrains explicitly, so intent edits take effect
// when a client trains (Dialogflow's agent:train), as in Dialogflow.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"
#include "parley/virtual_agent.pb.h"
#include "service/knowledge_service.h"

namespace parley::service {

class ConversationService;
class MessageService;
class ResourceService;

inline constexpr std::string_view kAgentIntentKind = "agent_intent";

// The lowest confidence a detected intent answers with. The model's
// confidences average a softmax and one-vs-all sigmoids (ADR 0006: useful
// thresholds ~0.3-0.5).
inline constexpr float kIntentThreshold = 0.3f;
// The lowest FAQ confidence (a calibrated probability, ADR 0014) answered.
inline constexpr float kKnowledgeThreshold = 0.5f;

// One step the agent ran for a turn, measured (wall clock, microseconds).
struct AgentStep {
  std::string name;  // "intent_detection", "knowledge_retrieval", "response", "generation"
  int64_t start_us = 0;
  int64_t end_us = 0;
  std::string attributes_json;  // a JSON object
};

// What the agent answered one end-user message with.
struct AgentReply {
  // The intent that answered (the fallback one included); empty id: none.
  std::string intent_id;
  // That intent, shared with the trained model (not copied per reply); null
  // when none answered.
  std::shared_ptr<const core::AgentIntent> intent;
  float confidence = 0;  // of the intent, or of the FAQ answer
  // The FAQ answer that answered, when knowledge did.
  std::optional<KnowledgeSearchResult> knowledge;
  std::string text;  // what the agent says; empty when nothing answered
  bool generated = false;  // text came from the ReplyGenerator
  bool live_agent_handoff = false;
  bool end_interaction = false;
  std::vector<AgentStep> steps;  // in the order run
};

struct ReplyOptions {
  bool knowledge = true;  // step 2
  // Whether a ReplyGenerator (when set) may replace the text: CES sessions
  // yes; Dialogflow ES answers with its intents' own fulfillment text.
  bool generate = true;
  // For a ReplyGenerator: the app's instruction (CES globalInstruction).
  std::string instruction;
};

// The seam for a generated reply (an OpenAI-compatible chat backend): given
// the instruction, the end user's text and the local agent's reply, returns
// the text to say instead, or nullopt to keep the local one. An error fails
// the turn (nothing is stored by the caller).
using ReplyGenerator = std::function<absl::StatusOr<std::optional<std::string>>(
    std::string_view instruction, std::string_view user_text, const AgentReply& local)>;

class VirtualAgentService {
 public:
  // All must outlive the service; `knowledge` may be null (no step 2),
  // `conversations` and `messages` too (then RunSessionTurn is not usable).
  VirtualAgentService(ResourceService* resources, KnowledgeService* knowledge,
                      ConversationService* conversations = nullptr, MessageService* messages = nullptr);
  ~VirtualAgentService();
  VirtualAgentService(const VirtualAgentService&) = delete;
  VirtualAgentService& operator=(const VirtualAgentService&) = delete;

  // Trains the model of (tenant, scope) from its stored intents and keeps it,
  // replacing the previous one; `stats` (may be null) gets the intents and
  // phrases trained on. INVALID_ARGUMENT when training fails.
  absl::Status Train(std::string_view tenant, std::string_view scope, core::AgentTrainJob* stats);

  // Answers `text` (training lazily when no model is kept). Stores nothing.
  absl::StatusOr<AgentReply> Reply(std::string_view tenant, std::string_view scope, std::string_view text,
                                   const ReplyOptions& options);

  // ---- sessions (CES runSession) ----

  // What a session turn records and returns.
  struct SessionTurn {
    int turn_index = 0;               // 1-based
    std::vector<core::Message> messages;  // the turn's, as stored
    AgentReply reply;
    core::Span root_span;  // the turn's trace, as stored
  };
  // Records one turn of a virtual-agent session in the conversation
  // (session.tenant, session.scope, session.id): the end user's message
  // `said` (role END_USER, participant "end-user"; its text is what the agent
  // answers), the agent's reply (role AUTOMATED_AGENT, participant
  // "virtual-agent"; none when nothing answered), and one Turn whose root
  // span "turn" has the reply's steps as children. On the first turn the
  // conversation is created from `session` (app, source, entry agent,
  // deployment, language...; medium CHAT, VIRTUAL_AGENT_STAGE, IN_PROGRESS);
  // later turns keep those. `check`, when set, sees an existing conversation
  // first and may refuse it (another app's). A reply from an intent with
  // end_interaction completes the conversation. FAILED_PRECONDITION when the
  // conversation is COMPLETED. Durable when returned; an error stores
  // nothing.
  absl::StatusOr<SessionTurn> RunSessionTurn(const core::Conversation& session, core::Message said,
                                             const ReplyOptions& options,
                                             const std::function<absl::Status(const core::Conversation&)>& check);

  // Set before the service is used (not synchronised with Reply).
  void SetReplyGenerator(ReplyGenerator generator) { generator_ = std::move(generator); }

  // Forgets every model (for tests).
  void Clear();

 private:
  struct Model;
  absl::StatusOr<std::shared_ptr<const Model>> ModelOf(std::string_view tenant, std::string_view scope);

  ResourceService* resources_;
  KnowledgeService* knowledge_;
  ConversationService* conversations_;
  MessageService* messages_;
  ReplyGenerator generator_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Model>> models_;  // tenant \x1f scope
};

}  // namespace parley::service
