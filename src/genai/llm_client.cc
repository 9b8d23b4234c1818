#include "genai/llm_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "google/protobuf/util/json_util.h"

namespace parley::genai {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Decodes a chunked body; false when malformed or incomplete.
bool Dechunk(std::string_view in, std::string* out) {
  size_t pos = 0;
  while (true) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    std::string_view size_text = in.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));
    uint64_t n = 0;
    if (!absl::SimpleHexAtoi(Sv(size_text), &n)) return false;
    pos = eol + 2;
    if (n == 0) return true;
    if (pos + n > in.size()) return false;
    out->append(in.substr(pos, n));
    pos += n + 2;
  }
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
  std::string_view url = options.endpoint;
  if (!absl::StartsWith(Sv(url), "http://")) {
    return absl::InvalidArgumentError("--llm-endpoint must be an http:// URL");
  }
  url.remove_prefix(7);
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (absl::EndsWith(Sv(path), "/v1")) path.resize(path.size() - 3);
  LlmClient client(std::move(options));
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']') > colon && authority.front() == '[') {
    client.host_ = std::string(authority);
    client.port_ = "80";
  } else {
    client.host_ = std::string(authority.substr(0, colon));
    client.port_ = std::string(authority.substr(colon + 1));
  }
  if (client.host_.size() > 2 && client.host_.front() == '[') client.host_ = client.host_.substr(1, client.host_.size() - 2);
  if (client.host_.empty()) return absl::InvalidArgumentError("--llm-endpoint has no host");
  client.path_ = path + "/v1/chat/completions";
  if (client.options_.model.empty()) client.options_.model = "default";
  return client;
}

absl::StatusOr<std::string> LlmClient::PostOnce(const std::string& body, int* http_status) const {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("LLM endpoint: cannot resolve ", host_, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(found, freeaddrinfo);
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    int s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) continue;
    if (connect(s, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof(err);
      if (poll(&p, 1, RemainingMs(deadline)) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
          err == 0) {
        fd = s;
        break;
      }
      if (RemainingMs(deadline) == 0) {
        close(s);
        return absl::DeadlineExceededError("LLM endpoint: connect timed out");
      }
    }
    close(s);
  }
  if (fd < 0) return absl::UnavailableError(absl::StrCat("LLM endpoint: cannot connect to ", host_, ":", port_));
  Fd closer(fd);
  std::string request = absl::StrCat("POST ", path_, " HTTP/1.1\r\nHost: ", host_, ":", port_,
                                     "\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                                     "Connection: close\r\nContent-Length: ",
                                     body.size(), "\r\n");
  if (!options_.api_key.empty()) absl::StrAppend(&request, "Authorization: Bearer ", options_.api_key, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) != 1) return absl::DeadlineExceededError("LLM endpoint: send timed out");
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return absl::UnavailableError("LLM endpoint: send failed");
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[16384];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready == 0) return absl::DeadlineExceededError("LLM endpoint: no complete reply in time");
    if (ready < 0 && errno == EINTR) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError("LLM endpoint: connection reset");
    }
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > options_.max_reply_bytes) return absl::UnavailableError("LLM endpoint: reply too large");
  }
  size_t header_end = reply.find("\r\n\r\n");
  if (header_end == std::string::npos || !absl::StartsWith(reply, "HTTP/1.")) {
    return absl::UnavailableError("LLM endpoint: not an HTTP reply");
  }
  std::string_view head(reply.data(), header_end);
  int status = 0;
  if (head.size() < 12 || !absl::SimpleAtoi(Sv(head.substr(9, 3)), &status)) {
    return absl::UnavailableError("LLM endpoint: bad status line");
  }
  *http_status = status;
  std::string lower_head = absl::AsciiStrToLower(Sv(head));
  std::string_view payload(reply.data() + header_end + 4, reply.size() - header_end - 4);
  if (absl::StrContains(lower_head, "transfer-encoding: chunked")) {
    std::string body_out;
    if (!Dechunk(payload, &body_out)) return absl::UnavailableError("LLM endpoint: bad chunked reply");
    return body_out;
  }
  return std::string(payload);
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
