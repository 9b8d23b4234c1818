// What every Google dialect's handler does with a request: query parameters
// (system parameters, `$alt` enum encoding, snake_case or lowerCamelCase
// names), page sizes, AIP-134 update masks, JSON bodies, resource-name checks,
// errors in Google's shape, JSON responses with `fields` (partial response).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api/http/message.h"
#include "api/http/router.h"
#include "api/protojson/protojson.h"
#include "core/page_token.h"
#include "google/protobuf/message.h"

namespace parley::google_api {

// Parameters every Google API accepts on any call (system parameters).
bool IsSystemParam(std::string_view name);

// Per-call view of the request's query: the parameters the method takes, under
// either spelling, and whether enums are to be written as numbers.
class Query {
 public:
  // `accepted`: pairs of {snake_case, lowerCamelCase} names. INVALID_ARGUMENT
  // for any other non-system parameter.
  static absl::StatusOr<Query> Parse(
      const http::Request& req,
      std::initializer_list<std::pair<std::string_view, std::string_view>> accepted);
  const std::string* Get(std::string_view snake) const {
    auto it = values_.find(std::string(snake));
    return it == values_.end() ? nullptr : &it->second;
  }
  const protojson::PrintOptions& print() const { return print_; }
  // The `fields` system parameter (partial response); empty: everything.
  const std::string& fields() const { return fields_; }

 private:
  std::map<std::string, std::string> values_;
  protojson::PrintOptions print_;
  std::string fields_;
};

http::Response Error(const absl::Status& s);

// Refuses a malformed `fields` selector before a mutating call does its work
// (checked against `prototype`'s type).
absl::Status CheckFields(const Query& q, const google::protobuf::Message& prototype);

// `m` as the JSON response, after the `fields` selector.
http::Response Json(google::protobuf::Message& m, const Query& q);

// INVALID_ARGUMENT with `message` unless every one of `captures` was
// captured non-empty from the path.
absl::Status CheckCaptures(const http::PathParams& p, std::initializer_list<std::string_view> captures,
                           std::string_view message);

// INVALID_ARGUMENT unless the ids captured from the path are well-formed, as
// Google refuses a malformed resource name: {project} 1 to 63 characters of
// [a-z0-9-] (an id or a project number), {location} the same (`-` is every
// location), and each capture named in `ids` (when captured) 1 to 128
// characters of the core id alphabet [A-Za-z0-9_.~-]. The message does not
// repeat the id.
absl::Status CheckPathIds(const http::PathParams& p, std::initializer_list<std::string_view> ids);

absl::StatusOr<bool> ParseBool(const Query& q, std::string_view name);

// pageSize: absent 0 (the default), negative or not a number INVALID_ARGUMENT.
absl::StatusOr<int> ParsePageSize(const Query& q);

// AIP-158: a page size of 0 means `default_size`; larger than `max_size` is
// clamped to it.
int EffectivePageSize(int requested, int default_size, int max_size);

// The cursor of the request's pageToken, nullopt without one (the first
// page). A token of another query (`fingerprint`) or a forged one is
// INVALID_ARGUMENT (core::PageTokenCodec::Decode).
absl::StatusOr<std::optional<core::ListCursor>> PageCursor(const Query& q, const core::PageTokenCodec& tokens,
                                                           std::string_view fingerprint);

// Whether a request body stands for an empty message: nothing, `""` (what
// the official clients send for an empty body message) or `null`.
bool IsEmptyBody(std::string_view body);

// Parses a JSON body into `out` (an empty body is `{}`); `root` names the
// request field the body binds to, for error messages ("" for `*`).
absl::Status ParseBody(const http::Request& req, std::string_view root,
                       google::protobuf::Message* out);

// lowerCamelCase -> snake_case (field names and paths may come in either).
std::string SnakeCase(std::string_view name);

// AIP-134 update masks: the snake_case field paths of `mask` (comma-separated,
// lowerCamelCase or snake_case, dotted for nested fields); a "*" path means
// `all`.
std::vector<std::string> UpdateMaskPaths(std::string_view mask,
                                         const std::vector<std::string>& all);

// The fields a PATCH changes: the paths of its `update_mask` parameter, or,
// without one (or an empty one), every field `patch` populates.
std::vector<std::string> PatchPaths(const Query& q, const google::protobuf::Message& patch,
                                    const std::vector<std::string>& all);

// A resource name (or parent) given in a request body must name what the URL
// names: OK when `given` is empty or equal to `expected`, else INVALID_ARGUMENT
// naming `field` ("parent", "conversation.name", ...).
absl::Status CheckNameMatchesUrl(std::string_view field, std::string_view given,
                                 std::string_view expected);

// The credential a Google client sends: `Authorization: Bearer KEY`, else the
// `x-goog-api-key` header, else the `key` query parameter (API-key mode);
// empty when none.
std::string FindCredential(const http::Request& req);

}  // namespace parley::google_api
