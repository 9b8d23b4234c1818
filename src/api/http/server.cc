// The only translation unit that includes Boost.Asio and Boost.Beast.
//
// Threading: each network thread runs its own io_context, and each accepted
// connection lives on exactly one of them (round-robin), so a connection's
// handlers never run concurrently and need no strand. Blocking handlers run
// on a separate thread pool; the pool thread writes a small response itself
// and starts the next read (Connection::RespondFromPool), anything else is
// posted back to the connection's io_context. Timeouts are deadlines stored
// in the connection and checked by a per-thread sweep timer, so the
// per-request cost of a timeout is one clock read rather than a timer
// operation per socket operation.
//
// Reading: Beast's request parser is fed by hand from a flat buffer, so the
// server sees the moment the head is complete (to refuse an oversized
// Content-Length before the body arrives, answer `Expect: 100-continue` and
// switch from the header timeout to the body timeout). The response head is
// written by hand next to the body in one gather write.
//
// Overload: at most `max_connections` connections are served at once; one
// accepted beyond that is answered `503` and closed. Request bodies in flight
// are counted against `max_inflight_body_bytes` from the head (declared
// Content-Length, or the chunks received so far) until the response is
// written; a request over it gets `503` before its body is read.
//
// TLS: with a certificate, each connection wraps its socket in an Asio SSL
// stream; the handshake runs first, under the header deadline, and the rest
// is the same code reading and writing through the stream (a connection that
// lingers before closing drops raw TCP input, without close_notify).
//
// Host, Origin and CORS (ServerOptions::allowed_hosts, cors_origins) are
// checked for every complete request before routing.

#include "api/http/server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/strings/str_cat.h"
#include "core/splitmix.h"
#include "core/thread_name.h"
#include "telemetry/log.h"

namespace parley::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Executor = net::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using error_code = boost::system::error_code;
using TlsStream = net::ssl::stream<Socket&>;

// Names a blocking-pool thread on its first task (asio's pool starts its
// threads itself).
void NamePoolThread() {
  thread_local bool named = false;
  if (named) return;
  named = true;
  core::NameThisThread("parley-pool");
}

// After an error response that closes the connection, unread input is read
// and dropped for up to this long (or this many bytes) before closing, so that
// closing does not send a reset that could destroy the response in flight.
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr size_t kLingerMaxBytes = 64u << 20;
// A connection refused for the connection limit lingers this long at most.
constexpr auto kRefusedLingerTime = std::chrono::milliseconds(500);
// At most this many refused connections are being answered at once; beyond
// it a connection over the limit is closed without an answer.
constexpr int kMaxRefusing = 64;
// Descriptors left to the rest of the process (store, logs, the refused
// connections above) when max_connections is bounded by RLIMIT_NOFILE.
constexpr size_t kDescriptorMargin = 256;
// Accepting after running out of descriptors (or memory) backs off from the
// first to the second delay, doubling; such failures are logged at most once
// per kAcceptLogInterval.
constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(50);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(1000);
constexpr auto kAcceptLogInterval = std::chrono::seconds(10);
constexpr size_t kHeadReadSize = 4096;
constexpr size_t kBodyReadSize = 64 * 1024;
// Response bodies and request bodies larger than this are freed after each
// request instead of keeping their capacity for the next one.
constexpr size_t kKeepCapacity = 64 * 1024;
// Responses larger than this count against max_inflight_response_bytes
// while they are written (and are always written from the network thread).
constexpr size_t kSmallResponse = 64 * 1024;

class Connection;

struct Core;

struct Worker {
  Core* core = nullptr;
  std::optional<net::io_context> ioc;
  std::optional<net::executor_work_guard<Executor>> work;
  std::optional<net::steady_timer> sweep;
  // Connections living on this worker, an intrusive list guarded by `mu`:
  // a connection is linked and walked on this worker's thread, but its last
  // owner, who unlinks it, may be a blocking-pool thread that answered its
  // request (Connection::RespondFromPool).
  std::mutex mu;
  Connection* connections = nullptr;
  std::thread thread;
};

struct Core {
  Core(ServerOptions o, const Router* r, ErrorRenderer e)
      : options(std::move(o)), router(r), render_error(std::move(e)) {
    for (const std::string& h : options.allowed_hosts) allowed_hosts.push_back(NormalizeHost(h));
    for (std::string origin : options.cors_origins) {
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
      for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      cors_origins.push_back(std::move(origin));
    }
  }

  // A host name or address as compared with a request's Host: lower case,
  // IPv6 literals in brackets.
  static std::string NormalizeHost(std::string_view host) {
    std::string h(host);
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
    return h;
  }

