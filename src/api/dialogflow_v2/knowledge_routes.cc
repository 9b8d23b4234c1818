// knowledgeBases (create, get, list, patch, delete with force) and their
// documents (create, get, list, patch, delete, :reload), and the operations
// document writes return (get, list). Knowledge bases and documents are
// service::KnowledgeService's (core::KnowledgeBase, core::KnowledgeDocument).
//
// Document create, patch, delete and reload are long-running operations, as
// Google's are. The work is done when the request is accepted (the service is
// synchronous); the operation (core::KnowledgeDocumentJob) records its
// outcome and is queued, and its runner replays that outcome, so a client sees
// a pending operation that is done a moment later. Problems with the request
// itself (no display name, an unsupported mime type, no content, an unknown
// knowledge base) are refused up front (400 / 404); problems with the content
// (a malformed CSV row, an unreadable gs:// object, too large) end the
// operation with INVALID_ARGUMENT naming them, as Google validates documents
// asynchronously. A failed create stores no document.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/dialogflow_v2/agent.h"
#include "api/dialogflow_v2/common.h"
#include "api/dialogflow_v2/routes.h"
#include "api/google/operation.h"
#include "api/google/timestamps.h"
#include "api/protojson/json_field_selector.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/operation_state.h"
#include "service/conversation_service.h"
#include "service/knowledge_service.h"
#include "service/operation_service.h"

namespace parley::dialogflow_v2 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr char kTypePrefix[] = "type.googleapis.com/google.cloud.dialogflow.v2.";
constexpr char kEmptyAny[] = R"({"@type":"type.googleapis.com/google.protobuf.Empty"})";

std::string KbName(const Place& place, std::string_view kb) {
  return absl::StrCat(place.prefix, "/knowledgeBases/", Sv(kb));
}
std::string DocName(const Place& place, std::string_view kb, std::string_view doc) {
  return absl::StrCat(KbName(place, kb), "/documents/", Sv(doc));
}

Response JsonText(std::string body, const Query& q) {
  if (!q.fields().empty()) {
    auto selected = protojson::SelectJsonFields(q.fields(), body);
    if (!selected.ok()) return Error(selected.status());
    body = std::move(*selected);
  }
  Response r;
  r.body = std::move(body);
  return r;
}

void KbToWire(const core::KnowledgeBase& kb, const Place& place, KnowledgeBase* out) {
  out->set_name(KbName(place, kb.id()));
  out->set_display_name(kb.display_name());
  out->set_language_code(kb.language_code());
}

void DocToWire(const core::KnowledgeDocument& d, const Place& place, Document* out) {
  out->set_name(DocName(place, d.knowledge_base_id(), d.id()));
  out->set_display_name(d.display_name());
  out->set_mime_type(d.mime_type());
  for (int t : d.knowledge_types()) out->add_knowledge_types(static_cast<Document::KnowledgeType>(t));
  if (!d.content_uri().empty()) {
    out->set_content_uri(d.content_uri());
  } else {
    out->set_raw_content(d.raw_content());
  }
  out->set_enable_auto_reload(d.enable_auto_reload());
  for (const auto& [k, v] : d.metadata()) (*out->mutable_metadata())[k] = v;
  out->set_state(static_cast<Document::State>(d.state()));
  if (d.latest_reload_status().time_us() != 0) {
    google_api::SetTimestamp(d.latest_reload_status().time_us(),
                             out->mutable_latest_reload_status()->mutable_time());
    auto* st = out->mutable_latest_reload_status()->mutable_status();
    st->set_code(d.latest_reload_status().code());
    st->set_message(d.latest_reload_status().message());
  }
}

void DocFromWire(const Document& in, core::KnowledgeDocument* out) {
  out->set_display_name(in.display_name());
  out->set_mime_type(in.mime_type());
  out->clear_knowledge_types();
  for (int t : in.knowledge_types()) {
    out->add_knowledge_types(static_cast<core::KnowledgeDocument::KnowledgeType>(t));
  }
  out->clear_content_uri();
  out->clear_raw_content();
  if (in.source_case() == Document::kContentUri) out->set_content_uri(in.content_uri());
  if (in.source_case() == Document::kRawContent) out->set_raw_content(in.raw_content());
  out->set_enable_auto_reload(in.enable_auto_reload());
  out->clear_metadata();
  for (const auto& [k, v] : in.metadata()) (*out->mutable_metadata())[k] = v;
}

