// Generative insights about a stored conversation (ElevateAI gen-ai, and the
// Insights and Dialogflow summaries through Summarize): the
// local engine by default (genai/local_engine.h), an OpenAI-compatible server
// when one is configured (genai/llm_client.h), with the local answer as
// fallback when the server fails — except on a timeout, which is reported
// (DEADLINE_EXCEEDED) so the caller may retry. At most N requests at once
// per tenant (RESOURCE_EXHAUSTED beyond). Questions asked of a conversation
// are kept on it (Conversation.qa_history), failed ones too, with limits.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "genai/insights.h"
#include "genai/llm_client.h"
#include "service/virtual_agent_service.h"
#include "parley/analysis.pb.h"
#include "parley/conversation.pb.h"

namespace parley::service {

class ConversationService;

struct GenAiLimits {
  int max_concurrent_per_tenant = 10;
  size_t max_question_chars = 250;
  int max_answered_questions = 5;  // per conversation and variant
  int max_failed_questions = 5;
};

class GenAiService {
 public:
  // `conversations` must outlive the service; `llm` may be null (local only).
  GenAiService(ConversationService* conversations, std::unique_ptr<genai::LlmClient> llm,
               GenAiLimits limits = {});

  // The insights of `kind` about `conversation`. RESOURCE_EXHAUSTED when the
  // tenant has max_concurrent_per_tenant requests running; DEADLINE_EXCEEDED
  // when the LLM timed out; INVALID_ARGUMENT when the conversation has no
  // messages to work on.
  absl::StatusOr<genai::Insights> Generate(const core::Conversation& conversation, genai::Kind kind);

  // Asks `question` of (tenant, scope, id) through `variant` ("cx" or "").
  // The exchange is stored on the conversation whether it succeeds or not.
  // INVALID_ARGUMENT (stored, counts as failed) when the question is empty
  // or longer than max_question_chars; FAILED_PRECONDITION (not stored) once
  // max_answered_questions succeeded or max_failed_questions failed;
  // RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED as Generate (stored as failed).
  // NOT_FOUND when the conversation is absent.
  absl::StatusOr<core::QaExchange> Ask(std::string_view tenant, std::string_view scope, std::string_view id,
                                       std::string_view question, std::string_view variant);

  // The Insights analysis summary and the Dialogflow conversation summary,
  // over the local extractive one already in `*result`: with an LLM, its
  // summary replaces result->summary (summary_sentences and
  // summary_message_indices, which locate extractive sentences, cleared;
  // summary_model = "llm:MODEL"). Without an LLM, or when it fails or times
  // out, `*result` is left as it is: a summary never fails for the LLM's
  // sake. Not counted against the per-tenant cap (which is ElevateAI's).
  // Blocking up to the LLM's timeout and retries: call it from a job or a
  // blocking-pool handler. Thread-safe.
  void Summarize(const core::Conversation& conversation, core::AnalysisResult* result) const;

  // The virtual agent's generated replies (VirtualAgentService::
  // SetReplyGenerator; CES runSession) from the same LLM: the app's
  // instruction as the system prompt, the local agent's reply offered as
  // grounding, the end user's text as the user message. When the LLM fails
  // or times out the local reply stands (the turn is not failed). Null
  // without an LLM (the local agent answers alone).
  ReplyGenerator AgentReplyGenerator() const;

  bool has_llm() const { return llm_ != nullptr; }
  const genai::LlmClient* llm() const { return llm_.get(); }

 private:
  // A slot of the tenant's concurrency budget, released on destruction.
  class Slot;
  absl::StatusOr<std::unique_ptr<Slot>> Acquire(std::string_view tenant);
  absl::StatusOr<std::string> Answer(const core::Conversation& conversation, std::string_view question,
                                     std::string* backend);

  ConversationService* conversations_;
  std::unique_ptr<genai::LlmClient> llm_;
  GenAiLimits limits_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> running_ ABSL_GUARDED_BY(mu_);
};

}  // namespace parley::service
