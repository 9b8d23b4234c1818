// Interactions: declare, upload, status, transcripts, CX AI, delete.
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/elevateai_v1/mapping.h"
#include "api/elevateai_v1/routes.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/multipart.h"
#include "core/time_format.h"
#include "genai/local_engine.h"
#include "service/conversation_service.h"
#include "service/transcription_service.h"

namespace parley::elevateai_v1 {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

namespace {

absl::StatusOr<std::string> NewGuid() {
  auto bytes = core::SecureRandomBytes(16);
  if (!bytes.ok()) return bytes.status();
  std::string b = *bytes;
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex = absl::BytesToHexString(b);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-", hex.substr(16, 4),
                      "-", hex.substr(20));
}

bool IsAudio(const core::Conversation& c) { return Label(c, "type") == "audio"; }

absl::StatusOr<google::protobuf::Struct> ParseObject(const Request& req) {
  google::protobuf::Struct body;
  if (req.body.empty()) return absl::InvalidArgumentError("the request body is empty: a JSON object is required");
  if (absl::Status s = protojson::Parse(req.body, &body); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the request body is not a JSON object: ", s.message()));
  }
  return body;
}

absl::StatusOr<core::Conversation> SetState(const Ctx& ctx, std::string_view tenant, std::string_view id,
                                            core::Processing::State state, std::string_view error) {
  return ctx.services.conversations->Update(tenant, kScope, id, [&](core::Conversation& c) {
    c.mutable_processing()->set_state(state);
    c.mutable_processing()->set_error(std::string(error));
    c.mutable_processing()->set_update_time_us(core::NowMicros());
    return absl::OkStatus();
  });
}

// Queues the transcription of the stored recording of (tenant, id):
// participantOne = channel 1 = agent, participantTwo = channel 2 = customer.
// The job moves the interaction to processing, then processed or
// processingFailed (service::TranscriptionService). The recogniser's mode is
// the declared audioTranscriptionMode's (none declared: the server's).
absl::Status StartTranscription(const Ctx& ctx, std::string_view tenant, const core::Conversation& c) {
  core::TranscribeJob job;
  job.set_conversation_id(c.id());
  job.set_asr_mode(AsrMode(Label(c, "transcription_mode")));
  job.set_separate_channels(true);
  job.set_agent_channel(1);
  job.set_customer_channel(2);
  auto started = ctx.services.transcription->Start(tenant, kScope, std::move(job));
  return started.status();
}

bool AwaitsFile(core::Processing::State state) {
  return state == core::Processing::FILE_PENDING_UPLOAD || state == core::Processing::DECLARED ||
         state == core::Processing::UPLOAD_FAILED;
}

// Interactions whose upload is being stored right now (fileUploading), by
// tenant and id. In memory: an upload cut off by a crash was never
// acknowledged, and the interaction still awaits its file after a restart.
class UploadsInFlight {
 public:
  // False if (tenant, id) is being uploaded already.
  bool Claim(std::string_view tenant, std::string_view id) {
    absl::MutexLock lock(&mu_);
    return ids_.insert(Key(tenant, id)).second;
  }
  void Release(std::string_view tenant, std::string_view id) {
    absl::MutexLock lock(&mu_);
    ids_.erase(Key(tenant, id));
  }
  bool Contains(std::string_view tenant, std::string_view id) const {
    absl::MutexLock lock(&mu_);
    return ids_.contains(Key(tenant, id));
  }

