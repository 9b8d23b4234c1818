// `parley serve`: the HTTP server with every registered dialect
// (api::RegisteredDialects(), from the registry the program links), the
// service layer over the embedded store, the job queue and the expiry sweep.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/ascii.h"
#include "analysis/intents/intent_analyzer.h"
#include "api/audit.h"
#include "api/auth.h"
#include "api/rate_limit.h"
#include "api/dialect.h"
#include "api/http/router.h"
#include "api/http/server.h"
#include "api/openapi.h"
#include "api/protojson/protojson.h"
#include "api/request_telemetry.h"
#include "api/web_ui.h"
#include "cli/command.h"
#include "core/filter.h"
#include "core/ids.h"
#include "core/page_token.h"
#include "core/read_file.h"
#include "genai/llm_client.h"
#include "jobs/job_queue.h"
#include "service/analysis_service.h"
#include "service/audit_service.h"
#include "service/conversation_service.h"
#include "service/genai_service.h"
#include "service/ingest_service.h"
#include "service/key_service.h"
#include "service/knowledge_service.h"
#include "service/speech_service.h"
#include "service/transcription_service.h"
#include "service/message_service.h"
#include "service/operation_service.h"
#include "service/resource_service.h"
#include "service/settings_service.h"
#include "service/virtual_agent_service.h"
#include "store/store.h"
#include "telemetry/log.h"
#include "telemetry/metrics.h"

namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "var/data";
  std::string store;  // --store: a PostgreSQL URL (ADR 0021); empty: SQLite in data_dir
  std::string bucket_dir;
  std::string file_root;
  size_t max_body_bytes = 32u << 20;
  int view_cache_mb = static_cast<int>(parley::store::kDefaultViewCacheBytes >> 20);
  int live_cache_mb = static_cast<int>(parley::service::ConversationService::kDefaultLiveBytes >> 20);
  int disk_reserve_mb = static_cast<int>(parley::store::kDefaultDiskReserveBytes >> 20);
  int network_threads = 2;
  int blocking_threads = 64;
  size_t max_connections = 10'000;
  size_t max_inflight_body_mb = 256;
  size_t max_conversation_mb = 32;
  // Per conversation, whichever dialect writes it (service::ConversationLimits).
  int max_labels = 20;
  int max_segments = 10'000;
  size_t max_segment_kb = 64;
  int max_words_per_segment = 10'000;
  // Filters, every dialect (core::FilterLimits).
  size_t max_filter_bytes = 4096;
  int max_filter_depth = parley::core::kMaxFilterDepth;
  size_t max_response_mb = 64;
  size_t max_inflight_response_mb = 512;
  int sweep_seconds = 60;
  double audit_retention_days = 90;  // audit entries older are pruned by the sweep (0 = kept)
  int64_t idle_complete_seconds = 24 * 3600;
  int workers = 2;
  int operation_lease_seconds = 30;  // PostgreSQL: how long a node's claim lasts unrenewed
  int max_pending_operations = parley::jobs::kDefaultMaxPendingOperations;
  int max_analysis_messages = 5'000;
  int64_t analysis_time_budget_ms = 30'000;
  std::vector<std::string> intent_models;  // [PROJECT=]PATH
  float intent_threshold = parley::analysis::intents::kDefaultIntentThreshold;
  std::string export_dir = "var/exports";
  std::string auth_file;
  std::string inspect_templates;  // JSON file of DLP-shaped inspect templates
  bool insecure = false;
  // HTTP hardening (issue 9): TLS, limits, Host and Origin checks.
  std::string tls_cert, tls_key;
  size_t max_header_kb = 64;
  int header_timeout_ms = 10'000, idle_timeout_ms = 60'000, body_timeout_ms = 60'000;
  int max_json_depth = 64;
  std::vector<std::string> allowed_hosts, cors_origins;
  // Speech recognition (service::SpeechService): embedded, or an endpoint.
  std::string asr_endpoint, asr_model = "whisper-1", asr_model_dir = "/usr/share/pocketsphinx/model/en-us";
  std::string asr_mode = "accurate", asr_decoder_options;
  int64_t asr_timeout_ms = 120'000;
  size_t max_audio_mb = 100;
  int64_t max_audio_seconds = 4 * 3600;
  bool no_asr = false;
  double rate_limit = 200;  // requests a second per key (0 = off)
  double rate_burst = 400;
  bool rate_limit_given = false;  // --rate-limit on the command line
  double auth_failure_limit = 1;  // failed authentications a second per address (0 = off)
  double auth_failure_burst = 30;
  // Generative AI (service::GenAiService): an OpenAI-compatible server, or local.
  std::string llm_endpoint, llm_model, llm_key_file;
  int llm_timeout_ms = 30'000;
  int llm_attempts = 2;
  int genai_concurrency = 10;
  // Operations (issue 15): logs, metrics, OpenAPI.
  std::string log_format = "json";
  std::string log_level = "info";
  std::string metrics_listen;  // HOST:PORT of an unauthenticated /metrics listener
  bool no_request_telemetry = false;
};

// 127.0.0.0/8, ::1 and localhost: where a server without keys may listen.
bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  int a, b, c, d;
  char rest;
  return std::sscanf(host.c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &rest) == 4 && a == 127 &&
         b >= 0 && b <= 255 && c >= 0 && c <= 255 && d >= 0 && d <= 255;
}

// HOST:PORT, PORT decimal digits from 0 to 65535 (no sign, no wrap-around).
bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  std::string_view digits = std::string_view(listen).substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return false;
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *host = listen.substr(0, colon);
  *port = static_cast<uint16_t>(value);
  return true;
}

// Takes DATA_DIR/parley.lock (flock, exclusive) for the life of the process,
// so that a second `parley serve` on the same data dir, which would run the
// same pending operations, refuses to start. `parley keys` and `parley audit`
// do not take it: they work beside a running server. Returns the descriptor
// (kept open, never closed: the lock goes with the process), or -1 after
// printing why.
int LockDataDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "parley: cannot create --data-dir " << data_dir << ": " << ec.message() << "\n";
    return -1;
  }
  std::string path = data_dir + "/parley.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "parley: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      std::cerr << "parley: another `parley serve` is using --data-dir " << data_dir
                << " (" << path << " is locked); stop it first, or give this one another --data-dir\n";
    } else {
      std::cerr << "parley: cannot lock " << path << ": " << std::strerror(errno) << "\n";
    }
    ::close(fd);
    return -1;
  }
  // The holder's pid, for whoever wonders which process it is.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return fd;
}

