// KnowledgeIndex: the in-memory search index of one knowledge base.
//
// What is ranked: FAQ entries (one per question,answer pair) and article
// passages, each kind in an index of its own (a search asks for one kind).
// How: BM25F (Robertson & Zaragoza) over the terms of terms.h, two fields per
// entry: an FAQ's question (weight 1) and answer (0.3); a passage's text (1)
// and its article's title (0.5); k1 = 1.2, b = 0.75, each field
// length-normalised against its own average. Articles are returned one per
// document, scored by their best passage, with up to three best passages as
// snippets. ADR 0014 has the reasons and the confidence calibration.
// A search gives exactly the answer of scoring every posting
// (SearchExhaustive, the reference), one of two ways: an FAQ query of rare
// terms scores only the entries that can be among the best (max-score
// pruning over precomputed per-term scores); articles and queries of common
// terms add every posting into a dense array of scores and keep the best in
// one pass over it.
//
// Thread-safe: Put and Remove may run while searches run. A change is
// compiled into a new immutable snapshot by Warm (or by the first search
// that needs it); searches that start while a snapshot is being compiled are
// answered from the previous one rather than wait, so a search sees every
// change whose Warm returned before it started. Documents are analysed once
// (AnalyzeFaq/AnalyzeArticle), so a recompile merges term lists and does not
// re-tokenise the knowledge base.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "analysis/knowledge/article.h"
#include "analysis/knowledge/faq_csv.h"

namespace parley::analysis::knowledge {

enum class ItemKind { kFaq, kArticle };

// A document's content with its terms: built once, shared (immutably) by
// every compiled index that holds the document.
struct IndexedDocument {
  std::string id;
  ItemKind kind = ItemKind::kFaq;
  // FAQ documents.
  std::vector<FaqPair> faqs;
  // Articles.
  std::string title;
  std::vector<std::string> passages;
  // Per entry (FAQ pair or passage): its primary terms (question, passage)
  // and secondary terms (answer; for passages the title's, shared).
  std::vector<std::vector<std::string>> primary_terms;
  std::vector<std::vector<std::string>> secondary_terms;
  std::vector<std::string> title_terms;
  // What a caller wants back with a hit and the index does not read.
  std::string display_name;
  std::string uri;
  std::vector<std::pair<std::string, std::string>> metadata;
  // Approximate bytes held, for the owner's memory bound.
  size_t bytes = 0;
};

// The document with its terms; the caller may fill in the fields the index
// does not read before handing it to KnowledgeIndex::Put.
std::shared_ptr<IndexedDocument> AnalyzeFaq(std::string id, std::vector<FaqPair> faqs);
// `title` is the article's own title, or its display name when it has none.
std::shared_ptr<IndexedDocument> AnalyzeArticle(std::string id, std::string title,
                                                      std::vector<std::string> passages);

// The weighted terms of a query: the last messages of a conversation, oldest
// first. The most recent message weighs 1, the one before `decay`, then
// decay^2, ...; a term's weight is the largest of the messages it occurs in.
struct QueryTerms {
  std::vector<std::pair<std::string, float>> terms;
};
QueryTerms AnalyzeQuery(const std::vector<std::string>& messages, float decay = 0.5f);

// The distinct terms of single messages, remembered by the message's text so
// that a conversation searched again with one more message analyses only
// that one (the last ~20 messages are the query of every call). Bounded by
// `max_bytes` (texts and terms, approximately): two generations, each up to
// half of it; when the newer one is full the older one is dropped and the
// newer becomes the older, and a text found in the older one moves to the
// newer. A text bigger than half the bound is analysed and not kept; a bound
// of 0 keeps nothing. Keyed by the whole text (not a hash of it), so a hit is
// always the text's own terms. Thread-safe.
class MessageTermCache {
 public:
  using Terms = std::shared_ptr<const std::vector<std::string>>;
  explicit MessageTermCache(size_t max_bytes);
  ~MessageTermCache();
  MessageTermCache(const MessageTermCache&) = delete;
  MessageTermCache& operator=(const MessageTermCache&) = delete;

  // The distinct terms (sorted) of each of `texts`, in order.
  std::vector<Terms> TermsOf(const std::vector<std::string>& texts);

