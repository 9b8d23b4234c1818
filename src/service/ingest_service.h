// IngestService: conversations recorded after the fact (Insights
// conversations:upload, and next ElevateAI uploads): the location's settings
// apply (default TTL, redaction, analysis sampling), personal data is redacted
// before anything is written, and the upload is recorded as a finished
// long-running operation that names the stored conversation.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "analysis/pii/inspect_templates.h"
#include "analysis/pii/pii_detector.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"
#include "service/analysis_service.h"
#include "service/conversation_service.h"
#include "service/operation_service.h"
#include "service/settings_service.h"

namespace parley::service {

struct UploadRequest {
  // The conversation as the dialect mapped it: tenant and scope set, id
  // (empty: generated), messages; source, lifecycle and medium defaulted here
  // (IMPORTED, COMPLETED, PHONE_CALL) when unset.
  core::Conversation conversation;
  // Redaction asked for by the request (DLP template names, checked by the
  // dialect); when both are empty the settings' apply.
  std::string deidentify_template;
  std::string inspect_template;
  std::string speech_recognizer;  // echoed in the operation
};

struct Uploaded {
  core::Operation operation;  // done
  core::Conversation conversation;
};

class IngestService {
 public:
  // Everything must outlive the service.
  // `templates` (may be null): the deployment's inspect templates; when the
  // redaction config's inspectTemplate names one, its built-in and custom
  // info types are what is redacted, otherwise every built-in type.
  IngestService(ConversationService* conversations, AnalysisService* analysis,
                OperationService* operations, SettingsService* settings,
                const analysis::pii::InspectTemplates* templates = nullptr)
      : conversations_(conversations), analysis_(analysis), operations_(operations),
        settings_(settings), templates_(templates) {}

  // Stores the conversation (redacted when a template applies) and its done
  // UploadJob operation in one store transaction (both or neither; the
  // operation names the conversation and, when the settings sample it, the
  // analysis operation started right after).
  absl::StatusOr<Uploaded> Upload(UploadRequest request);

 private:
  ConversationService* conversations_;
  AnalysisService* analysis_;
  OperationService* operations_;
  SettingsService* settings_;
  const analysis::pii::InspectTemplates* templates_;
  analysis::pii::PiiDetector detector_;
};

}  // namespace parley::service
