// The request log and HTTP metrics of `parley serve`: an
// http::RequestObserver that writes one log line per request (request id,
// tenant, method, route pattern, status, bytes, latency; never the raw path,
// a header value or a body) and counts it in parley_http_* metrics by
// dialect, route, method and status.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/dialect.h"
#include "api/http/server.h"
#include "telemetry/metrics.h"

namespace parley::api {

class RequestTelemetry : public http::RequestObserver {
 public:
  // `dialects` (whose Owns and Tenant name a request's dialect and
  // tenant) must outlive this. Metrics go to telemetry::Metrics(); log lines
  // to telemetry::Log() at info (5xx: error).
  explicit RequestTelemetry(const std::vector<std::unique_ptr<Dialect>>* dialects);

  void OnStart() override;
  void OnDone(const http::RequestRecord& record) override;

 private:
  void Record(const http::RequestRecord& record, const Dialect* dialect, telemetry::Counter* requests,
              telemetry::Histogram* duration, telemetry::Counter* bytes, std::string* rendered);
  const std::vector<std::unique_ptr<Dialect>>* dialects_;
  telemetry::Family<telemetry::Counter>* requests_;
  telemetry::Family<telemetry::Histogram>* duration_;
  telemetry::Family<telemetry::Counter>* response_bytes_;
  telemetry::Gauge* in_flight_;
};

}  // namespace parley::api
