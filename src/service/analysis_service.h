// Analysis as long-running work: one conversation (AnalyzeJob), a sample of
// many (BulkAnalyzeJob), and bulk deletion (BulkDeleteJob).
//
// AnalysisService runs the analysis pipeline (src/analysis) over stored
// conversations with the analyzers an AnalyzerSelection names and the
// tenant's phrase matchers (stored as resources of kind kPhraseMatcherKind).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "analysis/intents/intent_model.h"
#include "analysis/pipeline.h"
#include "service/conversation_service.h"
#include "jobs/job_queue.h"
#include "parley/operation.pb.h"
#include "store/store.h"

namespace parley::service {

using jobs::JobContext;
using jobs::JobQueue;

// A stored conversation's key within its tenant: (scope, id).
struct ConversationKey {
  std::string scope;
  std::string id;
  int64_t create_time_us = 0;
};

// Resource kind of stored phrase matchers (body: core::PhraseMatcher).
inline constexpr std::string_view kPhraseMatcherKind = "phrase_matcher";

struct AnalysisLimits {
  int max_messages = 5'000;                    // per analysed conversation
  size_t max_text_bytes = size_t{4} << 20;     // all messages' text together
  // Wall time one conversation's analysis may take (`--analysis-time-budget-ms`);
  // past it the analysis stops and fails with DEADLINE_EXCEEDED, storing
  // nothing. 0: no budget.
  int64_t time_budget_ms = 30'000;
};

class AnalysisService {
 public:
  // `store` and `conversations` must outlive the service.
  AnalysisService(store::Store* store, service::ConversationService* conversations,
                  AnalysisLimits limits = {});

  // INVALID_ARGUMENT naming the limit if `conversation` is too large to analyse.
  absl::Status CheckAnalyzable(const core::Conversation& conversation) const;

  // Analyses `conversation` (not stored): the selected analyzers with the
  // phrase matchers of its tenant and scope. The Analysis gets a new id and
  // the conversation's key (tenant, scope, conversation_id).
  // DEADLINE_EXCEEDED, naming the budget, when it runs past
  // limits.time_budget_ms: then there is no partial result.
  absl::StatusOr<core::Analysis> Analyze(const core::Conversation& conversation,
                                         const core::AnalyzerSelection& selection,
                                         int64_t request_time_us);

  // Sentiment of one piece of text with the pipeline's scorer, for analysis
  // of single messages as they arrive (Dialogflow analyzeContent's
  // messageAnalysisConfig.enableSentimentAnalysis). Thread-safe.
  static core::Sentiment TextSentiment(std::string_view text);

  // The extractive summary of `conversation` as the pipeline's summary step
  // makes it (summary, summary_sentences with their sections,
  // summary_message_indices, topics); nothing is stored (Dialogflow
  // suggestConversationSummary). Thread-safe.
  static core::AnalysisResult Summarize(const core::Conversation& conversation);

  // Attaches an intent model to `tenant` (empty: to every tenant without one
  // of its own), so that its analyses report intents. Before the service is used.
  void SetIntentModel(std::string tenant, std::shared_ptr<const analysis::intents::IntentModel> model,
                      float threshold);

  // Phrase matchers of `tenant` changed: the next analysis compiles them again.
  void PhraseMatchersChanged(std::string_view tenant);

  // Registers the runners of AnalyzeJob, BulkAnalyzeJob and BulkDeleteJob,
  // and starts analyses on `queue` from then on (StartAnalysis).
  void RegisterRunners(JobQueue* queue);

  // Writes the summary of every analysis that asks for one, over the local
  // extractive summary already in the result (GenAiService::Summarize, when
  // an LLM is configured). Called on the job's worker. Before the queue
  // starts; `writer` must be thread-safe.
  using SummaryWriter = std::function<void(const core::Conversation&, core::AnalysisResult*)>;
  void SetSummaryWriter(SummaryWriter writer) { summary_writer_ = std::move(writer); }

