// The HTTP request parser, through the real server: an http::Server (Beast's
// request_parser<string_body> with the server's header limit and body limit,
// keep-alive, pipelining, its own error responses) runs in-process on a
// loopback port; each input is written on a new connection, whose write side
// is then closed, and everything the server answers is read until it closes.
// Every answer must be HTTP/1.1 responses; a connection the server neither
// answers nor closes within 10 s is reported as a hang.
//
// The router has a few routes of each dispatch kind (inline, blocking, async)
// that echo what the server parsed, so that requests reach handlers. The body
// limit is 4 KiB (`parley serve --max-body-bytes`), small enough for inputs to
// cross it.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "api/http/router.h"
#include "core/absl_compat.h"
#include "api/http/server.h"
#include "fuzz/fuzz_check.h"

namespace {

using parley::http::Method;
using parley::http::PathParams;
using parley::http::Request;
using parley::http::Response;

Response Echo(const Request& req, const PathParams& params) {
  Response r;
  r.body = absl::StrCat("{\"method\":\"", parley::Sv(parley::http::MethodName(req.method)), "\",\"path\":",
                        req.path.size(), ",\"query\":", req.query.size(), ",\"headers\":",
                        req.headers.size(), ",\"body\":", req.body.size(), ",\"id\":",
                        params.Get("id").size(), "}");
  return r;
}

uint16_t ServerPort() {
  static const uint16_t port = [] {
    auto* router = new parley::http::Router;
    router->Add(Method::kGet, "/healthz", Echo);
    router->Add(Method::kPost, "/v1/things", Echo);
    router->Add(Method::kGet, "/v1/things/{id}", Echo);
    router->Add(Method::kPatch, "/v1/things/{id}", Echo, parley::http::Dispatch::kBlocking);
    router->Add(Method::kDelete, "/v1/things/{id}", Echo, parley::http::Dispatch::kBlocking);
    router->AddAsync(Method::kPost, "/v1/things/{id}:run",
                     [](const Request& req, const PathParams& params, parley::http::Responder r) {
                       std::move(r).Send(Echo(req, params));
                     });
    parley::http::ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 4096;
    options.network_threads = 1;
    options.blocking_threads = 2;
    // Leaked on purpose (a static pointer, so LeakSanitizer sees it reachable):
    // the server runs until the process exits.
    static parley::http::Server* server = new parley::http::Server(
        options, router, [](std::string_view target, int status, const std::string& message) {
          Response r;
          r.status = status;
          r.body = absl::StrCat("{\"error\":", message.size(), "}");
          return r;
        });
    FUZZ_CHECK(server->Start().ok());
    return server->port();
  }();
  return port;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  const uint16_t port = ServerPort();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);

  size_t sent = 0;
  while (sent < size) {
    ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;  // libFuzzer's timer signal
    if (n <= 0) break;  // the server may close early (an error response)
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);

  std::string answer;
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;  // libFuzzer's timer signal (the 10 s timeout restarts)
      if (errno == ECONNRESET) break;
      std::fprintf(stderr, "no answer and no close within 10 s (errno %d)\n", errno);
      std::abort();
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  linger no_linger{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
  close(fd);
  if (!answer.empty()) FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
