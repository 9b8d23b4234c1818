// Insights v1 analyses, operations and bulk work:
//   POST/GET      .../conversations/{c}/analyses        create (an Operation), list
//   GET/DELETE    .../conversations/{c}/analyses/{a}
//   POST          .../conversations:bulkAnalyze, .../conversations:bulkDelete
//   GET           .../operations, .../operations/{o};  POST .../operations/{o}:cancel
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/filter_fields.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/operation_mapping.h"
#include "api/insights_v1/paths.h"
#include "api/protojson/json_field_selector.h"
#include "api/insights_v1/routes.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/time_format.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr std::string_view kLocation = "/v1/projects/{project}/locations/{location}";

Response JsonText(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

// A hand-built JSON response (operations carry Any values) after `fields`.
Response JsonText(std::string body, const Query& q) {
  if (q.fields().empty()) return JsonText(std::move(body));
  auto selected = protojson::SelectJsonFields(q.fields(), body);
  if (!selected.ok()) return Error(selected.status());
  return JsonText(std::move(*selected));
}

class AnalysisHandlers {
 public:
  AnalysisHandlers(const Options& options, const Services& services)
      : s_(services), max_response_bytes_(options.max_response_bytes) {}

  Response Create(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    Analysis wire;
    if (auto st = ParseBody(req, "analysis", &wire); !st.ok()) return Error(st);
    auto submitted = s_.analysis->StartAnalysis(
        p.Get("project"), p.Get("location"), p.Get("conversation"),
        SelectionFromWire(wire.has_annotator_selector() ? &wire.annotator_selector() : nullptr));
    if (!submitted.ok()) return Error(submitted.status());
    return JsonText(OperationToJson(*submitted, nullptr, q->print()), *q);
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    auto found = s_.analysis->GetAnalysis(p.Get("project"), p.Get("location"), p.Get("conversation"),
                                          p.Get("analysis"));
    if (!found.ok()) return Error(found.status());
    Analysis out;
    AnalysisToWire(found->analysis, found->conversation, &out);
    return Json(out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    if (const std::string* f = q->Get("filter"); f && !absl::StripAsciiWhitespace(*f).empty()) {
      return Error(absl::InvalidArgumentError("filter is not supported when listing analyses"));
    }
    const std::string* token = q->Get("page_token");
    // Like conversation lists, the page ends before the analysis that would
    // take the response over --max-response-mb (issue 9 #8).
    const size_t cap = max_response_bytes_;
    size_t total = 64;  // the envelope and the next page token
    auto take = [&](const core::Analysis& a) {
      if (cap == 0) return true;
      const size_t bytes = 32 * a.ByteSizeLong() + 64;  // JSON is far under 32x the binary form
      if (total + bytes > cap) return false;
      total += bytes;
      return true;
    };
    auto page = s_.analysis->ListAnalyses(p.Get("project"), p.Get("location"), p.Get("conversation"),
                                          PageSize(*size), token ? *token : "", take);
    if (!page.ok()) return Error(page.status());
    ListAnalysesResponse out;
    for (const core::Analysis& a : page->analyses) AnalysisToWire(a, page->conversation, out.add_analyses());
    out.set_next_page_token(page->next_page_token);
    return Json(out, *q);
  }

  Response Delete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = s_.analysis->DeleteAnalysis(p.Get("project"), p.Get("location"),
                                              p.Get("conversation"), p.Get("analysis"));
        !st.ok()) {
      return Error(st);
    }
    return JsonText("{}");
  }

  Response BulkAnalyze(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    BulkAnalyzeConversationsRequest wire;
    if (auto st = ParseBody(req, "", &wire); !st.ok()) return Error(st);
    if (auto st = CheckNameMatchesUrl("parent", wire.parent(), ParentName(p)); !st.ok()) return Error(st);
    if (!(wire.analysis_percentage() > 0 && wire.analysis_percentage() <= 100)) {
      return Error(absl::InvalidArgumentError(
          "analysis_percentage must be greater than 0 and at most 100"));
    }
    auto selector = SelectorFromFilter(wire.filter(), p.Get("location"));
    if (!selector.ok()) return Error(selector.status());
    core::Operation op = NewOperation(p);
    core::BulkAnalyzeJob* job = op.mutable_bulk_analyze();
    *job->mutable_selector() = std::move(*selector);
    job->set_percentage(wire.analysis_percentage());
    *job->mutable_selection() =
        SelectionFromWire(wire.has_annotator_selector() ? &wire.annotator_selector() : nullptr);
    return Submit(std::move(op), *q);
  }

  Response BulkDelete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    BulkDeleteConversationsRequest wire;
    if (auto st = ParseBody(req, "", &wire); !st.ok()) return Error(st);
    if (auto st = CheckNameMatchesUrl("parent", wire.parent(), ParentName(p)); !st.ok()) return Error(st);
    if (wire.max_delete_count() < 0) {
      return Error(absl::InvalidArgumentError("max_delete_count must not be negative"));
    }
    auto selector = SelectorFromFilter(wire.filter(), p.Get("location"));
    if (!selector.ok()) return Error(selector.status());
    core::Operation op = NewOperation(p);
    core::BulkDeleteJob* job = op.mutable_bulk_delete();
    *job->mutable_selector() = std::move(*selector);
    job->set_max_delete_count(wire.max_delete_count());
    job->set_force(wire.force());
    return Submit(std::move(op), *q);
  }

  Response GetOperation(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    auto op = s_.operations->Get(p.Get("project"), p.Get("location"), p.Get("operation"));
    if (!op.ok()) return Error(op.status());
    return JsonText(Render(*op, *q), *q);
  }

  Response ListOperations(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    std::optional<bool> done;
    std::string filter = q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    if (!filter.empty()) {
      std::string compact;
      for (char ch : filter) {
        if (ch != ' ') compact += ch;
      }
      if (compact == "done=true" || compact == "done:true") {
        done = true;
      } else if (compact == "done=false" || compact == "done:false" || compact == "NOTdone") {
        done = false;
      } else {
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "invalid filter \"", filter, "\": operations can be filtered on done=true or done=false")));
      }
    }
    const std::string fingerprint = absl::StrCat("operations\x1f", filter);
    std::string_view location = p.Get("location") == "-" ? std::string_view() : p.Get("location");
    const std::string* token = q->Get("page_token");
    auto page = s_.operations->List(p.Get("project"), location, done, PageSize(*size),
                                    token ? *token : "", fingerprint);
    if (!page.ok()) return Error(page.status());
    std::string body = "{\"operations\":[";
    for (size_t i = 0; i < page->operations.size(); ++i) {
      if (i > 0) body += ",";
      body += Render(page->operations[i], *q);
    }
    body += "]";
    if (!page->next_page_token.empty()) {
      absl::StrAppend(&body, ",\"nextPageToken\":\"", page->next_page_token, "\"");
    }
    body += "}";
    if (page->operations.empty() && page->next_page_token.empty()) body = "{}";
    return JsonText(std::move(body), *q);
  }

  Response CancelOperation(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    auto op = s_.operations->Cancel(p.Get("project"), p.Get("location"), p.Get("operation"));
    if (!op.ok()) return Error(op.status());
    return JsonText("{}");  // google.protobuf.Empty
  }

 private:
  static core::Operation NewOperation(const PathParams& p) {
    core::Operation op;
    op.set_tenant(std::string(p.Get("project")));
    op.set_location(std::string(p.Get("location")));
    return op;
  }

  Response Submit(core::Operation op, const Query& q) {
    auto submitted = s_.operations->Start(std::move(op));
    if (!submitted.ok()) return Error(submitted.status());
    return JsonText(OperationToJson(*submitted, nullptr, q.print()), q);
  }

  // An operation's JSON; a finished analysis carries the Analysis.
  std::string Render(const core::Operation& op, const Query& q) {
    if (op.has_upload()) return UploadOperationToJson(op, s_.operations, q.print());
    if (op.has_analyze() && op.state() == core::OPERATION_SUCCEEDED && !op.analysis_id().empty()) {
      auto result = s_.operations->AnalysisOf(op);
      if (result.ok()) {
        Analysis wire;
        AnalysisToWire(result->analysis, result->conversation, &wire);
        return OperationToJson(op, &wire, q.print());
      }
    }
    return OperationToJson(op, nullptr, q.print());
  }

  Services s_;
  size_t max_response_bytes_;
};

}  // namespace

