#include "service/analysis_service.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "analysis/deadline.h"
#include "analysis/default_pipeline.h"
#include "telemetry/metrics.h"
#include "analysis/phrases/phrase_matcher_proto.h"
#include "analysis/sentiment/sentiment_scorer.h"
#include "analysis/summary/summary_analyzer.h"
#include "core/condition_proto.h"
#include "core/ids.h"
#include "core/public_error.h"
#include "core/time_format.h"

namespace parley::service {
namespace {

constexpr int kMaxPartialErrors = 10;

void AddPartialError(core::Operation& op, const absl::Status& s, std::string_view what) {
  if (op.partial_errors_size() >= kMaxPartialErrors) return;
  core::SetOperationError(s, what, op.add_partial_errors());
}

// The body of a bulk operation: `one` for each conversation in turn, counted
// as succeeded or failed (with a partial error naming it), progress reported
// after each; stops between conversations when the job is to stop.
void ForEachConversation(JobContext& ctx, const std::vector<ConversationKey>& keys,
                         absl::FunctionRef<absl::Status(const ConversationKey&)> one) {
  core::Operation& op = ctx.operation();
  op.set_total(static_cast<int64_t>(keys.size()));
  op.set_succeeded(0);
  op.set_failed(0);
  op.clear_partial_errors();
  for (const ConversationKey& key : keys) {
    if (ctx.should_stop()) return;
    if (absl::Status s = one(key); s.ok()) {
      op.set_succeeded(op.succeeded() + 1);
    } else {
      op.set_failed(op.failed() + 1);
      AddPartialError(op, s, absl::StrCat("conversation ", key.id));
    }
    ctx.ReportProgress();
  }
}

std::string PipelineKey(std::string_view tenant, std::string_view scope) {
  return absl::StrCat(tenant.size(), ":", std::string(tenant), "/", std::string(scope));
}

}  // namespace

bool InSample(std::string_view id, double percentage) {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  // FNV-1a: stable across builds and runs (absl::Hash is salted per process).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  return static_cast<double>(h % 1'000'000) < percentage * 10'000.0;
}

void ApplySelection(const core::AnalyzerSelection& s, core::AnalysisResult* r) {
  if (s.all()) return;
  if (!s.sentiment()) {
    r->clear_message_sentiments();
    r->clear_channel_sentiments();
    r->clear_overall_sentiment();
  }
  if (!s.entities()) r->clear_entities();
  if (!s.intents()) r->clear_intents();
  if (!s.pii()) r->clear_pii();
  if (!s.phrase_matchers()) {
    r->clear_phrase_matches();
  } else if (s.phrase_matcher_ids_size() > 0) {
    auto* matches = r->mutable_phrase_matches();
    matches->erase(std::remove_if(matches->begin(), matches->end(),
                                  [&](const core::PhraseMatch& m) {
                                    return std::find(s.phrase_matcher_ids().begin(),
                                                     s.phrase_matcher_ids().end(),
                                                     m.matcher_id()) == s.phrase_matcher_ids().end();
                                  }),
                   matches->end());
  }
  if (!s.silence()) {
    r->clear_silences();
    r->clear_silence_duration_us();
    r->clear_silence_percentage();
    r->clear_holds();
  }
  if (!s.interruptions()) r->clear_interruptions();
  if (!s.summary()) {
    r->clear_summary();
    r->clear_summary_message_indices();
    r->clear_topics();
  }
}

AnalysisService::AnalysisService(store::Store* store, service::ConversationService* conversations,
                                 AnalysisLimits limits)
    : store_(store), conversations_(conversations), limits_(limits) {}

absl::Status AnalysisService::CheckAnalyzable(const core::Conversation& c) const {
  if (c.messages_size() > limits_.max_messages) {
    return absl::InvalidArgumentError(
        absl::StrCat("conversation has ", c.messages_size(),
                     " transcript segments; at most ", limits_.max_messages, " can be analyzed"));
  }
  size_t bytes = 0;
  for (const core::Message& m : c.messages()) bytes += m.text().size();
  if (bytes > limits_.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("conversation transcript has ", bytes,
                                                   " bytes of text; at most ",
                                                   limits_.max_text_bytes, " can be analyzed"));
  }
  return absl::OkStatus();
}

