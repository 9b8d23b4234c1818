#include "api/google/request.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/google/errors.h"
#include "api/protojson/field_selector.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"

namespace parley::google_api {

using http::PathParams;
using http::Request;
using http::Response;

std::string SnakeCase(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

bool IsSystemParam(std::string_view name) {
  static const std::set<std::string_view> kNames = {
      "$alt", "alt", "$prettyPrint", "prettyPrint", "$fields", "fields", "key", "access_token",
      "quotaUser", "$quotaUser", "callback", "$callback", "upload_protocol", "uploadType",
      "$userProject", "userProject", "$outputDefaults", "$apiFormat"};
  return kNames.count(name) > 0;
}

absl::StatusOr<Query> Query::Parse(
    const Request& req,
    std::initializer_list<std::pair<std::string_view, std::string_view>> accepted) {
  Query q;
  for (const auto& [name, value] : req.query) {
    if (IsSystemParam(name)) {
      if ((name == "$alt" || name == "alt") &&
          absl::StrContains(Sv(value), "enum-encoding=int")) {
        q.print_.enums_as_ints = true;
      }
      if (name == "fields" || name == "$fields") q.fields_ = value;
      continue;
    }
    bool known = false;
    for (const auto& [snake, camel] : accepted) {
      if (name == snake || name == camel) {
        // Percent-decoding can produce any bytes; parameters are strings.
        if (!protojson::IsValidUtf8(value)) {
          return absl::InvalidArgumentError(
              absl::StrCat("Invalid value at '", Sv(snake), "' (TYPE_STRING): invalid UTF-8."));
        }
        if (value.find('\0') != std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("Invalid value at '", Sv(snake), "' (TYPE_STRING): a NUL character."));
        }
        q.values_[std::string(snake)] = value;
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Invalid JSON payload received. Unknown name \"", name, "\": Cannot bind query parameter."));
    }
  }
  return q;
}

Response Error(const absl::Status& s) { return ErrorResponse(s); }

absl::Status CheckFields(const Query& q, const google::protobuf::Message& prototype) {
  if (q.fields().empty()) return absl::OkStatus();
  std::unique_ptr<google::protobuf::Message> scratch(prototype.New());
  return protojson::ApplyFieldSelector(q.fields(), scratch.get());
}

Response Json(google::protobuf::Message& m, const Query& q) {
  if (!q.fields().empty()) {
    if (absl::Status s = protojson::ApplyFieldSelector(q.fields(), &m); !s.ok()) return Error(s);
  }
  Response r;
  protojson::Print(m, &r.body, q.print());
  return r;
}

absl::Status CheckCaptures(const PathParams& p, std::initializer_list<std::string_view> captures,
                           std::string_view message) {
  for (std::string_view name : captures) {
    if (p.Get(name).empty()) {
      return absl::InvalidArgumentError(Sv(message));
    }
  }
  return absl::OkStatus();
}

namespace {

bool IsGoogleIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool IsCoreIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '~' ||
         c == '-';
}

template <typename Pred>
bool IdOk(std::string_view id, size_t max, Pred ok) {
  if (id.empty() || id.size() > max) return false;
  for (char c : id) {
    if (!ok(c)) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckPathIds(const PathParams& p, std::initializer_list<std::string_view> ids) {
  for (std::string_view name : {"project", "location"}) {
    std::string_view v = p.Get(name);
    if (!v.empty() && !IdOk(v, 63, IsGoogleIdChar)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Malformed resource name: the ", Sv(name), " id must be 1 to 63 characters of [a-z0-9-]."));
    }
  }
  for (std::string_view name : ids) {
    std::string_view v = p.Get(name);
    // "." and ".." are never ids (an id starts with a letter or digit):
    // path traversal is refused as a malformed name, not looked up.
    if (!v.empty() && (!IdOk(v, 128, IsCoreIdChar) || v == "." || v == "..")) {
      return absl::InvalidArgumentError(
          absl::StrCat("Malformed resource name: the ", Sv(name),
                       " id must be 1 to 128 characters of [A-Za-z0-9_.~-]."));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseBool(const Query& q, std::string_view name) {
  const std::string* v = q.Get(name);
  if (v == nullptr) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0" || v->empty()) return false;
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid value at '", Sv(name), "' (TYPE_BOOL), \"", *v, "\""));
}

absl::StatusOr<int> ParsePageSize(const Query& q) {
  const std::string* size = q.Get("page_size");
  if (size == nullptr) return 0;
  int n = 0;
  if (!absl::SimpleAtoi(*size, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid value at 'page_size' (TYPE_INT32), \"", *size, "\""));
  }
  if (n < 0) return absl::InvalidArgumentError("page_size must not be negative");
  return n;
}

int EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested <= 0) return default_size;
  return requested > max_size ? max_size : requested;
}

