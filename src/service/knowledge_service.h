// KnowledgeService: knowledge bases and their FAQ and article documents
// (Dialogflow KnowledgeBase/Document; agent assist's FAQ and article
// suggestions), and the search over them.
//
// Storage (ADR 0014): both are configuration resources through
// ResourceService, bodies core::KnowledgeBase and core::KnowledgeDocument
// (proto/parley/knowledge.proto): a knowledge base under kind
// kKnowledgeBaseKind and its id, a document under kKnowledgeDocumentKind and
// "<knowledge base id>/<document id>". Ids are unique in a tenant (as the
// resources table is keyed), and each resource lives in one scope (the
// location). A document is stored parsed (its FAQ pairs, or its title and
// passages), so a search index is built from stored documents without
// re-reading or re-parsing their content.
//
// Long-running work: Dialogflow's document create, delete and reload are
// operations. The methods here do the work synchronously and return its
// result; a dialect wraps them in an operation of its own (done when
// returned), as Insights' upload does.
//
// Search indexes (analysis::knowledge::KnowledgeIndex) are built on the first
// search of a knowledge base (so after a restart), kept in memory per (tenant,
// knowledge base) up to KnowledgeLimits::max_index_bytes in all (least
// recently searched dropped first), and updated in place when a document of
// that knowledge base is written through this service. Every search reads
// the knowledge base's content_revision and rebuilds an index that is behind
// it, so writes through another service instance are seen too. The terms of
// query messages are remembered by text (KnowledgeLimits::
// max_message_term_bytes), so a conversation's next search analyses only its
// new message; a text's terms never change, so nothing invalidates them.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/blob_uri.h"
#include "parley/knowledge.pb.h"

namespace parley::analysis::knowledge {
class KnowledgeIndex;
class MessageTermCache;
}

namespace parley::service {

class ResourceService;

inline constexpr std::string_view kKnowledgeBaseKind = "knowledge_base";
inline constexpr std::string_view kKnowledgeDocumentKind = "knowledge_document";

struct KnowledgeLimits {
  size_t max_document_bytes = 10u << 20;  // content of one document
  size_t max_faq_rows = 20000;            // question,answer pairs of one document
  size_t max_passages = 20000;            // passages of one article
  size_t max_passage_bytes = 800;         // a passage is cut to at most this
  // Memory for all cached search indexes together. One knowledge base larger
  // than this is still indexed, and then is the only one kept.
  size_t max_index_bytes = 256u << 20;
  // Memory for the remembered terms of recent query messages (a
  // conversation's last messages are searched again on its every call; see
  // analysis::knowledge::MessageTermCache). 0: every search analyses its
  // messages afresh.
  size_t max_message_term_bytes = 8u << 20;
};

// What a search looks for: FAQ answers or articles.
enum class KnowledgeKind { kFaq, kArticle };

struct KnowledgeSearchResult {
  std::string knowledge_base_id;
  std::string document_id;
  std::string document_display_name;
  std::string scope;  // the knowledge base's location
  float confidence = 0;  // in [0, 1]; see ADR 0014
  // FAQ results.
  std::string question;
  std::string answer;
  int faq_row = 0;  // index of the pair in its document
  // Article results.
  std::string title;  // the article's title, else its display name
  std::string uri;    // the document's content_uri (empty for raw content)
  std::vector<std::string> snippets;  // best passages, best first (1 to 3)
  // The document's metadata.
  std::map<std::string, std::string> metadata;
};

class KnowledgeService {
 public:
  // `resources` must outlive the service; `blobs` says where content_uri may
  // be read from (its max_bytes is lowered to limits.max_document_bytes).
  KnowledgeService(ResourceService* resources, core::BlobOptions blobs, KnowledgeLimits limits = {});
  ~KnowledgeService();
  KnowledgeService(const KnowledgeService&) = delete;
  KnowledgeService& operator=(const KnowledgeService&) = delete;

  // ---- knowledge bases ----

  // Stores `kb` in (tenant, scope). Its id may be empty (one is generated) or
  // a core client id (core::IsValidClientId); display_name is required.
  // Times and content_revision are set here. INVALID_ARGUMENT for a bad id or
  // missing display name; ALREADY_EXISTS when the id is taken in the tenant.
  absl::StatusOr<core::KnowledgeBase> CreateKnowledgeBase(std::string_view tenant,
                                                          std::string_view scope,
                                                          core::KnowledgeBase kb);
  // NOT_FOUND when absent or in another scope (`scope` empty: any).
  absl::StatusOr<core::KnowledgeBase> GetKnowledgeBase(std::string_view tenant, std::string_view scope,
                                                       std::string_view id);

  template <typename T>
  struct Page {
    std::vector<T> items;  // by id, ascending
    // Give as `after_id` to read the next page; empty on the last page.
    std::string next_after_id;
  };
  // Up to `page_size` (>= 1) knowledge bases of (tenant, scope) after
  // `after_id`.
  absl::StatusOr<Page<core::KnowledgeBase>> ListKnowledgeBases(std::string_view tenant,
                                                               std::string_view scope, int page_size,
                                                               std::string_view after_id);

  // Copies the fields named in `paths` ("display_name", "language_code")
  // from `patch` into the stored knowledge base `patch.id()`.
  // INVALID_ARGUMENT for another path or an empty display name; NOT_FOUND as
  // Get.
  absl::StatusOr<core::KnowledgeBase> UpdateKnowledgeBase(std::string_view tenant,
                                                          std::string_view scope,
                                                          const core::KnowledgeBase& patch,
                                                          const std::vector<std::string>& paths);

