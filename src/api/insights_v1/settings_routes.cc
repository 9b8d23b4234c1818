// Insights v1 project settings:
//   GET   /v1/projects/{project}/locations/{location}/settings
//   PATCH /v1/projects/{project}/locations/{location}/settings?updateMask=...
//
// A location without stored settings has the defaults: GET answers with the
// name alone. The first PATCH creates them (createTime); every PATCH moves
// updateTime. updateMask is required, as Insights documents it.
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/operation_mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/routes.h"
#include "api/insights_v1/settings.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {

namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr std::string_view kSettings = "/v1/projects/{project}/locations/{location}/settings";

// Pub/Sub notification triggers Insights documents.
bool IsNotificationTrigger(std::string_view key) {
  static const char* const kTriggers[] = {"all-triggers",         "create-analysis",
                                          "create-conversation",  "export-insights-data",
                                          "ingest-conversations", "update-conversation",
                                          "upload-conversation"};
  for (const char* t : kTriggers) {
    if (key == t) return true;
  }
  return false;
}

// Whether `name` is {collection}/{id} pairs shaped like `pattern`, where a
// "*" segment of the pattern is any non-empty segment.
bool NameMatches(std::string_view name, std::string_view pattern) {
  std::vector<absl::string_view> a = absl::StrSplit(Sv(name), '/');
  std::vector<absl::string_view> b = absl::StrSplit(Sv(pattern), '/');
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].empty()) return false;
    if (b[i] != "*" && a[i] != b[i]) return false;
  }
  return true;
}

// A DLP template name: projects/P[/locations/L]/{kind}/T (or organizations/O/...).
bool IsTemplateName(std::string_view name, std::string_view kind) {
  for (std::string_view root : {"projects", "organizations"}) {
    if (NameMatches(name, absl::StrCat(Sv(root), "/*/", Sv(kind), "/*")) ||
        NameMatches(name, absl::StrCat(Sv(root), "/*/locations/*/", Sv(kind), "/*"))) {
      return true;
    }
  }
  return false;
}

absl::Status CheckPercentage(double v, std::string_view field) {
  if (std::isnan(v) || v < 0 || v > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("analysis_config.", Sv(field), " must be between 0 and 100, not ", v));
  }
  return absl::OkStatus();
}

// Every rule the stored settings obey.
absl::Status Validate(const core::TenantSettings& s) {
  if (auto st = CheckPercentage(s.runtime_analysis_percentage(), "runtime_integration_analysis_percentage");
      !st.ok()) {
    return st;
  }
  if (auto st = CheckPercentage(s.upload_analysis_percentage(), "upload_conversation_analysis_percentage");
      !st.ok()) {
    return st;
  }
  if (s.conversation_ttl_us() < 0) {
    return absl::InvalidArgumentError("conversation_ttl must not be negative");
  }
  // A tiny default TTL makes every later conversation of the location vanish
  // as soon as it is created. Google documents no bound; Parley asks for at
  // least an hour (0, unset, still means no default expiry).
  constexpr int64_t kMinConversationTtlUs = int64_t{3600} * 1'000'000;
  if (s.conversation_ttl_us() > 0 && s.conversation_ttl_us() < kMinConversationTtlUs) {
    return absl::InvalidArgumentError("conversation_ttl must be at least 3600s (one hour), or unset");
  }
  // The default TTL is added to the time of each later create: refuse one
  // that would already end after the last Timestamp (9999-12-31).
  if (s.conversation_ttl_us() > google_api::kMaxTimestampMicros - core::NowMicros()) {
    return absl::InvalidArgumentError(
        "conversation_ttl is too long: expirations would be after 9999-12-31T23:59:59Z");
  }
  for (const auto& [key, topic] : s.notification_settings()) {
    if (!IsNotificationTrigger(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pubsub_notification_settings: \"", key,
          "\" is not a notification trigger (all-triggers, create-analysis, create-conversation, "
          "export-insights-data, ingest-conversations, update-conversation, upload-conversation)"));
    }
    if (!NameMatches(topic, "projects/*/topics/*")) {
      return absl::InvalidArgumentError(absl::StrCat("pubsub_notification_settings[\"", key, "\"]: \"",
                                                     topic, "\" is not projects/{project}/topics/{topic}"));
    }
  }
  if (auto st = ValidateRedactionConfig(s.deidentify_template(), s.inspect_template(), "redaction_config");
      !st.ok()) {
    return st;
  }
  if (auto st = ValidateSpeechRecognizer(s.speech_recognizer(), "speech_config"); !st.ok()) return st;
  return absl::OkStatus();
}