parley::http::Response TextResponse(int status, std::string body, std::string content_type) {
  parley::http::Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// This node's name for operation claims: DATA_DIR/node-id, created once.
absl::StatusOr<std::string> NodeName(const std::string& data_dir) {
  const std::string path = data_dir + "/node-id";
  std::string name;
  if (std::ifstream in(path); in) std::getline(in, name);
  if (!name.empty()) return name;
  auto fresh = parley::core::SecureRandomHex(8);
  if (!fresh.ok()) return fresh.status();
  name = "node-" + *fresh;
  std::ofstream out(path, std::ios::trunc);
  out << name << "\n";
  out.flush();
  if (!out) return absl::InternalError("cannot write " + path);
  return name;
}

// Bytes of the store's files (database, WAL, reserve) in the data dir.
int64_t StoreBytes(const std::string& data_dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
    std::error_code size_ec;
    if (entry.is_regular_file(size_ec)) {
      uintmax_t n = entry.file_size(size_ec);
      if (!size_ec) total += static_cast<int64_t>(n);
    }
  }
  return total;
}

// Families of one sample each, without labels (the store's, the live
// conversations').
void AppendUnlabelled(const std::vector<parley::store::Store::BackendMetric>& metrics, std::string* out) {
  for (const parley::store::Store::BackendMetric& m : metrics) {
    parley::telemetry::AppendFamilyHeader(m.name, m.help, m.counter ? "counter" : "gauge", out);
    parley::telemetry::AppendSample(m.name, {}, m.value, out);
  }
}

// The metrics read when scraped: operations queued and running, store size,
// conversations per tenant (a COUNT over an index, so cached for a minute),
// and the process.
void AddServerCollectors(parley::jobs::JobQueue* jobs, parley::store::Store* store, std::string data_dir) {
  using parley::telemetry::AppendFamilyHeader;
  using parley::telemetry::AppendSample;
  parley::telemetry::Metrics().AddCollector([jobs](std::string* out) {
    parley::jobs::JobQueue::Depth d = jobs->depth();
    AppendFamilyHeader("parley_operations_queued", "Long-running operations waiting for a worker (queue depth)",
                       "gauge", out);
    AppendSample("parley_operations_queued", {}, static_cast<double>(d.queued), out);
    AppendFamilyHeader("parley_operations_running", "Long-running operations being run", "gauge", out);
    AppendSample("parley_operations_running", {}, static_cast<double>(d.running), out);
  });
  parley::telemetry::Metrics().AddCollector([data_dir](std::string* out) {
    AppendFamilyHeader("parley_store_size_bytes", "Bytes of the embedded store's files (database, WAL)",
                       "gauge", out);
    AppendSample("parley_store_size_bytes", {}, static_cast<double>(StoreBytes(data_dir)), out);
  });
  struct Cached {
    std::mutex mu;
    std::chrono::steady_clock::time_point at;
    std::vector<std::pair<std::string, int64_t>> counts;
    bool valid = false;
  };
  auto cached = std::make_shared<Cached>();
  parley::telemetry::Metrics().AddCollector([store, cached](std::string* out) {
    std::lock_guard<std::mutex> lock(cached->mu);
    auto now = std::chrono::steady_clock::now();
    if (!cached->valid || now - cached->at > std::chrono::seconds(60)) {
      auto counts = store->CountConversationsByTenant();
      if (counts.ok()) {
        cached->counts = std::move(*counts);
        cached->at = now;
        cached->valid = true;
      }
    }
    AppendFamilyHeader("parley_conversations_stored",
                       "Conversations stored, by tenant (counted at most once a minute)", "gauge", out);
    for (const auto& [tenant, n] : cached->counts) {
      AppendSample("parley_conversations_stored", {{"tenant", tenant}}, static_cast<double>(n), out);
    }
  });
  parley::telemetry::Metrics().AddCollector(
      [store](std::string* out) { AppendUnlabelled(store->BackendMetrics(), out); });
  parley::telemetry::Metrics().AddCollector(&parley::telemetry::AppendProcessMetrics);
}

// The live conversations kept parsed (ADR 0037): how often a call found its
// conversation in memory and how often it had to read and parse it whole,
// so that an operator sees when --live-cache-mb is too small for the
// conversations in flight (ADR 0051). None on a remote store.
void AddLiveCollector(const parley::service::ConversationService* conversations) {
  if (!conversations->keeps_live()) return;
  parley::telemetry::Metrics().AddCollector([conversations](std::string* out) {
    const parley::service::LiveConversations::Stats s = conversations->live_stats();
    AppendUnlabelled(
        {
            {"parley_live_conversation_hits_total", "Calls that found their conversation kept parsed in memory",
             true, static_cast<double>(s.hits)},
            {"parley_live_conversation_loads_total",
             "Conversations read from the store and parsed whole to be kept (a miss)", true,
             static_cast<double>(s.loads)},
            {"parley_live_conversations_kept", "Conversations kept parsed in memory", false,
             static_cast<double>(s.entries)},
            {"parley_live_conversations_bytes", "Serialized bytes of the conversations kept parsed", false,
             static_cast<double>(s.bytes)},
            {"parley_live_conversations_capacity_bytes", "The most serialized bytes kept (--live-cache-mb)", false,
             static_cast<double>(s.capacity)},
        },
        out);
  });
}