  // Whether a Host header value (host, optional port) names a served host.
  bool HostAllowed(std::string_view value) const {
    if (allowed_hosts.empty()) return true;
    std::string_view host = value;
    if (!host.empty() && host.front() == '[') {
      size_t close = host.find(']');
      if (close == std::string_view::npos) return false;
      std::string_view rest = host.substr(close + 1);
      if (!rest.empty() && rest.front() != ':') return false;
      host = host.substr(0, close + 1);
    } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
      host = host.substr(0, colon);
    }
    if (host.empty()) return false;
    return std::any_of(allowed_hosts.begin(), allowed_hosts.end(), [&](const std::string& a) {
      return beast::iequals(beast::string_view(a.data(), a.size()),
                            beast::string_view(host.data(), host.size()));
    });
  }

  bool OriginAllowed(std::string_view origin) const {
    return std::any_of(cors_origins.begin(), cors_origins.end(), [&](const std::string& o) {
      return beast::iequals(beast::string_view(o.data(), o.size()),
                            beast::string_view(origin.data(), origin.size()));
    });
  }

  Response RenderError(std::string_view target, int status, const std::string& message) const {
    if (render_error) return render_error(target, status, message);
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = message;
    return r;
  }

  // Counts `n` more request-body bytes in flight; false (counting nothing) if
  // that would exceed the limit.
  bool ReserveBody(uint64_t n) {
    const uint64_t cap = options.max_inflight_body_bytes;
    uint64_t current = inflight_body.load(std::memory_order_relaxed);
    do {
      if (n > cap || current > cap - n) return false;
    } while (!inflight_body.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
    return true;
  }
  void ReleaseBody(uint64_t n) { inflight_body.fetch_sub(n, std::memory_order_relaxed); }

  // The same for response bodies being written (max_inflight_response_bytes).
  bool ReserveResponse(uint64_t n) {
    const uint64_t cap = options.max_inflight_response_bytes;
    if (cap == 0) return true;
    uint64_t current = inflight_response.load(std::memory_order_relaxed);
    do {
      if (n > cap || current > cap - n) return false;
    } while (!inflight_response.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
    return true;
  }
  void ReleaseResponse(uint64_t n) { inflight_response.fetch_sub(n, std::memory_order_relaxed); }

  void ConnectionOpened() {
    std::lock_guard lock(mu);
    ++open_connections;
  }
  void ConnectionClosed() {
    std::lock_guard lock(mu);
    if (--open_connections == 0) drained.notify_all();
  }

  const ServerOptions options;
  const Router* const router;
  const ErrorRenderer render_error;
  std::vector<std::string> allowed_hosts;  // NormalizeHost'd; empty: any
  std::vector<std::string> cors_origins;   // lower case, no trailing '/'
  std::optional<net::ssl::context> tls;    // set by Start with a certificate

  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable drained;
  int open_connections = 0;  // guarded by mu
  // Connections being served (increased only by the accept handler) and
  // connections being refused for the limit.
  std::atomic<size_t> active_connections{0};
  std::atomic<int> refusing{0};
  size_t max_connections = 0;  // the effective limit, set by Start
  std::atomic<uint64_t> inflight_body{0};  // request-body bytes, see ReserveBody
  std::atomic<uint64_t> inflight_response{0};  // response-body bytes, see ReserveResponse

  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;           // runs on workers[0]
  std::optional<net::steady_timer> accept_retry;   // runs on workers[0]
  size_t next_worker = 0;                          // only the accept handler
  Clock::duration accept_backoff{};                // only the accept handler
  Clock::time_point accept_logged{};               // only the accept handler
  int accept_errors_unlogged = 0;                  // only the accept handler
  std::optional<net::thread_pool> blocking_pool;
  Clock::duration sweep_interval{};
  uint16_t port = 0;
  bool started = false;
  bool shut_down = false;
};

// ---- small formatting helpers -------------------------------------------

Method MethodFromVerb(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get: return Method::kGet;
    case bhttp::verb::post: return Method::kPost;
    case bhttp::verb::put: return Method::kPut;
    case bhttp::verb::patch: return Method::kPatch;
    case bhttp::verb::delete_: return Method::kDelete;
    case bhttp::verb::head: return Method::kHead;
    case bhttp::verb::options: return Method::kOptions;
    default: return Method::kOther;
  }
}

// The IMF-fixdate of the current second, cached per thread.
std::string_view HttpDate() {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached = -1;
  thread_local char buf[40];
  thread_local size_t len = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached) {
    std::tm t;
    gmtime_r(&now, &t);
    int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[t.tm_wday], t.tm_mday, kMonths[t.tm_mon], t.tm_year + 1900,
                          t.tm_hour, t.tm_min, t.tm_sec);
    len = n > 0 ? static_cast<size_t>(n) : 0;
    cached = now;
  }
  return {buf, len};
}

std::string_view ReasonPhrase(int status) {
  if (status == 499) return "Client Closed Request";
  beast::string_view r = bhttp::obsolete_reason(bhttp::int_to_status(status));
  if (r.empty() || r.front() == '<') return "Unknown";
  return {r.data(), r.size()};
}

void AppendNumber(uint64_t n, std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out->append(digits, end);
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers a handler may set: a valid name, a value without line breaks, and
// not one the server writes itself.
bool HandlerHeaderAllowed(const std::string& name, const std::string& value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) return false;
  if (value.find_first_of("\r\n\0", 0, 3) != std::string::npos) return false;
  return !beast::iequals(name, "content-length") && !beast::iequals(name, "connection") &&
         !beast::iequals(name, "transfer-encoding");
}

// Whether a client's X-Request-Id may be echoed and logged as it is.
bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=';
  });
}

// A new request id: 16 hex digits from a per-thread splitmix64 sequence
// seeded at random (unique enough to find a request in the logs).
void NewRequestId(std::string* out) {
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  uint64_t z = core::SplitMix64(&state);
  static const char kHex[] = "0123456789abcdef";
  out->resize(16);
  for (int i = 15; i >= 0; --i, z >>= 4) (*out)[static_cast<size_t>(i)] = kHex[z & 15];
}

