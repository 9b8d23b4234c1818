// Google's error shape (google.rpc.Status over HTTP/JSON), the error renderer
// of every Google dialect:
//   {"error":{"code":404,"message":"…","status":"NOT_FOUND"}}
// `code` is always the HTTP status sent; `status` is a canonical code name.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "api/http/message.h"

namespace parley::google_api {

// The error response for a non-OK status: HTTP status http::HttpStatusFor(code),
// the status message as `message`. An OK status (a caller bug) renders as 500
// UNKNOWN. INTERNAL, UNKNOWN, DATA_LOSS and UNAVAILABLE carry the server's
// internal details (storage errors, paths): their `message` is a generic text
// and "Reference: <16 hex digits>", and the original message is logged to
// stderr with that reference (core::PublicErrorMessage).
http::Response ErrorResponse(const absl::Status& status);

// The error response for a failure the server detects itself (matches
// api::Dialect::RenderServerError): `code` is `http_status`, `status`
// http::CodeForHttpStatus(it).
http::Response ErrorResponse(int http_status, const std::string& message);

}  // namespace parley::google_api