// GET /metrics, /readyz: the admin routes of the server itself. /metrics
// needs an admin API key while keys are required, unless served on the
// --metrics-listen listener (`open_metrics`).
void AddServerRoutes(parley::http::Router* router, parley::service::KeyService* keys,
                     const std::atomic<bool>* ready, bool open_metrics) {
  using parley::http::Method;
  using parley::http::PathParams;
  using parley::http::Request;
  router->Add(Method::kGet, "/readyz", [ready](const Request&, const PathParams&) {
    return ready->load() ? TextResponse(200, "{\"status\":\"ready\"}", "application/json")
                         : TextResponse(503, "{\"status\":\"starting or stopping\"}", "application/json");
  });
  router->Add(
      Method::kGet, "/metrics",
      [keys, open_metrics](const Request& req, const PathParams&) {
        if (!open_metrics && keys->Required()) {
          std::string_view secret;
          if (const std::string* auth = req.Header("authorization");
              auth && auth->size() > 7 && (auth->compare(0, 7, "Bearer ") == 0 || auth->compare(0, 7, "bearer ") == 0)) {
            secret = std::string_view(*auth).substr(7);
          } else if (const std::string* key = req.Header("x-goog-api-key")) {
            secret = *key;
          }
          auto key = keys->Verify(secret);
          if (!key.ok()) {
            auto r = TextResponse(401, "An admin API key is required for /metrics (or use --metrics-listen).\n",
                                  "text/plain; charset=utf-8");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            return r;
          }
          if (key->role() != parley::core::ADMIN) {
            return TextResponse(403, "/metrics needs an admin API key.\n", "text/plain; charset=utf-8");
          }
        }
        return TextResponse(200, parley::telemetry::Metrics().Render(),
                            "text/plain; version=0.0.4; charset=utf-8");
      },
      parley::http::Dispatch::kBlocking);
}

