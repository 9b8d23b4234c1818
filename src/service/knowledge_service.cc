#include "service/knowledge_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "analysis/knowledge/article.h"
#include "analysis/knowledge/faq_csv.h"
#include "analysis/knowledge/knowledge_index.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "service/resource_service.h"

namespace parley::service {
namespace {

namespace kn = analysis::knowledge;
using core::KnowledgeBase;
using core::KnowledgeDocument;

// Resources read per store page while scanning.
constexpr int kScanBatch = 200;

std::string DocumentStoreId(std::string_view kb, std::string_view doc) {
  return absl::StrCat(Sv(kb), "/", Sv(doc));
}

std::string CacheKey(std::string_view tenant, std::string_view kb) {
  return absl::StrCat(Sv(tenant), "\n", Sv(kb));
}

absl::Status CheckId(std::string_view id, std::string_view what) {
  if (!core::IsValidClientId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(what), " id \"", Sv(id), "\" must be 1-128 of [A-Za-z0-9_.~-] starting with a letter or digit"));
  }
  return absl::OkStatus();
}

// A time later than `stored` (ResourceService::Update wants one).
int64_t NextTime(int64_t stored) { return std::max(core::NowMicros(), stored + 1); }

bool HasType(const KnowledgeDocument& doc, KnowledgeDocument::KnowledgeType type) {
  for (int t : doc.knowledge_types()) {
    if (t == type) return true;
  }
  return false;
}

// The document as the index holds it.
std::shared_ptr<const kn::IndexedDocument> ToIndexed(const KnowledgeDocument& doc) {
  std::shared_ptr<kn::IndexedDocument> indexed;
  if (doc.faqs_size() > 0) {
    std::vector<kn::FaqPair> faqs;
    faqs.reserve(doc.faqs_size());
    for (const auto& f : doc.faqs()) faqs.push_back({f.question(), f.answer()});
    indexed = kn::AnalyzeFaq(doc.id(), std::move(faqs));
  } else {
    std::vector<std::string> passages;
    passages.reserve(doc.passages_size());
    for (const auto& p : doc.passages()) passages.push_back(p.text());
    indexed = kn::AnalyzeArticle(doc.id(), doc.title().empty() ? doc.display_name() : doc.title(),
                                 std::move(passages));
  }
  indexed->display_name = doc.display_name();
  indexed->uri = doc.content_uri();
  indexed->metadata.assign(doc.metadata().begin(), doc.metadata().end());
  std::sort(indexed->metadata.begin(), indexed->metadata.end());
  for (const auto& [k, v] : indexed->metadata) indexed->bytes += k.size() + v.size() + 64;
  return indexed;
}

}  // namespace

struct KnowledgeService::CachedIndex {
  int64_t revision = 0;
  std::string scope;
  std::shared_ptr<kn::KnowledgeIndex> index;
  std::list<std::string>::iterator lru;
  size_t bytes = 0;
};

KnowledgeService::KnowledgeService(ResourceService* resources, core::BlobOptions blobs,
                                   KnowledgeLimits limits)
    : resources_(resources),
      blobs_(std::move(blobs)),
      limits_(limits),
      message_terms_(std::make_unique<kn::MessageTermCache>(limits.max_message_term_bytes)) {
  blobs_.max_bytes = std::min(blobs_.max_bytes, limits_.max_document_bytes);
}

KnowledgeService::~KnowledgeService() = default;

// ---- knowledge bases ----

absl::StatusOr<KnowledgeBase> KnowledgeService::CreateKnowledgeBase(std::string_view tenant,
                                                                    std::string_view scope,
                                                                    KnowledgeBase kb) {
  if (kb.id().empty()) {
    kb.set_id(core::NewId());
  } else if (absl::Status s = CheckId(kb.id(), "knowledge base"); !s.ok()) {
    return s;
  }
  if (kb.display_name().empty()) return absl::InvalidArgumentError("display_name is required");
  const int64_t now = core::NowMicros();
  kb.set_scope(std::string(scope));
  kb.set_content_revision(1);
  kb.set_create_time_us(now);
  kb.set_update_time_us(now);
  absl::Status s = resources_->Create({tenant, kKnowledgeBaseKind, scope, kb.id()}, now, kb);
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("knowledge base ", kb.id(), " already exists"));
  }
  if (!s.ok()) return s;
  return kb;
}