// The request-shape checks of a document's content fields.
absl::Status CheckDocument(const Document& d, bool need_display_name) {
  if (need_display_name && d.display_name().empty()) {
    return absl::InvalidArgumentError("document.display_name is required");
  }
  if (d.mime_type().empty()) return absl::InvalidArgumentError("document.mime_type is required");
  if (d.mime_type() != "text/csv" && d.mime_type() != "text/plain" && d.mime_type() != "text/html") {
    return absl::InvalidArgumentError(absl::StrCat("document.mime_type \"", d.mime_type(),
                                                   "\" is not supported: use text/csv, text/plain or text/html"));
  }
  if (d.source_case() == Document::SOURCE_NOT_SET) {
    return absl::InvalidArgumentError("one of document.content_uri, document.raw_content is required");
  }
  if (d.source_case() == Document::kContentUri && d.content_uri().rfind("gs://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("document.content_uri \"", d.content_uri(), "\" must be a gs:// URI"));
  }
  for (int t : d.knowledge_types()) {
    if (t == Document::KNOWLEDGE_TYPE_UNSPECIFIED || t == Document::AGENT_FACING_SMART_REPLY) {
      return absl::InvalidArgumentError(absl::StrCat("document.knowledge_types: ",
                                                     Document::KnowledgeType_Name(t),
                                                     " is not supported: use FAQ, EXTRACTIVE_QA or ARTICLE_SUGGESTION"));
    }
    if ((t == Document::FAQ) != (d.mime_type() == "text/csv")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "document.knowledge_types: ", Document::KnowledgeType_Name(t), " does not go with mime_type \"",
          d.mime_type(), "\" (FAQ needs text/csv; EXTRACTIVE_QA and ARTICLE_SUGGESTION text/plain or text/html)"));
    }
  }
  return absl::OkStatus();
}

class KnowledgeHandlers {
 public:
  explicit KnowledgeHandlers(const api::Services& services) : s_(services) {}

  // ---- knowledge bases ----

  Response CreateKb(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    KnowledgeBase wire;
    if (auto st = ParseBody(req, "knowledge_base", &wire); !st.ok()) return Error(st);
    if (wire.display_name().empty()) {
      return Error(absl::InvalidArgumentError("knowledge_base.display_name is required"));
    }
    const Place place = PlaceOf(p);
    core::KnowledgeBase kb;
    kb.set_display_name(wire.display_name());
    kb.set_language_code(wire.language_code());
    auto created = s_.knowledge->CreateKnowledgeBase(place.project, place.scope, std::move(kb));
    if (!created.ok()) return Error(created.status());
    KnowledgeBase out;
    KbToWire(*created, place, &out);
    return Json(out, *q);
  }

  Response GetKb(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto kb = s_.knowledge->GetKnowledgeBase(place.project, place.scope, p.Get("kb"));
    if (!kb.ok()) return Error(kb.status());
    KnowledgeBase out;
    KbToWire(*kb, place, &out);
    return Json(out, *q);
  }

  Response ListKbs(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string fingerprint = absl::StrCat("dialogflow_v2/knowledgeBases\x1f", place.scope);
    auto after = After(*q, fingerprint);
    if (!after.ok()) return Error(after.status());
    auto page = s_.knowledge->ListKnowledgeBases(place.project, place.scope, PageSize(*size), *after);
    if (!page.ok()) return Error(page.status());
    ListKnowledgeBasesResponse out;
    for (const core::KnowledgeBase& kb : page->items) KbToWire(kb, place, out.add_knowledge_bases());
    if (!page->next_after_id.empty()) {
      out.set_next_page_token(
          s_.conversations->tokens().Encode(core::ListCursor{0, page->next_after_id}, fingerprint));
    }
    return Json(out, *q);
  }

