#include "genai/llm_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "google/protobuf/util/json_util.h"

namespace parley::genai {
namespace {

// libcurl's write callback: appends to `text`, failing the transfer past `max` bytes.
struct Sink {
  std::string text;
  size_t max = 0;
};
size_t Collect(char* data, size_t size, size_t n, void* out) {
  auto* sink = static_cast<Sink*>(out);
  if (sink->text.size() + size * n > sink->max) return 0;
  sink->text.append(data, size * n);
  return size * n;
}

}  // namespace

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view json) {
  google::protobuf::Struct s;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &s, options);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("not a JSON object: ", status.message().as_string()));
  return s;
}

std::string ToJsonText(const google::protobuf::Message& message) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

absl::StatusOr<LlmClient> LlmClient::Create(LlmOptions options) {
  std::string url = options.endpoint;
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError("--llm-endpoint must be an http:// or https:// URL");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!absl::EndsWith(url, "/v1/chat/completions")) {
    if (absl::EndsWith(url, "/v1")) url.resize(url.size() - 3);
    url += "/v1/chat/completions";
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  LlmClient client(std::move(options));
  client.url_ = std::move(url);
  if (client.options_.model.empty()) client.options_.model = "default";
  return client;
}

absl::StatusOr<std::string> LlmClient::PostOnce(const std::string& body, int* http_status) const {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (curl == nullptr) return absl::InternalError("LLM endpoint: cannot start a request");
  CURL* c = curl.get();
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  const std::string auth = absl::StrCat("Authorization: Bearer ", options_.api_key);
  if (!options_.api_key.empty()) headers = curl_slist_append(headers, auth.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);
  Sink reply;
  reply.max = options_.max_reply_bytes;
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(options_.timeout_ms, 10'000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError("LLM endpoint: no complete reply in time");
  if (rc == CURLE_WRITE_ERROR) return absl::UnavailableError("LLM endpoint: reply too large");
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("LLM endpoint ", url_, " cannot be reached: ", curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  *http_status = static_cast<int>(status);
  return std::move(reply.text);
}

absl::StatusOr<std::string> LlmClient::Complete(std::string_view system, std::string_view user,
                                                const google::protobuf::Struct* json_schema,
                                                std::string_view schema_name) const {
  google::protobuf::Struct req;
  auto& f = *req.mutable_fields();
  f["model"].set_string_value(options_.model);
  f["temperature"].set_number_value(0);
  auto* messages = f["messages"].mutable_list_value();
  auto add = [&](std::string_view role, std::string_view content) {
    auto& m = *messages->add_values()->mutable_struct_value()->mutable_fields();
    m["role"].set_string_value(std::string(role));
    m["content"].set_string_value(std::string(content));
  };
  add("system", system);
  add("user", user);
  if (json_schema != nullptr) {
    auto& rf = *f["response_format"].mutable_struct_value()->mutable_fields();
    rf["type"].set_string_value("json_schema");
    auto& js = *rf["json_schema"].mutable_struct_value()->mutable_fields();
    js["name"].set_string_value(std::string(schema_name));
    js["strict"].set_bool_value(true);
    *js["schema"].mutable_struct_value() = *json_schema;
  }
  const std::string body = ToJsonText(req);
  absl::Status last = absl::UnavailableError("LLM endpoint: no attempt");
  for (int attempt = 0; attempt < std::max(1, options_.attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    int status = 0;
    auto reply = PostOnce(body, &status);
    if (!reply.ok()) {
      if (absl::IsDeadlineExceeded(reply.status())) return reply.status();
      last = reply.status();
      continue;
    }
    if (status == 429 || status >= 500) {
      last = absl::UnavailableError(absl::StrCat("LLM endpoint answered HTTP ", status));
      continue;
    }
    if (status != 200) return absl::InternalError(absl::StrCat("LLM endpoint answered HTTP ", status));
    auto parsed = ParseJsonObject(*reply);
    if (!parsed.ok()) return absl::InternalError("LLM endpoint: the reply is not JSON");
    const auto& fields = parsed->fields();
    auto choices = fields.find("choices");
    if (choices == fields.end() || choices->second.list_value().values_size() == 0) {
      return absl::InternalError("LLM endpoint: the reply has no choices");
    }
    const auto& choice = choices->second.list_value().values(0).struct_value().fields();
    auto message = choice.find("message");
    if (message == choice.end()) return absl::InternalError("LLM endpoint: the choice has no message");
    auto content = message->second.struct_value().fields().find("content");
    if (content == message->second.struct_value().fields().end() ||
        content->second.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::InternalError("LLM endpoint: the message has no content");
    }
    return content->second.string_value();
  }
  return last;
}

absl::StatusOr<google::protobuf::Struct> LlmClient::CompleteJson(std::string_view system, std::string_view user,
                                                                 const google::protobuf::Struct& json_schema,
                                                                 std::string_view schema_name) const {
  auto text = Complete(system, user, &json_schema, schema_name);
  if (!text.ok()) return text.status();
  auto parsed = ParseJsonObject(*text);
  if (!parsed.ok()) return absl::InternalError("LLM endpoint: the content is not the requested JSON");
  return parsed;
}

}  // namespace parley::genai