absl::StatusOr<KnowledgeBase> KnowledgeService::GetKnowledgeBase(std::string_view tenant,
                                                                 std::string_view scope,
                                                                 std::string_view id) {
  KnowledgeBase kb;
  auto got = resources_->Get({tenant, kKnowledgeBaseKind, scope, id}, &kb);
  if (absl::IsNotFound(got.status())) {
    return absl::NotFoundError(absl::StrCat("knowledge base ", Sv(id), " not found"));
  }
  if (!got.ok()) return got.status();
  return kb;
}

absl::StatusOr<KnowledgeService::Page<KnowledgeBase>> KnowledgeService::ListKnowledgeBases(
    std::string_view tenant, std::string_view scope, int page_size, std::string_view after_id) {
  if (page_size < 1) return absl::InvalidArgumentError("page_size must be at least 1");
  Page<KnowledgeBase> page;
  auto scanned = resources_->Scan(
      tenant, kKnowledgeBaseKind, scope, after_id, std::min(page_size + 1, kScanBatch),
      [&](std::string_view, const std::string& body) -> absl::StatusOr<bool> {
        if (page.items.size() == static_cast<size_t>(page_size)) return false;
        KnowledgeBase kb;
        if (!kb.ParseFromString(body)) return absl::InternalError("stored knowledge base is corrupt");
        page.items.push_back(std::move(kb));
        return true;
      });
  if (!scanned.ok()) return scanned.status();
  if (scanned->has_value() && !page.items.empty()) page.next_after_id = page.items.back().id();
  return page;
}

absl::StatusOr<KnowledgeBase> KnowledgeService::UpdateKnowledgeBase(
    std::string_view tenant, std::string_view scope, const KnowledgeBase& patch,
    const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (p != "display_name" && p != "language_code") {
      return absl::InvalidArgumentError(absl::StrCat("knowledge base field \"", p, "\" cannot be updated"));
    }
    if (p == "display_name" && patch.display_name().empty()) {
      return absl::InvalidArgumentError("display_name is required");
    }
  }
  KnowledgeBase kb;
  absl::Status s = resources_->Update(
      {tenant, kKnowledgeBaseKind, scope, patch.id()}, false, &kb,
      [&](google::protobuf::Message& m, int64_t stored) -> absl::StatusOr<int64_t> {
        auto& stored_kb = static_cast<KnowledgeBase&>(m);
        for (const std::string& p : paths) {
          if (p == "display_name") stored_kb.set_display_name(patch.display_name());
          if (p == "language_code") stored_kb.set_language_code(patch.language_code());
        }
        stored_kb.set_update_time_us(NextTime(stored));
        return stored_kb.update_time_us();
      });
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat("knowledge base ", patch.id(), " not found"));
  }
  if (!s.ok()) return s;
  return kb;
}

absl::Status KnowledgeService::DeleteKnowledgeBase(std::string_view tenant, std::string_view scope,
                                                   std::string_view id, bool force) {
  auto kb = GetKnowledgeBase(tenant, scope, id);
  if (!kb.ok()) return kb.status();
  const std::string prefix = DocumentStoreId(id, "");
  std::vector<std::string> documents;
  auto scanned = resources_->Scan(tenant, kKnowledgeDocumentKind, "", prefix, kScanBatch,
                                  [&](std::string_view doc_id, const std::string&) -> absl::StatusOr<bool> {
                                    if (!absl::StartsWith(Sv(doc_id), prefix)) return false;
                                    documents.emplace_back(doc_id);
                                    return !force ? false : true;
                                  });
  if (!scanned.ok()) return scanned.status();
  if (!documents.empty() && !force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "knowledge base ", Sv(id), " has documents; delete them first or set force"));
  }
  for (const std::string& doc_id : documents) {
    absl::Status s = resources_->Delete({tenant, kKnowledgeDocumentKind, "", doc_id});
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  absl::Status s = resources_->Delete({tenant, kKnowledgeBaseKind, scope, id});
  if (absl::IsNotFound(s)) return absl::NotFoundError(absl::StrCat("knowledge base ", Sv(id), " not found"));
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(CacheKey(tenant, id));
  if (it != cache_.end()) {
    cached_bytes_ -= it->second->bytes;
    lru_.erase(it->second->lru);
    cache_.erase(it);
  }
  return absl::OkStatus();
}