int Serve(const ServeFlags& flags) {
  // The data dir, database and exports hold every tenant's conversations:
  // whatever the server creates is readable by its owner only (0600/0700).
  ::umask(077);
  // Signals are taken synchronously by this thread; every thread started
  // below inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  {
    parley::telemetry::LogLevel level;
    parley::telemetry::LogFormat format;
    if (!parley::telemetry::ParseLogLevel(flags.log_level, &level) ||
        !parley::telemetry::ParseLogFormat(flags.log_format, &format)) {
      std::cerr << "parley: --log-level must be debug|info|warn|error|off and --log-format json|text\n";
      return 2;
    }
    // Buffered: a request's line costs no system call (docs/PERFORMANCE.md).
    parley::telemetry::Log().Configure(level, format, 2, /*buffered=*/true);
  }
  std::string metrics_host;
  uint16_t metrics_port = 0;
  if (!flags.metrics_listen.empty() && !ParseListen(flags.metrics_listen, &metrics_host, &metrics_port)) {
    std::cerr << "parley: --metrics-listen " << flags.metrics_listen
              << ": must be HOST:PORT with PORT a number from 0 to 65535\n";
    return 2;
  }
  parley::http::ServerOptions options;
  if (!ParseListen(flags.listen, &options.host, &options.port)) {
    std::cerr << "parley: --listen " << flags.listen
              << ": must be HOST:PORT with PORT a number from 0 to 65535 (0: any free port)\n";
    return 2;
  }
  options.max_body_bytes = flags.max_body_bytes;
  options.network_threads = flags.network_threads;
  options.blocking_threads = flags.blocking_threads;
  options.max_connections = flags.max_connections;
  options.max_inflight_body_bytes = flags.max_inflight_body_mb << 20;
  options.max_inflight_response_bytes = flags.max_inflight_response_mb << 20;
  if (options.max_inflight_body_bytes != 0 && options.max_inflight_body_bytes < options.max_body_bytes) {
    std::cerr << "parley: --max-inflight-body-mb must be 0 or at least --max-body-bytes\n";
    return 2;
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    std::cerr << "parley: --tls-cert and --tls-key go together\n";
    return 2;
  }
  options.tls_cert_file = flags.tls_cert;
  options.tls_key_file = flags.tls_key;
  options.max_header_bytes = flags.max_header_kb << 10;
  options.header_timeout_ms = flags.header_timeout_ms;
  options.idle_timeout_ms = flags.idle_timeout_ms;
  options.body_timeout_ms = flags.body_timeout_ms;
  parley::protojson::SetDefaultMaxDepth(flags.max_json_depth);
  // Host headers served: --allowed-host, the listen host and loopback names;
  // on a wildcard address without --allowed-host, any (DNS rebinding).
  const bool wildcard = options.host.empty() || options.host == "0.0.0.0" || options.host == "::" ||
                        options.host == "[::]";
  if (!wildcard || !flags.allowed_hosts.empty()) {
    options.allowed_hosts = flags.allowed_hosts;
    if (!wildcard) options.allowed_hosts.push_back(options.host);
    options.allowed_hosts.insert(options.allowed_hosts.end(), {"localhost", "127.0.0.1", "::1"});
  }
  options.cors_origins = flags.cors_origins;

  if (LockDataDir(flags.data_dir) < 0) return 1;
  parley::store::StoreOptions store_options;
  store_options.view_cache_bytes = static_cast<size_t>(flags.view_cache_mb) << 20;
  store_options.disk_reserve_bytes = static_cast<int64_t>(flags.disk_reserve_mb) << 20;
  store_options.uncached_resource_kinds = {std::string(parley::service::kApiKeyKind)};
  auto store = flags.store.empty() ? parley::store::OpenSqliteStore(flags.data_dir, store_options)
                                   : parley::store::OpenStore(flags.store, store_options);
  if (!store.ok()) {
    std::cerr << "parley: cannot open the store in " << (flags.store.empty() ? flags.data_dir : "--store") << ": "
              << store.status().message() << "\n";
    return 1;
  }
  auto fresh_key = parley::core::SecureRandomHex(32);
  if (!fresh_key.ok()) {
    std::cerr << "parley: " << fresh_key.status().message() << "\n";
    return 1;
  }
  auto key = (*store)->GetOrCreateSetting("page_token_key", *fresh_key);
  if (!key.ok()) {
    std::cerr << "parley: " << key.status().message() << "\n";
    return 1;
  }
  parley::service::ConversationLimits conversation_limits;
  conversation_limits.max_conversation_bytes = flags.max_conversation_mb << 20;
  conversation_limits.max_labels = flags.max_labels;
  conversation_limits.max_messages = flags.max_segments;
  conversation_limits.max_message_text_bytes = flags.max_segment_kb << 10;
  conversation_limits.max_words_per_message = flags.max_words_per_segment;
  parley::core::SetFilterLimits({flags.max_filter_bytes, flags.max_filter_depth});
  parley::service::ConversationService conversations(store->get(), parley::core::PageTokenCodec(*key),
                                                     conversation_limits,
                                                     static_cast<size_t>(flags.live_cache_mb) << 20);

  parley::http::Router router;
  router.Add(parley::http::Method::kGet, "/healthz",
             [](const parley::http::Request&, const parley::http::PathParams&) {
               parley::http::Response r;
               r.body = "{\"status\":\"ok\"}";
               return r;
             });
  // The web UI's static files (no key needed: the page asks for one).
  parley::http::AddStaticFiles(&router, "/ui", parley::api::WebUiFiles());
  // Long-running operations (analyses, bulk work, exports) run on workers.
  parley::jobs::JobQueue jobs(store->get(), flags.workers, flags.max_pending_operations);
  parley::service::AnalysisLimits analysis_limits;
  analysis_limits.max_messages = flags.max_analysis_messages;
  analysis_limits.time_budget_ms = flags.analysis_time_budget_ms;
  parley::service::AnalysisService analysis(store->get(), &conversations, analysis_limits);
  analysis.RegisterRunners(&jobs);
  for (const std::string& spec : flags.intent_models) {
    // PROJECT=PATH attaches to one project; a bare PATH to every other one.
    size_t eq = spec.find('=');
    std::string project = eq == std::string::npos ? "" : spec.substr(0, eq);
    std::string path = eq == std::string::npos ? spec : spec.substr(eq + 1);
    auto model = parley::analysis::intents::IntentModel::Load(path);
    if (!model.ok()) {
      std::cerr << "parley: --intent-model " << spec << ": " << model.status().message() << "\n";
      return 2;
    }
    analysis.SetIntentModel(project,
                            std::make_shared<const parley::analysis::intents::IntentModel>(std::move(*model)),
                            flags.intent_threshold);
  }
  parley::api::ServerConfig config;
  config.blobs.bucket_dir = flags.bucket_dir;
  config.blobs.file_root = flags.file_root;
  // A transcript file larger than a conversation may be is refused unread.
  config.blobs.max_bytes = flags.max_conversation_mb << 20;
  config.max_response_bytes = flags.max_response_mb << 20;
  if (flags.max_response_mb < flags.max_conversation_mb) {
    // A page always holds one item, so a smaller cap could not hold.
    std::cerr << "parley: --max-response-mb must be at least --max-conversation-mb\n";
    return 2;
  }
  if (flags.max_inflight_response_mb != 0 && flags.max_inflight_response_mb < flags.max_response_mb) {
    // Else the largest list response could never be written.
    std::cerr << "parley: --max-inflight-response-mb must be 0 or at least --max-response-mb\n";
    return 2;
  }
  config.export_dir = flags.export_dir;
  config.idle_complete_us = flags.idle_complete_seconds * 1'000'000;
  parley::service::OperationService operations(store->get(), &jobs, &conversations.tokens());
  parley::service::ResourceService resources(store->get());
  // Authentication: on once the store holds a key or an --auth-file is
  // given; until then development mode, on loopback only unless --insecure.
  parley::service::KeyService keys(&resources);
  if (!flags.auth_file.empty()) {
    if (absl::Status s = keys.LoadAuthFile(flags.auth_file); !s.ok()) {
      std::cerr << "parley: --auth-file: " << s.message() << "\n";
      return 2;
    }
  }
  if (!keys.Required()) {
    if (!IsLoopback(options.host) && !flags.insecure) {
      std::cerr << "parley: refusing to listen on " << options.host
                << " without API keys: anyone who can reach it could read and change every tenant's "
                   "data. Create a key with `parley keys create --data-dir "
                << flags.data_dir << " --tenant T --role admin`, or pass --insecure.\n";
      return 2;
    }
    std::cerr << "parley: development mode: no API keys in " << flags.data_dir
              << ", requests are not authenticated"
              << (IsLoopback(options.host) ? " (loopback only)" : " and --insecure exposes it beyond loopback")
              << "; `parley keys create` turns authentication on" << std::endl;
  }
  parley::service::SettingsService settings(&resources);
  parley::analysis::pii::InspectTemplates inspect_templates;
  if (!flags.inspect_templates.empty()) {
    auto loaded = parley::analysis::pii::InspectTemplates::Load(flags.inspect_templates);
    if (!loaded.ok()) {
      std::cerr << "parley: --inspect-templates " << flags.inspect_templates << ": "
                << loaded.status().message() << "\n";
      return 2;
    }
    inspect_templates = std::move(*loaded);
  }
  parley::service::IngestService ingest(&conversations, &analysis, &operations, &settings,
                                        &inspect_templates);
  parley::service::MessageService messages(&conversations);
  parley::service::KnowledgeService knowledge(&resources, config.blobs);
  parley::service::VirtualAgentService agent(&resources, &knowledge, &conversations, &messages);
  parley::api::Services services;
  services.conversations = &conversations;
  services.analysis = &analysis;
  services.operations = &operations;
  services.resources = &resources;
  services.settings = &settings;
  services.ingest = &ingest;
  services.messages = &messages;
  services.knowledge = &knowledge;
  services.agent = &agent;
  std::unique_ptr<parley::genai::LlmClient> llm;
  if (!flags.llm_endpoint.empty()) {
    parley::genai::LlmOptions llm_options;
    llm_options.endpoint = flags.llm_endpoint;
    llm_options.model = flags.llm_model;
    llm_options.timeout_ms = flags.llm_timeout_ms;
    llm_options.attempts = flags.llm_attempts;
    if (!flags.llm_key_file.empty()) {
      // A bearer key is a line, not a file of any size.
      auto key_text = parley::core::ReadFile(flags.llm_key_file, 64 << 10);
      if (!key_text.ok()) {
        std::cerr << "parley: --llm-key-file: " << key_text.status().message() << "\n";
        return 1;
      }
      llm_options.api_key = std::string(absl::StripAsciiWhitespace(*key_text));
    }
    auto client = parley::genai::LlmClient::Create(std::move(llm_options));
    if (!client.ok()) {
      std::cerr << "parley: " << client.status().message() << "\n";
      return 1;
    }
    llm = std::make_unique<parley::genai::LlmClient>(*std::move(client));
  }
  parley::service::GenAiLimits genai_limits;
  genai_limits.max_concurrent_per_tenant = flags.genai_concurrency;
  parley::service::GenAiService genai(&conversations, std::move(llm), genai_limits);
  services.genai = &genai;
  // The Insights analysis summary comes from the same engine (the LLM when
  // one is configured, the local summary as fallback).
  if (genai.has_llm()) {
    analysis.SetSummaryWriter([&genai](const parley::core::Conversation& c, parley::core::AnalysisResult* r) {
      genai.Summarize(c, r);
    });
  }
  // CES runSession's replies come from the same LLM when one is configured.
  if (genai.has_llm()) agent.SetReplyGenerator(genai.AgentReplyGenerator());
  services.keys = &keys;
  std::unique_ptr<parley::service::SpeechService> speech;
  if (!flags.no_asr) {
    parley::service::SpeechConfig speech_config;
    speech_config.endpoint = flags.asr_endpoint;
    speech_config.endpoint_model = flags.asr_model;
    speech_config.endpoint_timeout_ms = flags.asr_timeout_ms;
    speech_config.model_dir = flags.asr_model_dir;
    speech_config.asr_mode = flags.asr_mode;
    speech_config.decoder_options = flags.asr_decoder_options;
    speech_config.max_audio_bytes = static_cast<int64_t>(flags.max_audio_mb) << 20;
    speech_config.max_duration_us = flags.max_audio_seconds * 1'000'000;
    // Loaded on the first recording: a server that never sees audio never pays for it.
    speech_config.preload_model = false;
    auto created = parley::service::SpeechService::Create(std::move(speech_config));
    if (!created.ok()) {
      std::cerr << "parley: speech recognition: " << created.status().message() << "\n";
      return 1;
    }
    speech = std::move(*created);
  }
  services.speech = speech.get();
  // Uploaded recordings are kept as files and transcribed on the job queue.
  parley::service::TranscriptionService transcription(&conversations, &operations, speech.get(),
                                                      flags.data_dir + "/uploads");
  transcription.RegisterRunner();
  services.transcription = &transcription;
  // Insights uploads of a recording: transcribed, then stored, by a job.
  ingest.RegisterRunner(&transcription, config.blobs);
  const std::vector<std::unique_ptr<parley::api::Dialect>> dialects =
      parley::api::RegisteredDialects();
  // Every route a dialect adds checks the caller's key and its rate
  // (/healthz, added above, stays open); destructive and admin ones are
  // audited, refusals included. Then the body's Content-Type (415, against
  // cross-site form posts).
  // Per key; per client address in development mode only when --rate-limit
  // is given (on loopback every client is this machine, and the default
  // would throttle local tests and benchmarks).
  std::unique_ptr<parley::api::RateLimiter> key_limits, address_limits;
  if (flags.rate_limit > 0) {
    key_limits = std::make_unique<parley::api::RateLimiter>(flags.rate_limit, flags.rate_burst);
    if (flags.rate_limit_given) {
      address_limits = std::make_unique<parley::api::RateLimiter>(flags.rate_limit, flags.rate_burst);
    }
  }
  // Failed authentications (401, 403) per client address, so that guessing
  // keys costs the guesser, not the key lookups and the audit log.
  std::unique_ptr<parley::api::RateLimiter> failure_limits;
  if (flags.auth_failure_limit > 0) {
    failure_limits =
        std::make_unique<parley::api::RateLimiter>(flags.auth_failure_limit, flags.auth_failure_burst);
  }
  const parley::api::RateLimits limits{key_limits.get(), address_limits.get(), failure_limits.get()};
  parley::service::AuditService audit(store->get());
  std::vector<parley::api::DialectRoutes> dialect_routes(dialects.size());
  // On a remote store (PostgreSQL) a read waits for the database: the
  // dialects' reads run on the blocking pool, not on a network thread, so
  // that a GET waiting for its round trip stalls no other request (issue 16).
  if ((*store)->IsRemote()) router.SetInlineDispatch(parley::http::Dispatch::kBlocking);
  for (size_t i = 0; i < dialects.size(); ++i) {
    const auto& dialect = dialects[i];
    dialect_routes[i].dialect = dialect.get();
    router.PushTracker(parley::api::RouteRecorder(&dialect_routes[i]));
    router.PushTracker([d = dialect.get(), &keys, &audit, limits](parley::http::Method method,
                                                                  std::string_view pattern) {
      return parley::api::MakeAuditTracker(d, &keys, &audit, limits.failed_auth, method, pattern);
    });
    router.PushGuard([d = dialect.get(), &keys, limits](parley::http::Method method,
                                                        std::string_view pattern) {
      return parley::api::MakeAuthGuard(d, &keys, limits, method, pattern);
    });
    router.PushGuard([d = dialect.get()](parley::http::Method method, std::string_view pattern) {
      return parley::api::MakeBodyTypeGuard(d, method, pattern);
    });
    dialect->AddRoutes(config, services, &router);
    router.PopGuard();
    router.PopGuard();
    router.PopTracker();
    router.PopTracker();
  }
  router.SetInlineDispatch(parley::http::Dispatch::kInline);
  // The server's own routes: readiness, metrics, OpenAPI documents.
  std::atomic<bool> ready{false};
  AddServerRoutes(&router, &keys, &ready, /*open_metrics=*/false);
  AddServerCollectors(&jobs, store->get(), flags.data_dir);
  AddLiveCollector(&conversations);
  router.Add(parley::http::Method::kGet, "/openapi",
             [&dialect_routes](const parley::http::Request&, const parley::http::PathParams&) {
               return TextResponse(200, parley::api::OpenApiIndexPage(dialect_routes), "text/html; charset=utf-8");
             });
  // Rendered once: the route tables do not change while serving.
  auto openapi = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  for (const auto& d : dialect_routes) {
    openapi->emplace_back(std::string(d.dialect->name()) + ".json", parley::api::OpenApiDocument(d));
  }
  router.Add(parley::http::Method::kGet, "/openapi/{document}",
             [openapi](const parley::http::Request& req, const parley::http::PathParams& params) {
               for (const auto& [file, json] : *openapi) {
                 if (params.Get("document") == file) return TextResponse(200, json, "application/json");
               }
               return TextResponse(404, "No such OpenAPI document; see /openapi.\n", "text/plain; charset=utf-8");
             });
  // Unknown routes: 401 without a valid key, not a 404 that reveals routes.
    router.SetUnmatchedGuard(parley::api::MakeUnmatchedAuthGuard(&dialects, &keys, limits.failed_auth));
  if ((*store)->SharesOperations()) {
    // Other nodes on the database run operations too (ADR 0022): this node
    // claims what it runs, under a name kept in its data directory so that
    // after a restart it takes its own claims back at once.
    auto node = NodeName(flags.data_dir);
    if (!node.ok()) {
      std::cerr << "parley: " << node.status().message() << "\n";
      return 1;
    }
    jobs.ShareOperations(*node, int64_t{flags.operation_lease_seconds} * 1'000'000);
  }
  if (absl::Status s = jobs.Start(); !s.ok()) {
    std::cerr << "parley: cannot resume operations: " << s.message() << "\n";
    return 1;
  }

  // One log line and metrics per request (unless turned off, for benchmarks).
  parley::api::RequestTelemetry request_telemetry(&dialects);
  if (!flags.no_request_telemetry) options.observer = &request_telemetry;
  // Errors the server detects itself come in the shape of the dialect whose
  // path was asked for.
  parley::http::Server server(
      options, &router,
      [&dialects](std::string_view target, int status, const std::string& message) {
        std::string_view path = target.substr(0, target.find('?'));
        if (const parley::api::Dialect* d = parley::api::DialectFor(dialects, path)) {
          return d->RenderError(status, message);
        }
        parley::http::Response r;
        r.status = status;
        r.content_type = "text/plain; charset=utf-8";
        r.body = message;
        return r;
      });
  if (absl::Status s = server.Start(); !s.ok()) {
    std::cerr << "parley: " << s.message() << "\n";
    return 1;
  }
  // One write: request log lines may already be written from other threads.
  std::cerr << ("parley: listening on " + options.host + ":" + std::to_string(server.port()) +
                (options.tls_cert_file.empty() ? "" : " (HTTPS)") + ", data in " + flags.data_dir + "\n")
            << std::flush;
  // --metrics-listen: /metrics, /healthz and /readyz without a key, for
  // Prometheus scrapers, on an address of the operator's choosing.
  parley::http::Router metrics_router;
  std::unique_ptr<parley::http::Server> metrics_server;
  if (!flags.metrics_listen.empty()) {
    AddServerRoutes(&metrics_router, &keys, &ready, /*open_metrics=*/true);
    metrics_router.Add(parley::http::Method::kGet, "/healthz",
                       [](const parley::http::Request&, const parley::http::PathParams&) {
                         return TextResponse(200, "{\"status\":\"ok\"}", "application/json");
                       });
    parley::http::ServerOptions metrics_options;
    metrics_options.host = metrics_host;
    metrics_options.port = metrics_port;
    metrics_options.network_threads = 1;
    metrics_options.blocking_threads = 2;
    metrics_options.max_connections = 64;
    metrics_server = std::make_unique<parley::http::Server>(metrics_options, &metrics_router, nullptr);
    if (absl::Status s = metrics_server->Start(); !s.ok()) {
      std::cerr << "parley: --metrics-listen: " << s.message() << "\n";
      server.Shutdown();
      jobs.Shutdown();
      return 1;
    }
    std::cerr << ("parley: metrics on " + metrics_host + ":" + std::to_string(metrics_server->port()) + "\n")
              << std::flush;
  }
  ready.store(true);

  // Expired conversations are removed in the background, idle live ones
  // (Dialogflow's) completed, and audit entries past their retention pruned.
  const int64_t audit_retention_us =
      static_cast<int64_t>(flags.audit_retention_days * 24 * 3600 * 1e6);
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread sweeper([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(flags.sweep_seconds), [&] { return stopping; })) {
      lock.unlock();
      auto swept = conversations.SweepExpired();
      if (!swept.ok()) std::cerr << "parley: expiry sweep failed: " << swept.status().message() << "\n";
      auto idle = messages.CompleteIdle(config.idle_complete_us);
      if (!idle.ok()) std::cerr << "parley: idle sweep failed: " << idle.status().message() << "\n";
      if (audit_retention_us > 0) {
        auto pruned = audit.Prune(audit_retention_us);
        if (!pruned.ok()) std::cerr << "parley: audit log prune failed: " << pruned.status().message() << "\n";
      }
      lock.lock();
    }
  });

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << ("parley: signal " + std::to_string(sig) + ", draining\n") << std::flush;
  ready.store(false);
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  sweeper.join();
  server.Shutdown();
  if (metrics_server) metrics_server->Shutdown();
  jobs.Shutdown();  // unfinished operations resume after a restart
  (*store)->Close();
  parley::telemetry::Log().Flush();
  std::cerr << "parley: stopped" << std::endl;
  return 0;
}