  // Starts analysing the conversation (tenant, scope, id) with `selection`:
  // NOT_FOUND when absent, INVALID_ARGUMENT when too large to analyse (the
  // limits), else the AnalyzeJob operation is stored (pending) and queued.
  // Returns it. Needs RegisterRunners first.
  absl::StatusOr<core::Operation> StartAnalysis(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id,
      const core::AnalyzerSelection& selection);

  // The AnalyzeJob operation of `conversation` (not stored; no id): what
  // StartAnalysis submits, for callers that must name it before submitting.
  static core::Operation AnalyzeOperation(const core::Conversation& conversation,
                                          const core::AnalyzerSelection& selection);

  // ---- stored analyses ----
  // An analysis with the conversation it belongs to (which its wire forms name).
  struct Found {
    core::Conversation conversation;
    core::Analysis analysis;
  };
  // NOT_FOUND when the conversation (tenant, scope, id) or the analysis is absent.
  absl::StatusOr<Found> GetAnalysis(std::string_view tenant, std::string_view scope,
                                    std::string_view conversation_id, std::string_view analysis_id);

  struct AnalysisPage {
    core::Conversation conversation;
    std::vector<core::Analysis> analyses;  // newest first
    std::string next_page_token;           // empty on the last page
  };
  // `page_size` must already be clamped; `page_token` from an earlier page.
  // `take`, when given, sees each analysis in page order; when it returns
  // false the page ends before that analysis (the first is always kept) and
  // the next page token starts with it: a dialect bounds its response size
  // this way (--max-response-mb).
  absl::StatusOr<AnalysisPage> ListAnalyses(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id,
      int page_size, std::string_view page_token,
      const std::function<bool(const core::Analysis&)>& take = nullptr);

  // Deletes one analysis; the newest remaining one becomes the latest.
  absl::Status DeleteAnalysis(std::string_view tenant, std::string_view scope,
                              std::string_view conversation_id, std::string_view analysis_id);

  // The conversation's latest analysis; NOT_FOUND when it has none.
  absl::StatusOr<core::Analysis> LatestAnalysis(const core::Conversation& conversation);

  // The keys of the conversations a selector matches (in its location, or
  // in every scope when it has none), in creation order (for bulk work).
  // The scan reads pages of 1000, each bounded by the store's list query
  // step budget (FAILED_PRECONDITION when a page's filter costs more, as for
  // a list); `stop`, when given, is asked between pages: once it answers
  // true the scan ends with CANCELLED (the job is cancelled or the server
  // stops).
  absl::StatusOr<std::vector<ConversationKey>> SelectConversations(
      std::string_view tenant, const core::ConversationSelector& selector,
      const std::function<bool()>& stop = nullptr);

 private:
  struct Compiled {
    int64_t generation = 0;
    std::shared_ptr<const analysis::Pipeline> pipeline;
  };
  absl::StatusOr<std::shared_ptr<const analysis::Pipeline>> PipelineFor(std::string_view tenant,
                                                                         std::string_view scope);
  absl::Status RunAnalyze(JobContext& ctx);
  absl::Status RunBulkAnalyze(JobContext& ctx);
  absl::Status RunBulkDelete(JobContext& ctx);

  store::Store* store_;
  service::ConversationService* conversations_;
  JobQueue* queue_ = nullptr;  // set by RegisterRunners
  SummaryWriter summary_writer_;
  AnalysisLimits limits_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> generation_ ABSL_GUARDED_BY(mu_);  // by tenant
  absl::flat_hash_map<std::string, Compiled> pipelines_ ABSL_GUARDED_BY(mu_);  // by tenant/scope
  struct AttachedModel {
    std::shared_ptr<const analysis::intents::IntentModel> model;
    float threshold = 0.5f;
  };
  absl::flat_hash_map<std::string, AttachedModel> intent_models_;  // by tenant; "" = default
};

// Keeps only what `selection` asks for in `result` (all: everything).
void ApplySelection(const core::AnalyzerSelection& selection, core::AnalysisResult* result);

// Whether conversation `id` falls in a sample of `percentage` (0-100) of
// all: a stable hash of the id, so the same request samples the same ones.
bool InSample(std::string_view id, double percentage);

}  // namespace parley::service
