// Canonical status codes (google.rpc.Code, absl::StatusCode) and HTTP: the
// mapping every dialect's error shape is built on, and JSON string escaping
// for error bodies. The shapes themselves live with the dialects (Google's in
// api/google/errors.h).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace parley::http {

// "INVALID_ARGUMENT", "NOT_FOUND", ...; "UNKNOWN" for a value outside the enum.
std::string_view CanonicalCodeName(absl::StatusCode code);

// The google.rpc.Code → HTTP mapping (NOT_FOUND → 404, CANCELLED → 499, ...).
// Codes outside the enum map to 500.
int HttpStatusFor(absl::StatusCode code);

// The canonical code reported in `status` for an HTTP status the server
// detects itself. Besides the inverse of HttpStatusFor:
//   405 → UNIMPLEMENTED (that method does not exist for the resource; the
//         choice grpc-gateway makes too), code stays 405;
//   413 → INVALID_ARGUMENT: Google's front ends report an oversized payload as
//         INVALID_ARGUMENT ("Request payload size exceeds the limit"), and it
//         must not be RESOURCE_EXHAUSTED, which client libraries retry;
//   408 → DEADLINE_EXCEEDED; 409 → ABORTED; 412 → FAILED_PRECONDITION;
//   414, 415, 431 and other 4xx → INVALID_ARGUMENT (the request as sent can
//         never succeed); 416 → OUT_OF_RANGE;
//   other 5xx → INTERNAL; 2xx → OK; anything else → UNKNOWN.
absl::StatusCode CodeForHttpStatus(int http_status);

// Appends `s` to `out` as a JSON string literal (quotes included). Invalid
// UTF-8 is replaced by U+FFFD so that the output is always valid JSON.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace parley::http