  // Deletes the knowledge base; with `force` its documents first, without it
  // FAILED_PRECONDITION when it has any. NOT_FOUND as Get.
  absl::Status DeleteKnowledgeBase(std::string_view tenant, std::string_view scope,
                                   std::string_view id, bool force);

  // ---- documents ----

  // Parses inline document content as CreateDocument would, without storing
  // anything: INVALID_ARGUMENT with the parser's message (e.g. the CSV row)
  // when it is over-size or malformed. For refusing a request before an
  // operation is created for it.
  absl::Status CheckContent(std::string_view mime_type, std::string_view raw_content) const;

  // Reads the content of `doc` (exactly one of content_uri, read through the
  // BlobOptions, and raw_content must be set), parses it by mime_type
  // (text/csv: an FAQ; text/html, text/plain: an article), and stores it
  // ACTIVE with the parsed entries under the knowledge base, then indexes it.
  // knowledge_types: empty means FAQ for text/csv and ARTICLE_SUGGESTION
  // otherwise; FAQ needs text/csv, ARTICLE_SUGGESTION and EXTRACTIVE_QA need
  // text/html or text/plain. id as for knowledge bases. INVALID_ARGUMENT for
  // a bad id, type, unreadable URI, over-size or malformed content (the
  // parser's message, e.g. the CSV row); NOT_FOUND when the knowledge base
  // is absent (in `scope`); ALREADY_EXISTS when the id is taken in it.
  absl::StatusOr<core::KnowledgeDocument> CreateDocument(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view knowledge_base_id,
                                                         core::KnowledgeDocument doc);

  // NOT_FOUND when the knowledge base or the document is absent.
  absl::StatusOr<core::KnowledgeDocument> GetDocument(std::string_view tenant, std::string_view scope,
                                                      std::string_view knowledge_base_id,
                                                      std::string_view document_id);

  // Documents of a knowledge base by id, as ListKnowledgeBases. NOT_FOUND
  // when the knowledge base is absent.
  absl::StatusOr<Page<core::KnowledgeDocument>> ListDocuments(std::string_view tenant,
                                                              std::string_view scope,
                                                              std::string_view knowledge_base_id,
                                                              int page_size, std::string_view after_id);

  // Copies the fields named in `paths` from `patch` into the stored document
  // `patch.id()`: "display_name", "metadata", "enable_auto_reload", and the
  // content ("content_uri", "raw_content", "mime_type",
  // "knowledge_types"), which is read and parsed again as on create.
  // INVALID_ARGUMENT as CreateDocument or for another path; NOT_FOUND as Get.
  absl::StatusOr<core::KnowledgeDocument> UpdateDocument(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view knowledge_base_id,
                                                         const core::KnowledgeDocument& patch,
                                                         const std::vector<std::string>& paths);

  // Deletes the document and drops it from the index. NOT_FOUND as Get.
  absl::Status DeleteDocument(std::string_view tenant, std::string_view scope,
                              std::string_view knowledge_base_id, std::string_view document_id);

  // Reads the document's content again from `content_uri` (empty: its
  // stored content_uri) and re-parses it. The outcome is stored in
  // latest_reload_status either way; on failure the content stays as it was
  // and the error is returned (INVALID_ARGUMENT as CreateDocument;
  // FAILED_PRECONDITION when the document has no content_uri and none is
  // given). NOT_FOUND as Get.
  absl::StatusOr<core::KnowledgeDocument> ReloadDocument(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view knowledge_base_id,
                                                         std::string_view document_id,
                                                         std::string_view content_uri);

  // ---- search ----

  // The `max_results` (>= 1) best FAQ answers or articles of the knowledge
  // bases `knowledge_base_ids` (of `tenant`, any scope) for a conversation's
  // recent `query_messages` (oldest first; the most recent weighs most),
  // best first by confidence. Only entries sharing a term with the query are
  // returned, so the list may be shorter or empty. NOT_FOUND naming the
  // first knowledge base that does not exist; INVALID_ARGUMENT when
  // max_results < 1.
  absl::StatusOr<std::vector<KnowledgeSearchResult>> Search(
      std::string_view tenant, const std::vector<std::string>& knowledge_base_ids,
      const std::vector<std::string>& query_messages, int max_results, KnowledgeKind kind);

  // Bytes held by the cached indexes (for tests and metrics).
  size_t CachedIndexBytes() const;
  // Bytes held by the remembered message terms, and how many messages'
  // terms were computed so far (for tests and metrics).
  size_t CachedMessageTermBytes() const;
  size_t AnalysedQueryMessages() const;

 private:
  struct CachedIndex;

  absl::StatusOr<core::KnowledgeBase> BumpRevision(std::string_view tenant, std::string_view scope,
                                                   std::string_view knowledge_base_id);
  absl::Status ParseInto(core::KnowledgeDocument* doc);
  // Applies a document change at `revision` to the cached index (see .cc).
  void OnDocumentChanged(std::string_view tenant, const core::KnowledgeBase& kb,
                         std::string_view document_id, const core::KnowledgeDocument* now);
  absl::StatusOr<std::shared_ptr<analysis::knowledge::KnowledgeIndex>> IndexOf(
      std::string_view tenant, const core::KnowledgeBase& kb);
  void EvictLocked(const std::string& keep);

  ResourceService* resources_;
  core::BlobOptions blobs_;
  KnowledgeLimits limits_;

  mutable std::mutex mu_;  // guards the cache
  absl::flat_hash_map<std::string, std::unique_ptr<CachedIndex>> cache_;
  std::list<std::string> lru_;  // most recently searched first
  size_t cached_bytes_ = 0;
  std::mutex build_mu_;  // one index build at a time
  std::unique_ptr<analysis::knowledge::MessageTermCache> message_terms_;
};

}  // namespace parley::service