void ToLower(std::string* s) {
  for (char& c : *s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

// ---- one connection ------------------------------------------------------

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `refused`: over the connection limit; answered 503 and closed.
  Connection(Worker* worker, Socket socket, bool refused)
      : worker_(worker), core_(worker->core), socket_(std::move(socket)), refused_(refused) {
    core_->ConnectionOpened();
    if (core_->tls) tls_.emplace(socket_, *core_->tls);
  }

  ~Connection() {
    if (linked_) {
      std::lock_guard lock(worker_->mu);
      if (prev_) {
        prev_->next_ = next_;
      } else {
        worker_->connections = next_;
      }
      if (next_) next_->prev_ = prev_;
    }
    error_code ec;
    socket_.close(ec);
    ReleaseBody();
    ReleaseResponse();
    if (observed_) {  // a request that never got its response (in-flight count)
      Response none;
      none.status = 0;
      ReportDone(none, Clock::now());
    }
    if (refused_) {
      core_->refusing.fetch_sub(1);
    } else {
      core_->active_connections.fetch_sub(1);
    }
    core_->ConnectionClosed();
  }

  Connection* next() const { return next_; }

  // On the worker thread: joins the worker's list and waits for a request.
  void Start() {
    {
      std::lock_guard lock(worker_->mu);
      next_ = worker_->connections;
      if (next_) next_->prev_ = this;
      worker_->connections = this;
      linked_ = true;
    }
    if (core_->stopping.load()) {
      CloseNow();
      return;
    }
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    // Kept for every request of the connection (per-address rate limits).
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) req_.remote_address = peer.address().to_string();
    // The first request's head (after the TLS handshake, if any) must arrive
    // within the header timeout of connecting; later ones may wait for the
    // idle timeout first.
    deadline_ = Clock::now() + Ms(core_->options.header_timeout_ms);
    if (tls_) {
      state_ = State::kHandshake;
      tls_->async_handshake(net::ssl::stream_base::server,
                            [self = shared_from_this()](error_code ec) { self->OnHandshake(ec); });
      return;
    }
    Begin();
  }

  // The connection is ready for its first request (TLS: handshake done).
  void Begin() {
    if (refused_) {
      state_ = State::kHandling;
      RespondAndClose(503, "Too many connections; retry later.", /*retry_after=*/true);
      return;
    }
    state_ = State::kIdle;
    NewRequest();
    Read();
  }

  void OnHandshake(error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {  // not TLS (plain HTTP), a bad client hello, or the deadline
      CloseNow();
      return;
    }
    Begin();
  }

  // From the sweep timer: closes the connection if its deadline has passed.
  void CheckDeadline(Clock::time_point now) {
    std::lock_guard lock(pool_mu_);
    if (now >= deadline_ && state_ != State::kHandling && state_ != State::kClosed) CloseNow();
  }

  // The server is shutting down: an idle connection (or one still in its TLS
  // handshake) closes now; one in the middle of a request closes after
  // responding.
  void OnServerStopping() {
    std::lock_guard lock(pool_mu_);
    if (state_ == State::kIdle || state_ == State::kHandshake) CloseNow();
  }

 private:
  enum class State {
    kHandshake,  // TLS handshake before the first request
    kIdle,       // waiting for the first byte of a request
    kHead,       // reading the request head
    kBody,       // reading the request body
    kHandling,   // a handler runs (possibly on the blocking pool)
    kWriting,    // writing the response
    kLingering,  // response sent, draining input before closing
    kClosed,
  };

  static Clock::duration Ms(int ms) { return std::chrono::milliseconds(std::max(ms, 1)); }

  void NewRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(core_->options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(core_->options.max_body_bytes);
    head_checked_ = false;
    cors_origin_.clear();
  }

  void Read() {
    size_t n = state_ == State::kBody || state_ == State::kLingering ? kBodyReadSize
                                                                      : kHeadReadSize;
    auto on_read = [self = shared_from_this()](error_code ec, size_t bytes) {
      self->OnRead(ec, bytes);
    };
    // Lingering input is dropped unread, below TLS.
    if (tls_ && state_ != State::kLingering) {
      tls_->async_read_some(buffer_.prepare(n), std::move(on_read));
    } else {
      socket_.async_read_some(buffer_.prepare(n), std::move(on_read));
    }
  }

  template <typename Buffers, typename OnWritten>
  void Write(const Buffers& buffers, OnWritten&& on_written) {
    if (tls_) {
      net::async_write(*tls_, buffers, std::forward<OnWritten>(on_written));
    } else {
      net::async_write(socket_, buffers, std::forward<OnWritten>(on_written));
    }
  }

  void OnRead(error_code ec, size_t bytes) {
    if (state_ == State::kClosed) return;
    if (ec) {  // end of stream, reset, or closed by a deadline
      CloseNow();
      return;
    }
    buffer_.commit(bytes);
    if (state_ == State::kLingering) {
      buffer_.consume(buffer_.size());
      lingered_ += bytes;
      if (lingered_ > kLingerMaxBytes) {
        CloseNow();
      } else {
        Read();
      }
      return;
    }
    if (state_ == State::kIdle) {
      state_ = State::kHead;
      // The first request's deadline already counts from connecting.
      if (served_ > 0) deadline_ = Clock::now() + Ms(core_->options.header_timeout_ms);
    }
    Parse();
  }

  // Feeds buffered input to the parser until the request is complete or more
  // input is needed.
  void Parse() {
    for (;;) {
      if (buffer_.size() == 0) {
        Read();
        return;
      }
      if (!parser_->is_header_done() && HasObsFold()) {
        state_ = State::kHandling;
        RespondAndClose(400, "Malformed HTTP request: folded header line.");
        return;
      }
      error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) {
        Read();
        return;
      }
      if (ec) {
        FailRequest(ec);
        return;
      }
      if (!head_checked_ && parser_->is_header_done()) {
        head_checked_ = true;
        if (const char* why = AmbiguousHead(parser_->get())) {
          state_ = State::kHandling;
          RespondAndClose(400, absl::StrCat("Malformed HTTP request: ", why, "."));
          return;
        }
        if (!parser_->is_done() && !OnHeadWithBody()) return;
      }
      // A chunked body counts against the in-flight limit as it arrives (one
      // with a Content-Length was counted whole by OnHeadWithBody).
      if (parser_->is_header_done() && parser_->get().body().size() > reserved_ &&
          !ReserveBody(parser_->get().body().size() - reserved_)) {
        RefuseBusy();
        return;
      }
      if (parser_->is_done()) {
        HandleRequest();
        return;
      }
      if (used == 0) {
        Read();
        return;
      }
    }
  }

  // True if the complete head in the buffer (when there is one) continues a
  // line with a line starting with a space or tab (obs-fold, RFC 9112 5.2).
  // Beast joins such lines; a proxy may not, so the request is refused.
  bool HasObsFold() const {
    std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    std::string_view head = data.substr(0, end + 2);
    return head.find("\n ") != std::string_view::npos ||
           head.find("\n\t") != std::string_view::npos;
  }

  // Why a complete head could be framed or routed differently by another
  // HTTP implementation (request smuggling), or nullptr if it is
  // unambiguous: a Transfer-Encoding other than exactly `chunked`, both
  // Transfer-Encoding and Content-Length, more than one Content-Length (even
  // equal) or a list in one, and HTTP/1.1 without exactly one Host.
  static const char* AmbiguousHead(const bhttp::request<bhttp::string_body>& msg) {
    int content_length = 0, transfer_encoding = 0, host = 0;
    for (const auto& field : msg) {
      switch (field.name()) {
        case bhttp::field::content_length: {
          ++content_length;
          beast::string_view v = field.value();
          if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) {
                return c >= '0' && c <= '9';
              })) {
            return "invalid Content-Length";
          }
          break;
        }
        case bhttp::field::transfer_encoding:
          ++transfer_encoding;
          if (!beast::iequals(field.value(), "chunked")) return "unsupported Transfer-Encoding";
          break;
        case bhttp::field::host: ++host; break;
        default: break;
      }
    }
    if (content_length > 1) return "more than one Content-Length";
    if (transfer_encoding > 1) return "more than one Transfer-Encoding";
    if (content_length > 0 && transfer_encoding > 0) {
      return "both Transfer-Encoding and Content-Length";
    }
    if (host > 1) return "more than one Host";
    if (host == 0 && msg.version() >= 11) return "missing Host";
    return nullptr;
  }

  // The head is complete and a body follows. (A Content-Length over the limit
  // has already failed in the parser.) Returns false if it wrote a
  // `100 Continue` and parsing resumes when that is written.
  bool OnHeadWithBody() {
    if (auto length = parser_->content_length(); length && !ReserveBody(*length)) {
      RefuseBusy();
      return false;
    }
    state_ = State::kBody;
    deadline_ = Clock::now() + Ms(core_->options.body_timeout_ms);
    const auto& msg = parser_->get();
    auto expect = msg.find(bhttp::field::expect);
    if (expect == msg.end() || msg.version() < 11 ||
        !beast::iequals(expect->value(), "100-continue")) {
      return true;
    }
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    Write(net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](error_code ec, size_t) {
                       if (self->state_ == State::kClosed) return;
                       if (ec) {
                         self->CloseNow();
                       } else {
                         self->Parse();
                       }
                     });
    return false;
  }

  void FailRequest(error_code ec) {
    state_ = State::kHandling;
    if (ec == bhttp::error::body_limit) {
      RespondAndClose(413, absl::StrCat("Request payload size exceeds the limit: ",
                                        core_->options.max_body_bytes, " bytes."));
    } else if (ec == bhttp::error::header_limit) {
      RespondAndClose(431, absl::StrCat("Request header fields exceed the limit: ",
                                        core_->options.max_header_bytes, " bytes."));
    } else {
      RespondAndClose(400, "Malformed HTTP request.");
    }
  }

  // The request target once its header has been read ("" before).
  std::string_view ParsedTarget() const {
    if (!parser_ || !parser_->is_header_done()) return {};
    auto t = parser_->get().target();
    return std::string_view(t.data(), t.size());
  }

  void RespondAndClose(int status, const std::string& message, bool retry_after = false) {
    keep_alive_ = false;
    linger_after_ = true;
    head_request_ = false;
    http10_ = false;
    Response response = core_->RenderError(ParsedTarget(), status, message);
    if (retry_after) response.headers.emplace_back("Retry-After", "1");
    WriteResponse(std::move(response));
  }

  // The request body would exceed the server's in-flight body limit.
  void RefuseBusy() {
    state_ = State::kHandling;
    RespondAndClose(503, "Too many request bodies are being received; retry later.",
                    /*retry_after=*/true);
  }

  // Counts `n` more bytes of this request's body against the server's limit
  // (nothing without a limit); false if that would exceed it.
  bool ReserveBody(uint64_t n) {
    if (core_->options.max_inflight_body_bytes == 0) return true;
    if (!core_->ReserveBody(n)) return false;
    reserved_ += n;
    return true;
  }

  // The request's body is no longer held: its bytes stop counting.
  void ReleaseBody() {
    if (reserved_ == 0) return;
    core_->ReleaseBody(reserved_);
    reserved_ = 0;
  }

  // The response's body is written (or dropped): its bytes stop counting.
  void ReleaseResponse() {
    if (response_reserved_ == 0) return;
    core_->ReleaseResponse(response_reserved_);
    response_reserved_ = 0;
  }

  void FillRequest(bhttp::request<bhttp::string_body>& msg) {
    req_.method = MethodFromVerb(msg.method());
    req_.target.assign(msg.target().data(), msg.target().size());
    size_t i = 0;
    for (const auto& field : msg) {
      if (i == req_.headers.size()) req_.headers.emplace_back();
      auto& [name, value] = req_.headers[i++];
      name.assign(field.name_string().data(), field.name_string().size());
      ToLower(&name);
      value.assign(field.value().data(), field.value().size());
    }
    req_.headers.resize(i);
    req_.body = std::move(msg.body());
  }

  // A request is read whole (`read`), or refused before: it gets its id,
  // its start time and its OnStart.
  void BeginRequest(bool read) {
    started_ = Clock::now();
    observed_ = true;
    request_read_ = read;
    route_ = {};
    params_ = PathParams();
    const std::string* incoming = read ? req_.Header("x-request-id") : nullptr;
    if (incoming && SaneRequestId(*incoming)) {
      request_id_ = *incoming;
    } else {
      NewRequestId(&request_id_);
    }
    if (core_->options.observer) core_->options.observer->OnStart();
  }

  // The OnDone of the request begun last, whose response is ready at `now`.
  void ReportDone(const Response& response, Clock::time_point now) {
    observed_ = false;
    RequestObserver* observer = core_->options.observer;
    if (!observer) return;
    RequestRecord record;
    record.request = request_read_ ? &req_ : nullptr;
    record.route = route_;
    record.params = &params_;
    record.request_id = request_id_;
    record.status = response.status;
    record.response_bytes = response.body.size();
    record.done = now;
    record.seconds = std::chrono::duration<double>(record.done - started_).count();
    observer->OnDone(record);
  }

  void HandleRequest() {
    state_ = State::kHandling;
    deadline_ = Clock::time_point::max();
    auto& msg = parser_->get();
    FillRequest(msg);
    BeginRequest(/*read=*/true);
    keep_alive_ = msg.keep_alive();
    http10_ = msg.version() < 11;
    head_request_ = req_.method == Method::kHead;
    linger_after_ = false;

    if (req_.target.empty() || req_.target[0] != '/' ||
        !ParseTarget(req_.target, &req_.path, &req_.query)) {
      WriteResponse(core_->RenderError("", 400, "Invalid request target."));
      return;
    }
    if (!CheckHostAndOrigin()) return;
    Router::Found found = core_->router->Find(req_.method, req_.path);
    if (!found.matched() && head_request_) {
      Router::Found get = core_->router->Find(Method::kGet, req_.path);
      if (get.matched()) found = std::move(get);
    }
    if (!found.matched()) {
      if (const Guard& guard = core_->router->unmatched_guard()) {
        std::optional<Response> denied;
        if (!Guarded("guard", [&] { denied = guard(req_, PathParams()); })) denied = InternalError();
        if (denied) {
          WriteResponse(std::move(*denied));
          return;
        }
      }
      if (found.method_not_allowed) {
        WriteResponse(core_->RenderError(
            req_.path, 405, absl::StrCat("Method ", std::string(msg.method_string()), " is not allowed for ",
                              req_.path, ".")));
      } else {
        WriteResponse(core_->RenderError(req_.path, 404, absl::StrCat("No resource at ", req_.path, ".")));
      }
      return;
    }
    route_ = found.pattern;
    params_ = std::move(found.params);
    if (found.dispatch == http::Dispatch::kInline) {
      WriteResponse(Invoke(*found.handler, params_));
      return;
    }
    if (found.dispatch == http::Dispatch::kAsync) {
      InvokeAsync(*found.async_handler, params_);
      return;
    }
    // The request stays in this connection, untouched until the response is
    // posted back: no read is pending while a handler runs.
    net::post(*core_->blocking_pool,
              [self = shared_from_this(), handler = found.handler]() mutable {
                NamePoolThread();
                Response response = self->Invoke(*handler, self->params_);
                RespondFromPool(std::move(self), std::move(response));
              });
  }

  // The Host and Origin checks of a complete request; false if it was
  // answered (refused, or a CORS preflight). Sets cors_origin_ for an
  // allowed cross-origin request.
  bool CheckHostAndOrigin() {
    if (const std::string* host = req_.Header("host"); host && !core_->HostAllowed(*host)) {
      WriteResponse(core_->RenderError(
          req_.path, 421,
          absl::StrCat("This server does not serve the host \"", host->substr(0, 256),
                       "\" (the Host header); see --allowed-host.")));
      return false;
    }
    const std::string* origin = req_.Header("origin");
    if (origin == nullptr) return true;
    // A same-origin request (the web UI at /ui/ calling the API; browsers
    // send Origin with a same-origin POST) is no cross-origin request: its
    // Origin names this server's scheme and the Host just checked.
    if (const std::string* host = req_.Header("host");
        host && beast::iequals(*origin, absl::StrCat(core_->tls ? "https://" : "http://", *host))) {
      return true;
    }
    if (!core_->OriginAllowed(*origin)) {
      WriteResponse(core_->RenderError(
          req_.path, 403,
          absl::StrCat("Cross-origin requests from \"", origin->substr(0, 256),
                       "\" are not allowed; see --cors-origin.")));
      return false;
    }
    cors_origin_ = *origin;
    if (req_.method == Method::kOptions && req_.Header("access-control-request-method")) {
      Response preflight;
      preflight.status = 204;
      preflight.headers = {
          {"Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
          {"Access-Control-Allow-Headers",
           "Authorization, Content-Type, x-goog-api-key, X-API-Token, x-goog-user-project, "
           "x-goog-api-client, x-goog-request-params"},
          {"Access-Control-Max-Age", "600"},
      };
      WriteResponse(std::move(preflight));
      return false;
    }
    return true;
  }

  // Runs `fn`; false (after logging what was thrown) if it threw. Handlers
  // and response renderers run through here, so an exception becomes a 500.
  template <typename Fn>
  bool Guarded(const char* what, Fn&& fn) {
    std::string cause;
    try {
      fn();
      return true;
    } catch (const std::exception& e) {
      cause = e.what();
    } catch (...) {
      cause = "a non-exception was thrown";
    }
    // The request's id and route name it; its path and body are not logged.
    telemetry::Log().Log(telemetry::LogLevel::kError, "handler_failed",
                         {{"request_id", request_id_}, {"stage", what},
                          {"method", MethodName(req_.method)}, {"route", route_}, {"cause", cause}});
    return false;
  }

  Response InternalError() { return core_->RenderError(req_.path, 500, "Internal error encountered."); }

  Response Invoke(const Handler& handler, const PathParams& params) {
    Response response;
    if (!Guarded("handler", [&] { response = handler(req_, params); })) return InternalError();
    return response;
  }

  // Runs an asynchronous handler here, on the network thread. Its Responder
  // posts the response back to this connection's thread from wherever it is
  // called (typically the store's writer thread after a group commit).
  void InvokeAsync(const AsyncHandler& handler, const PathParams& params) {
    // Set if the handler throws after it has moved its Responder away; then
    // the Responder still answers and the 500 is not sent twice.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder responder([self = shared_from_this(), answered](Responder::Make make) mutable {
      answered->store(true, std::memory_order_relaxed);
      Executor ex = self->socket_.get_executor();
      net::post(ex, [self = std::move(self), make = std::move(make)]() mutable {
        Response response;
        if (!self->Guarded("response", [&] { response = make(); })) response = self->InternalError();
        self->WriteResponse(std::move(response));
      });
    }, [core = core_](absl::AnyInvocable<void()> work) {
      // Responder::ContinueBlocking: on the blocking pool, as kBlocking
      // handlers run; what `work` throws is logged (its Responder, which it
      // owns, may already have answered).
      net::post(*core->blocking_pool, [work = std::move(work)]() mutable {
        NamePoolThread();
        try {
          work();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "parley: blocking continuation threw: %s\n", e.what());
        } catch (...) {
          std::fprintf(stderr, "parley: blocking continuation threw a non-exception\n");
        }
      });
    });
    if (!Guarded("handler", [&] { handler(req_, params, std::move(responder)); }) &&
        !answered->load(std::memory_order_relaxed)) {
      WriteResponse(InternalError());
    }
  }

  void WriteResponse(Response response) {
    if (!PrepareResponse(std::move(response))) return;
    state_ = State::kWriting;
    deadline_ = response_ready_ + Ms(core_->options.body_timeout_ms);
    Write(ResponseBuffers(), [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
  }

  // Takes `response` as the request's answer: applies the response-byte
  // budget, reports the request done and renders the response head into
  // head_. False if the connection is closed (nothing to write).
  bool PrepareResponse(Response response) {
    if (!observed_) BeginRequest(/*read=*/false);
    if (state_ == State::kClosed) {
      ReportDone(response, Clock::now());
      return false;
    }
    res_ = std::move(response);
    // Large bodies count against the server's response budget while they
    // are written, so that slow readers cannot pin unbounded memory.
    if (res_.body.size() > kSmallResponse && core_->options.max_inflight_response_bytes != 0) {
      if (core_->ReserveResponse(res_.body.size())) {
        response_reserved_ = res_.body.size();
      } else {
        res_ = core_->RenderError(req_.path, 503,
                                  "The server is writing too many large responses; retry later.");
        res_.headers.emplace_back("Retry-After", "1");
        keep_alive_ = false;
      }
    }
    if (core_->stopping.load(std::memory_order_relaxed)) keep_alive_ = false;
    // One clock reading for the request's latency and the write's deadline.
    response_ready_ = Clock::now();
    ReportDone(res_, response_ready_);
    int status = res_.status >= 100 && res_.status <= 999 ? res_.status : 500;
    no_body_ = status < 200 || status == 204 || status == 304;

    head_.clear();
    head_ += "HTTP/1.1 ";
    AppendNumber(status, &head_);
    head_ += ' ';
    head_ += ReasonPhrase(status);
    head_ += "\r\nDate: ";
    head_ += HttpDate();
    if (!res_.content_type.empty() && !no_body_ &&
        res_.content_type.find_first_of("\r\n") == std::string::npos) {
      head_ += "\r\nContent-Type: ";
      head_ += res_.content_type;
    }
    for (const auto& [name, value] : res_.headers) {
      if (!HandlerHeaderAllowed(name, value)) continue;
      head_ += "\r\n";
      head_ += name;
      head_ += ": ";
      head_ += value;
    }
    head_ += "\r\nX-Request-Id: ";
    head_ += request_id_;
    if (!cors_origin_.empty()) {
      head_ += "\r\nAccess-Control-Allow-Origin: ";
      head_ += cors_origin_;
      head_ += "\r\nVary: Origin";
    }
    if (!no_body_) {
      head_ += "\r\nContent-Length: ";
      AppendNumber(res_.body.size(), &head_);
    }
    if (!keep_alive_) {
      head_ += "\r\nConnection: close";
    } else if (http10_) {
      head_ += "\r\nConnection: keep-alive";
    }
    head_ += "\r\n\r\n";
    return true;
  }

  // The prepared response's head and body, less the first `sent` bytes.
  std::array<net::const_buffer, 2> ResponseBuffers(size_t sent = 0) const {
    std::array<net::const_buffer, 2> buffers = {
        net::buffer(head_),
        no_body_ || head_request_ ? net::const_buffer() : net::buffer(res_.body)};
    size_t skip_head = std::min(sent, buffers[0].size());
    buffers[0] += skip_head;
    buffers[1] += sent - skip_head;
    return buffers;
  }

  // On the blocking-pool thread that ran the handler: answers with
  // `response`. The common case (plain HTTP, keep-alive, a small response
  // that the socket takes at once, no pipelined request waiting) is
  // finished right here: the response is written with one non-blocking
  // gather write and the read of the next request is started, so the
  // network thread is not woken for the response (one hand-off fewer per
  // call). Anything else (TLS, a partial write, closing, shutdown) goes
  // back to the network thread as before.
  //
  // Safe because while a handler runs (kHandling) the network thread
  // leaves the connection alone: no operation is pending on its socket,
  // and the only network-thread code that looks at it then, the deadline
  // sweep and the shutdown's close of idle connections, takes pool_mu_,
  // which is held here until the next read is started. From then on the
  // network thread owns the connection again (the read's completion runs
  // there; its hand-off through Asio's locks orders this thread's writes
  // before it).
  static void RespondFromPool(std::shared_ptr<Connection> self, Response response) {
    Connection& c = *self;
    if (!c.tls_ && c.keep_alive_ && !c.linger_after_ && c.buffer_.size() == 0 &&
        response.body.size() <= kSmallResponse &&
        !c.core_->stopping.load(std::memory_order_relaxed)) {
      std::unique_lock lock(c.pool_mu_);
      if (!c.PrepareResponse(std::move(response))) return;
      std::array<net::const_buffer, 2> buffers = c.ResponseBuffers();
      const size_t total = buffers[0].size() + buffers[1].size();
      iovec iov[2] = {{const_cast<void*>(buffers[0].data()), buffers[0].size()},
                      {const_cast<void*>(buffers[1].data()), buffers[1].size()}};
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = buffers[1].size() > 0 ? 2 : 1;
      ssize_t n;
      do {
        n = ::sendmsg(c.socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      } while (n < 0 && errno == EINTR);
      if (n == static_cast<ssize_t>(total) && c.keep_alive_ &&
          !c.core_->stopping.load(std::memory_order_relaxed)) {
        c.ReleaseBody();
        c.ReleaseResponse();
        c.Recycle();
        c.state_ = State::kIdle;
        c.deadline_ = Clock::now() + Ms(c.core_->options.idle_timeout_ms);
        c.Read();
        return;
      }
      // The rest goes on the network thread: what the socket did not take
      // yet, or the close after a complete response.
      c.state_ = State::kWriting;
      c.deadline_ = c.response_ready_ + Ms(c.core_->options.body_timeout_ms);
      error_code failed;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        failed = error_code(errno, boost::system::system_category());
      }
      const size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
      lock.unlock();
      Executor ex = c.socket_.get_executor();
      net::post(ex, [self = std::move(self), sent, total, failed]() mutable {
        Connection& c = *self;
        if (failed || sent == total) return c.OnWritten(failed);
        c.Write(c.ResponseBuffers(sent),
                [self = std::move(self)](error_code ec, size_t) { self->OnWritten(ec); });
      });
      return;
    }
    Executor ex = c.socket_.get_executor();
    // Moving `self` makes the connection's last owner (if any) the network
    // thread, never this pool thread.
    net::post(ex, [self = std::move(self), response = std::move(response)]() mutable {
      self->WriteResponse(std::move(response));
    });
  }

  void OnWritten(error_code ec) {
    if (state_ == State::kClosed) return;
    ReleaseBody();
    ReleaseResponse();
    if (ec) {
      CloseNow();
      return;
    }
    if (linger_after_) {
      Linger();
      return;
    }
    if (!keep_alive_ || core_->stopping.load(std::memory_order_relaxed)) {
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      CloseNow();
      return;
    }
    Recycle();
    if (buffer_.size() > 0) {  // the client sent the next request already
      state_ = State::kHead;
      deadline_ = Clock::now() + Ms(core_->options.header_timeout_ms);
      Parse();
    } else {
      state_ = State::kIdle;
      deadline_ = Clock::now() + Ms(core_->options.idle_timeout_ms);
      Read();
    }
  }

  // A response is written and the connection stays open: readies it for
  // the next request.
  void Recycle() {
    // Keep small buffers for the next request; free big ones.
    if (res_.body.capacity() > kKeepCapacity) std::string().swap(res_.body);
    if (req_.body.capacity() > kKeepCapacity) std::string().swap(req_.body);
    res_.headers.clear();
    ++served_;
    NewRequest();
  }

  // Half-closes and drops input until the client closes, for a bounded time.
  void Linger() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      CloseNow();
      return;
    }
    state_ = State::kLingering;
    deadline_ = Clock::now() + (refused_ ? Clock::duration(kRefusedLingerTime)
                                         : Clock::duration(kLingerTime));
    lingered_ = 0;
    buffer_.consume(buffer_.size());
    Read();
  }

  void CloseNow() {
    ReleaseBody();
    state_ = State::kClosed;
    deadline_ = Clock::time_point::max();
    error_code ec;
    socket_.close(ec);  // pending operations complete with operation_aborted
  }

  Worker* const worker_;
  Core* const core_;
  Socket socket_;
  std::optional<TlsStream> tls_;  // over socket_, with TLS
  const bool refused_;
  uint64_t reserved_ = 0;  // bytes counted in Core::inflight_body
  uint64_t response_reserved_ = 0;  // bytes counted in Core::inflight_response
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;
  bool linked_ = false;

  State state_ = State::kIdle;
  Clock::time_point deadline_ = Clock::time_point::max();
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool head_checked_ = false;
  size_t lingered_ = 0;
  uint64_t served_ = 0;  // responses written on this connection

  Request req_;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_request_ = false;
  bool linger_after_ = false;
  std::string cors_origin_;  // the request's allowed Origin, echoed in CORS headers
  // The request being answered: its id, route, captures (what handlers see,
  // kept here until the response is written) and start, for the observer.
  std::string request_id_;
  std::string_view route_;
  PathParams params_;
  Clock::time_point started_;
  bool observed_ = false;      // begun, not yet reported done
  bool request_read_ = false;  // read whole (else refused before)
  Response res_;
  std::string head_;
  bool no_body_ = false;                 // res_ is sent without its body
  Clock::time_point response_ready_;     // when PrepareResponse took res_
  // Held by a blocking-pool thread while it writes a response and starts
  // the next read itself (RespondFromPool), and by the network thread's
  // deadline sweep and shutdown, the only network-thread code that looks
  // at a connection whose handler runs.
  std::mutex pool_mu_;
};