// Copies one update-mask path (snake_case) from the wire settings.
absl::Status ApplyPath(std::string_view path, const Settings& in, core::TenantSettings* out) {
  const Settings::AnalysisConfig& ac = in.analysis_config();
  if (path == "language_code") {
    out->set_language_code(in.language_code());
  } else if (path == "conversation_ttl") {
    const int64_t us = in.conversation_ttl().seconds() * 1'000'000 + in.conversation_ttl().nanos() / 1000;
    out->set_conversation_ttl_us(us);
  } else if (path == "pubsub_notification_settings") {
    out->mutable_notification_settings()->clear();
    for (const auto& [k, v] : in.pubsub_notification_settings()) (*out->mutable_notification_settings())[k] = v;
  } else if (path == "analysis_config") {
    out->set_runtime_analysis_percentage(ac.runtime_integration_analysis_percentage());
    out->set_upload_analysis_percentage(ac.upload_conversation_analysis_percentage());
    if (ac.has_annotator_selector()) {
      *out->mutable_default_selection() = SelectionFromWire(&ac.annotator_selector());
    } else {
      out->clear_default_selection();
    }
  } else if (path == "analysis_config.runtime_integration_analysis_percentage") {
    out->set_runtime_analysis_percentage(ac.runtime_integration_analysis_percentage());
  } else if (path == "analysis_config.upload_conversation_analysis_percentage") {
    out->set_upload_analysis_percentage(ac.upload_conversation_analysis_percentage());
  } else if (path == "analysis_config.annotator_selector") {
    if (ac.has_annotator_selector()) {
      *out->mutable_default_selection() = SelectionFromWire(&ac.annotator_selector());
    } else {
      out->clear_default_selection();
    }
  } else if (path == "redaction_config") {
    out->set_deidentify_template(in.redaction_config().deidentify_template());
    out->set_inspect_template(in.redaction_config().inspect_template());
  } else if (path == "redaction_config.deidentify_template") {
    out->set_deidentify_template(in.redaction_config().deidentify_template());
  } else if (path == "redaction_config.inspect_template") {
    out->set_inspect_template(in.redaction_config().inspect_template());
  } else if (path == "speech_config" || path == "speech_config.speech_recognizer") {
    out->set_speech_recognizer(in.speech_config().speech_recognizer());
  } else if (path != "name" && path != "create_time" && path != "update_time") {
    return absl::InvalidArgumentError(
        absl::StrCat("update_mask: \"", Sv(path), "\" is not a field of Settings that can be updated"));
  }
  return absl::OkStatus();
}

const std::vector<std::string>& AllPaths() {
  static const std::vector<std::string> kPaths = {
      "language_code",    "conversation_ttl", "pubsub_notification_settings",
      "analysis_config",  "redaction_config", "speech_config"};
  return kPaths;
}

std::string SettingsName(std::string_view tenant, std::string_view location) {
  return absl::StrCat(LocationName(tenant, location), "/settings");
}