void AnalysisService::SetIntentModel(std::string tenant,
                                     std::shared_ptr<const analysis::intents::IntentModel> model,
                                     float threshold) {
  intent_models_[std::move(tenant)] = AttachedModel{std::move(model), threshold};
}

void AnalysisService::PhraseMatchersChanged(std::string_view tenant) {
  absl::MutexLock lock(&mu_);
  ++generation_[std::string(tenant)];
}

absl::StatusOr<std::shared_ptr<const analysis::Pipeline>> AnalysisService::PipelineFor(
    std::string_view tenant, std::string_view scope) {
  // Phrase matchers live in a location; a conversation's scope is one.
  const std::string key = PipelineKey(tenant, scope);
  int64_t generation;
  {
    absl::MutexLock lock(&mu_);
    generation = generation_[std::string(tenant)];
    auto it = pipelines_.find(key);
    if (it != pipelines_.end() && it->second.generation == generation) return it->second.pipeline;
  }
  std::vector<analysis::phrases::PhraseMatcherSpec> specs;
  std::string after;
  for (;;) {
    absl::StatusOr<store::ResourcePage> page =
        store_->ListResources(tenant, kPhraseMatcherKind, scope, 500, after);
    if (!page.ok()) return page.status();
    for (const store::Resource& r : page->resources) {
      core::PhraseMatcher m;
      if (!m.ParseFromString(r.body)) return absl::InternalError("stored phrase matcher is corrupt");
      if (m.active()) specs.push_back(analysis::phrases::SpecFromProto(m));
    }
    if (!page->next_after_id) break;
    after = *page->next_after_id;
  }
  analysis::PipelineOptions options;
  auto model = intent_models_.find(std::string(tenant));
  if (model == intent_models_.end()) model = intent_models_.find("");
  if (model != intent_models_.end()) {
    options.intent_model = model->second.model;
    options.intent_threshold = model->second.threshold;
  }
  if (!specs.empty()) {
    auto set = analysis::phrases::PhraseMatcherSet::Compile(std::move(specs));
    if (!set.ok()) return set.status();
    options.phrase_matchers =
        std::make_shared<const analysis::phrases::PhraseMatcherSet>(std::move(*set));
  }
  auto built = analysis::BuildPipeline(options);
  if (!built.ok()) return built.status();
  std::shared_ptr<const analysis::Pipeline> pipeline = std::move(*built);
  absl::MutexLock lock(&mu_);
  pipelines_[key] = Compiled{generation, pipeline};
  return pipeline;
}

