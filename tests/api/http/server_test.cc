// The server over real loopback sockets, driven by a tiny blocking client.
#include "api/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/google/errors.h"
#include "gtest/gtest.h"

namespace parley::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long ElapsedMs(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<milliseconds>(Clock::now() - since).count());
}

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "<none>";
  }
};

// A blocking HTTP/1.1 client over one TCP connection.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; nullopt if the connection closes or nothing arrives
  // within `timeout`. `head_only` for the answer to a HEAD request.
  std::optional<ClientResponse> Read(milliseconds timeout = milliseconds(5000),
                                     bool head_only = false) {
    Clock::time_point deadline = Clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    ClientResponse r;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(pos, next - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(name, value);
      pos = next + 2;
    }
    if (r.status == 100) return r;
    size_t length = head_only ? 0 : std::stoul(r.Header("content-length") == "<none>"
                                                   ? std::string("0")
                                                   : r.Header("content-length"));
    while (buffer_.size() < length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  std::optional<ClientResponse> Get(const std::string& target) {
    if (!Send("GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n")) return std::nullopt;
    return Read();
  }

  // True if the server closes the connection (EOF or reset) within `timeout`
  // with no further data.
  bool ClosedWithin(milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      int wait = static_cast<int>(
          std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
      if (wait < 0 || ::poll(&p, 1, wait) <= 0) return false;
      char c[4096];
      ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n <= 0) return true;
      buffer_.append(c, static_cast<size_t>(n));  // unexpected data: keep waiting
    }
  }

  const std::string& leftover() const { return buffer_; }

 private:
  bool Fill(Clock::time_point deadline) {
    pollfd p{fd_, POLLIN, 0};
    int wait = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
    if (wait < 0 || ::poll(&p, 1, wait) <= 0) return false;
    char c[16384];
    ssize_t n = ::recv(fd_, c, sizeof c, 0);
    if (n <= 0) return false;
    buffer_.append(c, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

Response Text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.Add(Method::kGet, "/healthz", [](const Request&, const PathParams&) {
      return Text("ok");
    });
    router_.Add(Method::kPost, "/echo", [](const Request& req, const PathParams&) {
      Response r = Text(req.body);
      const std::string* type = req.Header("content-type");
      r.headers.emplace_back("X-Request-Type", type ? *type : "none");
      return r;
    });
    router_.Add(Method::kGet, "/v1/things/{thing}:inspect",
                [](const Request& req, const PathParams& params) {
                  const std::string* q = req.QueryParam("q");
                  return Text(std::string(params.Get("thing")) + "|" + (q ? *q : "-"));
                });
    router_.Add(Method::kGet, "/throws", [](const Request&, const PathParams&) -> Response {
      throw std::runtime_error("boom");
    });
    router_.Add(
        Method::kPost, "/slow",
        [this](const Request&, const PathParams&) {
          int running = slow_running_.fetch_add(1) + 1;
          int max = slow_max_running_.load();
          while (running > max && !slow_max_running_.compare_exchange_weak(max, running)) {
          }
          slow_started_.fetch_add(1);
          std::this_thread::sleep_for(milliseconds(300));
          slow_running_.fetch_sub(1);
          slow_finished_.fetch_add(1);
          return Text("slow done");
        },
        Dispatch::kBlocking);
    // Answers later: the test answers each pending request with SendPending.
    router_.AddAsync(Method::kPost, "/later", [this](const Request& req, const PathParams&,
                                                     Responder responder) {
      std::lock_guard<std::mutex> lock(pending_mu_);
      pending_.emplace_back(req.body, std::move(responder));
    });
    router_.AddAsync(Method::kGet, "/now", [](const Request&, const PathParams&,
                                              Responder responder) {
      std::move(responder).Send(Text("right away"));
    });
    // Starts on the network thread, then waits (a slow disk) on the
    // blocking pool through Responder::ContinueBlocking.
    router_.AddAsync(Method::kPost, "/continue-blocking",
                     [this](const Request&, const PathParams&, Responder responder) {
                       const std::thread::id network = std::this_thread::get_id();
                       std::move(responder).ContinueBlocking([this, network](Responder r) {
                         slow_started_.fetch_add(1);
                         const bool off = std::this_thread::get_id() != network;
                         std::this_thread::sleep_for(milliseconds(300));
                         slow_finished_.fetch_add(1);
                         std::move(r).Send(Text(off ? "off the network thread" : "ON the network thread"));
                       });
                     });
    // Answered on the blocking pool, which writes small responses itself
    // (Connection::RespondFromPool): the body sent back with the thread that
    // ran the handler, and a body of `?size=N` bytes when asked.
    router_.Add(
        Method::kPost, "/blocking-echo",
        [](const Request& req, const PathParams&) {
          const std::string* size = req.QueryParam("size");
          Response r = Text(size ? std::string(std::stoul(*size), 'e') : req.body);
          return r;
        },
        Dispatch::kBlocking);
    router_.Add(Method::kGet, "/big", [](const Request&, const PathParams&) {
      return Text(std::string(size_t{32} << 20, 'b'));
    });
    router_.AddAsync(Method::kGet, "/async-throws",
                     [](const Request&, const PathParams&, Responder) { throw std::runtime_error("x"); });
  }

  // Answers every pending /later request from a thread of its own, with the
  // body it was sent, upper-cased; returns how many were answered.
  size_t SendPending() {
    std::vector<std::pair<std::string, Responder>> pending;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      pending.swap(pending_);
    }
    size_t n = pending.size();
    std::thread([pending = std::move(pending)]() mutable {
      for (auto& [body, responder] : pending) {
        std::move(responder).Send([body = body]() mutable {
          for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          return Text(body);
        });
      }
    }).join();
    return n;
  }

  size_t PendingCount() {
    std::lock_guard<std::mutex> lock(pending_mu_);
    return pending_.size();
  }

  bool WaitForPending(size_t n) {
    Clock::time_point deadline = Clock::now() + milliseconds(3000);
    while (PendingCount() < n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

  void StartServer() {
    options_.port = 0;
    server_.emplace(options_, &router_, [](std::string_view, int status, const std::string& message) {
      return google_api::ErrorResponse(status, message);
    });
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_NE(server_->port(), 0);
  }

  bool WaitForSlowStarted(int n) {
    Clock::time_point deadline = Clock::now() + milliseconds(3000);
    while (slow_started_.load() < n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

  Router router_;
  ServerOptions options_;
  std::optional<Server> server_;  // after router_: destroyed first
  std::atomic<int> slow_started_{0};
  std::atomic<int> slow_finished_{0};
  std::atomic<int> slow_running_{0};
  std::atomic<int> slow_max_running_{0};
  std::mutex pending_mu_;
  std::vector<std::pair<std::string, Responder>> pending_;
};

TEST_F(ServerTest, ServesTwoRequestsOnOneKeepAliveConnection) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 2; ++i) {
    auto r = client.Get("/healthz");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
    EXPECT_EQ(r->Header("content-type"), "text/plain");
    EXPECT_EQ(r->Header("content-length"), "2");
    EXPECT_EQ(r->Header("connection"), "<none>");
    EXPECT_NE(r->Header("date"), "<none>");
  }
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: X/Y\r\n\r\nhello"
      "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto a = client.Read();
  auto b = client.Read();
  auto c = client.Read();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, "ok");
  EXPECT_EQ(b->body, "hello");
  EXPECT_EQ(b->Header("x-request-type"), "X/Y");  // header names reach handlers lower-cased
  EXPECT_EQ(c->status, 404);
}

TEST_F(ServerTest, PassesDecodedPathParamsAndQuery) {
  StartServer();
  Client client(server_->port());
  auto r = client.Get("/v1/things/a%20b:inspect?q=x+y%21");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a b|x y!");
}

TEST_F(ServerTest, UnknownRouteIsGoogleNotFound) {
  StartServer();
  Client client(server_->port());
  auto r = client.Get("/v1/missing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->Header("content-type"), "application/json; charset=UTF-8");
  EXPECT_EQ(r->body,
            R"({"error":{"code":404,"message":"No resource at /v1/missing.","status":"NOT_FOUND"}})");
  // The connection stays usable.
  auto ok = client.Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, WrongMethodIsGoogleMethodNotAllowed) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("DELETE /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(
      r->body,
      R"({"error":{"code":405,"message":"Method DELETE is not allowed for /healthz.","status":"UNIMPLEMENTED"}})");
}

TEST_F(ServerTest, MalformedTargetAndRequestAreBadRequests) {
  StartServer();
  {
    Client client(server_->port());
    auto r = client.Get("/v1/things/a%zz:inspect");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find(R"("status":"INVALID_ARGUMENT")"), std::string::npos);
  }
  {
    Client client(server_->port());
    ASSERT_TRUE(client.Send("NOT HTTP AT ALL\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  }
}

// Heads another HTTP implementation (a proxy in front) could frame or route
// differently are refused with 400 and the connection is closed; the server
// goes on serving other connections.
TEST_F(ServerTest, AmbiguousHeadsAreRefusedAndClosed) {
  StartServer();
  const std::string kBad[] = {
      // Transfer-Encoding other than exactly `chunked`.
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      // Both Transfer-Encoding and Content-Length, in either order.
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n\r\nhello",
      // Several Content-Length headers, even equal, or a list in one.
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
      // An obs-folded header line.
      "GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\nhello",
      // HTTP/1.1 without a Host, or with two.
      "GET /healthz HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
  };
  for (const std::string& request : kBad) {
    Client client(server_->port());
    ASSERT_TRUE(client.Send(request)) << request;
    auto r = client.Read();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->Header("connection"), "close") << request;
    EXPECT_NE(r->body.find(R"("status":"INVALID_ARGUMENT")"), std::string::npos) << r->body;
    EXPECT_TRUE(client.ClosedWithin(milliseconds(2000))) << request;
  }
  // Still serving; plain chunked, one Content-Length and HTTP/1.0 without a
  // Host are accepted.
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nbye"
      "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto a = client.Read();
  auto b = client.Read();
  auto c = client.Read();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, "hello");
  EXPECT_EQ(b->body, "bye");
  EXPECT_EQ(c->status, 200);
}

TEST_F(ServerTest, HeadIsServedAsGetWithoutBody) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = client.Read(milliseconds(5000), /*head_only=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), "2");
  // No body bytes were sent: the next response follows directly.
  auto next = client.Get("/healthz");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok");
}

TEST_F(ServerTest, HonoursConnectionClose) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

TEST_F(ServerTest, ThrowingHandlerIsInternalError) {
  StartServer();
  Client client(server_->port());
  auto r = client.Get("/throws");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body,
            R"({"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}})");
}

TEST_F(ServerTest, BodyOverLimitIsRefusedWith413AndClosed) {
  options_.max_body_bytes = 1000;
  StartServer();
  {
    Client client(server_->port());
    std::string body(999, 'x');
    ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 999\r\n\r\n" + body));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), 999u);
  }
  Client client(server_->port());
  std::string body(1001, 'x');
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n" + body));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(
      r->body,
      R"({"error":{"code":413,"message":"Request payload size exceeds the limit: 1000 bytes.","status":"INVALID_ARGUMENT"}})");
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

TEST_F(ServerTest, ChunkedBodyOverLimitIsRefused) {
  options_.max_body_bytes = 1000;
  StartServer();
  Client client(server_->port());
  std::string chunk(800, 'y');
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
      "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

TEST_F(ServerTest, HugeContentLengthIsRefusedBeforeTheBody) {
  options_.max_body_bytes = 1 << 20;
  StartServer();
  Client client(server_->port());
  // Only the head: the server must answer without waiting for 10 GB.
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n"));
  Clock::time_point start = Clock::now();
  auto r = client.Read(milliseconds(2000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_LT(ElapsedMs(start), 1000);
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

TEST_F(ServerTest, AnswersExpectContinueBeforeTheBody) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = client.Read(milliseconds(2000));
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(client.Send("data"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "data");
}

TEST_F(ServerTest, OversizedHeadIsRefused) {
  StartServer();
  Client client(server_->port());
  std::string big(70 * 1024, 'a');
  client.Send("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n");
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find(R"("code":431)"), std::string::npos);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.idle_timeout_ms = 200;
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Get("/healthz"));
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  long elapsed = ElapsedMs(start);
  EXPECT_GE(elapsed, 150);
  EXPECT_LT(elapsed, 1000);
}

// A blocking handler's response is written by the pool thread, which also
// starts the next read: the connection goes on serving, in order, requests
// of both kinds, and its idle timeout still applies afterwards.
TEST_F(ServerTest, BlockingResponsesKeepTheConnectionServing) {
  options_.idle_timeout_ms = 300;
  StartServer();
  Client client(server_->port());
  for (int i = 0; i < 200; ++i) {
    std::string body = absl::StrCat("message ", i);
    ASSERT_TRUE(client.Send(absl::StrCat("POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: ",
                                         body.size(), "\r\n\r\n", body)));
    auto r = client.Read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, body);
    EXPECT_EQ(r->Header("connection"), "<none>");
    EXPECT_EQ(r->Header("x-request-id").size(), 16u);
    if (i % 10 == 0) {
      auto h = client.Get("/healthz");
      ASSERT_TRUE(h);
      EXPECT_EQ(h->body, "ok");
    }
  }
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.ClosedWithin(milliseconds(3000)));
  EXPECT_GE(ElapsedMs(start), 200);
}

// The server's threads carry names an operator's tools show (top -H, ps -L,
// perf): its network threads from the start, a blocking-pool thread once it
// has run a handler.
TEST_F(ServerTest, ThreadsAreNamedForOperators) {
  options_.network_threads = 2;
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  EXPECT_EQ(names.count("parley-net-0"), 1u);
  EXPECT_EQ(names.count("parley-net-1"), 1u);
  EXPECT_GE(names.count("parley-pool"), 1u);
}

// What the pool thread does not finish itself goes back to the network
// thread: a response over 64 KiB, a request already pipelined behind the
// blocking one, `Connection: close`.
TEST_F(ServerTest, BlockingResponsesThatTheNetworkThreadFinishes) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /blocking-echo?size=300000 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
      "POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto big = client.Read();
  auto small = client.Read();
  auto health = client.Read();
  ASSERT_TRUE(big && small && health);
  EXPECT_EQ(big->body, std::string(300000, 'e'));
  EXPECT_EQ(small->body, "abc");
  EXPECT_EQ(health->body, "ok");
  ASSERT_TRUE(client.Send(
      "POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"));
  auto last = client.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "hi");
  EXPECT_EQ(last->Header("connection"), "close");
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

// Many connections answered from pool threads while others come and go:
// every response reaches its own client (the connection list is shared by
// the network thread and the pool threads that release connections).
TEST_F(ServerTest, ManyClientsOfBlockingHandlers) {
  options_.network_threads = 2;
  StartServer();
  std::vector<std::future<int>> clients;
  for (int c = 0; c < 16; ++c) {
    clients.push_back(std::async(std::launch::async, [port = server_->port(), c] {
      int ok = 0;
      for (int round = 0; round < 10; ++round) {
        Client client(port);  // a new connection each round, closed by the client
        for (int i = 0; i < 20; ++i) {
          std::string body = absl::StrCat(c, "/", round, "/", i);
          client.Send(absl::StrCat("POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: ",
                                   body.size(), "\r\n\r\n", body));
          auto r = client.Read();
          if (r && r->status == 200 && r->body == body) ++ok;
        }
      }
      return ok;
    }));
  }
  for (auto& f : clients) EXPECT_EQ(f.get(), 200);
}

// Shutdown closes a connection that went idle after a pool-written response.
TEST_F(ServerTest, ShutdownClosesConnectionsIdleAfterBlockingResponses) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("POST /blocking-echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "x");
  Clock::time_point start = Clock::now();
  server_->Shutdown(5000);
  EXPECT_LT(ElapsedMs(start), 2000);  // the idle connection did not hold the drain
  EXPECT_TRUE(client.ClosedWithin(milliseconds(1000)));
}

TEST_F(ServerTest, IncompleteHeadTimesOut) {
  options_.header_timeout_ms = 300;
  options_.idle_timeout_ms = 60'000;
  StartServer();
  Client client(server_->port());
  // A keep-alive request first, so that the idle timeout is the long one.
  ASSERT_TRUE(client.Get("/healthz"));
  Clock::time_point start = Clock::now();
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: a\r\n"));  // no blank line
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  long elapsed = ElapsedMs(start);
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1000);
}

TEST_F(ServerTest, SilentNewConnectionTimesOut) {
  options_.header_timeout_ms = 300;
  options_.idle_timeout_ms = 60'000;
  StartServer();
  Client client(server_->port());
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  long elapsed = ElapsedMs(start);
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1000);
}

TEST_F(ServerTest, IncompleteBodyTimesOut) {
  options_.body_timeout_ms = 300;
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"));
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
  long elapsed = ElapsedMs(start);
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1000);
}

TEST_F(ServerTest, BlockingHandlersRunConcurrentlyAndDoNotStallInlineOnes) {
  options_.network_threads = 1;  // one network thread: a blocked one would show
  options_.blocking_threads = 4;
  StartServer();
  Clock::time_point start = Clock::now();
  std::vector<std::future<std::optional<ClientResponse>>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::async(std::launch::async, [port = server_->port()] {
      Client c(port);
      c.Send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
      return c.Read();
    }));
  }
  ASSERT_TRUE(WaitForSlowStarted(3));
  Client inline_client(server_->port());
  auto fast = inline_client.Get("/healthz");
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->status, 200);
  // Answered while all three blocking handlers were still sleeping.
  EXPECT_EQ(slow_finished_.load(), 0);
  for (auto& f : slow) {
    auto r = f.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "slow done");
  }
  // The three 300 ms handlers ran side by side, not one after another.
  EXPECT_EQ(slow_max_running_.load(), 3);
  EXPECT_LT(ElapsedMs(start), 850);
}

// Issue 9 #6: an async handler that must wait (create reading a transcript
// file) continues on the blocking pool; the one network thread stays free.
TEST_F(ServerTest, AsyncHandlersContinueOnTheBlockingPool) {
  options_.network_threads = 1;
  options_.blocking_threads = 4;
  StartServer();
  Clock::time_point start = Clock::now();
  std::vector<std::future<std::optional<ClientResponse>>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::async(std::launch::async, [port = server_->port()] {
      Client c(port);
      c.Send("POST /continue-blocking HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
      return c.Read();
    }));
  }
  ASSERT_TRUE(WaitForSlowStarted(3));
  Client health(server_->port());
  auto fast = health.Get("/healthz");
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->status, 200);
  EXPECT_EQ(slow_finished_.load(), 0);  // answered while all three still waited
  for (auto& f : slow) {
    auto r = f.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "off the network thread");
  }
  EXPECT_LT(ElapsedMs(start), 850);  // side by side
}

// Issue 9 #8: responses being written count against
// max_inflight_response_bytes, so slow readers of big responses cannot pin
// unbounded memory: a big response over it is a 503 (Retry-After: 1), small
// ones still go out, and the budget frees once the slow reader has read.
TEST_F(ServerTest, BigResponsesOverTheInFlightLimitGet503) {
  options_.max_inflight_response_bytes = size_t{40} << 20;  // one 32 MiB body at a time
  StartServer();
  Client slow(server_->port());
  ASSERT_TRUE(slow.Send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));  // and does not read yet
  std::this_thread::sleep_for(milliseconds(200));  // its write is under way, held by the socket
  Client other(server_->port());
  auto refused = other.Get("/big");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->Header("retry-after"), "1");
  Client small(server_->port());
  auto health = small.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto first = slow.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body.size(), size_t{32} << 20);
  Client again(server_->port());
  auto served = again.Get("/big");
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
}

TEST_F(ServerTest, ThirtyTwoClientsCanBlockAtOnce) {
  StartServer();  // default pool
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 32; ++i) {
    slow.push_back(std::async(std::launch::async, [port = server_->port()] {
      Client c(port);
      c.Send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
      auto r = c.Read();
      return r ? r->status : 0;
    }));
  }
  for (auto& f : slow) EXPECT_EQ(f.get(), 200);
  EXPECT_EQ(slow_max_running_.load(), 32);
}

TEST_F(ServerTest, ShutdownDrainsInFlightBlockingRequest) {
  StartServer();
  Client idle(server_->port());
  ASSERT_TRUE(idle.Get("/healthz"));  // an idle keep-alive connection
  Client busy(server_->port());
  ASSERT_TRUE(busy.Send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(WaitForSlowStarted(1));

  Clock::time_point start = Clock::now();
  server_->Shutdown(5000);
  long elapsed = ElapsedMs(start);
  EXPECT_LT(elapsed, 2000);  // waited for the handler, not for the idle connection

  auto r = busy.Read(milliseconds(1000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(busy.ClosedWithin(milliseconds(1000)));
  EXPECT_TRUE(idle.ClosedWithin(milliseconds(1000)));

  // No longer accepting.
  Client late(server_->port());
  EXPECT_FALSE(late.connected() && late.Get("/healthz").has_value());
  server_->Shutdown();  // a second call is harmless
}

TEST_F(ServerTest, AsyncHandlersAnswerLaterFromAnotherThread) {
  StartServer();
  Client a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.Send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"));
  ASSERT_TRUE(b.Send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"));
  ASSERT_TRUE(WaitForPending(2));
  // Nothing is answered yet, and the network threads are free meanwhile.
  EXPECT_FALSE(a.Read(milliseconds(100)).has_value());
  Client other(server_->port());
  auto health = other.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "ok");

  EXPECT_EQ(SendPending(), 2u);
  auto ra = a.Read(), rb = b.Read();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->status, 200);
  EXPECT_EQ(ra->body, "ABC");
  EXPECT_EQ(rb->body, "XYZ");
  // The connection is kept alive and serves the next request.
  auto again = a.Get("/now");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "right away");
}

TEST_F(ServerTest, AsyncHandlerThatThrowsIsInternalError) {
  StartServer();
  Client client(server_->port());
  auto r = client.Get("/async-throws");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Header("content-type"), "application/json; charset=UTF-8");
  EXPECT_TRUE(client.Get("/healthz").has_value());
}

TEST_F(ServerTest, ShutdownDrainsPendingAsyncRequest) {
  StartServer();
  Client busy(server_->port());
  ASSERT_TRUE(busy.Send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_TRUE(WaitForPending(1));
  std::thread answer([this] {
    std::this_thread::sleep_for(milliseconds(200));
    SendPending();
  });
  Clock::time_point start = Clock::now();
  server_->Shutdown(5000);
  answer.join();
  EXPECT_GE(ElapsedMs(start), 150);  // it waited for the answer
  auto r = busy.Read(milliseconds(1000));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "OK");
  EXPECT_EQ(r->Header("connection"), "close");
}

TEST_F(ServerTest, ShutdownGivesUpAfterTheDrainPeriod) {
  StartServer();
  Client busy(server_->port());
  ASSERT_TRUE(busy.Send("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(WaitForSlowStarted(1));
  Clock::time_point start = Clock::now();
  server_->Shutdown(50);
  // Returns once the running handler finishes (threads are joined), but the
  // response is abandoned and the connection closed.
  EXPECT_LT(ElapsedMs(start), 1000);
  EXPECT_FALSE(busy.Read(milliseconds(500)).has_value());
}

TEST_F(ServerTest, DestructorShutsDown) {
  StartServer();
  Client client(server_->port());
  ASSERT_TRUE(client.Get("/healthz"));
  server_.reset();
  EXPECT_TRUE(client.ClosedWithin(milliseconds(1000)));
}

TEST_F(ServerTest, BindingAUsedPortFailsClearly) {
  StartServer();
  ServerOptions taken;
  taken.port = server_->port();
  Server second(taken, &router_, [](std::string_view, int status, const std::string& message) {
    return google_api::ErrorResponse(status, message);
  });
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("cannot listen on 127.0.0.1:"), absl::string_view::npos)
      << status;
  EXPECT_NE(status.message().find("in use"), absl::string_view::npos) << status;
  // The first server is unaffected.
  Client client(server_->port());
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503AndAreClosed) {
  options_.max_connections = 4;
  StartServer();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Client>(server_->port()));
    auto r = idle.back()->Get("/healthz");  // served, then left idle (keep-alive)
    ASSERT_TRUE(r) << "connection " << i;
    EXPECT_EQ(r->status, 200);
  }
  {
    Client fifth(server_->port());
    ASSERT_TRUE(fifth.connected());
    auto r = fifth.Read(milliseconds(2000));  // answered without sending anything
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_EQ(r->Header("retry-after"), "1");
    EXPECT_EQ(r->Header("content-type"), "application/json; charset=UTF-8");
    EXPECT_NE(r->body.find(R"("status":"UNAVAILABLE")"), std::string::npos) << r->body;
    EXPECT_TRUE(fifth.ClosedWithin(milliseconds(2000)));
  }
  // The idle connections are still served.
  auto again = idle[0]->Get("/healthz");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);

  idle.pop_back();  // closing one makes room (once the server has seen it close)
  Clock::time_point deadline = Clock::now() + milliseconds(3000);
  int status = 0;
  while (status != 200 && Clock::now() < deadline) {
    Client next(server_->port());
    auto r = next.Get("/healthz");
    status = r ? r->status : 0;
    if (status != 200) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(ServerTest, BodiesOverTheInFlightLimitGet503BeforeTheBody) {
  options_.max_body_bytes = 1000;
  options_.max_inflight_body_bytes = 1500;
  StartServer();
  // The first body stays in flight while its (asynchronous) handler waits.
  Client first(server_->port());
  ASSERT_TRUE(first.Send("POST /later HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" +
                         std::string(1000, 'a')));
  ASSERT_TRUE(WaitForPending(1));
  {
    // Only the head: refused before the body is sent.
    Client second(server_->port());
    ASSERT_TRUE(second.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"));
    auto r = second.Read(milliseconds(2000));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Header("retry-after"), "1");
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_NE(r->body.find(R"("status":"UNAVAILABLE")"), std::string::npos) << r->body;
    EXPECT_TRUE(second.ClosedWithin(milliseconds(2000)));
  }
  {
    // A chunked body is counted as it arrives.
    Client chunked(server_->port());
    std::string chunk(800, 'c');
    ASSERT_TRUE(chunked.Send(
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
        "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto r = chunked.Read(milliseconds(2000));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_TRUE(chunked.ClosedWithin(milliseconds(2000)));
  }
  // A small body still fits.
  Client small(server_->port());
  ASSERT_TRUE(small.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 400\r\n\r\n" +
                         std::string(400, 's')));
  auto s = small.Read();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 200);

  ASSERT_EQ(SendPending(), 1u);
  auto done = first.Read();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  EXPECT_EQ(done->body, std::string(1000, 'A'));
  // Its bytes are released: a large body is accepted again, twice in turn.
  for (int i = 0; i < 2; ++i) {
    Client later(server_->port());
    ASSERT_TRUE(later.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" +
                           std::string(1000, 'b')));
    auto r = later.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << "request " << i;
    EXPECT_EQ(r->body.size(), 1000u);
  }
}

TEST_F(ServerTest, ManyConcurrentClients) {
  options_.network_threads = 2;
  StartServer();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Client c(server_->port());
      for (int i = 0; i < 200; ++i) {
        auto r = c.Get("/healthz");
        if (r && r->status == 200 && r->body == "ok") ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8 * 200);
}

// Slowloris: many connections sending their heads a byte at a time hold
// no thread, so a normal request on another connection is answered at once;
// each of them is closed when its header deadline passes.
TEST_F(ServerTest, SlowlorisClientsDoNotDelayOthers) {
  options_.header_timeout_ms = 1500;
  options_.network_threads = 1;  // all on one thread: the worst case
  StartServer();
  constexpr int kSlow = 200;
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(slow.back()->connected());
  }
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(200, 'p');
  std::atomic<bool> stop{false};
  std::thread dribbler([&] {
    for (size_t at = 0; at < head.size() && !stop.load(); ++at) {
      for (auto& c : slow) c->Send(std::string_view(&head[at], 1));
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  for (int i = 0; i < 5; ++i) {
    Client normal(server_->port());
    Clock::time_point start = Clock::now();
    auto r = normal.Get("/healthz");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(ElapsedMs(start), 200) << "request " << i;
  }
  // The dribblers never finish their heads: the header deadline closes them.
  for (auto& c : slow) EXPECT_TRUE(c->ClosedWithin(milliseconds(4000)));
  stop.store(true);
  dribbler.join();
}

TEST_F(ServerTest, HeaderLimitIsAnOption) {
  options_.max_header_bytes = 2048;
  StartServer();
  {
    Client client(server_->port());
    ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(1500, 'a') +
                            "\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  Client client(server_->port());
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(2100, 'a') +
                          "\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find("2048 bytes"), std::string::npos) << r->body;
  EXPECT_TRUE(client.ClosedWithin(milliseconds(2000)));
}

std::optional<ClientResponse> Exchange(uint16_t port, const std::string& request) {
  Client c(port);
  if (!c.Send(request)) return std::nullopt;
  return c.Read();
}

TEST_F(ServerTest, HostMustBeAnAllowedOne) {
  options_.allowed_hosts = {"parley.example", "127.0.0.1", "::1"};
  StartServer();
  for (const char* host : {"parley.example", "PARLEY.example:8443", "127.0.0.1:1234", "[::1]:80",
                           "[::1]"}) {
    auto r = Exchange(server_->port(), absl::StrCat("GET /healthz HTTP/1.1\r\nHost: ", host, "\r\n\r\n"));
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 200) << host;
  }
  for (const char* host : {"evil.example", "evil.example:8080", "parley.example.evil.example",
                           "[::2]:80", "[::1", ":80", "127.0.0.1.evil"}) {
    auto r = Exchange(server_->port(), absl::StrCat("GET /healthz HTTP/1.1\r\nHost: ", host, "\r\n\r\n"));
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 421) << host;
    EXPECT_NE(r->body.find("--allowed-host"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find(R"("status":"INVALID_ARGUMENT")"), std::string::npos) << r->body;
  }
  // A refused host reaches no handler.
  auto r = Exchange(server_->port(),
                    "POST /slow HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_EQ(slow_started_.load(), 0);
  // HTTP/1.0 without Host is still served.
  r = Exchange(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, AnyHostWithoutAllowedHosts) {
  StartServer();
  auto r = Exchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: whatever.example\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ForeignOriginsAreRefusedAndListedOnesGetCors) {
  options_.cors_origins = {"https://app.example", "http://localhost:3000/"};
  StartServer();
  // No Origin (curl, server-side clients): no CORS headers.
  auto r = Exchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("access-control-allow-origin"), "<none>");
  // A foreign Origin is refused before any handler runs.
  r = Exchange(server_->port(),
               "POST /slow HTTP/1.1\r\nHost: a\r\nOrigin: http://evil.example\r\n"
               "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("--cors-origin"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(R"("status":"PERMISSION_DENIED")"), std::string::npos) << r->body;
  EXPECT_EQ(r->Header("access-control-allow-origin"), "<none>");
  EXPECT_EQ(slow_started_.load(), 0);
  for (const char* origin : {"null", "https://app.example.evil", "http://app.example"}) {
    r = Exchange(server_->port(),
                 absl::StrCat("GET /healthz HTTP/1.1\r\nHost: a\r\nOrigin: ", origin, "\r\n\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << origin;
  }
  // A listed Origin (compared case-insensitively, trailing '/' in the option ignored).
  for (const char* origin : {"https://app.example", "http://LOCALHOST:3000"}) {
    r = Exchange(server_->port(),
                 absl::StrCat("GET /healthz HTTP/1.1\r\nHost: a\r\nOrigin: ", origin, "\r\n\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << origin;
    EXPECT_EQ(r->Header("access-control-allow-origin"), origin);
    EXPECT_EQ(r->Header("vary"), "Origin");
  }
  // Its errors carry CORS headers too, so the page can read them.
  r = Exchange(server_->port(), "GET /nowhere HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->Header("access-control-allow-origin"), "https://app.example");
  // The preflight.
  r = Exchange(server_->port(),
               "OPTIONS /echo HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n"
               "Access-Control-Request-Method: POST\r\n"
               "Access-Control-Request-Headers: authorization, content-type\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(r->Header("vary"), "Origin");
  EXPECT_NE(r->Header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(r->Header("access-control-allow-methods").find("PATCH"), std::string::npos);
  EXPECT_NE(r->Header("access-control-allow-methods").find("DELETE"), std::string::npos);
  for (const char* h : {"Authorization", "Content-Type", "x-goog-api-key", "X-API-Token",
                        "x-goog-user-project", "x-goog-api-client"}) {
    EXPECT_NE(r->Header("access-control-allow-headers").find(h), std::string::npos) << h;
  }
  // A preflight from a foreign origin is refused.
  r = Exchange(server_->port(),
               "OPTIONS /echo HTTP/1.1\r\nHost: a\r\nOrigin: http://evil.example\r\n"
               "Access-Control-Request-Method: POST\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->Header("access-control-allow-methods"), "<none>");
}

TEST_F(ServerTest, WithoutCorsOriginsEveryOriginIsRefused) {
  StartServer();
  auto r = Exchange(server_->port(),
                    "GET /healthz HTTP/1.1\r\nHost: a\r\nOrigin: http://127.0.0.1:8080\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(ServerTest, SameOriginRequestsAreNotCrossOrigin) {
  // The web UI (/ui/) calls the API from the server's own origin: the
  // Origin is this server's scheme and Host, allowed without --cors-origin
  // and without CORS headers.
  StartServer();
  for (const char* request :
       {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:8080\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: LocalHost:9\r\nOrigin: http://localhost:9\r\n\r\n"}) {
    auto r = Exchange(server_->port(), request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << request;
    EXPECT_EQ(r->Header("access-control-allow-origin"), "<none>");
  }
  // Another port, another scheme or another host is another origin.
  for (const char* request :
       {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: http://127.0.0.1:8081\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nOrigin: https://127.0.0.1:8080\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: a\r\nOrigin: http://b\r\n\r\n"}) {
    auto r = Exchange(server_->port(), request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << request;
  }
}

TEST_F(ServerTest, UnmatchedGuardAnswersUnknownRoutesAndWrongMethods) {
  router_.SetUnmatchedGuard([](const Request& req, const PathParams&) -> std::optional<Response> {
    if (req.Header("authorization")) return std::nullopt;
    return google_api::ErrorResponse(401, "no key");
  });
  StartServer();
  for (const char* request : {"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n",
                              "DELETE /healthz HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    auto r = Exchange(server_->port(), request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << request;
  }
  auto r = Exchange(server_->port(), "GET /nowhere HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = Exchange(server_->port(), "DELETE /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  // Matched routes are not affected by it.
  r = Exchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace parley::http