// ---- documents ----

absl::Status KnowledgeService::ParseInto(KnowledgeDocument* doc) {
  const bool has_uri = !doc->content_uri().empty();
  const bool has_raw = !doc->raw_content().empty();
  if (has_uri == has_raw) {
    return absl::InvalidArgumentError("exactly one of content_uri and raw_content must be set");
  }
  std::string mime(absl::StripAsciiWhitespace(doc->mime_type()));
  if (size_t semi = mime.find(';'); semi != std::string::npos) {
    mime = std::string(absl::StripAsciiWhitespace(mime.substr(0, semi)));
  }
  absl::AsciiStrToLower(&mime);
  const bool csv = mime == "text/csv";
  if (!csv && mime != "text/html" && mime != "text/plain") {
    return absl::InvalidArgumentError(absl::StrCat(
        "mime_type \"", doc->mime_type(), "\" is not supported: use text/csv, text/html or text/plain"));
  }
  if (doc->knowledge_types_size() == 0) {
    doc->add_knowledge_types(csv ? KnowledgeDocument::FAQ : KnowledgeDocument::ARTICLE_SUGGESTION);
  }
  if (HasType(*doc, KnowledgeDocument::FAQ) && !csv) {
    return absl::InvalidArgumentError("an FAQ document must be text/csv");
  }
  if (csv && (HasType(*doc, KnowledgeDocument::ARTICLE_SUGGESTION) ||
              HasType(*doc, KnowledgeDocument::EXTRACTIVE_QA))) {
    return absl::InvalidArgumentError(
        "an article (ARTICLE_SUGGESTION, EXTRACTIVE_QA) must be text/html or text/plain");
  }
  std::string content;
  if (has_raw) {
    if (doc->raw_content().size() > limits_.max_document_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("raw_content is larger than ", limits_.max_document_bytes, " bytes"));
    }
    content = doc->raw_content();
  } else {
    auto read = core::ReadBlobUri(doc->content_uri(), blobs_);
    if (!read.ok()) return read.status();
    content = std::move(*read);
  }
  doc->clear_faqs();
  doc->clear_passages();
  doc->clear_title();
  if (csv) {
    kn::FaqCsvLimits limits;
    limits.max_rows = limits_.max_faq_rows;
    auto pairs = kn::ParseFaqCsv(content, limits);
    if (!pairs.ok()) return pairs.status();
    for (auto& p : *pairs) {
      core::FaqEntry* e = doc->add_faqs();
      e->set_question(std::move(p.question));
      e->set_answer(std::move(p.answer));
    }
  } else {
    kn::ArticleLimits limits;
    limits.max_passages = limits_.max_passages;
    limits.max_passage_bytes = limits_.max_passage_bytes;
    auto article = kn::ParseArticle(content, mime, limits);
    if (!article.ok()) return article.status();
    doc->set_title(std::move(article->title));
    for (auto& p : article->passages) doc->add_passages()->set_text(std::move(p));
  }
  doc->set_mime_type(mime);
  return absl::OkStatus();
}

absl::Status KnowledgeService::CheckContent(std::string_view mime_type, std::string_view raw_content) const {
  if (raw_content.size() > limits_.max_document_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw_content is larger than ", limits_.max_document_bytes, " bytes"));
  }
  if (mime_type == "text/csv") {
    kn::FaqCsvLimits limits;
    limits.max_rows = limits_.max_faq_rows;
    return kn::ParseFaqCsv(raw_content, limits).status();
  }
  kn::ArticleLimits limits;
  limits.max_passages = limits_.max_passages;
  limits.max_passage_bytes = limits_.max_passage_bytes;
  return kn::ParseArticle(raw_content, mime_type, limits).status();
}