// ---- accepting and sweeping ----------------------------------------------

void Sweep(Worker* w) {
  w->sweep->expires_after(w->core->sweep_interval);
  w->sweep->async_wait([w](error_code ec) {
    if (ec) return;
    Clock::time_point now = Clock::now();
    // CheckDeadline only closes sockets; no connection is destroyed here.
    std::lock_guard lock(w->mu);
    for (Connection* c = w->connections; c != nullptr; c = c->next()) c->CheckDeadline(now);
    Sweep(w);
  });
}

void Accept(Core* core);

// An accept failed (other than by closing the acceptor): accepts again after
// a delay, growing while the process is out of descriptors or memory, so the
// loop never spins; logs at most once per kAcceptLogInterval.
void OnAcceptError(Core* core, const error_code& ec) {
  if (ec == net::error::connection_aborted) {  // a client gave up in the backlog
    Accept(core);
    return;
  }
  bool exhausted = ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
                   ec == net::error::no_memory ||
                   (ec.category() == boost::system::system_category() && ec.value() == ENFILE);
  Clock::duration delay = kAcceptBackoffMin;
  if (exhausted) {
    delay = std::clamp<Clock::duration>(core->accept_backoff * 2, kAcceptBackoffMin,
                                        kAcceptBackoffMax);
    core->accept_backoff = delay;
  }
  Clock::time_point now = Clock::now();
  if (core->accept_logged == Clock::time_point{} || now - core->accept_logged >= kAcceptLogInterval) {
    std::fprintf(stderr, "parley: accept failed: %s (%d more since the last report); retrying in %lld ms\n",
                 ec.message().c_str(), core->accept_errors_unlogged,
                 static_cast<long long>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()));
    core->accept_logged = now;
    core->accept_errors_unlogged = 0;
  } else {
    ++core->accept_errors_unlogged;
  }
  core->accept_retry->expires_after(delay);
  core->accept_retry->async_wait([core](error_code ec) {
    if (!ec && !core->stopping.load()) Accept(core);
  });
}

