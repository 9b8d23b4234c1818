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
// The upload is done before the reply: the Operation comes back done, with
// UploadConversationMetadata and the Conversation as its response, and is
// stored so that operations.get finds it. When the settings ask for it
// (analysisConfig.uploadConversationAnalysisPercentage), an analysis is
// started for the conversation and named in metadata.analysisOperation.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/pii/pii_detector.h"
#include "analysis/pii/redact_conversation.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/operation_mapping.h"
#include "api/insights_v1/request.h"
#include "api/insights_v1/routes.h"
#include "api/insights_v1/settings.h"
#include "api/insights_v1/transcript_file.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {

std::string UploadOperationToJson(const core::Operation& op, store::Store* store,
                                  const protojson::PrintOptions& print) {
  if (op.state() != core::OPERATION_SUCCEEDED) return OperationToJson(op, nullptr, nullptr, print);
  Conversation wire;
  auto c = store->GetConversation(op.tenant(), op.upload().conversation_id(), core::NowMicros());
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

// What a Redaction written at upload records as its moment.
constexpr std::string_view kUploadMoment = "upload";

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
    auto settings = LoadSettings(s_.store, p.Get("project"), p.Get("location"));
    if (!settings.ok()) return Error(settings.status());

    Conversation conversation = wire.conversation();
    if (auto st = LoadTranscript(&conversation); !st.ok()) return Error(st);
    const int64_t now = core::NowMicros();
    core::Conversation c;
    c.set_tenant(std::string(p.Get("project")));
    c.set_location(std::string(p.Get("location")));
    c.set_source(core::IMPORTED);
    c.set_lifecycle(core::COMPLETED);
    c.set_id(wire.conversation_id());
    if (auto st = FromWire(conversation, now, &c); !st.ok()) return Error(st);
    if (c.medium() == core::MEDIUM_UNSPECIFIED) c.set_medium(core::PHONE_CALL);
    // Settings.conversationTtl: the default TTL of new conversations.
    if (c.expire_time_us() == 0 && settings->conversation_ttl_us() > 0) {
      c.set_expire_time_us(now + settings->conversation_ttl_us());
    }

    core::Operation op;
    op.set_tenant(c.tenant());
    op.set_location(c.location());
    op.set_id(core::NewId());
    op.set_create_time_us(now);
    core::UploadJob* job = op.mutable_upload();
    job->set_requested_conversation_id(wire.conversation_id());
    job->set_request_deidentify_template(asked.deidentify_template());
    job->set_request_inspect_template(asked.inspect_template());
    job->set_request_speech_recognizer(wire.speech_config().speech_recognizer());

    // The request's redaction config, or else the settings'.
    std::string deidentify = asked.deidentify_template(), inspect = asked.inspect_template();
    if (deidentify.empty() && inspect.empty()) {
      deidentify = settings->deidentify_template();
      inspect = settings->inspect_template();
    }
    if (!deidentify.empty() || !inspect.empty()) {
      int spans = 0;
      for (core::Message& m : *c.mutable_messages()) {
        const int before = m.redactions_size();
        spans += analysis::pii::RedactMessage(detector_, analysis::pii::InfoTypeSet::All(), &m);
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

    auto created = s_.conversations->Create(std::move(c));
    if (!created.ok()) return Error(created.status());
    job->set_conversation_id(created->id());

    // Settings.analysisConfig.uploadConversationAnalysisPercentage.
    if (settings->upload_analysis_percentage() > 0 &&
        jobs::InSample(created->id(), settings->upload_analysis_percentage()) &&
        s_.analysis->CheckAnalyzable(*created).ok()) {
      core::Operation analyze;
      analyze.set_tenant(created->tenant());
      analyze.set_location(created->location());
      core::AnalyzeJob* a = analyze.mutable_analyze();
      a->set_conversation_id(created->id());
      if (settings->has_default_selection()) {
        *a->mutable_selection() = settings->default_selection();
      } else {
        a->mutable_selection()->set_all(true);
      }
      a->set_request_time_us(core::NowMicros());
      auto submitted = s_.jobs->Submit(std::move(analyze));
      if (!submitted.ok()) return Error(submitted.status());
      job->set_analysis_operation_id(submitted->id());
    }

    op.set_state(core::OPERATION_SUCCEEDED);
    op.set_total(1);
    op.set_succeeded(1);
    op.set_end_time_us(std::max(core::NowMicros(), now));
    op.set_update_time_us(op.end_time_us());
    if (auto st = s_.store->CreateOperation(op); !st.ok()) return Error(st);

    Conversation out;
    ToWire(*created, /*full=*/true, &out);
    Response r;
    r.body = OperationToJson(op, nullptr, &out, q->print());
    return r;
  }

 private:
  // Reads the transcript file a dataSource names, replacing any inline one
  // (as create does).
  absl::Status LoadTranscript(Conversation* wire) const {
    const std::string& uri = wire->data_source().gcs_source().transcript_uri();
    if (uri.empty()) return absl::OkStatus();
    auto data = core::ReadBlobUri(uri, options_.blobs);
    if (!data.ok()) return data.status();
    auto loaded = ParseTranscriptFile(*data, wire->call_metadata());
    if (!loaded.ok()) return loaded.status();
    *wire->mutable_transcript() = std::move(loaded->transcript);
    if (wire->medium() == Conversation::MEDIUM_UNSPECIFIED) wire->set_medium(loaded->medium);
    return absl::OkStatus();
  }

  Options options_;
  Services s_;
  analysis::pii::PiiDetector detector_;
};

}  // namespace

void AddUploadRoutes(const Options& options, const Services& services, http::Router* router) {
  auto h = std::make_shared<UploadHandlers>(options, services);
  router->Add(Method::kPost, kUpload,
              [h](const Request& r, const PathParams& p) { return h->Upload(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
