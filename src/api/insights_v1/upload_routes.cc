// Insights v1 conversations:upload:
//   POST .../conversations:upload   body UploadConversationRequest -> Operation
//
// Unlike create, upload redacts: when the request's redactionConfig (or else
// the location's Settings.redactionConfig) names a DLP template, every piece
// of personal data in the transcript is replaced by "[INFO_TYPE]" before the
// conversation is stored, so nothing unredacted is ever written. Parley has
// no DLP service: a template name selects its built-in detector with every
// info type it knows (see analysis/pii/pii_detector.h); the name is checked
// for shape and echoed back as metadata.appliedRedactionConfig.
//
// A transcript is uploaded before the reply: the Operation comes back done,
// with UploadConversationMetadata and the Conversation as its response, and
// is stored so that operations.get finds it. A recording
// (dataSource.gcsSource.audioUri without a transcript) is transcribed by the
// job queue: the Operation comes back pending and is done, with the
// Conversation, once the transcript is stored (or failed with the reason).
// When the settings ask for it
// (analysisConfig.uploadConversationAnalysisPercentage), an analysis is
// started for the conversation and named in metadata.analysisOperation.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/operation_mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/routes.h"
#include "api/insights_v1/settings.h"
#include "api/insights_v1/transcript_file.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {

std::string UploadOperationToJson(const core::Operation& op, service::OperationService* operations,
                                  const protojson::PrintOptions& print) {
  if (op.state() != core::OPERATION_SUCCEEDED) return OperationToJson(op, nullptr, nullptr, print);
  Conversation wire;
  auto c = operations->UploadedConversation(op);
  if (c.ok()) {
    ToWire(*c, /*full=*/true, &wire);
  } else {
    // Deleted (or expired) since: the response still names it.
    wire.set_name(ConversationName(op.tenant(), op.location(), op.upload().conversation_id()));
  }
  return OperationToJson(op, nullptr, &wire, print);
}

namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr std::string_view kUpload = "/v1/projects/{project}/locations/{location}/conversations:upload";

class UploadHandlers {
 public:
  UploadHandlers(const Options& options, const Services& services)
      : options_(options), s_(services) {}

  Response Upload(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    if (p.Get("location") == "-") {
      return Error(absl::InvalidArgumentError("a conversation must be uploaded to one location, not \"-\""));
    }
    UploadConversationRequest wire;
    if (auto st = ParseBody(req, "", &wire); !st.ok()) return Error(st);
    if (auto st = CheckNameMatchesUrl("parent", wire.parent(), ParentName(p)); !st.ok()) {
      return Error(st);
    }
    if (!wire.has_conversation()) return Error(absl::InvalidArgumentError("conversation is required"));
    const RedactionConfig& asked = wire.redaction_config();
    if (auto st = ValidateRedactionConfig(asked.deidentify_template(), asked.inspect_template(),
                                          "redaction_config");
        !st.ok()) {
      return Error(st);
    }
    if (auto st = ValidateSpeechRecognizer(wire.speech_config().speech_recognizer(), "speech_config");
        !st.ok()) {
      return Error(st);
    }
    Conversation conversation = wire.conversation();
    SegmentEnds ends;
    if (auto st = LoadTranscriptFile(options_.blobs, &conversation, &ends); !st.ok()) return Error(st);
    service::UploadRequest upload;
    core::Conversation& c = upload.conversation;
    c.set_tenant(std::string(p.Get("project")));
    c.set_scope(std::string(p.Get("location")));  // an Insights location is a scope
    c.set_id(wire.conversation_id());
    if (auto st = FromWire(conversation, core::NowMicros(), &c); !st.ok()) return Error(st);
    ApplySegmentEnds(ends, &c);
    // Insights' own id rule, then the core's (in the service).
    if (!c.id().empty()) {
      if (auto st = CheckClientConversationId(c.id()); !st.ok()) return Error(st);
    }
    upload.deidentify_template = asked.deidentify_template();
    upload.inspect_template = asked.inspect_template();
    upload.speech_recognizer = wire.speech_config().speech_recognizer();
    if (!c.data_source().audio_uri().empty() && c.data_source().kind() == core::DataSource::GCS &&
        c.messages_size() == 0) {
      // A recording: transcribed by the job queue; the operation completes
      // once the conversation is stored.
      auto started = s_.ingest->StartUpload(std::move(upload));
      if (!started.ok()) return Error(started.status());
      Response r;
      r.body = OperationToJson(*started, nullptr, nullptr, q->print());
      return r;
    }
    auto uploaded = s_.ingest->Upload(std::move(upload));
    if (!uploaded.ok()) return Error(uploaded.status());

    Conversation out;
    ToWire(uploaded->conversation, /*full=*/true, &out);
    Response r;
    r.body = OperationToJson(uploaded->operation, nullptr, &out, q->print());
    return r;
  }

 private:
  Options options_;
  Services s_;
};

}  // namespace

void AddUploadRoutes(const Options& options, const Services& services, http::Router* router) {
  auto h = std::make_shared<UploadHandlers>(options, services);
  router->Add(Method::kPost, kUpload,
              [h](const Request& r, const PathParams& p) { return h->Upload(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