void Accept(Core* core) {
  Worker* w = core->workers[core->next_worker++ % core->workers.size()].get();
  core->acceptor->async_accept(*w->ioc, [core, w](error_code ec, Socket socket) {
    if (core->stopping.load()) return;
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      OnAcceptError(core, ec);
      return;
    }
    core->accept_backoff = {};
    // Only this handler increases the count, so the check cannot race.
    bool refused = core->active_connections.load() >= core->max_connections;
    if (refused) {
      if (core->refusing.load() >= kMaxRefusing) {
        socket.close(ec);  // too many being answered already: just close
        Accept(core);
        return;
      }
      core->refusing.fetch_add(1);
    } else {
      core->active_connections.fetch_add(1);
    }
    auto connection = std::make_shared<Connection>(w, std::move(socket), refused);
    net::post(*w->ioc, [connection = std::move(connection)] { connection->Start(); });
    Accept(core);
  });
}

// The connection limit: `requested` (0: none), lowered to what the
// descriptor limit allows. Raises the soft descriptor limit to the hard one.
size_t EffectiveMaxConnections(size_t requested) {
  size_t limit = requested == 0 ? SIZE_MAX : requested;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return limit;
  if (rl.rlim_cur != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max)) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
    if (raised.rlim_cur > rl.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return limit;
  size_t fds = static_cast<size_t>(rl.rlim_cur);
  size_t most = fds > 2 * kDescriptorMargin ? fds - kDescriptorMargin : std::max<size_t>(fds / 2, 1);
  if (limit > most) {
    if (requested != 0) {
      std::fprintf(stderr,
                   "parley: max connections lowered from %zu to %zu (descriptor limit %zu)\n",
                   requested, most, fds);
    }
    limit = most;
  }
  return limit;
}

}  // namespace