absl::StatusOr<KnowledgeBase> KnowledgeService::BumpRevision(std::string_view tenant,
                                                             std::string_view scope,
                                                             std::string_view knowledge_base_id) {
  KnowledgeBase kb;
  absl::Status s = resources_->Update(
      {tenant, kKnowledgeBaseKind, scope, knowledge_base_id}, false, &kb,
      [](google::protobuf::Message& m, int64_t stored) -> absl::StatusOr<int64_t> {
        auto& stored_kb = static_cast<KnowledgeBase&>(m);
        stored_kb.set_content_revision(stored_kb.content_revision() + 1);
        stored_kb.set_update_time_us(NextTime(stored));
        return stored_kb.update_time_us();
      });
  if (!s.ok()) return s;
  return kb;
}

void KnowledgeService::OnDocumentChanged(std::string_view tenant, const KnowledgeBase& kb,
                                         std::string_view document_id, const KnowledgeDocument* now) {
  std::shared_ptr<const kn::IndexedDocument> indexed = now == nullptr ? nullptr : ToIndexed(*now);
  std::shared_ptr<kn::KnowledgeIndex> changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(CacheKey(tenant, kb.id()));
    if (it == cache_.end()) return;
    CachedIndex& entry = *it->second;
    // Built at this revision or later: it already holds the change.
    if (entry.revision >= kb.content_revision()) return;
    if (entry.revision + 1 != kb.content_revision()) {
      // Another change came in between that this index has not seen:
      // rebuild on the next search.
      cached_bytes_ -= entry.bytes;
      lru_.erase(entry.lru);
      cache_.erase(it);
      return;
    }
    if (indexed != nullptr) {
      entry.index->Put(indexed);
    } else {
      entry.index->Remove(document_id);
    }
    entry.revision = kb.content_revision();
    changed = entry.index;
  }
  // Compile here, outside the cache lock, so that the writer pays for it and
  // searches keep being answered from the previous snapshot meanwhile.
  changed->Warm();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(CacheKey(tenant, kb.id()));
  if (it != cache_.end() && it->second->index == changed) {
    cached_bytes_ -= it->second->bytes;
    it->second->bytes = changed->bytes();
    cached_bytes_ += it->second->bytes;
    EvictLocked(it->first);
  }
}

absl::StatusOr<KnowledgeDocument> KnowledgeService::CreateDocument(std::string_view tenant,
                                                                   std::string_view scope,
                                                                   std::string_view knowledge_base_id,
                                                                   KnowledgeDocument doc) {
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  if (doc.id().empty()) {
    doc.set_id(core::NewId());
  } else if (absl::Status s = CheckId(doc.id(), "document"); !s.ok()) {
    return s;
  }
  doc.set_knowledge_base_id(std::string(knowledge_base_id));
  if (absl::Status s = ParseInto(&doc); !s.ok()) return s;
  const int64_t now = core::NowMicros();
  doc.set_state(KnowledgeDocument::ACTIVE);
  doc.set_create_time_us(now);
  doc.set_update_time_us(now);
  const std::string store_id = DocumentStoreId(knowledge_base_id, doc.id());
  absl::Status s = resources_->Create({tenant, kKnowledgeDocumentKind, kb->scope(), store_id}, now, doc);
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("document ", doc.id(), " already exists"));
  }
  if (!s.ok()) return s;
  auto bumped = BumpRevision(tenant, kb->scope(), knowledge_base_id);
  if (!bumped.ok()) return bumped.status();
  OnDocumentChanged(tenant, *bumped, doc.id(), &doc);
  return doc;
}

absl::StatusOr<KnowledgeDocument> KnowledgeService::GetDocument(std::string_view tenant,
                                                                std::string_view scope,
                                                                std::string_view knowledge_base_id,
                                                                std::string_view document_id) {
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  KnowledgeDocument doc;
  auto got = resources_->Get(
      {tenant, kKnowledgeDocumentKind, "", DocumentStoreId(knowledge_base_id, document_id)}, &doc);
  if (absl::IsNotFound(got.status())) {
    return absl::NotFoundError(absl::StrCat("document ", Sv(document_id), " not found"));
  }
  if (!got.ok()) return got.status();
  return doc;
}

