#include "service/genai_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "genai/llm_insights.h"
#include "genai/local_engine.h"
#include "service/conversation_service.h"

namespace parley::service {

class GenAiService::Slot {
 public:
  Slot(GenAiService* owner, std::string tenant) : owner_(owner), tenant_(std::move(tenant)) {}
  ~Slot() {
    absl::MutexLock lock(&owner_->mu_);
    if (--owner_->running_[tenant_] == 0) owner_->running_.erase(tenant_);
  }

 private:
  GenAiService* owner_;
  std::string tenant_;
};

GenAiService::GenAiService(ConversationService* conversations, std::unique_ptr<genai::LlmClient> llm,
                           GenAiLimits limits)
    : conversations_(conversations), llm_(std::move(llm)), limits_(limits) {}

absl::StatusOr<std::unique_ptr<GenAiService::Slot>> GenAiService::Acquire(std::string_view tenant) {
  absl::MutexLock lock(&mu_);
  int& n = running_[std::string(tenant)];
  if (n >= limits_.max_concurrent_per_tenant) {
    if (n == 0) running_.erase(std::string(tenant));
    return absl::ResourceExhaustedError(absl::StrCat("more than ", limits_.max_concurrent_per_tenant,
                                                     " generative AI requests at one time for this account"));
  }
  ++n;
  return std::make_unique<Slot>(this, std::string(tenant));
}

absl::StatusOr<genai::Insights> GenAiService::Generate(const core::Conversation& conversation, genai::Kind kind) {
  if (conversation.messages_size() == 0) {
    return absl::InvalidArgumentError("the interaction has no transcript to work on");
  }
  auto slot = Acquire(conversation.tenant());
  if (!slot.ok()) return slot.status();
  if (llm_ != nullptr) {
    auto generated = genai::LlmInsights(*llm_, conversation, kind);
    if (generated.ok()) return generated;
    if (absl::IsDeadlineExceeded(generated.status())) {
      return absl::DeadlineExceededError("the generative AI model did not respond in time");
    }
    // Any other failure: the local answer.
  }
  auto analysis = genai::AnalyzeForGenAi(conversation);
  if (!analysis.ok()) return analysis.status();
  return genai::LocalInsights(conversation, *analysis);
}

absl::StatusOr<std::string> GenAiService::Answer(const core::Conversation& conversation, std::string_view question,
                                                 std::string* backend) {
  if (llm_ != nullptr) {
    auto answer = genai::LlmAnswer(*llm_, conversation, question);
    if (answer.ok()) {
      *backend = "llm";
      return answer;
    }
    if (absl::IsDeadlineExceeded(answer.status())) {
      return absl::DeadlineExceededError("the generative AI model did not respond in time");
    }
  }
  *backend = "local";
  return genai::LocalAnswer(conversation, question);
}

absl::StatusOr<core::QaExchange> GenAiService::Ask(std::string_view tenant, std::string_view scope,
                                                   std::string_view id, std::string_view question,
                                                   std::string_view variant) {
  auto counts = [&](const core::Conversation& c, int* ok, int* failed) {
    *ok = *failed = 0;
    for (const auto& q : c.qa_history()) {
      if (q.variant() != variant) continue;
      (q.error_code() == 0 ? *ok : *failed) += 1;
    }
  };
  auto limit_error = [&](const core::Conversation& c) -> absl::Status {
    int ok, failed;
    counts(c, &ok, &failed);
    if (ok >= limits_.max_answered_questions) {
      return absl::FailedPreconditionError(absl::StrCat("the interaction already has ", limits_.max_answered_questions,
                                                        " answered questions"));
    }
    if (failed >= limits_.max_failed_questions) {
      return absl::FailedPreconditionError(absl::StrCat("the interaction already has ", limits_.max_failed_questions,
                                                        " failed questions"));
    }
    return absl::OkStatus();
  };
  auto conversation = conversations_->Get(tenant, scope, id);
  if (!conversation.ok()) return conversation.status();
  if (absl::Status s = limit_error(*conversation); !s.ok()) return s;

  core::QaExchange qa;
  qa.set_question(std::string(question));
  qa.set_variant(std::string(variant));
  qa.set_ask_time_us(core::NowMicros());
  absl::Status failure;
  const size_t chars = [&] {
    size_t n = 0;
    for (unsigned char ch : question) n += (ch & 0xC0) != 0x80;
    return n;
  }();
  if (question.empty() || chars > limits_.max_question_chars) {
    failure = absl::InvalidArgumentError(
        absl::StrCat("the question must have 1 to ", limits_.max_question_chars, " characters"));
  } else if (conversation->messages_size() == 0) {
    failure = absl::InvalidArgumentError("the interaction has no transcript to work on");
  } else {
    auto slot = Acquire(tenant);
    if (!slot.ok()) {
      failure = slot.status();
    } else {
      std::string backend;
      auto answer = Answer(*conversation, question, &backend);
      if (answer.ok()) {
        qa.set_answer(*answer);
        qa.set_backend(backend);
        if (llm_ != nullptr && backend == "llm") qa.set_model(llm_->options().model);
      } else {
        failure = answer.status();
      }
    }
  }
  qa.set_answer_time_us(core::NowMicros());
  if (!failure.ok()) {
    qa.set_error_code(static_cast<int32_t>(failure.code()));
    qa.set_error(std::string(failure.message()));
  }
  auto stored = conversations_->Update(tenant, scope, id, [&](core::Conversation& c) -> absl::Status {
    if (absl::Status s = limit_error(c); !s.ok()) return s;
    *c.add_qa_history() = qa;
    return absl::OkStatus();
  });
  if (!stored.ok()) return stored.status();
  if (!failure.ok()) return failure;
  return qa;
}

void GenAiService::Summarize(const core::Conversation& conversation, core::AnalysisResult* result) const {
  if (llm_ == nullptr || conversation.messages_size() == 0) return;
  auto generated = genai::LlmInsights(*llm_, conversation, genai::Kind::kSummary);
  if (!generated.ok()) return;  // the local summary stands
  std::string text(absl::StripAsciiWhitespace(generated->summary));
  if (text.empty()) return;
  result->set_summary(std::move(text));
  result->clear_summary_sentences();
  result->clear_summary_message_indices();
  result->set_summary_model(absl::StrCat("llm:", llm_->options().model));
}

ReplyGenerator GenAiService::AgentReplyGenerator() const {
  if (llm_ == nullptr) return nullptr;
  const genai::LlmClient* llm = llm_.get();
  return [llm](std::string_view instruction, std::string_view user_text,
               const AgentReply& local) -> absl::StatusOr<std::optional<std::string>> {
    std::string system =
        "You are a contact center's virtual agent. Answer the customer's last message in one to "
        "three short sentences, in the customer's language.";
    if (!instruction.empty()) absl::StrAppend(&system, "\n\nInstructions: ", std::string(instruction));
    if (!local.text.empty()) {
      absl::StrAppend(&system, "\n\nThe answer the knowledge base or intent gives (use it when it fits): ",
                      local.text);
    }
    auto text = llm->Complete(system, user_text);
    if (!text.ok()) return std::optional<std::string>();  // the local reply stands
    std::string trimmed(absl::StripAsciiWhitespace(*text));
    if (trimmed.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(trimmed));
  };
}

}  // namespace parley::service