struct Server::Impl : Core {
  using Core::Core;
};

Server::Server(ServerOptions options, const Router* router, ErrorRenderer render_error)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(render_error))) {}

Server::~Server() { Shutdown(); }

uint16_t Server::port() const { return impl_->port; }

absl::Status Server::Start() {
  Core& core = *impl_;
  if (core.started || core.shut_down) {
    return absl::FailedPreconditionError("the HTTP server was already started");
  }
  const ServerOptions& o = core.options;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a private key file");
  }
  if (!o.tls_cert_file.empty()) {
    error_code ec;
    core.tls.emplace(net::ssl::context::tls_server);
    core.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                              net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                              net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use,
                          ec);
    core.tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) {
      core.tls.reset();
      return absl::InvalidArgumentError(absl::StrCat("cannot use the TLS certificate ",
                                                     o.tls_cert_file, ": ", ec.message()));
    }
    core.tls->use_private_key_file(o.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      core.tls.reset();
      return absl::InvalidArgumentError(
          absl::StrCat("cannot use the TLS private key ", o.tls_key_file,
                       " (it must be the PEM private key of ", o.tls_cert_file, "): ", ec.message()));
    }
    if (::SSL_CTX_check_private_key(core.tls->native_handle()) != 1) {
      core.tls.reset();
      return absl::InvalidArgumentError(absl::StrCat("the TLS private key ", o.tls_key_file,
                                                     " does not match the certificate ",
                                                     o.tls_cert_file));
    }
  }
  int threads = std::max(o.network_threads, 1);
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->core = &core;
    w->ioc.emplace(1);
    w->work.emplace(w->ioc->get_executor());
    w->sweep.emplace(*w->ioc);
    core.workers.push_back(std::move(w));
  }
  net::io_context& ioc0 = *core.workers[0]->ioc;
  auto fail = [&](absl::Status status) {
    core.acceptor.reset();
    core.workers.clear();
    return status;
  };

  error_code ec;
  tcp::endpoint endpoint;
  net::ip::address address = net::ip::make_address(o.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, o.port);
  } else {
    tcp::resolver resolver(ioc0);
    auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("cannot resolve listen host '", o.host, "': ", ec.message())));
    }
    endpoint = results.begin()->endpoint();
  }

  std::string where = absl::StrCat(o.host, ":", o.port);
  core.acceptor.emplace(ioc0);
  core.acceptor->open(endpoint.protocol(), ec);
  if (!ec) core.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail(absl::InternalError(absl::StrCat("cannot open a socket: ", ec.message())));
  core.acceptor->bind(endpoint, ec);
  if (ec) {
    return fail(absl::UnavailableError(
        absl::StrCat("cannot listen on ", where, ": ", ec.message())));
  }
  core.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(absl::UnavailableError(
        absl::StrCat("cannot listen on ", where, ": ", ec.message())));
  }
  core.port = core.acceptor->local_endpoint(ec).port();
  core.accept_retry.emplace(ioc0);
  core.max_connections = EffectiveMaxConnections(o.max_connections);

  // Deadlines are checked a few times per shortest timeout.
  int shortest = std::min({o.header_timeout_ms, o.idle_timeout_ms, o.body_timeout_ms});
  core.sweep_interval = std::clamp<Clock::duration>(
      std::chrono::milliseconds(std::max(shortest, 1)) / 8, std::chrono::milliseconds(5),
      std::chrono::milliseconds(250));

  core.blocking_pool.emplace(static_cast<size_t>(std::max(o.blocking_threads, 1)));
  for (auto& w : core.workers) Sweep(w.get());
  Accept(&core);
  int worker_index = 0;
  for (auto& w : core.workers) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] { worker->ioc->run(); });
    core::NameThread(worker->thread, absl::StrCat("parley-net-", worker_index++));
  }
  core.started = true;
  return absl::OkStatus();
}

