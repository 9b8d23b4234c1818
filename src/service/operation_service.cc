#include "service/operation_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "store/store.h"

namespace parley::service {

void OperationService::SetRunner(core::Operation::JobCase job_case, jobs::Runner runner) {
  jobs_->SetRunner(job_case, std::move(runner));
}

void OperationService::SetReplayRunner(core::Operation::JobCase job_case, OutcomeOf outcome_of) {
  SetRunner(job_case, [outcome_of](jobs::JobContext& ctx) -> absl::Status {
    core::Operation& op = ctx.operation();
    const core::OperationError& outcome = outcome_of(op);
    op.set_total(1);
    if (outcome.code() == 0) {
      op.set_succeeded(1);
      return absl::OkStatus();
    }
    op.set_failed(1);
    return absl::Status(static_cast<absl::StatusCode>(outcome.code()), outcome.message());
  });
}

void OperationService::SetOutcome(const absl::Status& s, core::OperationError* outcome) {
  outcome->set_code(static_cast<int>(s.code()));
  outcome->set_message(std::string(s.message()));
}

absl::StatusOr<core::Operation> OperationService::Start(core::Operation operation) {
  return jobs_->Submit(std::move(operation));
}

absl::StatusOr<core::Operation> OperationService::Get(std::string_view tenant,
                                                      std::string_view location,
                                                      std::string_view id) {
  auto op = store_->GetOperation(tenant, id);
  if (op.ok() && op->location() == location) return op;
  if (!op.ok() && !absl::IsNotFound(op.status())) return op.status();
  return absl::NotFoundError(absl::StrCat("operation \"", Sv(id), "\" not found"));
}

absl::StatusOr<OperationService::Page> OperationService::List(
    std::string_view tenant, std::string_view location, std::optional<bool> done, int page_size,
    std::string_view page_token, std::string_view fingerprint,
    const std::vector<core::Operation::JobCase>& jobs) {
  std::optional<core::ListCursor> after;
  if (!page_token.empty()) {
    auto cursor = tokens_->Decode(page_token, fingerprint);
    if (!cursor.ok()) return cursor.status();
    after = *cursor;
  }
  const std::vector<int> job_numbers(jobs.begin(), jobs.end());
  auto stored = store_->ListOperations(tenant, location, done, page_size, after, job_numbers);
  if (!stored.ok()) return stored.status();
  Page page;
  page.operations = std::move(stored->operations);
  if (stored->next) page.next_page_token = tokens_->Encode(*stored->next, fingerprint);
  return page;
}

absl::StatusOr<core::Operation> OperationService::Cancel(std::string_view tenant,
                                                         std::string_view location,
                                                         std::string_view id) {
  if (auto current = Get(tenant, location, id); !current.ok()) return current.status();
  return jobs_->Cancel(tenant, id);
}

absl::StatusOr<OperationService::AnalysisResult> OperationService::AnalysisOf(
    const core::Operation& op) {
  // The operation's location is its conversation's scope.
  auto c = store_->GetConversation(op.tenant(), op.location(), op.analyze().conversation_id(), 0);
  if (op.analysis_snapshot().empty()) {  // finished before analyses were kept
    if (!c.ok()) return c.status();
    auto a = store_->GetAnalysis(op.tenant(), c->scope(), c->id(), op.analysis_id());
    if (!a.ok()) return a.status();
    return AnalysisResult{std::move(*c), std::move(*a)};
  }
  AnalysisResult result;
  if (!result.analysis.ParseFromString(op.analysis_snapshot())) {
    return absl::DataLossError(absl::StrCat("operation ", op.id(), " holds an unreadable analysis"));
  }
  if (c.ok()) {
    result.conversation = std::move(*c);  // its messages' channels, which annotations show
  } else if (absl::IsNotFound(c.status())) {
    result.conversation.set_tenant(op.tenant());
    result.conversation.set_scope(op.location());
    result.conversation.set_id(op.analyze().conversation_id());
  } else {
    return c.status();
  }
  return result;
}

absl::StatusOr<core::Conversation> OperationService::UploadedConversation(
    const core::Operation& op) {
  return store_->GetConversation(op.tenant(), op.location(), op.upload().conversation_id(),
                                core::NowMicros());
}

}  // namespace parley::service