absl::StatusOr<core::Analysis> AnalysisService::Analyze(const core::Conversation& c,
                                                        const core::AnalyzerSelection& selection,
                                                        int64_t request_time_us) {
  if (absl::Status s = CheckAnalyzable(c); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<const analysis::Pipeline>> pipeline =
      PipelineFor(c.tenant(), c.scope());
  if (!pipeline.ok()) return pipeline.status();
  absl::StatusOr<core::AnalysisResult> result;
  if (limits_.time_budget_ms > 0) {
    const auto start = std::chrono::steady_clock::now();
    analysis::ScopedDeadline deadline(start + std::chrono::milliseconds(limits_.time_budget_ms));
    result = (*pipeline)->Run(c);
    if (result.status().code() == absl::StatusCode::kDeadlineExceeded) {
      telemetry::Core().analyses->Cell({"deadline_exceeded"})->Add();
      return absl::DeadlineExceededError(absl::StrCat(
          "the analysis of conversation \"", c.id(), "\" took longer than its time budget of ",
          limits_.time_budget_ms, " ms (--analysis-time-budget-ms) and was stopped; nothing was stored"));
    }
  } else {
    result = (*pipeline)->Run(c);
  }
  if (!result.ok()) {
    telemetry::Core().analyses->Cell({"failed"})->Add();
    return result.status();
  }
  telemetry::Core().analyses->Cell({"ok"})->Add();
  telemetry::Core().analysis_segments->Cell({})->Add(static_cast<uint64_t>(c.messages_size()));
  ApplySelection(selection, &*result);
  // Asked for (ApplySelection keeps it only then) and found: the generative
  // engine may write it instead.
  if (summary_writer_ && !result->summary().empty()) summary_writer_(c, &*result);
  core::Analysis a;
  a.set_tenant(c.tenant());
  a.set_scope(c.scope());
  a.set_conversation_id(c.id());
  a.set_id(core::NewId());
  a.set_request_time_us(request_time_us);
  a.set_create_time_us(core::NowMicros());
  a.set_end_time_us(a.create_time_us());
  *a.mutable_selection() = selection;
  *a.mutable_result() = std::move(*result);
  return a;
}

absl::StatusOr<std::vector<ConversationKey>> AnalysisService::SelectConversations(
    std::string_view tenant, const core::ConversationSelector& selector,
    const std::function<bool()>& stop) {
  core::ConversationQuery query;
  query.tenant = std::string(tenant);
  query.scope = selector.location();  // a selector's location is a scope
  if (selector.has_condition()) {
    absl::StatusOr<core::Condition> condition = core::ConditionFromProto(selector.condition());
    if (!condition.ok()) return condition.status();
    query.condition = std::move(*condition);
  }
  query.order_by = core::ConversationColumn::kCreateTime;
  query.order = core::SortOrder::kAscending;
  query.page_size = 1000;
  query.now_us = core::NowMicros();
  std::vector<ConversationKey> keys;
  for (;;) {
    if (stop && stop()) return absl::CancelledError("the operation is stopping");
    absl::StatusOr<store::ConversationPage> page = store_->ListConversations(query);
    if (!page.ok()) return page.status();
    for (const core::Conversation& c : page->conversations) {
      keys.push_back(ConversationKey{c.scope(), c.id(), c.create_time_us()});
    }
    if (!page->next) break;
    query.after = page->next;
  }
  return keys;
}

absl::Status AnalysisService::RunAnalyze(JobContext& ctx) {
  core::Operation& op = ctx.operation();
  const core::AnalyzeJob& job = op.analyze();
  // An analyze operation's location is its conversation's scope.
  absl::StatusOr<core::Conversation> c =
      conversations_->Get(op.tenant(), op.location(), job.conversation_id());
  if (!c.ok()) return c.status();
  absl::StatusOr<core::Analysis> a = Analyze(*c, job.selection(), job.request_time_us());
  if (!a.ok()) return a.status();
  if (ctx.should_stop()) return absl::OkStatus();  // the queue settles the state
  op.set_analysis_id(a->id());
  a->SerializeToString(op.mutable_analysis_snapshot());
  op.set_total(1);
  op.set_succeeded(1);
  op.set_state(core::OPERATION_SUCCEEDED);
  op.set_end_time_us(core::NowMicros());
  op.set_update_time_us(op.end_time_us());
  // The analysis and its finished operation land together.
  if (absl::Status s = store_->PutAnalysis(*a, &op); !s.ok()) {
    op.set_state(core::OPERATION_RUNNING);
    op.clear_analysis_id();
    op.clear_analysis_snapshot();
    return s;
  }
  ctx.MarkStored();
  return absl::OkStatus();
}

absl::Status AnalysisService::RunBulkAnalyze(JobContext& ctx) {
  core::Operation& op = ctx.operation();
  const core::BulkAnalyzeJob job = op.bulk_analyze();
  absl::StatusOr<std::vector<ConversationKey>> keys =
      SelectConversations(op.tenant(), job.selector(), [&ctx] { return ctx.should_stop(); });
  if (ctx.should_stop()) return absl::OkStatus();  // the queue settles the state
  if (!keys.ok()) return keys.status();
  // The conversations that existed when the operation was created, sampled;
  // in creation order, so that a resumed run sees the same sequence.
  std::vector<ConversationKey> sample;
  for (ConversationKey& key : *keys) {
    if (key.create_time_us > op.create_time_us()) continue;
    if (InSample(key.id, job.percentage())) sample.push_back(std::move(key));
  }
  const int64_t request_time = op.create_time_us();
  size_t first = 0;
  if (job.resume()) {
    // Everything up to the stored position was analysed (or failed) before a
    // restart: its analysis and that position were stored together.
    auto after = [&](const ConversationKey& k) {
      return k.create_time_us > job.resume_after_create_time_us() ||
             (k.create_time_us == job.resume_after_create_time_us() && k.id > job.resume_after_id());
    };
    while (first < sample.size() && !after(sample[first])) ++first;
  } else {
    op.set_total(static_cast<int64_t>(sample.size()));
    op.set_succeeded(0);
    op.set_failed(0);
    op.clear_partial_errors();
  }
  for (size_t i = first; i < sample.size(); ++i) {
    if (ctx.should_stop()) return absl::OkStatus();
    const ConversationKey& key = sample[i];
    core::BulkAnalyzeJob* position = op.mutable_bulk_analyze();
    position->set_resume(true);
    position->set_resume_after_create_time_us(key.create_time_us);
    position->set_resume_after_id(key.id);
    absl::StatusOr<core::Conversation> c = conversations_->Get(op.tenant(), key.scope, key.id);
    absl::StatusOr<core::Analysis> a =
        c.ok() ? Analyze(*c, job.selection(), request_time) : absl::StatusOr<core::Analysis>(c.status());
    absl::Status s = a.status();
    if (a.ok()) {
      op.set_succeeded(op.succeeded() + 1);
      op.set_update_time_us(core::NowMicros());
      // The analysis and the operation's new position, in one transaction.
      s = store_->PutAnalysis(*a, &op);
      // Fenced (Store::FenceOperationWrites): another node took the
      // operation over after this one's lease ran out; it goes on from the
      // stored position, and nothing more of this run may be written.
      if (absl::IsAborted(s)) return s;
      if (!s.ok()) op.set_succeeded(op.succeeded() - 1);
    }
    if (!s.ok()) {
      op.set_failed(op.failed() + 1);
      AddPartialError(op, s, absl::StrCat("conversation ", key.id));
      ctx.ReportProgress();
    }
  }
  return absl::OkStatus();
}

absl::Status AnalysisService::RunBulkDelete(JobContext& ctx) {
  const core::Operation& op = ctx.operation();
  const core::BulkDeleteJob job = op.bulk_delete();
  absl::StatusOr<std::vector<ConversationKey>> keys =
      SelectConversations(op.tenant(), job.selector(), [&ctx] { return ctx.should_stop(); });
  if (ctx.should_stop()) return absl::OkStatus();  // the queue settles the state
  if (!keys.ok()) return keys.status();
  if (job.max_delete_count() > 0 && keys->size() > static_cast<size_t>(job.max_delete_count())) {
    keys->resize(static_cast<size_t>(job.max_delete_count()));
  }
  ForEachConversation(ctx, *keys, [&](const ConversationKey& key) -> absl::Status {
    absl::Status s = conversations_->Delete(op.tenant(), key.scope, key.id, job.force());
    return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;  // gone already
  });
  return absl::OkStatus();
}

void AnalysisService::RegisterRunners(JobQueue* queue) {
  queue_ = queue;
  queue->SetRunner(core::Operation::kAnalyze, [this](JobContext& ctx) { return RunAnalyze(ctx); });
  queue->SetRunner(core::Operation::kBulkAnalyze,
                   [this](JobContext& ctx) { return RunBulkAnalyze(ctx); });
  queue->SetRunner(core::Operation::kBulkDelete,
                   [this](JobContext& ctx) { return RunBulkDelete(ctx); });
}

absl::StatusOr<core::Operation> AnalysisService::StartAnalysis(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    const core::AnalyzerSelection& selection) {
  if (queue_ == nullptr) return absl::FailedPreconditionError("analyses are not running");
  auto c = conversations_->Get(tenant, scope, conversation_id);
  if (!c.ok()) return c.status();
  if (absl::Status s = CheckAnalyzable(*c); !s.ok()) return s;
  return queue_->Submit(AnalyzeOperation(*c, selection));
}

core::Operation AnalysisService::AnalyzeOperation(const core::Conversation& conversation,
                                                  const core::AnalyzerSelection& selection) {
  core::Operation op;
  op.set_tenant(conversation.tenant());
  op.set_location(conversation.scope());  // an analyze operation's location is the scope
  core::AnalyzeJob* job = op.mutable_analyze();
  job->set_conversation_id(conversation.id());
  *job->mutable_selection() = selection;
  job->set_request_time_us(core::NowMicros());
  return op;
}

absl::StatusOr<AnalysisService::Found> AnalysisService::GetAnalysis(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    std::string_view analysis_id) {
  auto c = conversations_->Get(tenant, scope, conversation_id);
  if (!c.ok()) return c.status();
  auto a = store_->GetAnalysis(c->tenant(), c->scope(), c->id(), analysis_id);
  if (!a.ok()) return a.status();
  return Found{std::move(*c), std::move(*a)};
}

absl::StatusOr<AnalysisService::AnalysisPage> AnalysisService::ListAnalyses(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    int page_size, std::string_view page_token,
    const std::function<bool(const core::Analysis&)>& take) {
  auto c = conversations_->Get(tenant, scope, conversation_id);
  if (!c.ok()) return c.status();
  const std::string fingerprint = absl::StrCat("analyses\x1f", c->id());
  std::optional<core::ListCursor> after;
  if (!page_token.empty()) {
    auto cursor = conversations_->tokens().Decode(page_token, fingerprint);
    if (!cursor.ok()) return cursor.status();
    after = *cursor;
  }
  auto stored = store_->ListAnalyses(c->tenant(), c->scope(), c->id(), page_size, after);
  if (!stored.ok()) return stored.status();
  AnalysisPage page;
  page.analyses = std::move(stored->analyses);
  if (take) {
    for (size_t i = 0; i < page.analyses.size(); ++i) {
      if (take(page.analyses[i]) || i == 0) continue;
      // The store orders by (create_time, id): the cursor of the last one kept.
      const core::Analysis& last = page.analyses[i - 1];
      stored->next = core::ListCursor{last.create_time_us(), last.id()};
      page.analyses.resize(i);
      break;
    }
  }
  if (stored->next) page.next_page_token = conversations_->tokens().Encode(*stored->next, fingerprint);
  page.conversation = std::move(*c);
  return page;
}

absl::Status AnalysisService::DeleteAnalysis(std::string_view tenant, std::string_view scope,
                                             std::string_view conversation_id,
                                             std::string_view analysis_id) {
  auto c = conversations_->Get(tenant, scope, conversation_id);
  if (!c.ok()) return c.status();
  return store_->DeleteAnalysis(c->tenant(), c->scope(), c->id(), analysis_id);
}

absl::StatusOr<core::Analysis> AnalysisService::LatestAnalysis(const core::Conversation& c) {
  if (c.latest_analysis_id().empty()) return absl::NotFoundError("the conversation has no analysis");
  return store_->GetAnalysis(c.tenant(), c.scope(), c.id(), c.latest_analysis_id());
}

core::Sentiment AnalysisService::TextSentiment(std::string_view text) {
  static const analysis::SentimentScorer* const scorer = new analysis::SentimentScorer();
  return scorer->Score(text);
}

core::AnalysisResult AnalysisService::Summarize(const core::Conversation& conversation) {
  static const analysis::SummaryAnalyzer* const summarizer = new analysis::SummaryAnalyzer();
  core::AnalysisResult result;
  (void)summarizer->Analyze(conversation, &result);  // always OK
  return result;
}

}  // namespace parley::service
