#include "service/ingest_service.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "analysis/pii/redact_conversation.h"
#include "core/ids.h"
#include "core/time_format.h"

namespace parley::service {
namespace {

// What a Redaction written at upload records as its moment.
constexpr std::string_view kUploadMoment = "upload";

}  // namespace

absl::StatusOr<Uploaded> IngestService::Upload(UploadRequest request) {
  core::Conversation& c = request.conversation;
  auto settings = settings_->Get(c.tenant(), c.scope());
  if (!settings.ok()) return settings.status();
  const int64_t now = core::NowMicros();
  if (c.source() == core::SOURCE_UNSPECIFIED) c.set_source(core::IMPORTED);
  if (c.lifecycle() == core::LIFECYCLE_UNSPECIFIED) c.set_lifecycle(core::COMPLETED);
  if (c.medium() == core::MEDIUM_UNSPECIFIED) c.set_medium(core::PHONE_CALL);
  // Settings.conversationTtl: the default TTL of new conversations.
  if (c.expire_time_us() == 0 && settings->conversation_ttl_us() > 0) {
    c.set_expire_time_us(now + settings->conversation_ttl_us());
  }

  core::Operation op;
  op.set_tenant(c.tenant());
  op.set_location(c.scope());  // an operation's location is its conversation's scope
  op.set_id(core::NewId());
  op.set_create_time_us(now);
  core::UploadJob* job = op.mutable_upload();
  job->set_requested_conversation_id(c.id());
  job->set_request_deidentify_template(request.deidentify_template);
  job->set_request_inspect_template(request.inspect_template);
  job->set_request_speech_recognizer(request.speech_recognizer);

  // The request's redaction config, or else the settings'.
  std::string deidentify = request.deidentify_template, inspect = request.inspect_template;
  if (deidentify.empty() && inspect.empty()) {
    deidentify = settings->deidentify_template();
    inspect = settings->inspect_template();
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
  const bool analyze = settings->upload_analysis_percentage() > 0 &&
                       InSample(c.id(), settings->upload_analysis_percentage()) &&
                       analysis_->CheckAnalyzable(c).ok();
  if (analyze) job->set_analysis_operation_id(core::NewId());

  op.set_state(core::OPERATION_SUCCEEDED);
  op.set_total(1);
  op.set_succeeded(1);
  op.set_end_time_us(std::max(core::NowMicros(), now));
  op.set_update_time_us(op.end_time_us());

  // The conversation and its upload operation land in one transaction: both
  // or neither.
  auto created = conversations_->Create(std::move(c), &op);
  if (!created.ok()) return created.status();

  if (analyze) {
    core::AnalyzerSelection selection;
    if (settings->has_default_selection()) {
      selection = settings->default_selection();
    } else {
      selection.set_all(true);
    }
    core::Operation analysis = AnalysisService::AnalyzeOperation(*created, selection);
    analysis.set_id(job->analysis_operation_id());
    auto submitted = operations_->Start(std::move(analysis));
    if (!submitted.ok()) return submitted.status();
  }
  return Uploaded{std::move(op), std::move(*created)};
}

}  // namespace parley::service
