#include "api/openapi.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "api/auth.h"
#include "telemetry/log.h"

namespace parley::api {

namespace {

using telemetry::AppendJsonString;

// The OpenAPI operation key of a method ("" for methods it has none for).
std::string_view OperationKey(http::Method m) {
  switch (m) {
    case http::Method::kGet: return "get";
    case http::Method::kPost: return "post";
    case http::Method::kPut: return "put";
    case http::Method::kPatch: return "patch";
    case http::Method::kDelete: return "delete";
    case http::Method::kHead: return "head";
    case http::Method::kOptions: return "options";
    case http::Method::kOther: break;
  }
  return "";
}

std::string_view RoleName(core::ApiKeyRole role) {
  switch (role) {
    case core::ADMIN: return "admin";
    case core::EDITOR: return "editor";
    default: return "viewer";
  }
}

// The names of the `{name}` captures of a pattern, in order.
std::vector<std::string> Captures(std::string_view pattern) {
  std::vector<std::string> names;
  size_t at = 0;
  while ((at = pattern.find('{', at)) != std::string_view::npos) {
    size_t close = pattern.find('}', at);
    if (close == std::string_view::npos) break;
    names.emplace_back(pattern.substr(at + 1, close - at - 1));
    at = close + 1;
  }
  return names;
}

// `get` + `/v1/projects/{project}/conversations:bulkDelete` ->
// `getV1ProjectsProjectConversationsBulkDelete`.
std::string OperationId(http::Method method, std::string_view pattern) {
  std::string id(OperationKey(method));
  bool upper = true;
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
      upper = false;
    } else {
      upper = true;
    }
  }
  return id;
}

}  // namespace

http::TrackerFactory RouteRecorder(DialectRoutes* into) {
  return [into](http::Method method, std::string_view pattern) -> http::Tracker {
    into->routes.push_back({method, std::string(pattern)});
    return nullptr;
  };
}

std::string OpenApiDocument(const DialectRoutes& d) {
  const std::string name(d.dialect->name());
  std::string out;
  out += "{\"openapi\":\"3.1.0\",\"info\":{\"title\":";
  AppendJsonString("Parley " + name, &out);
  out += ",\"version\":";
  AppendJsonString(name.substr(name.rfind('_') + 1), &out);
  out += ",\"description\":";
  AppendJsonString("The " + name +
                       " dialect of Parley, generated from its route table. Request and response "
                       "bodies follow the vendor's API reference.",
                   &out);
  out += "},\"servers\":[{\"url\":\"/\"}],\"paths\":{";

  // Routes grouped by pattern, in the order first added.
  std::vector<std::string> patterns;
  for (const RouteEntry& r : d.routes) {
    if (std::find(patterns.begin(), patterns.end(), r.pattern) == patterns.end()) patterns.push_back(r.pattern);
  }
  std::set<std::string> ids;
  bool first_path = true;
  for (const std::string& pattern : patterns) {
    if (!first_path) out += ',';
    first_path = false;
    AppendJsonString(pattern, &out);
    out += ":{";
    std::vector<std::string> captures = Captures(pattern);
    if (!captures.empty()) {
      out += "\"parameters\":[";
      for (size_t i = 0; i < captures.size(); ++i) {
        if (i) out += ',';
        out += "{\"name\":";
        AppendJsonString(captures[i], &out);
        out += ",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}";
      }
      out += "],";
    }
    bool first_op = true;
    for (const RouteEntry& r : d.routes) {
      if (r.pattern != pattern || OperationKey(r.method).empty()) continue;
      if (!first_op) out += ',';
      first_op = false;
      std::string id = OperationId(r.method, pattern);
      while (!ids.insert(id).second) id += "_";
      AppendJsonString(OperationKey(r.method), &out);
      out += ":{\"operationId\":";
      AppendJsonString(id, &out);
      out += ",\"summary\":";
      AppendJsonString(std::string(http::MethodName(r.method)) + " " + pattern, &out);
      out += ",\"x-parley-role\":";
      AppendJsonString(RoleName(RoleNeeded(*d.dialect, r.method, pattern)), &out);
      if (r.method == http::Method::kPost || r.method == http::Method::kPut ||
          r.method == http::Method::kPatch) {
        out += ",\"requestBody\":{\"required\":false,\"content\":{\"application/json\":"
               "{\"schema\":{\"type\":\"object\"}}}}";
      }
      out += ",\"responses\":{\"200\":{\"description\":\"Success\",\"content\":{\"application/json\":"
             "{\"schema\":{\"type\":\"object\"}}}},\"default\":{\"description\":\"An error in the "
             "dialect's shape\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
             "\"#/components/schemas/Error\"}}}}}}";
    }
    out += '}';
  }
  out += "},\"components\":{\"schemas\":{\"Error\":{\"type\":\"object\",\"description\":"
         "\"The dialect's error body (Google dialects: google.rpc.Status under `error`)\"}},"
         "\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\","
         "\"description\":\"A Parley API key (parley keys create)\"},\"apiKey\":{\"type\":\"apiKey\","
         "\"in\":\"header\",\"name\":\"x-goog-api-key\"}}},"
         "\"security\":[{\"bearer\":[]},{\"apiKey\":[]}]}";
  return out;
}

std::string OpenApiIndexPage(const std::vector<DialectRoutes>& dialects) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Parley OpenAPI "
      "documents</title></head>\n<body><h1>Parley OpenAPI documents</h1>\n<ul>\n";
  for (const DialectRoutes& d : dialects) {
    std::string name(d.dialect->name());
    out += "<li><a href=\"/openapi/" + name + ".json\">" + name + "</a> (" +
           std::to_string(d.routes.size()) + " routes)</li>\n";
  }
  out += "</ul>\n</body></html>\n";
  return out;
}

}  // namespace parley::api
