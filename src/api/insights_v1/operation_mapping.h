// core::Operation -> google.longrunning.Operation JSON as Insights writes it:
// `metadata` and `response` are Any values ("@type" first).
#pragma once

#include <optional>
#include <string>

#include "api/protojson/protojson.h"
#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::service {
class OperationService;
}

namespace parley::insights_v1 {

// "projects/P/locations/L/operations/ID".
std::string OperationName(const core::Operation& op);

// The Operation's JSON. `analysis` is the finished analysis of an AnalyzeJob
// (rendered as its response; null when not done or not an analysis).
std::string OperationToJson(const core::Operation& op, const Analysis* analysis,
                            const protojson::PrintOptions& print);
// The same for an UploadJob: `conversation` is the uploaded conversation
// (its response when done; null: no response written).
std::string OperationToJson(const core::Operation& op, const Analysis* analysis,
                            const Conversation* conversation,
                            const protojson::PrintOptions& print);

// An UploadJob's Operation JSON; when done, its response is the uploaded
// conversation as stored now (upload_routes.cc).
std::string UploadOperationToJson(const core::Operation& op, service::OperationService* operations,
                                  const protojson::PrintOptions& print);

}  // namespace parley::insights_v1
