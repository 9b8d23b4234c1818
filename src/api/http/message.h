// Plain HTTP request and response values. Handlers and dialects see only these;
// Boost.Beast stays inside server.cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };

std::string_view MethodName(Method m);

struct Request {
  Method method = Method::kGet;
  std::string target;  // path and query as received, still percent-encoded
  // The path without the query, still percent-encoded (its escapes checked):
  // the router splits it into segments before decoding each capture, so an
  // escaped '/' (%2F) stays inside its segment.
  std::string path;
  // Query parameters in order, names and values percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // The client's address (IP, no port) as the server's socket sees it; empty
  // when unknown (tests that build requests by hand).
  std::string remote_address;

  // The last value of query parameter `name`, or nullptr.
  const std::string* QueryParam(std::string_view name) const;
  // The value of header `name` (lower-case), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=UTF-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits a request target into path (still percent-encoded) and query
// parameters (percent-decoded). Returns false if the percent-encoding is
// malformed.
bool ParseTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query);

// Appends the percent-decoding of `in` (a path segment: '+' stays '+') to
// `out`; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace parley::http
