#include "api/insights_v1/operation_mapping.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/google/operation.h"
#include "api/google/timestamps.h"
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/mapping.h"
#include "core/operation_state.h"

namespace parley::insights_v1 {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/google.cloud.contactcenterinsights.v1.";

std::string AnyJson(const google::protobuf::Message& m, const protojson::PrintOptions& print) {
  return google_api::AnyJson(m, kTypePrefix, print);
}

std::string Parent(const core::Operation& op) {
  return LocationName(op.tenant(), op.location());
}

template <typename Meta>
void SetTimes(const core::Operation& op, Meta* m) {
  SetTimestamp(op.create_time_us(), m->mutable_create_time());
  if (core::IsFinished(op) && op.end_time_us() != 0) SetTimestamp(op.end_time_us(), m->mutable_end_time());
}

}  // namespace

std::string OperationName(const core::Operation& op) {
  return absl::StrCat(Parent(op), "/operations/", op.id());
}

std::string OperationToJson(const core::Operation& op, const Analysis* analysis,
                            const protojson::PrintOptions& print) {
  return OperationToJson(op, analysis, nullptr, print);
}

std::string OperationToJson(const core::Operation& op, const Analysis* analysis,
                            const Conversation* conversation,
                            const protojson::PrintOptions& print) {
  std::string metadata, response;
  const std::string parent = Parent(op);
  switch (op.job_case()) {
    case core::Operation::kAnalyze: {
      CreateAnalysisOperationMetadata m;
      SetTimes(op, &m);
      m.set_conversation(absl::StrCat(parent, "/conversations/", op.analyze().conversation_id()));
      SelectionToWire(op.analyze().selection(), parent, m.mutable_annotator_selector());
      metadata = AnyJson(m, print);
      if (analysis != nullptr) response = AnyJson(*analysis, print);
      break;
    }
    case core::Operation::kBulkAnalyze: {
      BulkAnalyzeConversationsMetadata m;
      SetTimes(op, &m);
      BulkAnalyzeConversationsRequest* r = m.mutable_request();
      r->set_parent(parent);
      r->set_filter(op.bulk_analyze().selector().filter_text());
      r->set_analysis_percentage(op.bulk_analyze().percentage());
      SelectionToWire(op.bulk_analyze().selection(), parent, r->mutable_annotator_selector());
      m.set_completed_analyses_count(static_cast<int32_t>(op.succeeded()));
      m.set_failed_analyses_count(static_cast<int32_t>(op.failed()));
      m.set_total_requested_analyses_count(static_cast<int32_t>(op.total()));
      google_api::AddPartialErrors(op, m.mutable_partial_errors());
      metadata = AnyJson(m, print);
      BulkAnalyzeConversationsResponse resp;
      resp.set_successful_analysis_count(static_cast<int32_t>(op.succeeded()));
      resp.set_failed_analysis_count(static_cast<int32_t>(op.failed()));
      response = AnyJson(resp, print);
      break;
    }
    case core::Operation::kBulkDelete: {
      BulkDeleteConversationsMetadata m;
      SetTimes(op, &m);
      BulkDeleteConversationsRequest* r = m.mutable_request();
      r->set_parent(parent);
      r->set_filter(op.bulk_delete().selector().filter_text());
      r->set_max_delete_count(op.bulk_delete().max_delete_count());
      r->set_force(op.bulk_delete().force());
      google_api::AddPartialErrors(op, m.mutable_partial_errors());
      metadata = AnyJson(m, print);
      response = AnyJson(BulkDeleteConversationsResponse(), print);
      break;
    }
    case core::Operation::kExportJob: {
      ExportInsightsDataMetadata m;
      SetTimes(op, &m);
      ExportInsightsDataRequest* r = m.mutable_request();
      r->set_parent(parent);
      r->set_filter(op.export_job().selector().filter_text());
      auto* bq = r->mutable_big_query_destination();
      bq->set_project_id(op.export_job().project());
      bq->set_dataset(op.export_job().dataset());
      bq->set_table(op.export_job().table());
      r->set_write_disposition(
          static_cast<ExportInsightsDataRequest::WriteDisposition>(op.export_job().write_disposition()));
      google_api::AddPartialErrors(op, m.mutable_partial_errors());
      m.set_completed_export_count(static_cast<int32_t>(op.succeeded()));
      m.set_failed_export_count(static_cast<int32_t>(op.failed()));
      metadata = AnyJson(m, print);
      response = AnyJson(ExportInsightsDataResponse(), print);
      break;
    }
    case core::Operation::kUpload: {
      const core::UploadJob& job = op.upload();
      UploadConversationMetadata m;
      SetTimes(op, &m);
      UploadConversationRequest* r = m.mutable_request();
      r->set_parent(parent);
      r->set_conversation_id(job.requested_conversation_id());
      if (!job.request_deidentify_template().empty() || !job.request_inspect_template().empty()) {
        r->mutable_redaction_config()->set_deidentify_template(job.request_deidentify_template());
        r->mutable_redaction_config()->set_inspect_template(job.request_inspect_template());
      }
      if (!job.request_speech_recognizer().empty()) {
        r->mutable_speech_config()->set_speech_recognizer(job.request_speech_recognizer());
      }
      // Named once the upload is done: a pending one may still decide on none.
      if (!job.analysis_operation_id().empty() && op.state() == core::OPERATION_SUCCEEDED) {
        m.set_analysis_operation(absl::StrCat(parent, "/operations/", job.analysis_operation_id()));
      }
      if (!job.applied_deidentify_template().empty() || !job.applied_inspect_template().empty()) {
        m.mutable_applied_redaction_config()->set_deidentify_template(job.applied_deidentify_template());
        m.mutable_applied_redaction_config()->set_inspect_template(job.applied_inspect_template());
      }
      metadata = AnyJson(m, print);
      if (conversation != nullptr) response = AnyJson(*conversation, print);
      break;
    }
    case core::Operation::kApp:  // CES's: rendered when accepted (AppJob)
      metadata = op.app().metadata_json();
      if (op.state() == core::OPERATION_SUCCEEDED) response = op.app().response_json();
      break;
    case core::Operation::kKnowledgeDocument:  // Dialogflow's; rendered bare
    case core::Operation::kAgentTrain:         // Dialogflow's too
    case core::Operation::kTranscribe:         // a recording transcribed (ElevateAI uploads)
    case core::Operation::JOB_NOT_SET:
      break;
  }
  return google_api::OperationJson(op, OperationName(op), metadata, response, print);
}

}  // namespace parley::insights_v1