absl::StatusOr<KnowledgeService::Page<KnowledgeDocument>> KnowledgeService::ListDocuments(
    std::string_view tenant, std::string_view scope, std::string_view knowledge_base_id, int page_size,
    std::string_view after_id) {
  if (page_size < 1) return absl::InvalidArgumentError("page_size must be at least 1");
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  const std::string prefix = DocumentStoreId(knowledge_base_id, "");
  Page<KnowledgeDocument> page;
  bool more = false;
  auto scanned = resources_->Scan(
      tenant, kKnowledgeDocumentKind, "", DocumentStoreId(knowledge_base_id, after_id),
      std::min(page_size + 1, kScanBatch),
      [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
        if (!absl::StartsWith(Sv(id), prefix)) return false;
        if (page.items.size() == static_cast<size_t>(page_size)) {
          more = true;
          return false;
        }
        KnowledgeDocument doc;
        if (!doc.ParseFromString(body)) return absl::InternalError("stored document is corrupt");
        page.items.push_back(std::move(doc));
        return true;
      });
  if (!scanned.ok()) return scanned.status();
  if (more) page.next_after_id = page.items.back().id();
  return page;
}

absl::StatusOr<KnowledgeDocument> KnowledgeService::UpdateDocument(
    std::string_view tenant, std::string_view scope, std::string_view knowledge_base_id,
    const KnowledgeDocument& patch, const std::vector<std::string>& paths) {
  bool content = false;
  for (const std::string& p : paths) {
    if (p == "content_uri" || p == "raw_content" || p == "mime_type" || p == "knowledge_types") {
      content = true;
    } else if (p != "display_name" && p != "metadata" && p != "enable_auto_reload") {
      return absl::InvalidArgumentError(absl::StrCat("document field \"", p, "\" cannot be updated"));
    }
  }
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  KnowledgeDocument doc;
  absl::Status s = resources_->Update(
      {tenant, kKnowledgeDocumentKind, "", DocumentStoreId(knowledge_base_id, patch.id())}, false, &doc,
      [&](google::protobuf::Message& m, int64_t stored) -> absl::StatusOr<int64_t> {
        auto& d = static_cast<KnowledgeDocument&>(m);
        for (const std::string& p : paths) {
          if (p == "display_name") d.set_display_name(patch.display_name());
          if (p == "metadata") *d.mutable_metadata() = patch.metadata();
          if (p == "enable_auto_reload") d.set_enable_auto_reload(patch.enable_auto_reload());
          if (p == "mime_type") d.set_mime_type(patch.mime_type());
          if (p == "knowledge_types") *d.mutable_knowledge_types() = patch.knowledge_types();
          if (p == "content_uri") {
            d.set_content_uri(patch.content_uri());
            if (!patch.content_uri().empty()) d.clear_raw_content();
          }
          if (p == "raw_content") {
            d.set_raw_content(patch.raw_content());
            if (!patch.raw_content().empty()) d.clear_content_uri();
          }
        }
        if (content) {
          if (absl::Status parsed = ParseInto(&d); !parsed.ok()) return parsed;
        }
        d.set_update_time_us(NextTime(stored));
        return d.update_time_us();
      });
  if (absl::IsNotFound(s)) return absl::NotFoundError(absl::StrCat("document ", patch.id(), " not found"));
  if (!s.ok()) return s;
  // Display name and metadata come back with search results, so every
  // change moves the revision.
  auto bumped = BumpRevision(tenant, kb->scope(), knowledge_base_id);
  if (!bumped.ok()) return bumped.status();
  OnDocumentChanged(tenant, *bumped, doc.id(), &doc);
  return doc;
}