void AddAnalysisRoutes(const Options& options, const Services& services, http::Router* router) {
  auto h = std::make_shared<AnalysisHandlers>(options, services);
  const std::string loc(kLocation);
  const std::string conv = loc + "/conversations/{conversation}";
  auto bind = [h](Response (AnalysisHandlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  router->Add(Method::kPost, conv + "/analyses", bind(&AnalysisHandlers::Create),
              http::Dispatch::kBlocking);
  router->Add(Method::kGet, conv + "/analyses", bind(&AnalysisHandlers::List),
              http::Dispatch::kBlocking);
  router->Add(Method::kGet, conv + "/analyses/{analysis}", bind(&AnalysisHandlers::Get));
  router->Add(Method::kDelete, conv + "/analyses/{analysis}", bind(&AnalysisHandlers::Delete),
              http::Dispatch::kBlocking);
  router->Add(Method::kPost, loc + "/conversations:bulkAnalyze", bind(&AnalysisHandlers::BulkAnalyze),
              http::Dispatch::kBlocking);
  router->Add(Method::kPost, loc + "/conversations:bulkDelete", bind(&AnalysisHandlers::BulkDelete),
              http::Dispatch::kBlocking);
  router->Add(Method::kGet, loc + "/operations", bind(&AnalysisHandlers::ListOperations),
              http::Dispatch::kBlocking);
  router->Add(Method::kGet, loc + "/operations/{operation}", bind(&AnalysisHandlers::GetOperation));
  router->Add(Method::kPost, loc + "/operations/{operation}:cancel",
              bind(&AnalysisHandlers::CancelOperation), http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
