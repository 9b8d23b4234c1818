// The HTTP/1.1 server: keep-alive connections, limits, graceful drain.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/http/router.h"

namespace parley::http {

// What the server tells a RequestObserver about one answered request.
struct RequestRecord {
  // The request as read; null when it could not be read whole (malformed,
  // too large, refused for a limit before its body was read).
  const Request* request = nullptr;
  std::string_view route;   // the matched route's pattern; empty: none matched
  const PathParams* params = nullptr;  // its captures (never null)
  std::string_view request_id;         // as sent back in X-Request-Id
  int status = 0;
  size_t response_bytes = 0;  // the response body
  double seconds = 0;         // from the request read whole to its response ready to write
  // When the response was ready (the reading `seconds` ends at), for
  // stamping a log line without reading the clock again.
  std::chrono::steady_clock::time_point done;
};

// Follows every request the server answers (request log, metrics). Calls
// come from the network threads (and OnDone of a Dispatch::kBlocking
// route's small response from the blocking-pool thread that ran the
// handler, which writes it), so they must be quick and thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // A request is read and about to be routed (in-flight requests).
  virtual void OnStart() = 0;
  // Its response is about to be written; exactly once after each OnStart
  // (a request refused before it was read whole gets both at once).
  virtual void OnDone(const RequestRecord& record) = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;             // 0: pick a free port (see Server::port)
  size_t max_body_bytes = 32u << 20;
  size_t max_header_bytes = 64u << 10;  // request line and header fields; more get 431
  int header_timeout_ms = 10'000;   // whole request head must arrive in this
  // A keep-alive connection with no request in progress is closed after this
  // long (the first request of a new connection must start within
  // header_timeout_ms instead).
  int idle_timeout_ms = 60'000;
  int body_timeout_ms = 60'000;     // whole body must arrive (and a response be written) in this
  int network_threads = 2;
  int blocking_threads = 64;        // pool for Dispatch::kBlocking handlers
  // Open connections served at once. A connection accepted beyond this gets
  // `503` with `Connection: close` and is closed. Start lowers it to the
  // process's descriptor limit (RLIMIT_NOFILE, whose soft limit Start raises
  // to the hard one) minus a margin for the rest of the process.
  size_t max_connections = 10'000;
  // Request-body bytes held by all connections together (declared
  // Content-Length, or bytes received so far of a chunked body), from the
  // request head until its response is written. A request that would exceed
  // it gets `503` with `Retry-After: 1` before its body is read, and the
  // connection is closed. 0: no limit.
  size_t max_inflight_body_bytes = 256u << 20;
  // HTTPS: PEM files of the certificate chain and its private key (both or
  // neither; neither: plain HTTP). The TLS handshake counts against
  // header_timeout_ms like the first request's head.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Host header values served (DNS-rebinding defence): names or addresses,
  // without a port, IPv6 literals in brackets; compared case-insensitively,
  // any port. Empty: any Host. A request naming another host gets 421.
  std::vector<std::string> allowed_hosts;
  // Browser origins (`scheme://host[:port]`) allowed to call: their requests
  // get CORS headers and their OPTIONS preflights are answered (204). A
  // request carrying any other Origin gets 403 and reaches no handler;
  // requests without Origin (non-browser clients) are not affected.
  std::vector<std::string> cors_origins;
  // Response-body bytes held by all connections together, from the moment a
  // response is handed to the connection until it is written (a slow reader
  // holds its response that long, at most body_timeout_ms). A response over
  // 64 KiB that would exceed it is replaced by `503` with `Retry-After: 1`
  // and the connection is closed; smaller ones always go out. 0: no limit.
  size_t max_inflight_response_bytes = size_t{512} << 20;
  // Every response carries `X-Request-Id`: the request's own when it sends
  // a sane one (1 to 128 characters of [A-Za-z0-9._:/+=-]), else a new id.
  // With an observer, each request is reported to it; null: none. Must
  // outlive the server.
  RequestObserver* observer = nullptr;
};

// Renders an error response for failures the server detects itself (unknown
// route, wrong method, body too large, malformed request). Given the request
// target (path and query; empty when it could not be read), so that each
// dialect's paths get its own error shape, the HTTP status and a message.
using ErrorRenderer =
    std::function<Response(std::string_view target, int http_status, const std::string& message)>;

class Server {
 public:
  // `router` must outlive the server.
  Server(ServerOptions options, const Router* router, ErrorRenderer render_error);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting on background threads. Returns once the socket
  // listens (so a request sent after Start returns is served).
  absl::Status Start();

  // The bound port (useful with port 0).
  uint16_t port() const;

  // Stops accepting, lets in-flight requests finish (up to `drain_ms`), closes
  // idle connections, and joins every thread.
  void Shutdown(int drain_ms = 10'000);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