absl::Status KnowledgeService::DeleteDocument(std::string_view tenant, std::string_view scope,
                                              std::string_view knowledge_base_id,
                                              std::string_view document_id) {
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  absl::Status s = resources_->Delete(
      {tenant, kKnowledgeDocumentKind, "", DocumentStoreId(knowledge_base_id, document_id)});
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat("document ", Sv(document_id), " not found"));
  }
  if (!s.ok()) return s;
  auto bumped = BumpRevision(tenant, kb->scope(), knowledge_base_id);
  if (!bumped.ok()) return bumped.status();
  OnDocumentChanged(tenant, *bumped, document_id, nullptr);
  return absl::OkStatus();
}

absl::StatusOr<KnowledgeDocument> KnowledgeService::ReloadDocument(std::string_view tenant,
                                                                   std::string_view scope,
                                                                   std::string_view knowledge_base_id,
                                                                   std::string_view document_id,
                                                                   std::string_view content_uri) {
  auto kb = GetKnowledgeBase(tenant, scope, knowledge_base_id);
  if (!kb.ok()) return kb.status();
  absl::Status outcome;
  KnowledgeDocument doc;
  absl::Status s = resources_->Update(
      {tenant, kKnowledgeDocumentKind, "", DocumentStoreId(knowledge_base_id, document_id)}, false, &doc,
      [&](google::protobuf::Message& m, int64_t stored) -> absl::StatusOr<int64_t> {
        auto& d = static_cast<KnowledgeDocument&>(m);
        const std::string uri = content_uri.empty() ? d.content_uri() : std::string(content_uri);
        if (uri.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "document ", Sv(document_id), " has no content_uri to reload from"));
        }
        KnowledgeDocument reloaded = d;
        reloaded.set_content_uri(uri);
        reloaded.clear_raw_content();
        outcome = ParseInto(&reloaded);
        const int64_t now = NextTime(stored);
        if (outcome.ok()) d = std::move(reloaded);
        auto* status = d.mutable_latest_reload_status();
        status->set_time_us(now);
        status->set_code(static_cast<int32_t>(outcome.code()));
        status->set_message(std::string(outcome.message()));
        d.set_update_time_us(now);
        return now;
      });
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat("document ", Sv(document_id), " not found"));
  }
  if (!s.ok()) return s;
  if (!outcome.ok()) return outcome;
  auto bumped = BumpRevision(tenant, kb->scope(), knowledge_base_id);
  if (!bumped.ok()) return bumped.status();
  OnDocumentChanged(tenant, *bumped, doc.id(), &doc);
  return doc;
}

// ---- search ----

void KnowledgeService::EvictLocked(const std::string& keep) {
  while (cached_bytes_ > limits_.max_index_bytes && lru_.size() > 1) {
    auto victim = std::prev(lru_.end());
    if (*victim == keep) victim = std::prev(victim);
    auto it = cache_.find(*victim);
    cached_bytes_ -= it->second->bytes;
    cache_.erase(it);
    lru_.erase(victim);
  }
}

absl::StatusOr<std::shared_ptr<kn::KnowledgeIndex>> KnowledgeService::IndexOf(std::string_view tenant,
                                                                               const KnowledgeBase& kb) {
  const std::string key = CacheKey(tenant, kb.id());
  auto cached = [&]() -> std::shared_ptr<kn::KnowledgeIndex> {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it == cache_.end() || it->second->revision < kb.content_revision()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second->lru);
    return it->second->index;
  };
  if (auto index = cached()) return index;
  std::lock_guard<std::mutex> build(build_mu_);
  if (auto index = cached()) return index;  // built while this one waited

  auto index = std::make_shared<kn::KnowledgeIndex>();
  const std::string prefix = DocumentStoreId(kb.id(), "");
  auto scanned = resources_->Scan(tenant, kKnowledgeDocumentKind, "", prefix, kScanBatch,
                                  [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
                                    if (!absl::StartsWith(Sv(id), prefix)) return false;
                                    KnowledgeDocument doc;
                                    if (!doc.ParseFromString(body)) {
                                      return absl::InternalError("stored document is corrupt");
                                    }
                                    index->Put(ToIndexed(doc));
                                    return true;
                                  });
  if (!scanned.ok()) return scanned.status();
  index->Warm();

  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = cache_[key];
  if (slot != nullptr && slot->revision >= kb.content_revision()) {
    return slot->index;  // a writer brought the cached one further meanwhile
  }
  if (slot == nullptr) {
    slot = std::make_unique<CachedIndex>();
    lru_.push_front(key);
    slot->lru = lru_.begin();
  } else {
    cached_bytes_ -= slot->bytes;
    lru_.splice(lru_.begin(), lru_, slot->lru);
  }
  slot->revision = kb.content_revision();
  slot->scope = kb.scope();
  slot->index = index;
  slot->bytes = index->bytes();
  cached_bytes_ += slot->bytes;
  EvictLocked(key);
  return index;
}