  size_t bytes() const;    // held now, <= max_bytes (approximately)
  size_t entries() const;  // texts held now
  size_t analysed() const;  // texts analysed so far (cache misses)

 private:
  struct Generation {
    absl::flat_hash_map<std::string, Terms> terms;
    size_t bytes = 0;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  Generation newer_, older_;
  size_t analysed_ = 0;
};

// AnalyzeQuery with each message's terms from (and into) `cache`: the same
// QueryTerms, term for term and weight for weight.
QueryTerms AnalyzeQuery(const std::vector<std::string>& messages, MessageTermCache* cache,
                        float decay = 0.5f);

struct SearchHit {
  std::shared_ptr<const IndexedDocument> document;
  // FAQ: the one matching pair; article: the best passages, best first (at
  // most three).
  std::vector<int> entries;
  float score = 0;  // BM25F, comparable within one index only
  // How much of the query the entry covers, and of the entry the query: the
  // score over its two bounds (see Confidence), each in [0, 1].
  float query_coverage = 0;
  float entry_coverage = 0;
  float confidence = 0;  // in [0, 1], comparable across indexes (see Confidence)
};

// Maps the two coverages of a hit to a confidence in [0, 1].
// query_coverage = score / the most any entry could score for the query
// (the sum over query terms of weight x idf x (k1 + 1), the limit of a term's
// saturated frequency; a term absent from the index counts with the idf of a
// term in no entry, so words the knowledge base does not know lower it).
// entry_coverage = score / what the entry scores against a query of the
// terms of its primary field (question, passage) at weight 1, capped at 1:
// an answer's or a title's words are not what the entry is about. A long
// entry that holds the whole query covers the query but not itself; a short
// question inside a long message the other way round: both say something. They are combined by a logistic,
// confidence = 1 / (1 + exp(-(a q + c e + b))), with a, c and b fitted by
// bench/knowledge (knowledge_eval) on the calibration part of banking77 with
// two FAQ shapes pooled (one long question per intent; one short question
// per row). A hit with a score of 0 has confidence 0.
float Confidence(float query_coverage, float entry_coverage);

class KnowledgeIndex {
 public:
  KnowledgeIndex();
  ~KnowledgeIndex();
  KnowledgeIndex(const KnowledgeIndex&) = delete;
  KnowledgeIndex& operator=(const KnowledgeIndex&) = delete;

  // Adds the document, replacing one with the same id.
  void Put(std::shared_ptr<const IndexedDocument> document);
  // Removes the document with `id`; false when there is none.
  bool Remove(std::string_view id);
  // Compiles the current documents into the snapshot searches use (both
  // kinds), unless that is already done.
  void Warm() const;

  // The `max_results` best entries of `kind` for `query`, best first (ties
  // by document id, then entry); entries matching no query term are never
  // returned. Recompiles the index first if a document changed since.
  // The same answer as SearchExhaustive, bit for bit, by pruning or by a
  // dense pass (see the .cc).
  std::vector<SearchHit> Search(const QueryTerms& query, ItemKind kind, size_t max_results) const;
  // The same answer, bit for bit, from every posting of every query term:
  // the reference Search is tested and measured against.
  std::vector<SearchHit> SearchExhaustive(const QueryTerms& query, ItemKind kind, size_t max_results) const;

  size_t document_count() const;
  // Approximate bytes held (documents and compiled index).
  size_t bytes() const;

 private:
  struct Compiled;
  // The snapshot of `kind`, compiled now if it is behind the documents;
  // with `may_be_stale`, the previous one while another thread compiles.
  std::shared_ptr<const Compiled> Current(ItemKind kind, bool may_be_stale) const;

  struct Snapshot {
    std::shared_ptr<const Compiled> compiled;  // null until first compiled
    uint64_t generation = 0;                   // of the documents it holds
    bool compiling = false;
  };

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const IndexedDocument>> documents_;
  uint64_t generation_ = 1;  // moves with every Put and Remove
  size_t document_bytes_ = 0;
  mutable Snapshot snapshots_[2];  // by ItemKind
};

}  // namespace parley::analysis::knowledge