void ToWire(const core::TenantSettings& s, Settings* out) {
  out->set_name(SettingsName(s.tenant(), s.location()));
  if (s.create_time_us() != 0) SetTimestamp(s.create_time_us(), out->mutable_create_time());
  if (s.update_time_us() != 0) SetTimestamp(s.update_time_us(), out->mutable_update_time());
  out->set_language_code(s.language_code());
  if (s.conversation_ttl_us() != 0) SetDuration(s.conversation_ttl_us(), out->mutable_conversation_ttl());
  for (const auto& [k, v] : s.notification_settings()) (*out->mutable_pubsub_notification_settings())[k] = v;
  if (s.runtime_analysis_percentage() != 0 || s.upload_analysis_percentage() != 0 ||
      s.has_default_selection()) {
    Settings::AnalysisConfig* ac = out->mutable_analysis_config();
    ac->set_runtime_integration_analysis_percentage(s.runtime_analysis_percentage());
    ac->set_upload_conversation_analysis_percentage(s.upload_analysis_percentage());
    if (s.has_default_selection()) {
      SelectionToWire(s.default_selection(), LocationName(s.tenant(), s.location()),
                      ac->mutable_annotator_selector());
    }
  }
  if (!s.deidentify_template().empty() || !s.inspect_template().empty()) {
    out->mutable_redaction_config()->set_deidentify_template(s.deidentify_template());
    out->mutable_redaction_config()->set_inspect_template(s.inspect_template());
  }
  if (!s.speech_recognizer().empty()) out->mutable_speech_config()->set_speech_recognizer(s.speech_recognizer());
}

absl::Status CheckLocation(const PathParams& p) {
  if (auto st = CheckParent(p); !st.ok()) return st;
  if (p.Get("location") == "-") {
    return absl::InvalidArgumentError("settings belong to one location, not \"-\"");
  }
  return absl::OkStatus();
}

class SettingsHandlers {
 public:
  explicit SettingsHandlers(const Services& services) : s_(services) {}

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckLocation(p); !st.ok()) return Error(st);
    auto settings = s_.settings->Get(p.Get("project"), p.Get("location"));
    if (!settings.ok()) return Error(settings.status());
    Settings out;
    ToWire(*settings, &out);
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckLocation(p); !st.ok()) return Error(st);
    if (auto st = CheckFields(*q, Settings::default_instance()); !st.ok()) return Error(st);
    Settings patch;
    if (auto st = ParseBody(req, "settings", &patch); !st.ok()) return Error(st);
    const std::string expected = SettingsName(p.Get("project"), p.Get("location"));
    if (auto st = CheckNameMatchesUrl("settings.name", patch.name(), expected); !st.ok()) {
      return Error(st);
    }
    const std::string* mask = q->Get("update_mask");
    if (mask == nullptr || absl::StripAsciiWhitespace(*mask).empty()) {
      return Error(absl::InvalidArgumentError("update_mask is required"));
    }
    const std::vector<std::string> paths = UpdateMaskPaths(*mask, AllPaths());
    auto stored = s_.settings->Update(p.Get("project"), p.Get("location"),
                                      [&](core::TenantSettings& s) -> absl::Status {
                                        for (const std::string& path : paths) {
                                          if (auto st = ApplyPath(path, patch, &s); !st.ok()) return st;
                                        }
                                        return Validate(s);
                                      });
    if (!stored.ok()) return Error(stored.status());
    Settings out;
    ToWire(*stored, &out);
    return Json(out, *q);
  }

 private:
  Services s_;
};

}  // namespace

absl::Status ValidateRedactionConfig(std::string_view deidentify_template,
                                     std::string_view inspect_template, std::string_view field) {
  if (!deidentify_template.empty() && !IsTemplateName(deidentify_template, "deidentifyTemplates")) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(field), ".deidentify_template \"", Sv(deidentify_template),
        "\" is not projects/{project}/locations/{location}/deidentifyTemplates/{template}"));
  }
  if (!inspect_template.empty() && !IsTemplateName(inspect_template, "inspectTemplates")) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(field), ".inspect_template \"", Sv(inspect_template),
        "\" is not projects/{project}/locations/{location}/inspectTemplates/{template}"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSpeechRecognizer(std::string_view recognizer, std::string_view field) {
  if (!recognizer.empty() && !NameMatches(recognizer, "projects/*/locations/*/recognizers/*")) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(field), ".speech_recognizer \"", Sv(recognizer),
                     "\" is not projects/{project}/locations/{location}/recognizers/{recognizer}"));
  }
  return absl::OkStatus();
}

void AddSettingsRoutes(const Services& services, http::Router* router) {
  auto h = std::make_shared<SettingsHandlers>(services);
  router->Add(Method::kGet, kSettings,
              [h](const Request& r, const PathParams& p) { return h->Get(r, p); });
  router->Add(Method::kPatch, kSettings,
              [h](const Request& r, const PathParams& p) { return h->Patch(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
