// Open-loop, fixed-rate HTTP/1.1 load generator for the endpoint benchmarks
// (bench/common/endpoint_bench.sh): wrk measures a closed loop (each
// connection sends its next request when the last reply arrives), so at
// saturation its latency is mostly the queue the generator itself builds,
// and a stalled reply delays the requests behind it without their waiting
// being counted ("coordinated omission"). Here request i is due at
// t0 + i / rate whatever happened before; it goes out on connection i mod C
// (keep-alive, one request in flight a connection, as a client with C
// conversations would), as soon as that connection is free, and its latency
// is measured from the time it was due. So a stall shows up in every
// request it held up, as a real client would see it. (The method is wrk2's;
// Debian has no wrk2.)
//
//   parley_openloop --host 127.0.0.1 --port 18090 --rate 2000 --seconds 10
//                   --connections 16 --requests FILE [--warmup-seconds 1]
//
// FILE: one request a line, "METHOD PATH [BODY]" (the body, JSON, is the rest
// of the line); requests are taken round-robin, request i uses line
// i mod lines. Prints one line:
//   OPEN offered_rps=R requests=N errors=E rps=R p50_ms= p90_ms= p99_ms=
//        p999_ms= max_ms= send_p99_ms= late_p99_ms=
// where p* are from the due time, send_p99 from the actual send (the
// service time wrk would see), late_p99 is how long requests waited for a
// free connection. Non-2xx replies count as errors. The warm-up (the first
// seconds, at the same rate) is not measured.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double NowS() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "parley_openloop: %s (%s)\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

struct Conn {
  int fd = -1;
  std::deque<double> due;   // due times of requests waiting for this connection
  bool busy = false;
  double sent_due = 0, sent_at = 0;
  bool measured = false;
  std::string out;          // unsent bytes of the current request
  size_t out_off = 0;
  long sent_count = 0;
  std::string in;           // bytes of the reply so far
};

int Connect(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) Die("bad host " + host);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS) Die("connect");
  return fd;
}

