#include "api/request_telemetry.h"

#include <cstdio>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"

#include "telemetry/log.h"

namespace parley::api {

namespace {

// Request latency buckets, seconds: 0.5 ms to 10 s.
std::vector<double> LatencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

RequestTelemetry::RequestTelemetry(const std::vector<std::unique_ptr<Dialect>>* dialects)
    : dialects_(dialects),
      requests_(telemetry::Metrics().AddCounter(
          "parley_http_requests_total",
          "HTTP requests answered, by dialect, route pattern, method and status code",
          {"dialect", "route", "method", "code"})),
      duration_(telemetry::Metrics().AddHistogram(
          "parley_http_request_duration_seconds",
          "Time from a request read whole to its response ready to write, seconds",
          {"dialect", "route", "method"}, LatencyBounds())),
      response_bytes_(telemetry::Metrics().AddCounter(
          "parley_http_response_bytes_total", "Response body bytes, by dialect", {"dialect"})),
      in_flight_(telemetry::Metrics()
                     .AddGauge("parley_http_requests_in_flight", "Requests being handled", {})
                     ->Cell({})) {}

void RequestTelemetry::OnStart() { in_flight_->Add(1); }

void RequestTelemetry::OnDone(const http::RequestRecord& record) {
  in_flight_->Add(-1);
  if (record.status == 0) return;  // the connection went away unanswered
  const http::Request* req = record.request;
  std::string_view method = req ? http::MethodName(req->method) : std::string_view("unread");
  // The series of a matched route, per thread, by route, method and status:
  // no lock and no label string on the hot path.
  struct Cells {
    const Dialect* dialect;
    telemetry::Counter* requests;
    telemetry::Histogram* duration;
    telemetry::Counter* bytes;
    std::string fields;  // the log line's dialect, method, route and status, rendered once
  };
  using Key = std::tuple<const void*, const char*, uint32_t>;
  thread_local absl::flat_hash_map<Key, Cells> cache;
  const Key key{this, record.route.data(),
                (req ? static_cast<uint32_t>(req->method) << 16 : 0xffff0000u) | static_cast<uint32_t>(record.status)};
  auto it = record.route.empty() ? cache.end() : cache.find(key);
  if (it == cache.end()) {
    Cells cells{};
    if (req != nullptr) {
      for (const auto& d : *dialects_) {
        if (d->Owns(req->path)) {
          cells.dialect = d.get();
          break;
        }
      }
    }
    std::string_view dialect_name = cells.dialect ? cells.dialect->name() : std::string_view("server");
    std::string_view route = record.route.empty() ? std::string_view("unmatched") : record.route;
    char code[8];
    int n = std::snprintf(code, sizeof code, "%d", record.status);
    cells.requests = requests_->Cell({dialect_name, route, method, std::string_view(code, static_cast<size_t>(n))});
    cells.duration = duration_->Cell({dialect_name, route, method});
    cells.bytes = response_bytes_->Cell({dialect_name});
    if (record.route.empty()) {
      it = cache.end();
      Record(record, cells.dialect, cells.requests, cells.duration, cells.bytes, nullptr);
      return;
    }
    it = cache.emplace(key, std::move(cells)).first;
  }
  Cells& cells = it->second;
  Record(record, cells.dialect, cells.requests, cells.duration, cells.bytes, &cells.fields);
}

void RequestTelemetry::Record(const http::RequestRecord& record, const Dialect* dialect,
                              telemetry::Counter* requests, telemetry::Histogram* duration,
                              telemetry::Counter* bytes, std::string* rendered) {
  requests->Add();
  duration->Observe(record.seconds);
  bytes->Add(record.response_bytes);

  telemetry::LogLevel level = record.status >= 500 ? telemetry::LogLevel::kError : telemetry::LogLevel::kInfo;
  const telemetry::Logger& log = telemetry::Log();
  if (!log.Enabled(level)) return;
  const http::Request* req = record.request;
  // The tenant as the dialect's route captured it (no header is read).
  std::string_view tenant;
  if (dialect != nullptr && !record.route.empty()) tenant = dialect->Tenant(*record.params);
  const std::initializer_list<telemetry::LogField> series = {
      {"dialect", dialect ? dialect->name() : std::string_view("server")},
      {"method", req ? http::MethodName(req->method) : std::string_view("unread")},
      {"route", record.route.empty() ? std::string_view("unmatched") : record.route},
      {"status", record.status}};
  // The fields of the series are the same line after line: formatted once
  // per thread and series when it has a cache entry (`rendered`).
  std::string once;
  if (rendered == nullptr) {
    rendered = &once;
  }
  if (rendered->empty()) log.Render(series, rendered);
  log.LogAt(record.done, level, "request",
            {{"request_id", record.request_id},
             {"tenant", tenant},
             telemetry::LogField::Rendered(*rendered),
             {"bytes", static_cast<uint64_t>(record.response_bytes)},
             {"latency_us", static_cast<int64_t>(record.seconds * 1e6)},
             {"remote", req ? std::string_view(req->remote_address) : std::string_view()}});
}

}  // namespace parley::api
