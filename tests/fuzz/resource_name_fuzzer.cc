// Resource names and ids, as a request's target reaches them: http::ParseTarget
// (path percent-decoding, query), then http::Router::Find with every route the
// Insights dialect registers (over real services on a scratch store: Find only
// matches, no handler runs), and core::IsValidClientId on each path segment,
// checked against the rule it documents.
//
// Input: first byte picks the method, the rest is the request target.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "api/dialect.h"
#include "api/http/message.h"
#include "api/http/router.h"
#include "api/insights_v1/mapping.h"
#include "core/ids.h"
#include "core/page_token.h"
#include "fuzz/fuzz_check.h"
#include "jobs/job_queue.h"
#include "service/analysis_service.h"
#include "service/conversation_service.h"
#include "service/ingest_service.h"
#include "service/operation_service.h"
#include "service/resource_service.h"
#include "service/settings_service.h"
#include "store/store.h"

namespace parley::insights_v1 {
std::unique_ptr<api::Dialect> MakeDialect();
}

namespace {

using parley::http::Method;

// The Insights routes, registered once; everything is leaked on purpose (the
// store's threads would otherwise race the process's exit).
const parley::http::Router& InsightsRouter() {
  static const parley::http::Router* router = [] {
    char dir_template[] = "/tmp/parley-fuzz-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    FUZZ_CHECK(dir != nullptr);
    static std::string data_dir = dir;
    std::atexit([] { std::filesystem::remove_all(data_dir); });
    auto store = parley::store::OpenSqliteStore(data_dir, {});
    FUZZ_CHECK(store.ok());
    auto* s = store->release();
    auto* conversations = new parley::service::ConversationService(
        s, parley::core::PageTokenCodec("0123456789abcdef-fuzz-key"));
    auto* jobs = new parley::jobs::JobQueue(s, 1);
    auto* analysis = new parley::service::AnalysisService(s, conversations);
    auto* operations = new parley::service::OperationService(s, jobs, &conversations->tokens());
    auto* resources = new parley::service::ResourceService(s);
    auto* settings = new parley::service::SettingsService(resources);
    auto* ingest = new parley::service::IngestService(conversations, analysis, operations, settings);
    parley::api::Services services{conversations, analysis, operations, resources, settings, ingest};
    auto* r = new parley::http::Router;
    parley::insights_v1::MakeDialect()->AddRoutes(parley::api::ServerConfig{}, services, r);
    return r;
  }();
  return *router;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// core::IsValidClientId's documented rule (ADR 0010): 1 to 128 characters of
// [A-Za-z0-9_.~-], starting with a letter or digit.
bool CoreIdRule(std::string_view id) {
  if (id.empty() || id.size() > 128 || !IsAlnum(id[0])) return false;
  for (char c : id) {
    if (!(IsAlnum(c) || c == '_' || c == '.' || c == '~' || c == '-')) return false;
  }
  return true;
}

// Insights' own rule for client-chosen conversation ids (the core's is checked too, by the service):
// 4 to 64 characters of [a-z0-9-].
bool InsightsIdRule(std::string_view id) {
  if (id.size() < 4 || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  if (size == 0) return 0;
  static const Method kMethods[] = {Method::kGet,    Method::kPost, Method::kPut,     Method::kPatch,
                                    Method::kDelete, Method::kHead, Method::kOptions, Method::kOther};
  const Method method = kMethods[data[0] % 8];
  const std::string_view target = parley::fuzz::AsText(data + 1, size - 1);

  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (!parley::http::ParseTarget(target, &path, &query)) return 0;
  FUZZ_CHECK(path.size() <= target.size());

  for (absl::string_view part : absl::StrSplit(path, '/')) {
    std::string_view segment(part.data(), part.size());
    FUZZ_CHECK(parley::core::IsValidClientId(segment) == CoreIdRule(segment));
    FUZZ_CHECK(parley::insights_v1::CheckClientConversationId(segment).ok() == InsightsIdRule(segment));
  }

  parley::http::Router::Found found = InsightsRouter().Find(method, path);
  if (found.matched()) {
    FUZZ_CHECK(!found.method_not_allowed);
    // A capture is one non-empty segment.
    for (std::string_view name : {"project", "location", "conversation", "analysis", "operation"}) {
      std::string_view v = found.params.Get(name);
      FUZZ_CHECK(v.find('/') == std::string_view::npos);
    }
    FUZZ_CHECK(!found.params.Get("project").empty());
  }
  return 0;
}
