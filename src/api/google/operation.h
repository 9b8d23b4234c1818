// core::Operation -> google.longrunning.Operation JSON, for every Google
// dialect: {"name", "metadata", "done", "response" | "error"}, where
// `metadata` and `response` are google.protobuf.Any values ("@type" first)
// whose type URL is the dialect's own package (`type_prefix`, e.g.
// "type.googleapis.com/google.cloud.contactcenterinsights.v1.").
#pragma once

#include <string>
#include <string_view>

#include "api/protojson/protojson.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google_api/status.pb.h"
#include "parley/operation.pb.h"

namespace parley::google_api {

// `m` as an Any: its JSON object with "@type" = type_prefix + its message
// name, first.
std::string AnyJson(const google::protobuf::Message& m, std::string_view type_prefix,
                    const protojson::PrintOptions& print);

// The Operation's JSON. `metadata_json` and `response_json` are Any JSON
// (AnyJson) or empty (left out); the response is written only when the
// operation succeeded, its error (google.rpc.Status) only when it failed or
// was cancelled.
std::string OperationJson(const core::Operation& op, std::string_view name,
                          std::string_view metadata_json, std::string_view response_json,
                          const protojson::PrintOptions& print);

// Appends the operation's partial errors as google.rpc.Status values.
void AddPartialErrors(const core::Operation& op,
                      google::protobuf::RepeatedPtrField<Status>* out);

}  // namespace parley::google_api
