#include "service/ingest_service.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "analysis/pii/redact_conversation.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"

namespace parley::service {
namespace {

// What a Redaction written at upload records as its moment.
constexpr std::string_view kUploadMoment = "upload";

void MarkSucceeded(core::Operation& op, int64_t since_us) {
  op.set_state(core::OPERATION_SUCCEEDED);
  op.set_total(1);
  op.set_succeeded(1);
  op.set_end_time_us(std::max(core::NowMicros(), since_us));
  op.set_update_time_us(op.end_time_us());
}

}  // namespace

void IngestService::Prepare(const UploadRequest& request, const core::TenantSettings& settings, int64_t now,
                            core::Conversation& c, core::Operation& op) {
  if (c.source() == core::SOURCE_UNSPECIFIED) c.set_source(core::IMPORTED);
  if (c.lifecycle() == core::LIFECYCLE_UNSPECIFIED) c.set_lifecycle(core::COMPLETED);
  if (c.medium() == core::MEDIUM_UNSPECIFIED) c.set_medium(core::PHONE_CALL);
  // Settings.conversationTtl: the default TTL of new conversations.
  if (c.expire_time_us() == 0 && settings.conversation_ttl_us() > 0) {
    c.set_expire_time_us(now + settings.conversation_ttl_us());
  }

  core::UploadJob* job = op.mutable_upload();
  // The request's redaction config, or else the settings'.
  std::string deidentify = request.deidentify_template, inspect = request.inspect_template;
  if (deidentify.empty() && inspect.empty()) {
    deidentify = settings.deidentify_template();
    inspect = settings.inspect_template();
  }
  if (!deidentify.empty() || !inspect.empty()) {
    const analysis::pii::InspectTemplate* tmpl =
        templates_ != nullptr && !inspect.empty() ? templates_->Get(inspect) : nullptr;
    int spans = 0;
    // Each message is read as the reply to the turn before ("may I have
    // your name?" -> "crystal minh"), asked before anything is redacted.
    std::vector<analysis::pii::Asked> asked(static_cast<size_t>(c.messages_size()));
    for (int i = 0; i < c.messages_size(); ++i) asked[i] = analysis::pii::AskedBefore(c, i);
    for (int i = 0; i < c.messages_size(); ++i) {
      core::Message& m = *c.mutable_messages(i);
      const int before = m.redactions_size();
      spans += analysis::pii::RedactMessage(detector_, tmpl, &m, asked[i]);
      // The new redactions are the ones without a moment.
      if (m.redactions_size() != before) {
        for (core::Redaction& r : *m.mutable_redactions()) {
          if (!r.moment().empty()) continue;
          r.set_moment(std::string(kUploadMoment));
          r.set_time_us(now);
        }
      }
    }
    job->set_applied_deidentify_template(deidentify);
    job->set_applied_inspect_template(inspect);
    job->set_redacted_spans(spans);
  }

  // The operation names the conversation, so the id is settled first (the
  // service would generate the same kind of id).
  if (c.id().empty()) c.set_id(core::NewId());
  job->set_conversation_id(c.id());

  // Settings.analysisConfig.uploadConversationAnalysisPercentage. Decided
  // before the write (it depends on the id and the messages only), so that
  // the upload operation names its analysis operation from the start.
  // A pending upload reserved its analysis id when it was accepted
  // (StartUpload), so that a job run again after a crash finds the analysis
  // it may have started already.
  if (!Analyzes(settings, c)) {
    job->clear_analysis_operation_id();
  } else if (job->analysis_operation_id().empty()) {
    job->set_analysis_operation_id(core::NewId());
  }
}

bool IngestService::Analyzes(const core::TenantSettings& settings, const core::Conversation& c) const {
  return settings.upload_analysis_percentage() > 0 && InSample(c.id(), settings.upload_analysis_percentage()) &&
         analysis_->CheckAnalyzable(c).ok();
}

absl::Status IngestService::StartAnalysis(const core::Conversation& c, const core::TenantSettings& settings,
                                          const core::Operation& op) {
  if (op.upload().analysis_operation_id().empty()) return absl::OkStatus();
  core::AnalyzerSelection selection;
  if (settings.has_default_selection()) {
    selection = settings.default_selection();
  } else {
    selection.set_all(true);
  }
  core::Operation analysis = AnalysisService::AnalyzeOperation(c, selection);
  analysis.set_id(op.upload().analysis_operation_id());
  return operations_->Start(std::move(analysis)).status();
}

namespace {

core::Operation NewUploadOperation(const UploadRequest& request, int64_t now) {
  const core::Conversation& c = request.conversation;
  core::Operation op;
  op.set_tenant(c.tenant());
  op.set_location(c.scope());  // an operation's location is its conversation's scope
  op.set_create_time_us(now);
  core::UploadJob* job = op.mutable_upload();
  job->set_requested_conversation_id(c.id());
  job->set_request_deidentify_template(request.deidentify_template);
  job->set_request_inspect_template(request.inspect_template);
  job->set_request_speech_recognizer(request.speech_recognizer);
  return op;
}

}  // namespace

absl::StatusOr<Uploaded> IngestService::Upload(UploadRequest request) {
  core::Conversation& c = request.conversation;
  auto settings = settings_->Get(c.tenant(), c.scope());
  if (!settings.ok()) return settings.status();
  const int64_t now = core::NowMicros();
  core::Operation op = NewUploadOperation(request, now);
  op.set_id(core::NewId());
  Prepare(request, *settings, now, c, op);
  MarkSucceeded(op, now);

  // The conversation and its upload operation land in one transaction: both
  // or neither.
  auto created = conversations_->Create(std::move(c), &op);
  if (!created.ok()) return created.status();
  if (absl::Status s = StartAnalysis(*created, *settings, op); !s.ok()) return s;
  return Uploaded{std::move(op), std::move(*created)};
}

absl::StatusOr<core::Operation> IngestService::StartUpload(UploadRequest request) {
  if (transcription_ == nullptr) {
    return absl::FailedPreconditionError("dataSource.gcsSource.audioUri: this server transcribes no recordings");
  }
  // Refused at once, as a synchronous upload would be.
  if (!transcription_->recognizes_speech()) return TranscriptionService::NoSpeechRecognition();
  core::Conversation& c = request.conversation;
  if (c.id().empty()) c.set_id(core::NewId());
  // The id must be free now (a later clash fails the operation).
  auto existing = conversations_->Get(c.tenant(), c.scope(), c.id());
  if (existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat("conversation \"", c.id(), "\" already exists"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  core::Operation op = NewUploadOperation(request, core::NowMicros());
  op.mutable_upload()->set_conversation_id(c.id());
  op.mutable_upload()->set_pending_conversation(c.SerializeAsString());
  // Reserved for the analysis the job may start (Prepare keeps or clears it).
  op.mutable_upload()->set_analysis_operation_id(core::NewId());
  return operations_->Start(std::move(op));
}

void IngestService::RegisterRunner(const TranscriptionService* transcription, core::BlobOptions blobs) {
  transcription_ = transcription;
  blobs_ = std::move(blobs);
  operations_->SetRunner(core::Operation::kUpload, [this](jobs::JobContext& ctx) { return RunUpload(ctx); });
}

absl::Status IngestService::RunUpload(jobs::JobContext& ctx) {
  core::Operation& op = ctx.operation();
  if (op.upload().pending_conversation().empty()) return absl::OkStatus();  // stored finished (Upload)
  core::Conversation c;
  if (!c.ParseFromString(op.upload().pending_conversation())) {
    return absl::InternalError("the uploaded conversation cannot be read back");
  }
  op.mutable_upload()->clear_pending_conversation();
  // Stored before a crash cut the job off (the conversation was written,
  // the operation not yet finished): finish it.
  auto stored = conversations_->Get(c.tenant(), c.scope(), c.id());
  if (stored.ok() && stored->data_source().audio_uri() == c.data_source().audio_uri() &&
      stored->create_time_us() >= op.create_time_us()) {
    op.set_total(1);
    op.set_succeeded(1);
    // The crash may have come before the analysis was queued too: queue it
    // under the id reserved for it, unless it is there already.
    auto settings = settings_->Get(stored->tenant(), stored->scope());
    if (!settings.ok()) return settings.status();
    const std::string& reserved = op.upload().analysis_operation_id();
    if (reserved.empty() || !Analyzes(*settings, *stored)) {
      op.mutable_upload()->clear_analysis_operation_id();
      return absl::OkStatus();
    }
    auto queued = operations_->Get(op.tenant(), op.location(), reserved);
    if (queued.ok()) return absl::OkStatus();
    if (!absl::IsNotFound(queued.status())) return queued.status();
    return StartAnalysis(*stored, *settings, op);
  }
  if (absl::Status s = transcription_->TranscribeFromUri(blobs_, &c); !s.ok()) {
    op.set_total(1);
    op.set_failed(1);
    return s;
  }
  if (ctx.should_stop()) return absl::OkStatus();  // runs again after the restart
  UploadRequest request;
  request.deidentify_template = op.upload().request_deidentify_template();
  request.inspect_template = op.upload().request_inspect_template();
  auto settings = settings_->Get(c.tenant(), c.scope());
  if (!settings.ok()) return settings.status();
  const int64_t now = core::NowMicros();
  Prepare(request, *settings, now, c, op);
  auto created = conversations_->Create(std::move(c));
  op.set_total(1);
  if (!created.ok()) {
    op.set_failed(1);
    return created.status();
  }
  op.set_succeeded(1);
  return StartAnalysis(*created, *settings, op);
}

}  // namespace parley::service
