#include "api/google/operation.h"

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/operation_state.h"

namespace parley::google_api {

std::string AnyJson(const google::protobuf::Message& m, std::string_view type_prefix,
                    const protojson::PrintOptions& print) {
  std::string body;
  protojson::Print(m, &body, print);
  std::string out = absl::StrCat("{\"@type\":\"", Sv(type_prefix), m.GetDescriptor()->name(), "\"");
  if (body.size() > 2) absl::StrAppend(&out, ",", body.substr(1));
  else out += "}";
  return out;
}

void AddPartialErrors(const core::Operation& op, google::protobuf::RepeatedPtrField<Status>* out) {
  for (const core::OperationError& e : op.partial_errors()) {
    Status* s = out->Add();
    s->set_code(e.code());
    s->set_message(e.message());
  }
}

std::string OperationJson(const core::Operation& op, std::string_view name,
                          std::string_view metadata_json, std::string_view response_json,
                          const protojson::PrintOptions& print) {
  std::string out = absl::StrCat("{\"name\":\"", Sv(name), "\"");
  if (!metadata_json.empty()) absl::StrAppend(&out, ",\"metadata\":", Sv(metadata_json));
  if (core::IsFinished(op)) {
    out += ",\"done\":true";
    if (op.state() == core::OPERATION_SUCCEEDED) {
      if (!response_json.empty()) absl::StrAppend(&out, ",\"response\":", Sv(response_json));
    } else {
      Status error;
      error.set_code(op.error().code());
      error.set_message(op.error().message());
      std::string json;
      protojson::Print(error, &json, print);
      absl::StrAppend(&out, ",\"error\":", json);
    }
  }
  out += "}";
  return out;
}

}  // namespace parley::google_api