// A directory, or a path where nothing is yet (the server creates it).
const CLI::Validator kDirectoryOrAbsent(
    [](std::string& path) -> std::string {
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "" : "Cannot use path: " + path;
      return S_ISDIR(st.st_mode) ? "" : "Not a directory: " + path;
    },
    "DIR");

void AddServeCommand(CLI::App& app) {
  auto serve = std::make_shared<ServeFlags>();
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the HTTP server");
  serve_cmd->add_option("--listen", serve->listen, "HOST:PORT to listen on")->capture_default_str();
  serve_cmd->add_option("--data-dir", serve->data_dir,
                        "Directory of the embedded store (created if missing; one server at a time)")
      ->check(kDirectoryOrAbsent)
      ->capture_default_str();
  serve_cmd->add_option("--store", serve->store,
                        "PostgreSQL database to use instead of the embedded store: postgresql://USER@HOST:PORT/DB[?...] (docs/adr/0021)");
  serve_cmd->add_option("--bucket-dir", serve->bucket_dir,
                        "Directory served as gs://BUCKET/OBJECT (BUCKET is a sub-directory); must exist")
      ->check(CLI::ExistingDirectory);
  serve_cmd->add_option("--file-root", serve->file_root,
                        "Read file:// URIs of regular files under this directory (default: file:// refused); must exist")
      ->check(CLI::ExistingDirectory);
  serve_cmd->add_option("--max-body-bytes", serve->max_body_bytes, "Largest request body accepted")
      ->check(CLI::Range(size_t{1}, size_t{1} << 32))
      ->capture_default_str();
  serve_cmd->add_option("--threads", serve->network_threads, "Network threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve_cmd->add_option("--blocking-threads", serve->blocking_threads,
                        "Threads for calls that compute or wait on the store")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve_cmd->add_option("--max-connections", serve->max_connections,
                        "Connections served at once (more get 503); lowered to the descriptor limit")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24))
      ->capture_default_str();
  serve_cmd->add_option("--max-inflight-body-mb", serve->max_inflight_body_mb,
                        "Request-body MiB held by all connections together (more get 503); 0 = no limit")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  serve_cmd->add_option("--max-conversation-mb", serve->max_conversation_mb,
                        "Largest conversation stored, MiB, whatever its source (request body, "
                        "transcript file, upload, update); larger ones get 400")
      ->check(CLI::Range(size_t{1}, size_t{1} << 12))
      ->capture_default_str();
  serve_cmd->add_option("--max-labels", serve->max_labels, "Labels per conversation (more get 400)")
      ->check(CLI::Range(0, 10'000))->capture_default_str();
  serve_cmd->add_option("--max-segments", serve->max_segments,
                        "Transcript segments (messages) per conversation (more get 400)")
      ->check(CLI::Range(1, 1'000'000))->capture_default_str();
  serve_cmd->add_option("--max-segment-kb", serve->max_segment_kb,
                        "Text of one segment (message), KiB (more get 400)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 14))->capture_default_str();
  serve_cmd->add_option("--max-words-per-segment", serve->max_words_per_segment,
                        "Word timings of one segment (more get 400)")
      ->check(CLI::Range(1, 1'000'000))->capture_default_str();
  serve_cmd->add_option("--max-filter-bytes", serve->max_filter_bytes,
                        "Longest AIP-160 filter, bytes (longer get 400)")
      ->check(CLI::Range(size_t{16}, size_t{1} << 16))->capture_default_str();
  serve_cmd->add_option("--max-filter-depth", serve->max_filter_depth,
                        "Deepest parenthesis nesting of a filter (deeper get 400)")
      ->check(CLI::Range(1, parley::core::kMaxFilterDepth))->capture_default_str();
  serve_cmd->add_option("--max-response-mb", serve->max_response_mb,
                        "Largest list response, MiB: a page stops adding items before it would "
                        "exceed it and continues on the next page; at least --max-conversation-mb")
      ->check(CLI::Range(size_t{1}, size_t{1} << 12))
      ->capture_default_str();
  serve_cmd->add_option("--max-inflight-response-mb", serve->max_inflight_response_mb,
                        "Response-body MiB being written to all connections together (responses "
                        "over 64 KiB beyond it get 503); 0 = no limit")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  serve_cmd->add_option("--asr-endpoint", serve->asr_endpoint,
                        "OpenAI-compatible speech-to-text server (http://HOST:PORT[/v1/audio/transcriptions]) "
                        "used instead of the embedded recogniser");
  serve_cmd->add_option("--asr-model", serve->asr_model, "Model name sent to --asr-endpoint")
      ->capture_default_str();
  serve_cmd->add_option("--asr-timeout-ms", serve->asr_timeout_ms, "Timeout of one --asr-endpoint request")
      ->capture_default_str();
  serve_cmd->add_option("--asr-model-dir", serve->asr_model_dir,
                        "Embedded recogniser's model (pocketsphinx-en-us layout)")
      ->capture_default_str();
  serve_cmd->add_option("--asr-mode", serve->asr_mode,
                        "Embedded recogniser: accurate, or fast (2x the speed, more word errors)")
      ->check(CLI::IsMember({"fast", "accurate"}))
      ->capture_default_str();
  serve_cmd->add_option("--asr-decoder-options", serve->asr_decoder_options,
                        "Extra pocketsphinx decoder arguments over --asr-mode's, e.g. \"-topn 2\"");
  serve_cmd->add_flag("--no-asr", serve->no_asr, "Disable speech recognition (audio is refused)");
  serve_cmd->add_option("--max-audio-mb", serve->max_audio_mb, "Largest recording transcribed")
      ->capture_default_str();
  serve_cmd->add_option("--max-audio-seconds", serve->max_audio_seconds, "Longest recording transcribed")
      ->capture_default_str();
  serve_cmd->add_option("--view-cache-mb", serve->view_cache_mb,
                        "Memory for recently read conversations, MiB (0 = off)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  serve_cmd->add_option("--live-cache-mb", serve->live_cache_mb,
                        "Serialized MiB of live conversations kept parsed in memory (SQLite), so that "
                        "a call on one neither reads nor parses it (0 = off)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  serve_cmd->add_option("--disk-reserve-mb", serve->disk_reserve_mb,
                        "Disk space kept in DATA_DIR/parley.reserve and released when the disk is "
                        "full, so that deletes still work, MiB (0 = off)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  serve_cmd->add_option("--sweep-seconds", serve->sweep_seconds,
                        "How often expired conversations are removed and idle ones completed "
                        "(--idle-complete-seconds)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  serve_cmd->add_option("--audit-retention-days", serve->audit_retention_days,
                        "Audit log entries older than this are removed by the sweep (--sweep-seconds); "
                        "0 = kept for ever")
      ->check(CLI::Range(0.0, 100.0 * 365))
      ->capture_default_str();
  serve_cmd->add_option("--idle-complete-seconds", serve->idle_complete_seconds,
                        "Live conversations (Dialogflow) with no activity for this long are "
                        "completed, by the sweep (--sweep-seconds) or when read first (0 = never)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{10} * 365 * 24 * 3600));

  serve_cmd->add_option("--workers", serve->workers, "Threads running long-running operations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve_cmd->add_option("--operation-lease-seconds", serve->operation_lease_seconds,
                        "With --store postgresql://: how long a node's claim of an operation lasts "
                        "unrenewed; a node that dies has its operations taken over after this")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  serve_cmd->add_option("--max-pending-operations", serve->max_pending_operations,
                        "Most unfinished long-running operations a project may have; more "
                        "are refused with 429 RESOURCE_EXHAUSTED (0 = no cap)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  serve_cmd->add_option("--max-analysis-messages", serve->max_analysis_messages,
                        "Most transcript segments a conversation may have to be analyzed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve_cmd->add_option("--analysis-time-budget-ms", serve->analysis_time_budget_ms,
                        "Wall time one conversation's analysis may take; past it the analysis "
                        "stops and fails with DEADLINE_EXCEEDED (0 = no budget)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{24} * 3600 * 1000));
  serve_cmd->add_option("--intent-model", serve->intent_models,
                        "[PROJECT=]PATH of a model from `parley intents train`: analyses of that "
                        "project (or, without PROJECT=, of every project) report intents; repeatable");
  serve_cmd->add_option("--intent-threshold", serve->intent_threshold,
                        "Lowest confidence an analysis reports an intent with")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  serve_cmd->add_option("--inspect-templates", serve->inspect_templates,
                        "JSON file of DLP-shaped inspect templates ({\"inspectTemplates\": [...]}) "
                        "that an Insights redactionConfig.inspectTemplate may name: built-in and "
                        "custom info types (regex, word list, hotwords) per project");
  serve_cmd->add_option("--export-dir", serve->export_dir,
                        "Directory insightsdata:export writes to (PROJECT/DATASET/TABLE.*); created on the first export")
      ->check(kDirectoryOrAbsent)
      ->capture_default_str();
  serve_cmd->add_option("--auth-file", serve->auth_file,
                        "JSON file of API keys with plain secrets, mode 0600 (README, Authentication); "
                        "turns authentication on")
      ->check(CLI::ExistingFile);
  serve_cmd->add_flag("--insecure", serve->insecure,
                      "Allow --listen beyond loopback without any API key (development mode)");
  // Missing or unreadable TLS files are refused by Server::Start, naming the file.
  serve_cmd->add_option("--tls-cert", serve->tls_cert, "PEM certificate chain: serve HTTPS (with --tls-key)");
  serve_cmd->add_option("--tls-key", serve->tls_key, "PEM private key of --tls-cert");
  serve_cmd->add_option("--max-header-kb", serve->max_header_kb, "Largest request head, KiB (more get 431)")
      ->check(CLI::Range(size_t{1}, size_t{4096}))->capture_default_str();
  serve_cmd->add_option("--header-timeout-ms", serve->header_timeout_ms,
                        "A request head (and a new connection's TLS handshake) must arrive within this")
      ->check(CLI::Range(1, 3'600'000))->capture_default_str();
  serve_cmd->add_option("--idle-timeout-ms", serve->idle_timeout_ms,
                        "An idle keep-alive connection is closed after this")
      ->check(CLI::Range(1, 3'600'000))->capture_default_str();
  serve_cmd->add_option("--body-timeout-ms", serve->body_timeout_ms,
                        "A request body must arrive (and a response be written) within this")
      ->check(CLI::Range(1, 3'600'000))->capture_default_str();
  serve_cmd->add_option("--max-json-depth", serve->max_json_depth,
                        "Deepest nesting of a JSON request body (at most 100)")
      ->check(CLI::Range(1, parley::protojson::kMaxJsonDepth))->capture_default_str();
  serve_cmd->add_option("--allowed-host", serve->allowed_hosts,
                        "A Host name requests may carry, besides the listen host and loopback names "
                        "(default on 0.0.0.0/:: : any); repeatable");
  serve_cmd->add_option("--cors-origin", serve->cors_origins,
                        "A browser origin (scheme://host[:port]) allowed to call; other Origins get "
                        "403; repeatable");
  serve_cmd->add_option_function<double>(
                 "--rate-limit",
                 [serve](double rps) {
                   serve->rate_limit = rps;
                   serve->rate_limit_given = true;
                 },
                 "Requests a second each API key may make on average; more get 429 with Retry-After "
                 "(0 = no limit). Given explicitly, it also limits each client address in development mode")
      ->check(CLI::NonNegativeNumber)
      ->default_str("200");
  serve_cmd->add_option("--rate-burst", serve->rate_burst,
                        "Requests a key may make at once before --rate-limit applies")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  serve_cmd->add_option("--auth-failure-limit", serve->auth_failure_limit,
                        "Failed authentications (401, 403) a second each client address may cause on "
                        "average; beyond them its requests get 429 with Retry-After, unchecked and "
                        "unaudited (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve_cmd->add_option("--auth-failure-burst", serve->auth_failure_burst,
                        "Failed authentications a client address may cause at once before "
                        "--auth-failure-limit applies")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  serve_cmd->add_option("--llm-endpoint", serve->llm_endpoint,
                        "OpenAI-compatible server (http://HOST:PORT) for generative AI; empty: local engine");
  serve_cmd->add_option("--llm-model", serve->llm_model, "Model name sent to --llm-endpoint");
  serve_cmd->add_option("--llm-key-file", serve->llm_key_file,
                        "File holding the bearer key for --llm-endpoint");
  serve_cmd->add_option("--llm-timeout-ms", serve->llm_timeout_ms,
                        "Per attempt; past it generative requests answer 408")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  serve_cmd->add_option("--llm-attempts", serve->llm_attempts,
                        "Attempts on connection errors, 429 and 5xx before the local answer")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  serve_cmd->add_option("--genai-concurrency", serve->genai_concurrency,
                        "Generative AI requests at once per tenant (more get 429)")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  // Operations (issue 15): logs, metrics.
  serve_cmd->add_option("--log-format", serve->log_format,
                        "Log lines as json (one object a line) or text (key=value)")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  serve_cmd->add_option("--log-level", serve->log_level,
                        "Least severe log lines written: debug|info (one a request)|warn|error|off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve_cmd->add_option("--metrics-listen", serve->metrics_listen,
                        "HOST:PORT of a second listener serving /metrics, /healthz and /readyz without "
                        "an API key, for Prometheus (on --listen, /metrics needs an admin key once keys exist)");
  serve_cmd->add_flag("--no-request-telemetry", serve->no_request_telemetry,
                      "Neither log nor count requests (for benchmarks comparing their cost)");
  serve_cmd->callback([serve] {
    if (int rc = Serve(*serve); rc != 0) throw CLI::RuntimeError(rc);
  });
}

const bool kRegistered = parley::cli::RegisterCommand(&AddServeCommand);

}  // namespace

