// Insights v1 export:
//   POST .../insightsdata:export   ExportInsightsDataRequest -> Operation
// The operation (a core ExportJob) runs on the job queue: it writes one row per
// matching conversation, with its latest analysis, to a local table under
// --export-dir (src/export) in Insights' BigQuery export format
// (export_mapping.h). See docs/insights-export.md.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/insights_v1/export_mapping.h"
#include "api/insights_v1/filter_fields.h"
#include "api/insights_v1/operation_mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/routes.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/public_error.h"
#include "core/time_format.h"
#include "export/table_writer.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr int kMaxPartialErrors = 10;

exporter::WriteDisposition DispositionOf(core::ExportJob::WriteDisposition d) {
  switch (d) {
    case core::ExportJob::WRITE_TRUNCATE: return exporter::WriteDisposition::kWriteTruncate;
    case core::ExportJob::WRITE_APPEND: return exporter::WriteDisposition::kWriteAppend;
    default: return exporter::WriteDisposition::kWriteEmpty;
  }
}

exporter::TableRef TableOf(const core::ExportJob& job) {
  return exporter::TableRef{job.project(), job.dataset(), job.table()};
}

class Exporter {
 public:
  Exporter(const Options& options, const Services& services)
      : export_dir_(options.export_dir), s_(services) {}

  Response Export(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    ExportInsightsDataRequest wire;
    if (auto st = ParseBody(req, "", &wire); !st.ok()) return Error(st);
    if (auto st = CheckNameMatchesUrl("parent", wire.parent(), ParentName(p)); !st.ok()) {
      return Error(st);
    }
    if (export_dir_.empty()) {
      return Error(absl::FailedPreconditionError(
          "export is not available: the server was started without --export-dir"));
    }
    if (!wire.has_big_query_destination()) {
      return Error(absl::InvalidArgumentError("big_query_destination is required"));
    }
    const auto& bq = wire.big_query_destination();
    core::Operation op;
    op.set_tenant(std::string(p.Get("project")));
    op.set_location(std::string(p.Get("location")));
    core::ExportJob* job = op.mutable_export_job();
    job->set_project(bq.project_id().empty() ? std::string(p.Get("project")) : bq.project_id());
    job->set_dataset(bq.dataset());
    job->set_table(bq.table());
    // Names and the resulting path are checked now: a bad destination is a 400.
    if (auto paths = exporter::PathsFor(export_dir_, TableOf(*job)); !paths.ok()) {
      return Error(paths.status());
    }
    // The destination must be the caller's own project: a key for one tenant
    // must not write (or overwrite) another tenant's tables. Google answers a
    // BigQuery project the caller cannot write with PERMISSION_DENIED.
    if (job->project() != p.Get("project")) {
      return Error(absl::PermissionDeniedError(absl::StrCat(
          "Permission denied on BigQuery project \"", job->project(),
          "\": bigQueryDestination.projectId must be the request's project \"", Sv(p.Get("project")), "\"")));
    }
    switch (wire.write_disposition()) {
      case ExportInsightsDataRequest::WRITE_DISPOSITION_UNSPECIFIED:
      case ExportInsightsDataRequest::WRITE_TRUNCATE:
      case ExportInsightsDataRequest::WRITE_APPEND:
        job->set_write_disposition(static_cast<core::ExportJob::WriteDisposition>(wire.write_disposition()));
        break;
      default:
        return Error(absl::InvalidArgumentError(absl::StrCat(
            "Invalid value at 'write_disposition' (TYPE_ENUM), ", static_cast<int>(wire.write_disposition()))));
    }
    // kms_key is accepted and ignored: the files are written as the server's user.
    auto selector = SelectorFromFilter(wire.filter(), p.Get("location"));
    if (!selector.ok()) return Error(selector.status());
    *job->mutable_selector() = std::move(*selector);
    auto submitted = s_.operations->Start(std::move(op));
    if (!submitted.ok()) return Error(submitted.status());
    Response r;
    r.body = OperationToJson(*submitted, nullptr, q->print());
    return r;
  }

  absl::Status Run(jobs::JobContext& ctx) {
    core::Operation& op = ctx.operation();
    const core::ExportJob job = op.export_job();
    auto writer = exporter::TableWriter::Open(export_dir_, TableOf(job), ExportSchema(),
                                              DispositionOf(job.write_disposition()));
    if (!writer.ok()) return writer.status();
    auto revisions = Revisions(op.tenant());
    if (!revisions.ok()) return revisions.status();
    auto keys = s_.analysis->SelectConversations(op.tenant(), job.selector(),
                                                 [&ctx] { return ctx.should_stop(); });
    if (ctx.should_stop()) return absl::OkStatus();  // the writer's temporaries are dropped
    if (!keys.ok()) return keys.status();
    op.set_total(static_cast<int64_t>(keys->size()));
    op.set_succeeded(0);
    op.set_failed(0);
    op.clear_partial_errors();
    for (const service::ConversationKey& key : *keys) {
      const std::string& id = key.id;
      if (ctx.should_stop()) return absl::OkStatus();  // the writer's temporaries are dropped
      auto c = s_.conversations->Get(op.tenant(), key.scope, id);
      if (c.status().code() == absl::StatusCode::kNotFound) {
        op.set_total(op.total() - 1);  // deleted or expired since it was selected
        continue;
      }
      if (!c.ok()) {
        op.set_failed(op.failed() + 1);
        if (op.partial_errors_size() < kMaxPartialErrors) {
          core::SetOperationError(c.status(), absl::StrCat("conversation ", id),
                                  op.add_partial_errors());
        }
        continue;
      }
      std::optional<core::Analysis> latest;
      if (!c->latest_analysis_id().empty()) {
        auto a = s_.analysis->LatestAnalysis(*c);
        if (a.ok()) latest = std::move(*a);
      }
      if (auto st = (*writer)->AddRow(ExportRow(*c, latest ? &*latest : nullptr, *revisions)); !st.ok()) {
        return st;
      }
      op.set_succeeded(op.succeeded() + 1);
      ctx.ReportProgress();
    }
    if (ctx.should_stop()) return absl::OkStatus();
    return (*writer)->Commit();
  }

 private:
  absl::StatusOr<MatcherRevisions> Revisions(const std::string& tenant) {
    MatcherRevisions out;
    auto scanned = s_.resources->Scan(
        tenant, service::kPhraseMatcherKind, "", "", 500,
        [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
          core::PhraseMatcher m;
          if (m.ParseFromString(body)) out[std::string(id)] = m.revision_id();
          return true;
        });
    if (!scanned.ok()) return scanned.status();
    return out;
  }

  std::string export_dir_;
  Services s_;
};

}  // namespace

void AddExportRoutes(const Options& options, const Services& services, http::Router* router) {
  auto h = std::make_shared<Exporter>(options, services);
  services.operations->SetRunner(core::Operation::kExportJob,
                                 [h](jobs::JobContext& ctx) { return h->Run(ctx); });
  router->Add(Method::kPost, "/v1/projects/{project}/locations/{location}/insightsdata:export",
              [h](const Request& r, const PathParams& p) { return h->Export(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