 private:
  static std::string Key(std::string_view tenant, std::string_view id) {
    return absl::StrCat(tenant.size(), ":", Sv(tenant), Sv(id));
  }
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> ids_ ABSL_GUARDED_BY(mu_);
};

Response Declare(const Ctx& ctx, const Request& req) {
  auto body = ParseObject(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto tenant = TenantOf(ctx, req);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  Declaration d;
  core::Conversation c;
  if (absl::Status s = ParseDeclaration(*body, &d, &c); !s.ok()) return ErrorResponse(s);
  auto id = NewGuid();
  if (!id.ok()) return ErrorResponse(id.status());
  c.set_tenant(*tenant);
  c.set_scope(std::string(kScope));
  c.set_id(*id);
  c.set_source(core::IMPORTED);
  c.set_lifecycle(core::COMPLETED);
  c.set_display_name(d.original_filename);
  auto& labels = *c.mutable_labels();
  labels[absl::StrCat(kLabelPrefix, "type")] = d.type;
  labels[absl::StrCat(kLabelPrefix, "vertical")] = d.vertical;
  if (!d.transcription_mode.empty()) labels[absl::StrCat(kLabelPrefix, "transcription_mode")] = d.transcription_mode;
  labels[absl::StrCat(kLabelPrefix, "include_ai_results")] = d.include_ai_results ? "true" : "false";
  if (!d.original_filename.empty()) labels[absl::StrCat(kLabelPrefix, "original_filename")] = d.original_filename;
  if (!d.external_identifier.empty()) {
    labels[absl::StrCat(kLabelPrefix, "external_identifier")] = d.external_identifier;
  }
  const int64_t now = core::NowMicros();
  c.set_start_time_us(now);
  c.mutable_processing()->set_update_time_us(now);
  std::string audio;
  if (d.type != "audio") {
    c.mutable_processing()->set_state(core::Processing::PROCESSED);
    c.mutable_processing()->set_processed_time_us(now);
  } else if (d.download_uri.empty()) {
    c.mutable_processing()->set_state(core::Processing::FILE_PENDING_UPLOAD);
  } else {
    c.mutable_data_source()->set_audio_uri(d.download_uri);
    c.mutable_data_source()->set_kind(core::DataSource::GCS);
    auto read = core::ReadBlobUri(d.download_uri, ctx.config.blobs);
    if (!read.ok()) {
      c.mutable_processing()->set_state(core::Processing::DOWNLOAD_FAILED);
      c.mutable_processing()->set_error(absl::StrCat("cannot download ", d.download_uri, ": ", read.status().message()));
    } else {
      audio = *std::move(read);
      c.mutable_processing()->set_state(core::Processing::UPLOADED);
      c.mutable_processing()->set_download_time_us(core::NowMicros());
    }
  }
  if (!audio.empty()) {
    if (ctx.services.transcription == nullptr) return ErrorResponse(503, "This server keeps no uploads.");
    if (absl::Status s = ctx.services.transcription->StoreRecording(*tenant, *id, audio); !s.ok()) {
      return ErrorResponse(s);
    }
  }
  auto created = ctx.services.conversations->Create(std::move(c));
  if (!created.ok()) return ErrorResponse(created.status());
  // Stored (fileUploaded) before its transcription is queued: a crash in
  // between leaves a declaration that was never acknowledged.
  if (!audio.empty()) {
    if (absl::Status s = StartTranscription(ctx, *tenant, *created); !s.ok()) return ErrorResponse(s);
  }
  google::protobuf::Struct out;
  (*out.mutable_fields())["interactionIdentifier"].set_string_value(*id);
  return Json(out, 201);
}

// The upload is stored, its transcription queued, and then acknowledged:
// status is fileUploading while the file is written, fileUploaded once it is
// stored, then processing and processed (or processingFailed) as the job runs.
Response Upload(const Ctx& ctx, UploadsInFlight& uploading, const Request& req, const PathParams& p) {
  std::string tenant;
  auto c = Load(ctx, req, p, &tenant);
  if (!c.ok()) return ErrorResponse(c.status());
  if (!IsAudio(*c)) return ErrorResponse(409, "Only audio interactions take an upload.");
  if (!AwaitsFile(c->processing().state())) {
    return ErrorResponse(409, absl::StrCat("The interaction already has its file (status ", StatusName(*c), ")."));
  }
  service::TranscriptionService* transcription = ctx.services.transcription;
  if (transcription == nullptr || !transcription->keeps_recordings()) {
    return ErrorResponse(503, "This server keeps no uploads.");
  }
  std::string_view audio = req.body;
  std::string filename;
  const std::string* type = req.Header("content-type");
  if (type != nullptr && absl::StartsWith(absl::AsciiStrToLower(Sv(*type)), "multipart/")) {
    auto boundary = core::MultipartBoundary(*type);
    if (!boundary.ok()) return ErrorResponse(boundary.status());
    auto parts = core::ParseMultipart(req.body, *boundary);
    if (!parts.ok()) return ErrorResponse(parts.status());
    audio = {};
    for (const core::MultipartPart& part : *parts) {
      if (!part.data.empty()) {
        audio = part.data;
        filename = part.filename;
        break;
      }
    }
  }
  if (audio.empty()) return ErrorResponse(400, "The upload carries no file.");
  const std::string id = c->id();
  if (!uploading.Claim(tenant, id)) return ErrorResponse(409, "The interaction's file is being uploaded.");
  absl::Cleanup release = [&] { uploading.Release(tenant, id); };
  // Read again under the claim: an upload that finished meanwhile has moved it on.
  auto claimed = ctx.services.conversations->Get(tenant, kScope, id);
  if (!claimed.ok()) return ErrorResponse(claimed.status());
  if (!AwaitsFile(claimed->processing().state())) {
    return ErrorResponse(409, absl::StrCat("The interaction already has its file (status ", StatusName(*claimed), ")."));
  }
  if (absl::Status s = transcription->StoreRecording(tenant, id, audio); !s.ok()) {
    (void)SetState(ctx, tenant, id, core::Processing::UPLOAD_FAILED, std::string(s.message()));
    return ErrorResponse(s);
  }
  const int64_t uploaded = core::NowMicros();
  // Queued before the interaction shows fileUploaded, so that an
  // acknowledged upload is always transcribed, a crash in between included
  // (the job takes any state that awaits the file).
  if (absl::Status s = StartTranscription(ctx, tenant, *claimed); !s.ok()) return ErrorResponse(s);
  auto updated = ctx.services.conversations->Update(tenant, kScope, id, [&](core::Conversation& u) {
    u.mutable_processing()->set_upload_time_us(uploaded);
    // The job may have started already: leave its state.
    if (AwaitsFile(u.processing().state())) {
      u.mutable_processing()->set_state(core::Processing::UPLOADED);
      u.mutable_processing()->clear_error();
      u.mutable_processing()->set_update_time_us(core::NowMicros());
    }
    if (!filename.empty() && Label(u, "original_filename").empty() && filename.size() <= 256) {
      (*u.mutable_labels())[absl::StrCat(kLabelPrefix, "original_filename")] = filename;
    }
    return absl::OkStatus();
  });
  if (!updated.ok()) return ErrorResponse(updated.status());
  Response r;
  r.status = 201;
  r.body = "{}";
  return r;
}

Response Status(const Ctx& ctx, const UploadsInFlight& uploading, const Request& req, const PathParams& p) {
  std::string tenant;
  auto c = Load(ctx, req, p, &tenant);
  if (!c.ok()) return ErrorResponse(c.status());
  const bool being_uploaded = AwaitsFile(c->processing().state()) && uploading.Contains(tenant, c->id());
  return Json(StatusReply(*c, being_uploaded ? "fileUploading" : StatusName(*c)));
}

Response Declared(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto c = Load(ctx, req, p);
  if (!c.ok()) return ErrorResponse(c.status());
  return Json(DeclaredParameters(*c));
}

// The interaction, when its results can be read (processed).
absl::StatusOr<core::Conversation> Processed(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto c = Load(ctx, req, p);
  if (!c.ok()) return c.status();
  if (StatusName(*c) != "processed") {
    return absl::FailedPreconditionError(
        absl::StrCat("The interaction is not processed yet (status ", StatusName(*c), ")."));
  }
  return c;
}

Response Transcript(const Ctx& ctx, const Request& req, const PathParams& p, bool punctuated) {
  auto c = Processed(ctx, req, p);
  if (!c.ok()) return ErrorResponse(c.status());
  return Json(punctuated ? PunctuatedTranscript(*c) : WordByWordTranscript(*c));
}

Response Ai(const Ctx& ctx, const Request& req, const PathParams& p) {
  auto c = Processed(ctx, req, p);
  if (!c.ok()) return ErrorResponse(c.status());
  if (Label(*c, "include_ai_results") == "false") {
    return ErrorResponse(409, "The interaction was declared with includeAiResults false.");
  }
  auto analysis = genai::AnalyzeForGenAi(*c);
  if (!analysis.ok()) return ErrorResponse(analysis.status());
  return Json(CxAi(*c, *analysis));
}

Response Delete(const Ctx& ctx, const Request& req, const PathParams& p) {
  std::string tenant;
  auto c = Load(ctx, req, p, &tenant);
  if (!c.ok()) return ErrorResponse(c.status());
  if (absl::Status s = ctx.services.conversations->Delete(tenant, kScope, c->id(), /*force=*/true); !s.ok()) {
    return ErrorResponse(s);
  }
  if (ctx.services.transcription != nullptr) ctx.services.transcription->DeleteRecording(tenant, c->id());
  Response r;
  r.status = 200;
  r.body = "{}";
  return r;
}

}  // namespace

void AddInteractionRoutes(const Ctx& ctx, http::Router* router) {
  const auto blocking = http::Dispatch::kBlocking;
  const std::string base(kInteraction);
  auto uploading = std::make_shared<UploadsInFlight>();
  router->Add(Method::kPost, "/v1/interactions",
              [ctx](const Request& r, const PathParams&) { return Declare(ctx, r); }, blocking);
  router->Add(Method::kPost, base + "/upload",
              [ctx, uploading](const Request& r, const PathParams& p) { return Upload(ctx, *uploading, r, p); }, blocking);
  router->Add(Method::kGet, base + "/status",
              [ctx, uploading](const Request& r, const PathParams& p) { return Status(ctx, *uploading, r, p); }, blocking);
  for (const char* path : {"/transcript", "/transcripts"}) {
    router->Add(Method::kGet, base + path,
                [ctx](const Request& r, const PathParams& p) { return Transcript(ctx, r, p, false); }, blocking);
  }
  router->Add(Method::kGet, base + "/transcripts/punctuated",
              [ctx](const Request& r, const PathParams& p) { return Transcript(ctx, r, p, true); }, blocking);
  router->Add(Method::kGet, base + "/ai",
              [ctx](const Request& r, const PathParams& p) { return Ai(ctx, r, p); }, blocking);
  router->Add(Method::kGet, base,
              [ctx](const Request& r, const PathParams& p) { return Declared(ctx, r, p); }, blocking);
  router->Add(Method::kDelete, base,
              [ctx](const Request& r, const PathParams& p) { return Delete(ctx, r, p); }, blocking);
}

}  // namespace parley::elevateai_v1