void Server::Shutdown(int drain_ms) {
  Core& core = *impl_;
  if (core.shut_down) return;
  core.shut_down = true;
  if (!core.started) return;

  core.stopping.store(true);
  net::post(*core.workers[0]->ioc, [&core] {
    error_code ec;
    core.acceptor->close(ec);
    core.accept_retry->cancel();
  });
  for (auto& w : core.workers) {
    Worker* worker = w.get();
    net::post(*worker->ioc, [worker] {
      std::lock_guard lock(worker->mu);
      for (Connection* c = worker->connections; c != nullptr;) {
        Connection* next = c->next();
        c->OnServerStopping();
        c = next;
      }
    });
  }
  {
    std::unique_lock lock(core.mu);
    core.drained.wait_for(lock, std::chrono::milliseconds(std::max(drain_ms, 0)),
                          [&core] { return core.open_connections == 0; });
  }

  for (auto& w : core.workers) {
    w->work.reset();
    w->ioc->stop();
  }
  for (auto& w : core.workers) w->thread.join();
  // Handlers still running after the drain period finish here; their
  // responses are posted to stopped io_contexts and discarded.
  core.blocking_pool->join();
  core.acceptor.reset();
  core.accept_retry.reset();
  for (auto& w : core.workers) w->sweep.reset();
  // Destroying an io_context destroys its pending handlers, and with them the
  // connections they own.
  for (auto& w : core.workers) w->ioc.reset();
  core.blocking_pool.reset();
}

}  // namespace parley::http
