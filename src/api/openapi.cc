#include "api/openapi.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "google/protobuf/descriptor.h"

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

// JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of protobuf messages
// in the proto3 JSON form the dialects parse and print (ADR 0008):
// lowerCamel names, 64-bit integers as strings (numbers accepted), enums
// by name (numbers accepted), well-known types in their JSON forms.
// Messages go to components/schemas under their full names, once each.
class SchemaWriter {
 public:
  using Descriptor = google::protobuf::Descriptor;
  using FieldDescriptor = google::protobuf::FieldDescriptor;

  // A schema referring to `d`'s (writing it, and what it uses, first).
  std::string Ref(const Descriptor* d) {
    if (std::string wkt = WellKnown(d); !wkt.empty()) return wkt;
    const std::string& name = d->full_name();
    if (!components_.count(name)) {
      components_[name];  // reserved: recursive messages refer to it
      components_[name] = Message(d);
    }
    std::string out = "{\"$ref\":";
    AppendJsonString("#/components/schemas/" + name, &out);
    return out + "}";
  }

  // `"name":schema,...` of every message referred to.
  void AppendComponents(std::string* out) const {
    for (const auto& [name, schema] : components_) {
      out->push_back(',');
      AppendJsonString(name, out);
      out->push_back(':');
      out->append(schema);
    }
  }

 private:
  static std::string WellKnown(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") return "{\"type\":\"string\",\"format\":\"date-time\"}";
    if (n == "google.protobuf.Duration") return "{\"type\":\"string\",\"pattern\":\"^-?[0-9]+(\\\\.[0-9]{1,9})?s$\"}";
    if (n == "google.protobuf.FieldMask") return "{\"type\":\"string\",\"description\":\"comma-separated lowerCamel field paths\"}";
    if (n == "google.protobuf.Struct") return "{\"type\":\"object\"}";
    if (n == "google.protobuf.Value") return "{}";
    if (n == "google.protobuf.ListValue") return "{\"type\":\"array\"}";
    if (n == "google.protobuf.Empty") return "{\"type\":\"object\",\"maxProperties\":0}";
    if (n == "google.protobuf.Any") {
      return "{\"type\":\"object\",\"properties\":{\"@type\":{\"type\":\"string\"}},\"required\":[\"@type\"]}";
    }
    if (d->file()->name() == "google/protobuf/wrappers.proto") {
      return std::string("{\"type\":[") + (n == "google.protobuf.BoolValue" ? "\"boolean\"" :
                                           n == "google.protobuf.StringValue" || n == "google.protobuf.BytesValue" ? "\"string\"" :
                                           n == "google.protobuf.Int64Value" || n == "google.protobuf.UInt64Value" ? "\"string\",\"integer\"" :
                                           "\"number\"") + ",\"null\"]}";
    }
    return "";
  }

  std::string Scalar(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_STRING: return "{\"type\":\"string\"}";
      case FieldDescriptor::TYPE_BYTES: return "{\"type\":\"string\",\"contentEncoding\":\"base64\"}";
      case FieldDescriptor::TYPE_BOOL: return "{\"type\":\"boolean\"}";
      case FieldDescriptor::TYPE_FLOAT:
      case FieldDescriptor::TYPE_DOUBLE: return "{\"type\":\"number\"}";
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32: return "{\"type\":\"integer\",\"format\":\"int32\"}";
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32: return "{\"type\":\"integer\",\"format\":\"uint32\",\"minimum\":0}";
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64: return "{\"type\":[\"string\",\"integer\"],\"format\":\"int64\"}";
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64: return "{\"type\":[\"string\",\"integer\"],\"format\":\"uint64\"}";
      case FieldDescriptor::TYPE_ENUM: {
        std::string out = "{\"anyOf\":[{\"type\":\"string\",\"enum\":[";
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          if (i) out.push_back(',');
          AppendJsonString(f->enum_type()->value(i)->name(), &out);
        }
        return out + "]},{\"type\":\"integer\"}]}";
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP: return Ref(f->message_type());
    }
    return "{}";
  }

  std::string Field(const FieldDescriptor* f) {
    std::string schema;
    if (f->is_map()) {
      schema = "{\"type\":\"object\",\"additionalProperties\":" + Scalar(f->message_type()->map_value()) + "}";
    } else if (f->is_repeated()) {
      schema = "{\"type\":\"array\",\"items\":" + Scalar(f) + "}";
    } else {
      schema = Scalar(f);
    }
    if (f->number() < 1001) return schema;
    // Our additions (ADR 0020, 0030) beside the vendor's fields.
    return "{\"allOf\":[" + schema + "],\"description\":\"Parley extension, not in the vendor's API\"}";
  }

  std::string Message(const Descriptor* d) {
    std::string out = "{\"type\":\"object\",\"properties\":{";
    for (int i = 0; i < d->field_count(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(d->field(i)->json_name(), &out);
      out.push_back(':');
      out += Field(d->field(i));
    }
    return out + "}}";
  }

  std::map<std::string, std::string> components_;
};

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
  SchemaWriter schemas;
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
      const Dialect::BodyTypes bodies = d.dialect->BodyTypesOf(r.method, pattern);
      if (r.method == http::Method::kPost || r.method == http::Method::kPut ||
          r.method == http::Method::kPatch) {
        out += ",\"requestBody\":{\"required\":false,\"content\":{\"application/json\":"
               "{\"schema\":";
        out += bodies.request ? schemas.Ref(bodies.request) : "{\"type\":\"object\"}";
        out += "}}}";
      }
      out += ",\"responses\":{\"200\":{\"description\":\"Success\",\"content\":{\"application/json\":"
             "{\"schema\":";
      out += bodies.response ? schemas.Ref(bodies.response) : "{\"type\":\"object\"}";
      out += "}}},\"default\":{\"description\":\"An error in the "
             "dialect's shape\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
             "\"#/components/schemas/Error\"}}}}}}";
    }
    out += '}';
  }
  out += "},\"components\":{\"schemas\":{\"Error\":{\"type\":\"object\",\"description\":"
         "\"The dialect's error body (Google dialects: google.rpc.Status under `error`)\"}";
  schemas.AppendComponents(&out);
  out += "},"
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