absl::StatusOr<std::optional<core::ListCursor>> PageCursor(const Query& q, const core::PageTokenCodec& tokens,
                                                           std::string_view fingerprint) {
  const std::string* token = q.Get("page_token");
  if (token == nullptr || token->empty()) return std::nullopt;
  auto cursor = tokens.Decode(*token, fingerprint);
  if (!cursor.ok()) return cursor.status();
  return std::optional<core::ListCursor>(*std::move(cursor));
}

bool IsEmptyBody(std::string_view body) {
  size_t b = body.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return true;
  size_t e = body.find_last_not_of(" \t\r\n");
  body = body.substr(b, e - b + 1);
  // The official clients send an empty message as "" (and some tools null).
  return body == "\"\"" || body == "null";
}

absl::Status ParseBody(const Request& req, std::string_view root, google::protobuf::Message* out) {
  protojson::ParseOptions options;
  options.root_path = std::string(root);
  options.refuse_nul = true;
  return protojson::Parse(IsEmptyBody(req.body) ? std::string_view("{}") : req.body, out, options);
}

absl::Status CheckNameMatchesUrl(std::string_view field, std::string_view given,
                                 std::string_view expected) {
  if (given.empty() || given == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(Sv(field), " \"", Sv(given),
                                                 "\" does not match the URL (", Sv(expected), ")"));
}

std::vector<std::string> UpdateMaskPaths(std::string_view mask,
                                         const std::vector<std::string>& all) {
  std::vector<std::string> paths;
  for (absl::string_view part : absl::StrSplit(Sv(mask), ',', absl::SkipWhitespace())) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(part);
    std::string path = SnakeCase(std::string_view(trimmed.data(), trimmed.size()));
    if (path == "*") return all;
    paths.push_back(std::move(path));
  }
  return paths;
}

std::vector<std::string> PatchPaths(const Query& q, const google::protobuf::Message& patch,
                                    const std::vector<std::string>& all) {
  if (const std::string* mask = q.Get("update_mask"); mask != nullptr && !mask->empty()) {
    return UpdateMaskPaths(*mask, all);
  }
  // AIP-134: no mask means every field the request populated.
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  patch.GetReflection()->ListFields(patch, &fields);
  std::vector<std::string> paths;
  for (const auto* f : fields) paths.push_back(f->name());
  return paths;
}

std::string FindCredential(const Request& req) {
  for (const auto& [name, value] : req.headers) {
    if (name != "authorization") continue;
    std::string_view v = value;
    constexpr std::string_view kBearer = "bearer ";
    if (v.size() > kBearer.size() && absl::EqualsIgnoreCase(Sv(v.substr(0, kBearer.size())), Sv(kBearer))) {
      return std::string(absl::StripAsciiWhitespace(Sv(v.substr(kBearer.size()))));
    }
  }
  for (const auto& [name, value] : req.headers) {
    if (name == "x-goog-api-key") return value;
  }
  for (const auto& [name, value] : req.query) {
    if (name == "key") return value;
  }
  return "";
}

}  // namespace parley::google_api