  Response PatchKb(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    KnowledgeBase wire;
    if (auto st = ParseBody(req, "knowledge_base", &wire); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    if (auto st = CheckNameMatchesUrl("knowledge_base.name", wire.name(), KbName(place, p.Get("kb")));
        !st.ok()) {
      return Error(st);
    }
    std::vector<std::string> paths;
    for (const std::string& path : PatchPaths(*q, wire, {"display_name", "language_code"})) {
      if (path == "name") continue;
      paths.push_back(path);
    }
    core::KnowledgeBase patch;
    patch.set_id(std::string(p.Get("kb")));
    patch.set_display_name(wire.display_name());
    patch.set_language_code(wire.language_code());
    auto updated = s_.knowledge->UpdateKnowledgeBase(place.project, place.scope, patch, paths);
    if (!updated.ok()) return Error(updated.status());
    KnowledgeBase out;
    KbToWire(*updated, place, &out);
    return Json(out, *q);
  }

  Response DeleteKb(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"force", "force"}});
    if (!q.ok()) return Error(q.status());
    auto force = google_api::ParseBool(*q, "force");
    if (!force.ok()) return Error(force.status());
    const Place place = PlaceOf(p);
    if (auto st = s_.knowledge->DeleteKnowledgeBase(place.project, place.scope, p.Get("kb"), *force);
        !st.ok()) {
      return Error(st);
    }
    Response r;
    r.body = "{}";
    return r;
  }

  // ---- documents ----

  Response CreateDoc(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    Document wire;
    if (auto st = ParseBody(req, "document", &wire); !st.ok()) return Error(st);
    if (auto st = CheckDocument(wire, true); !st.ok()) return Error(st);
    // Inline content is parsed before the operation exists: a malformed
    // CSV row is a 400 naming it, and nothing is stored. (A content_uri is
    // read by the operation, which then fails naming the row.)
    if (wire.source_case() == Document::kRawContent) {
      if (auto st = s_.knowledge->CheckContent(wire.mime_type(), wire.raw_content()); !st.ok()) return Error(st);
    }
    const Place place = PlaceOf(p);
    const std::string kb_id(p.Get("kb"));
    if (auto kb = s_.knowledge->GetKnowledgeBase(place.project, place.scope, kb_id); !kb.ok()) {
      return Error(kb.status());
    }
    core::KnowledgeDocument doc;
    DocFromWire(wire, &doc);
    auto created = s_.knowledge->CreateDocument(place.project, place.scope, kb_id, std::move(doc));
    return Start(place, core::KnowledgeDocumentJob::CREATE, kb_id,
                 created.ok() ? created->id() : std::string(), created.status(), *q);
  }

  Response GetDoc(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto doc = s_.knowledge->GetDocument(place.project, place.scope, p.Get("kb"), p.Get("doc"));
    if (!doc.ok()) return Error(doc.status());
    Document out;
    DocToWire(*doc, place, &out);
    return Json(out, *q);
  }

  Response ListDocs(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string fingerprint =
        absl::StrCat("dialogflow_v2/documents\x1f", place.scope, "\x1f", Sv(p.Get("kb")));
    auto after = After(*q, fingerprint);
    if (!after.ok()) return Error(after.status());
    auto page = s_.knowledge->ListDocuments(place.project, place.scope, p.Get("kb"), PageSize(*size), *after);
    if (!page.ok()) return Error(page.status());
    ListDocumentsResponse out;
    for (const core::KnowledgeDocument& d : page->items) DocToWire(d, place, out.add_documents());
    if (!page->next_after_id.empty()) {
      out.set_next_page_token(
          s_.conversations->tokens().Encode(core::ListCursor{0, page->next_after_id}, fingerprint));
    }
    return Json(out, *q);
  }

  Response PatchDoc(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    Document wire;
    if (auto st = ParseBody(req, "document", &wire); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string kb_id(p.Get("kb"));
    const std::string doc_id(p.Get("doc"));
    if (auto st = CheckNameMatchesUrl("document.name", wire.name(), DocName(place, kb_id, doc_id)); !st.ok()) {
      return Error(st);
    }
    std::vector<std::string> paths;
    bool content = false;
    for (const std::string& path :
         PatchPaths(*q, wire,
                    {"display_name", "metadata", "enable_auto_reload", "content_uri", "raw_content", "mime_type",
                     "knowledge_types"})) {
      if (path == "name" || path == "state" || path == "latest_reload_status") continue;
      if (path == "content_uri" || path == "raw_content" || path == "mime_type" || path == "knowledge_types") {
        content = true;
      }
      paths.push_back(path);
    }
    auto stored = s_.knowledge->GetDocument(place.project, place.scope, kb_id, doc_id);
    if (!stored.ok()) return Error(stored.status());
    if (content) {
      // The content as it will be: the stored fields the mask leaves alone.
      Document merged;
      DocToWire(*stored, place, &merged);
      for (const std::string& path : paths) {
        if (path == "mime_type") merged.set_mime_type(wire.mime_type());
        if (path == "knowledge_types") *merged.mutable_knowledge_types() = wire.knowledge_types();
        if (path == "content_uri") merged.set_content_uri(wire.content_uri());
        if (path == "raw_content") merged.set_raw_content(wire.raw_content());
      }
      if (auto st = CheckDocument(merged, false); !st.ok()) return Error(st);
      if (merged.source_case() == Document::kRawContent &&
          std::find(paths.begin(), paths.end(), "raw_content") != paths.end()) {
        if (auto st = s_.knowledge->CheckContent(merged.mime_type(), merged.raw_content()); !st.ok()) {
          return Error(st);
        }
      }
      // One source: the one given replaces the other.
      bool uri = false, raw = false;
      for (const std::string& path : paths) {
        uri |= path == "content_uri";
        raw |= path == "raw_content";
      }
      if (uri && !raw) paths.push_back("raw_content");
      if (raw && !uri) paths.push_back("content_uri");
    }
    if (wire.display_name().empty() && std::find(paths.begin(), paths.end(), "display_name") != paths.end()) {
      return Error(absl::InvalidArgumentError("document.display_name must not be empty"));
    }
    core::KnowledgeDocument patch;
    DocFromWire(wire, &patch);
    patch.set_id(doc_id);
    patch.set_knowledge_base_id(kb_id);
    auto updated = s_.knowledge->UpdateDocument(place.project, place.scope, kb_id, patch, paths);
    return Start(place, core::KnowledgeDocumentJob::UPDATE, kb_id, doc_id, updated.status(), *q);
  }

  Response DeleteDoc(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    const std::string kb_id(p.Get("kb"));
    const std::string doc_id(p.Get("doc"));
    absl::Status st = s_.knowledge->DeleteDocument(place.project, place.scope, kb_id, doc_id);
    if (absl::IsNotFound(st)) return Error(st);
    return Start(place, core::KnowledgeDocumentJob::DELETE, kb_id, doc_id, st, *q);
  }

  Response ReloadDoc(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    ReloadDocumentRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string kb_id(p.Get("kb"));
    const std::string doc_id(p.Get("doc"));
    if (auto st = CheckNameMatchesUrl("name", body.name(), DocName(place, kb_id, doc_id)); !st.ok()) {
      return Error(st);
    }
    if (!body.content_uri().empty() && body.content_uri().rfind("gs://", 0) != 0) {
      return Error(absl::InvalidArgumentError(
          absl::StrCat("content_uri \"", body.content_uri(), "\" must be a gs:// URI")));
    }
    auto reloaded = s_.knowledge->ReloadDocument(place.project, place.scope, kb_id, doc_id, body.content_uri());
    if (absl::IsNotFound(reloaded.status()) || absl::IsFailedPrecondition(reloaded.status())) {
      return Error(reloaded.status());
    }
    return Start(place, core::KnowledgeDocumentJob::RELOAD, kb_id, doc_id, reloaded.status(), *q);
  }

  // ---- operations ----

  Response GetOperation(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    const Place place = PlaceOf(p);
    auto op = s_.operations->Get(place.project, place.scope, p.Get("operation"));
    // Other dialects' operations (Insights' analyses) are not Dialogflow's.
    if (op.ok() && !op->has_knowledge_document() && !op->has_agent_train()) {
      op = absl::NotFoundError(absl::StrCat("operation \"", Sv(p.Get("operation")), "\" not found"));
    }
    if (!op.ok()) return Error(op.status());
    return JsonText(Render(*op, place, *q), *q);
  }

  // Newest first; only Dialogflow's operations (knowledge documents, agent
  // training), selected by the store, so pages are full.
  Response ListOperations(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    if (const std::string* filter = q->Get("filter"); filter != nullptr && !filter->empty()) {
      return Error(absl::InvalidArgumentError("filter is not supported on operations"));
    }
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string* token = q->Get("page_token");
    auto page = s_.operations->List(place.project, place.scope, std::nullopt, PageSize(*size), token ? *token : "",
                                    "dialogflow_v2/operations",
                                    {core::Operation::kKnowledgeDocument, core::Operation::kAgentTrain});
    if (!page.ok()) return Error(page.status());
    std::string body = "{\"operations\":[";
    bool first = true;
    for (const core::Operation& op : page->operations) {
      if (!op.has_knowledge_document() && !op.has_agent_train()) continue;
      if (!first) body += ",";
      first = false;
      body += Render(op, place, *q);
    }
    body += "]";
    if (!page->next_page_token.empty()) absl::StrAppend(&body, ",\"nextPageToken\":\"", page->next_page_token, "\"");
    body += "}";
    if (first && page->next_page_token.empty()) body = "{}";
    return JsonText(std::move(body), *q);
  }

 private:
  absl::StatusOr<std::string> After(const Query& q, std::string_view fingerprint) {
    auto cursor = PageCursor(q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return cursor.status();
    return *cursor ? (*cursor)->id : std::string();
  }

  Response Start(const Place& place, core::KnowledgeDocumentJob::Kind kind, const std::string& kb_id,
                 const std::string& doc_id, const absl::Status& outcome, const Query& q) {
    core::Operation op;
    op.set_tenant(place.project);
    op.set_location(place.scope);
    core::KnowledgeDocumentJob* job = op.mutable_knowledge_document();
    job->set_kind(kind);
    job->set_knowledge_base_id(kb_id);
    job->set_document_id(doc_id);
    job->set_name_prefix(place.prefix);
    service::OperationService::SetOutcome(outcome, job->mutable_outcome());
    auto started = s_.operations->Start(std::move(op));
    if (!started.ok()) return Error(started.status());
    return JsonText(Render(*started, place, q), q);
  }

  std::string Render(const core::Operation& op, const Place& place, const Query& q) {
    if (op.has_agent_train()) return AgentOperationJson(op, place, q.print());
    const core::KnowledgeDocumentJob& job = op.knowledge_document();
    KnowledgeOperationMetadata m;
    const bool finished = core::IsFinished(op);
    m.set_state(finished                                   ? KnowledgeOperationMetadata::DONE
                : op.state() == core::OPERATION_RUNNING ? KnowledgeOperationMetadata::RUNNING
                                                         : KnowledgeOperationMetadata::PENDING);
    m.set_knowledge_base(KbName(place, job.knowledge_base_id()));
    if (finished && op.end_time_us() != 0) google_api::SetTimestamp(op.end_time_us(), m.mutable_done_time());
    const std::string metadata = google_api::AnyJson(m, kTypePrefix, q.print());
    std::string response;
    if (op.state() == core::OPERATION_SUCCEEDED) {
      if (job.kind() == core::KnowledgeDocumentJob::DELETE) {
        response = kEmptyAny;
      } else {
        Document d;
        auto doc = s_.knowledge->GetDocument(place.project, place.scope, job.knowledge_base_id(),
                                             job.document_id());
        if (doc.ok()) {
          DocToWire(*doc, place, &d);
        } else {  // deleted since
          d.set_name(DocName(place, job.knowledge_base_id(), job.document_id()));
        }
        response = google_api::AnyJson(d, kTypePrefix, q.print());
      }
    }
    return google_api::OperationJson(op, absl::StrCat(place.prefix, "/operations/", op.id()), metadata, response,
                                     q.print());
  }

  api::Services s_;
};

}  // namespace

