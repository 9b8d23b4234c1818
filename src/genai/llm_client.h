// A client of an OpenAI-compatible chat completions server (llama.cpp
// server, vLLM, Ollama, ...): POST {endpoint}/v1/chat/completions with a
// system and a user message, and, when a JSON schema is given,
// `response_format: {"type": "json_schema", ...}` so that the reply is that
// JSON. Through libcurl (http:// and https://).
// Reusable by every caller that needs generated text (genai summaries,
// CES replies). Thread-safe: each call opens its own connection.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"

namespace parley::genai {

struct LlmOptions {
  std::string endpoint;  // http(s)://host:port[/prefix][/v1]; "/v1/chat/completions" is appended
  std::string model;     // sent as "model"; empty: "default"
  std::string api_key;   // sent as "Authorization: Bearer KEY" when not empty
  int timeout_ms = 30'000;  // per attempt: connect, send and the whole reply
  int attempts = 2;         // on connection errors, 429 and 5xx; not on timeouts
  size_t max_reply_bytes = size_t{4} << 20;
};

class LlmClient {
 public:
  // INVALID_ARGUMENT when the endpoint is not an http:// or https:// URL.
  static absl::StatusOr<LlmClient> Create(LlmOptions options);

  // The assistant message's content. DEADLINE_EXCEEDED when an attempt timed
  // out; UNAVAILABLE when the server could not be reached or kept failing;
  // INTERNAL on a reply that is not a chat completion.
  absl::StatusOr<std::string> Complete(std::string_view system, std::string_view user,
                                       const google::protobuf::Struct* json_schema = nullptr,
                                       std::string_view schema_name = "result") const;

  // Complete with a schema, the content parsed as a JSON object.
  absl::StatusOr<google::protobuf::Struct> CompleteJson(std::string_view system, std::string_view user,
                                                        const google::protobuf::Struct& json_schema,
                                                        std::string_view schema_name) const;

  const LlmOptions& options() const { return options_; }

 private:
  explicit LlmClient(LlmOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::string> PostOnce(const std::string& body, int* http_status) const;

  LlmOptions options_;
  std::string url_;  // the full chat completions URL
};

// JSON text <-> Struct helpers (google::protobuf::util JSON).
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view json);
std::string ToJsonText(const google::protobuf::Message& message);

}  // namespace parley::genai