absl::StatusOr<std::vector<KnowledgeSearchResult>> KnowledgeService::Search(
    std::string_view tenant, const std::vector<std::string>& knowledge_base_ids,
    const std::vector<std::string>& query_messages, int max_results, KnowledgeKind kind) {
  if (max_results < 1) return absl::InvalidArgumentError("max_results must be at least 1");
  // A call's features (FAQ, articles) usually search the same context one
  // after the other on the same thread: analyse it once. AnalyzeQuery is a
  // pure function of the messages, so reusing the last result for equal
  // messages cannot change an answer. (Kept per service, so that one
  // without remembered terms analyses afresh.)
  thread_local std::vector<std::string> last_messages;
  thread_local kn::QueryTerms last_query;
  thread_local const KnowledgeService* last_service = nullptr;
  if (last_service != this || last_messages != query_messages) {
    last_query = limits_.max_message_term_bytes == 0 ? kn::AnalyzeQuery(query_messages)
                                                      : kn::AnalyzeQuery(query_messages, message_terms_.get());
    last_messages = query_messages;
    last_service = this;
  }
  const kn::QueryTerms& query = last_query;
  const kn::ItemKind item_kind = kind == KnowledgeKind::kFaq ? kn::ItemKind::kFaq : kn::ItemKind::kArticle;
  std::vector<KnowledgeSearchResult> results;
  for (const std::string& kb_id : knowledge_base_ids) {
    auto kb = GetKnowledgeBase(tenant, "", kb_id);
    if (!kb.ok()) return kb.status();
    auto index = IndexOf(tenant, *kb);
    if (!index.ok()) return index.status();
    std::vector<kn::SearchHit> hits = (*index)->Search(query, item_kind, static_cast<size_t>(max_results));
    {
      // The first search after a change compiles the index: account for it.
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(CacheKey(tenant, kb_id));
      if (it != cache_.end() && it->second->index == *index) {
        cached_bytes_ -= it->second->bytes;
        it->second->bytes = (*index)->bytes();
        cached_bytes_ += it->second->bytes;
        EvictLocked(it->first);
      }
    }
    for (const kn::SearchHit& hit : hits) {
      const kn::IndexedDocument& doc = *hit.document;
      KnowledgeSearchResult r;
      r.knowledge_base_id = kb_id;
      r.document_id = doc.id;
      r.document_display_name = doc.display_name;
      r.scope = kb->scope();
      r.confidence = hit.confidence;
      r.metadata.insert(doc.metadata.begin(), doc.metadata.end());
      if (item_kind == kn::ItemKind::kFaq) {
        r.faq_row = hit.entries[0];
        r.question = doc.faqs[hit.entries[0]].question;
        r.answer = doc.faqs[hit.entries[0]].answer;
      } else {
        r.title = doc.title;
        r.uri = doc.uri;
        for (int e : hit.entries) r.snippets.push_back(doc.passages[e]);
      }
      results.push_back(std::move(r));
    }
  }
  std::stable_sort(results.begin(), results.end(),
                   [](const auto& a, const auto& b) { return a.confidence > b.confidence; });
  if (results.size() > static_cast<size_t>(max_results)) results.resize(max_results);
  return results;
}

size_t KnowledgeService::CachedIndexBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_bytes_;
}

size_t KnowledgeService::CachedMessageTermBytes() const { return message_terms_->bytes(); }

size_t KnowledgeService::AnalysedQueryMessages() const { return message_terms_->analysed(); }

}  // namespace parley::service