// The length of a complete reply at the start of `in` (0: not complete yet),
// and its status code. Content-Length framing only (what Parley sends).
size_t ReplyLength(const std::string& in, int* status) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  *status = std::atoi(in.c_str() + in.find(' ') + 1);
  size_t body = 0;
  for (size_t p = in.find("\r\n"); p < end; p = in.find("\r\n", p + 2)) {
    static const char kCl[] = "content-length:";
    if (p + 2 + sizeof kCl - 1 <= end && strncasecmp(in.c_str() + p + 2, kCl, sizeof kCl - 1) == 0) {
      body = std::strtoull(in.c_str() + p + 2 + sizeof kCl - 1, nullptr, 10);
    }
  }
  return in.size() >= end + 4 + body ? end + 4 + body : 0;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", file;
  int port = 0, connections = 16;
  double rate = 2000, seconds = 10, warmup = 1;
  // OPENLOOP_TIMELINE=FILE: one line a measured reply, "SENT_AT_S SERVICE_MS"
  // (steady clock seconds, the time from its send to its reply), to see
  // when stalls happen.
  FILE* timeline = nullptr;
  if (const char* path = std::getenv("OPENLOOP_TIMELINE")) timeline = std::fopen(path, "w");
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") host = v;
    else if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--rate") rate = std::atof(v.c_str());
    else if (k == "--seconds") seconds = std::atof(v.c_str());
    else if (k == "--warmup-seconds") warmup = std::atof(v.c_str());
    else if (k == "--connections") connections = std::atoi(v.c_str());
    else if (k == "--requests") file = v;
    else { errno = 0; Die("unknown flag " + k); }
  }
  if (port == 0 || file.empty() || rate <= 0 || connections <= 0) {
    errno = 0;
    Die("usage: --port P --requests FILE [--rate R --seconds S --connections C --host H]");
  }
  std::vector<std::string> requests;
  {
    std::ifstream f(file);
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty()) continue;
      size_t a = line.find(' '), b = line.find(' ', a + 1);
      std::string method = line.substr(0, a);
      std::string path = line.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
      std::string body = b == std::string::npos ? "" : line.substr(b + 1);
      std::string r = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
      if (!body.empty()) {
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
      }
      requests.push_back(r + "\r\n" + body);
    }
    if (requests.empty()) { errno = 0; Die("no requests in " + file); }
  }

  int ep = epoll_create1(0);
  std::vector<Conn> conns(connections);
  for (int c = 0; c < connections; ++c) {
    conns[c].fd = Connect(host, port);
    epoll_event e{};
    e.events = EPOLLIN | EPOLLOUT | EPOLLET;
    e.data.u32 = c;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[c].fd, &e);
  }

  const double t0 = NowS() + 0.01, measure_from = t0 + warmup, end = measure_from + seconds;
  const double interval = 1.0 / rate;
  long next = 0;  // the next request to schedule
  long errors = 0, done_measured = 0;
  std::vector<double> lat, svc, late;
  lat.reserve(static_cast<size_t>(rate * seconds * 1.1) + 16);

  auto try_send = [&](int c, double now) {
    Conn& k = conns[c];
    if (k.busy || k.due.empty() || k.due.front() > now) return;
    k.busy = true;
    k.sent_due = k.due.front();
    k.due.pop_front();
    k.sent_at = now;
    k.measured = k.sent_due >= measure_from;
    // Connection c sends lines c, c + C, c + 2C, ...: with conversations
    // assigned round-robin over the lines, no two connections share one.
    k.out = requests[(c + connections * k.sent_count++) % requests.size()];
    k.out_off = 0;
  };
  auto flush = [&](int c) {
    Conn& k = conns[c];
    while (k.out_off < k.out.size()) {
      ssize_t n = send(k.fd, k.out.data() + k.out_off, k.out.size() - k.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) return;
        Die("send");
      }
      k.out_off += n;
    }
  };

  epoll_event events[64];
  for (;;) {
    double now = NowS();
    // Schedule every request due by now (those due after `end` are not).
    while (t0 + next * interval <= now && t0 + next * interval < end) {
      conns[next % connections].due.push_back(t0 + next * interval);
      ++next;
    }
    bool idle = t0 + next * interval >= end;
    for (int c = 0; c < connections; ++c) {
      if (!conns[c].busy) {
        try_send(c, now);
        if (conns[c].busy) flush(c);
      }
      idle = idle && !conns[c].busy && conns[c].due.empty();
    }
    if (idle) break;
    // Sleep until the next request is due or a reply arrives (epoll_pwait2:
    // a nanosecond timeout, so 0.5 ms spacing needs no spinning).
    const double next_due = t0 + next * interval;
    double wait_s = next_due >= end ? 0.1 : std::max(0.0, next_due - NowS());
    timespec ts{static_cast<time_t>(wait_s), static_cast<long>((wait_s - static_cast<time_t>(wait_s)) * 1e9)};
    int n = epoll_pwait2(ep, events, 64, &ts, nullptr);
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int c = events[i].data.u32;
      Conn& k = conns[c];
      if (events[i].events & EPOLLOUT) flush(c);
      if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      char buf[65536];
      for (;;) {
        ssize_t r = recv(k.fd, buf, sizeof buf, 0);
        if (r > 0) { k.in.append(buf, r); continue; }
        if (r == 0) { errno = 0; Die("server closed a connection"); }
        if (errno == EAGAIN) break;
        Die("recv");
      }
      int status = 0;
      size_t len;
      while (k.busy && (len = ReplyLength(k.in, &status)) > 0) {
        double t = NowS();
        k.in.erase(0, len);
        k.busy = false;
        if (k.measured) {
          ++done_measured;
          if (status < 200 || status > 299) ++errors;
          lat.push_back((t - k.sent_due) * 1e3);
          svc.push_back((t - k.sent_at) * 1e3);
          late.push_back((k.sent_at - k.sent_due) * 1e3);
          if (timeline != nullptr) std::fprintf(timeline, "%.6f %.3f\n", k.sent_at, (t - k.sent_at) * 1e3);
        }
        try_send(c, t);
        if (k.busy) flush(c);
      }
    }
  }
  const double took = NowS() - measure_from;
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  std::printf("OPEN offered_rps=%.0f requests=%ld errors=%ld rps=%.0f p50_ms=%.3f p90_ms=%.3f "
              "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f send_p99_ms=%.3f late_p99_ms=%.3f\n",
              rate, done_measured, errors, done_measured / took,
              Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99), Percentile(lat, 99.9),
              sorted.empty() ? 0 : sorted.back(), Percentile(svc, 99), Percentile(late, 99));
  if (timeline != nullptr) std::fclose(timeline);
  return 0;
}
