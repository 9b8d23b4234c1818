// api::Dialect: one vendor API that `parley serve` speaks (Insights,
// Dialogflow, CES, Cresta, ElevateAI, ...). A dialect is a folder
// src/api/<name>/ with its own CMakeLists (a library parley_<name>), its
// routes, its mappings to and from the core model, its error shape and its
// way of finding the caller's credential and tenant; it is registered with one
// line, `parley_dialect(<name>)` in src/api/CMakeLists.txt, and its code
// defines `parley::<name>::MakeDialect()` (docs/adding-a-dialect.md).
//
// Dialects never include each other, the store or the HTTP server: they get
// the service layer (Services) and a router.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/http/message.h"
#include "api/http/router.h"
#include "core/blob_uri.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace parley::service {
class AnalysisService;
class ConversationService;
class GenAiService;
class IngestService;
class KeyService;
class KnowledgeService;
class MessageService;
class OperationService;
class ResourceService;
class SettingsService;
class VirtualAgentService;
class SpeechService;
class TranscriptionService;
}  // namespace parley::service

namespace parley::api {

// The service layer, as every dialect's handlers use it. Everything outlives
// the router.
struct Services {
  service::ConversationService* conversations = nullptr;
  service::AnalysisService* analysis = nullptr;
  service::OperationService* operations = nullptr;
  service::ResourceService* resources = nullptr;
  service::SettingsService* settings = nullptr;
  service::IngestService* ingest = nullptr;
  service::MessageService* messages = nullptr;
  service::KnowledgeService* knowledge = nullptr;
  // The local virtual agent (Dialogflow ES intents, CES sessions).
  service::VirtualAgentService* agent = nullptr;
  // Generative insights (local or an LLM) and the API keys (for dialects
  // whose paths name no tenant: the key's first tenant applies).
  service::GenAiService* genai = nullptr;
  service::KeyService* keys = nullptr;
  // Audio to words (blocking: call it from a job, never a network thread);
  // null when speech recognition is disabled (`--no-asr`).
  service::SpeechService* speech = nullptr;
  // Recordings kept for conversations that wait for their transcript, and
  // their transcription on the job queue (ElevateAI uploads).
  service::TranscriptionService* transcription = nullptr;
};

// Server configuration a dialect may need.
struct ServerConfig {
  core::BlobOptions blobs;  // where gs:// and file:// URIs are read from
  std::string export_dir;   // where exports are written (empty: export refused)
  // Live conversations (Dialogflow) with no activity for this long complete
  // by themselves (service::MessageService::CompleteIfIdle); 0 = never.
  int64_t idle_complete_us = int64_t{24} * 3600 * 1'000'000;
  // A list response stops adding items before it would exceed this many
  // bytes and continues on the next page (`--max-response-mb`); 0: no cap.
  size_t max_response_bytes = size_t{64} << 20;
};

// Who is asking, as a dialect reads it from a request: the credential it
// carries (empty: none) and the tenant the request is for (empty: the path
// names none, e.g. ElevateAI, where the credential's first tenant applies).
struct Caller {
  std::string credential;
  std::string tenant;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  // The folder name, e.g. "insights_v1".
  virtual std::string_view name() const = 0;

  // Whether a request for `path` (percent-decoded, no query) is this
  // dialect's: errors the server detects itself for it (no such route, body
  // too large, ...) are rendered by RenderError. Must be cheap and thread-safe.
  virtual bool Owns(std::string_view path) const = 0;

  // Registers the dialect's routes (and the runners of its own kinds of
  // long-running work, through services.operations). Called once, before the
  // server starts and before the job queue resumes stored operations.
  virtual void AddRoutes(const ServerConfig& config, const Services& services,
                         http::Router* router) = 0;

  // An error in the dialect's own shape, for a failure the server detects
  // itself. Thread-safe.
  virtual http::Response RenderError(int http_status, const std::string& message) const = 0;

  // The caller of `request`, whose route captured `params`: its credential
  // and, as Tenant reads it, the tenant the path names. Thread-safe.
  virtual Caller FindCaller(const http::Request& request, const http::PathParams& params) const = 0;

  // The path capture that names the tenant ("project", "customer"); empty:
  // the path names none.
  virtual std::string_view TenantParam() const { return {}; }
  // The tenant a route's `params` name (a view into them; empty: none), for
  // the request log: no header is read.
  std::string_view Tenant(const http::PathParams& params) const {
    std::string_view name = TenantParam();
    return name.empty() ? std::string_view() : params.Get(name);
  }

  // Whether the route (`method`, `pattern` as given to the router) needs an
  // admin key (bulk delete, settings, redaction, key management). Otherwise
  // GET and HEAD need a viewer key and other methods an editor key.
  virtual bool IsAdminRoute(http::Method method, std::string_view pattern) const {
    (void)method;
    (void)pattern;
    return false;
  }

  // Whether the route takes a request body of `media_type` (the request's
  // Content-Type, lower case, without parameters). A non-empty body of
  // another type, or without Content-Type, is refused with 415 before the
  // handler runs, so that a browser form or `text/plain` POST from another
  // site cannot act. Default: JSON only.
  virtual bool TakesBodyType(http::Method method, std::string_view pattern,
                             std::string_view media_type) const {
    (void)method;
    (void)pattern;
    return media_type == "application/json";
  }
  // The messages a route's JSON request body is parsed into and its 200
  // response printed from, for its OpenAPI document (/openapi/{dialect}.json
  // describes them field by field); null: a JSON object the vendor's
  // reference describes. Default: none.
  struct BodyTypes {
    const google::protobuf::Descriptor* request = nullptr;
    const google::protobuf::Descriptor* response = nullptr;
  };
  virtual BodyTypes BodyTypesOf(http::Method method, std::string_view pattern) const {
    (void)method;
    (void)pattern;
    return {};
  }
};

// Every dialect registered with parley_dialect(), in registration order, new
// instances (the definition is generated by CMake, see src/api/CMakeLists.txt).
std::vector<std::unique_ptr<Dialect>> RegisteredDialects();

// The dialect that owns `path` (first match in `dialects`), else the first
// one; null when `dialects` is empty.
const Dialect* DialectFor(const std::vector<std::unique_ptr<Dialect>>& dialects,
                          std::string_view path);

}  // namespace parley::api
