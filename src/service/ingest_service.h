// IngestService: conversations recorded after the fact (Insights
// conversations:upload): the location's settings apply (default TTL,
// redaction, analysis sampling), personal data is redacted before anything is
// written, and the upload is recorded as a long-running operation that names
// the stored conversation — finished at once for a transcript, finished by
// the job queue for a recording it must transcribe first (StartUpload).
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
#include "service/transcription_service.h"

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

  // The same for a conversation whose transcript is its recording
  // (data_source.audio_uri, no messages): stores a pending UploadJob
  // operation holding the conversation (its id settled; ALREADY_EXISTS now
  // if a live conversation has it) and returns it. The job transcribes the
  // recording (TranscriptionService::TranscribeFromUri), then does what
  // Upload does; it fails with the transcription's error, storing nothing.
  // A job interrupted by a crash runs again after the restart.
  absl::StatusOr<core::Operation> StartUpload(UploadRequest request);

  // Registers the runner of the UploadJob operations StartUpload starts;
  // recordings are read through `blobs`. Before the job queue starts.
  void RegisterRunner(const TranscriptionService* transcription, core::BlobOptions blobs);

 private:
  // Fills `op`'s UploadJob and redacts `c` as the settings and request say;
  // settles the id; names the analysis to start after the write (keeping an
  // id reserved earlier) or clears it when the settings ask for none.
  void Prepare(const UploadRequest& request, const core::TenantSettings& settings, int64_t now,
               core::Conversation& c, core::Operation& op);
  // Whether the settings sample `c` for an analysis after its upload
  // (Settings.analysisConfig.uploadConversationAnalysisPercentage).
  bool Analyzes(const core::TenantSettings& settings, const core::Conversation& c) const;
  // Starts the analysis `op` names for the stored `c`, if it names one.
  absl::Status StartAnalysis(const core::Conversation& c, const core::TenantSettings& settings,
                             const core::Operation& op);
  absl::Status RunUpload(jobs::JobContext& ctx);

  ConversationService* conversations_;
  AnalysisService* analysis_;
  OperationService* operations_;
  SettingsService* settings_;
  const analysis::pii::InspectTemplates* templates_;
  analysis::pii::PiiDetector detector_;
  const TranscriptionService* transcription_ = nullptr;
  core::BlobOptions blobs_;
};

}  // namespace parley::service