void AddKnowledgeRoutes(const api::ServerConfig&, const api::Services& services, http::Router* router) {
  // The outcome was decided when the request was accepted: replay it.
  services.operations->SetReplayRunner(
      core::Operation::kKnowledgeDocument,
      [](const core::Operation& op) -> const core::OperationError& { return op.knowledge_document().outcome(); });
  auto h = std::make_shared<KnowledgeHandlers>(services);
  auto bind = [h](Response (KnowledgeHandlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  using http::Dispatch;
  AddBoth(router, Method::kPost, "/knowledgeBases", bind(&KnowledgeHandlers::CreateKb), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/knowledgeBases", bind(&KnowledgeHandlers::ListKbs), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/knowledgeBases/{kb}", bind(&KnowledgeHandlers::GetKb), Dispatch::kBlocking);
  AddBoth(router, Method::kPatch, "/knowledgeBases/{kb}", bind(&KnowledgeHandlers::PatchKb), Dispatch::kBlocking);
  AddBoth(router, Method::kDelete, "/knowledgeBases/{kb}", bind(&KnowledgeHandlers::DeleteKb),
          Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/knowledgeBases/{kb}/documents", bind(&KnowledgeHandlers::CreateDoc),
          Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/knowledgeBases/{kb}/documents", bind(&KnowledgeHandlers::ListDocs),
          Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/knowledgeBases/{kb}/documents/{doc}", bind(&KnowledgeHandlers::GetDoc),
          Dispatch::kBlocking);
  AddBoth(router, Method::kPatch, "/knowledgeBases/{kb}/documents/{doc}", bind(&KnowledgeHandlers::PatchDoc),
          Dispatch::kBlocking);
  AddBoth(router, Method::kDelete, "/knowledgeBases/{kb}/documents/{doc}", bind(&KnowledgeHandlers::DeleteDoc),
          Dispatch::kBlocking);
  AddBoth(router, Method::kPost, "/knowledgeBases/{kb}/documents/{doc}:reload",
          bind(&KnowledgeHandlers::ReloadDoc), Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/operations/{operation}", bind(&KnowledgeHandlers::GetOperation),
          Dispatch::kBlocking);
  AddBoth(router, Method::kGet, "/operations", bind(&KnowledgeHandlers::ListOperations), Dispatch::kBlocking);
}

}  // namespace parley::dialogflow_v2
