#include "analysis/knowledge/knowledge_index.h"

#include <algorithm>
#include <cmath>

#include "analysis/knowledge/terms.h"
#include "core/absl_compat.h"

namespace parley::analysis::knowledge {
namespace {

constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;
constexpr float kFaqQuestionWeight = 1.0f;
constexpr float kFaqAnswerWeight = 0.3f;
constexpr float kPassageWeight = 1.0f;
constexpr float kTitleWeight = 0.5f;
constexpr size_t kMaxSnippets = 3;
// Search keeps its best entries in a sorted array; beyond this many the
// exhaustive search is as quick.
constexpr size_t kMaxPrunedKeep = 256;

// Logistic calibration of the score ratio (see Confidence): fitted by
// bench/knowledge (knowledge_eval) on the calibration part of banking77,
// never on the part it reports; rerunning it prints the same a and b.
constexpr float kCalibrationA = 3.03f;
constexpr float kCalibrationC = 2.04f;
constexpr float kCalibrationB = -1.11f;

size_t TermBytes(const std::vector<std::string>& terms) {
  size_t n = terms.capacity() * sizeof(std::string);
  for (const auto& t : terms) n += t.size() > 15 ? t.capacity() : 0;
  return n;
}

float Idf(size_t df, size_t n) {
  return std::log(1.0f + (static_cast<float>(n) - static_cast<float>(df) + 0.5f) /
                             (static_cast<float>(df) + 0.5f));
}

}  // namespace

std::shared_ptr<IndexedDocument> AnalyzeFaq(std::string id, std::vector<FaqPair> faqs) {
  auto doc = std::make_shared<IndexedDocument>();
  doc->id = std::move(id);
  doc->kind = ItemKind::kFaq;
  doc->faqs = std::move(faqs);
  doc->primary_terms.resize(doc->faqs.size());
  doc->secondary_terms.resize(doc->faqs.size());
  doc->bytes = sizeof(IndexedDocument) + doc->id.size();
  for (size_t i = 0; i < doc->faqs.size(); ++i) {
    AppendTerms(doc->faqs[i].question, &doc->primary_terms[i]);
    AppendTerms(doc->faqs[i].answer, &doc->secondary_terms[i]);
    doc->bytes += doc->faqs[i].question.size() + doc->faqs[i].answer.size() + sizeof(FaqPair) +
                  TermBytes(doc->primary_terms[i]) + TermBytes(doc->secondary_terms[i]);
  }
  return doc;
}

std::shared_ptr<IndexedDocument> AnalyzeArticle(std::string id, std::string title,
                                                      std::vector<std::string> passages) {
  auto doc = std::make_shared<IndexedDocument>();
  doc->id = std::move(id);
  doc->kind = ItemKind::kArticle;
  doc->title = std::move(title);
  doc->passages = std::move(passages);
  AppendTerms(doc->title, &doc->title_terms);
  doc->primary_terms.resize(doc->passages.size());
  doc->bytes = sizeof(IndexedDocument) + doc->id.size() + doc->title.size() + TermBytes(doc->title_terms);
  for (size_t i = 0; i < doc->passages.size(); ++i) {
    AppendTerms(doc->passages[i], &doc->primary_terms[i]);
    doc->bytes += doc->passages[i].size() + sizeof(std::string) + TermBytes(doc->primary_terms[i]);
  }
  return doc;
}

QueryTerms AnalyzeQuery(const std::vector<std::string>& messages, float decay) {
  absl::flat_hash_map<std::string, float> weights;
  float w = 1.0f;
  std::vector<std::string> terms;
  for (size_t i = messages.size(); i-- > 0; w *= decay) {
    terms.clear();
    AppendTerms(messages[i], &terms);
    for (auto& t : terms) {
      float& slot = weights[t];
      slot = std::max(slot, w);
    }
  }
  QueryTerms q;
  q.terms.assign(weights.begin(), weights.end());
  std::sort(q.terms.begin(), q.terms.end());  // deterministic order of float sums
  return q;
}

namespace {

// Approximate bytes of one cached text and its terms.
size_t EntryBytes(const std::string& text, const std::vector<std::string>& terms) {
  size_t n = 96 + text.size() + terms.capacity() * sizeof(std::string);
  for (const auto& t : terms) n += t.size() > 15 ? t.capacity() : 0;
  return n;
}

}  // namespace

MessageTermCache::MessageTermCache(size_t max_bytes) : max_bytes_(max_bytes) {}
MessageTermCache::~MessageTermCache() = default;

std::vector<MessageTermCache::Terms> MessageTermCache::TermsOf(const std::vector<std::string>& texts) {
  std::vector<Terms> out(texts.size());
  std::vector<bool> in_newer(texts.size(), false);
  size_t misses = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < texts.size(); ++i) {
      if (auto it = newer_.terms.find(texts[i]); it != newer_.terms.end()) {
        out[i] = it->second;
        in_newer[i] = true;
      } else if (auto old = older_.terms.find(texts[i]); old != older_.terms.end()) {
        out[i] = old->second;  // still wanted: into the newer generation below
        older_.bytes -= EntryBytes(old->first, *old->second);
        older_.terms.erase(old);
        ++misses;
      } else {
        ++misses;
      }
    }
  }
  if (misses == 0) return out;
  std::vector<bool> fresh(texts.size(), false);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (out[i] != nullptr) continue;
    std::vector<std::string> terms;
    AppendTerms(texts[i], &terms);
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    terms.shrink_to_fit();
    out[i] = std::make_shared<const std::vector<std::string>>(std::move(terms));
    fresh[i] = true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (in_newer[i]) continue;
    if (fresh[i]) ++analysed_;
    const size_t bytes = EntryBytes(texts[i], *out[i]);
    if (bytes > max_bytes_ / 2) continue;
    if (newer_.terms.contains(texts[i])) continue;  // another thread's, or a repeat
    if (newer_.bytes + bytes > max_bytes_ / 2) {
      older_ = std::move(newer_);
      newer_ = Generation{};
    }
    if (auto old = older_.terms.find(texts[i]); old != older_.terms.end()) {
      older_.bytes -= EntryBytes(old->first, *old->second);
      older_.terms.erase(old);
    }
    newer_.terms.emplace(texts[i], out[i]);
    newer_.bytes += bytes;
  }
  return out;
}

size_t MessageTermCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return newer_.bytes + older_.bytes;
}

size_t MessageTermCache::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return newer_.terms.size() + older_.terms.size();
}

size_t MessageTermCache::analysed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return analysed_;
}

QueryTerms AnalyzeQuery(const std::vector<std::string>& messages, MessageTermCache* cache, float decay) {
  const std::vector<MessageTermCache::Terms> per_message = cache->TermsOf(messages);
  // Keys point into the cached term lists, which `per_message` keeps alive.
  absl::flat_hash_map<std::string_view, float> weights;
  float w = 1.0f;
  for (size_t i = per_message.size(); i-- > 0; w *= decay) {
    for (const std::string& t : *per_message[i]) {
      float& slot = weights[t];
      slot = std::max(slot, w);
    }
  }
  QueryTerms q;
  q.terms.reserve(weights.size());
  for (const auto& [t, weight] : weights) q.terms.emplace_back(std::string(t), weight);
  std::sort(q.terms.begin(), q.terms.end());
  return q;
}

float Confidence(float query_coverage, float entry_coverage) {
  if (query_coverage <= 0 || entry_coverage <= 0) return 0;
  const float x = kCalibrationA * std::min(1.0f, query_coverage) +
                  kCalibrationC * std::min(1.0f, entry_coverage) + kCalibrationB;
  return 1.0f / (1.0f + std::exp(-x));
}

// One kind's compiled index: postings of precomputed per-entry term scores,
// and the same scores by entry (the forward index), for scoring one entry
// exactly without walking the postings.
struct KnowledgeIndex::Compiled {
  struct Posting {
    uint32_t entry;
    float value;  // idf * saturated BM25F term frequency
  };
  struct EntryTerm {
    uint32_t term;
    float value;  // as the term's posting of this entry
  };
  // Term ids ascend with the terms' byte order, as AnalyzeQuery sorts a
  // query's terms: adding an entry's terms by id adds them in query order.
  absl::flat_hash_map<std::string, uint32_t> term_ids;
  std::vector<float> idf;
  std::vector<float> max_value;          // term id -> its largest posting value
  std::vector<uint32_t> postings_begin;  // term id -> offset; one extra at the end
  std::vector<Posting> postings;
  std::vector<uint32_t> entry_terms_begin;  // entry -> offset; one extra at the end
  std::vector<EntryTerm> entry_terms;       // by entry, then term id
  std::vector<uint32_t> entry_document;  // entry -> index in documents
  std::vector<uint32_t> entry_item;      // entry -> FAQ pair / passage index
  std::vector<float> entry_bound;        // entry -> its score against its primary field's terms
  std::vector<std::shared_ptr<const IndexedDocument>> documents;  // by id
  float unseen_idf = 0;
  size_t bytes = 0;

  static std::shared_ptr<const Compiled> Build(
      std::vector<std::shared_ptr<const IndexedDocument>> docs, ItemKind kind);
  std::vector<SearchHit> Search(const QueryTerms& query, ItemKind kind, size_t max_results) const;
  std::vector<SearchHit> SearchExhaustive(const QueryTerms& query, ItemKind kind, size_t max_results) const;

 private:
  // The term's id, -1 when the index has none; adds what the term can add
  // to any entry's score (see Confidence) to `*max_score`.
  int64_t LookUp(const std::string& term, float weight, float* max_score) const;
  SearchHit Hit(uint32_t entry, float score, float max_score) const;
  // A query term found in the index, with what Search's pruning needs.
  struct QueryTerm {
    uint32_t id;
    float weight;
    float bound;        // weight x the term's largest posting value
    float density = 0;  // bound per posting
  };
  // SearchExhaustive's answer for a query AnalyzeQuery can make (`terms` in
  // query order, weights in [1e-20, 1e20]), by adding every posting into a
  // dense array of all entries and keeping the best in one pass over it.
  std::vector<SearchHit> SearchDense(const std::vector<QueryTerm>& terms, ItemKind kind, size_t max_results,
                                     float max_score) const;
};

std::shared_ptr<const KnowledgeIndex::Compiled> KnowledgeIndex::Compiled::Build(
    std::vector<std::shared_ptr<const IndexedDocument>> docs, ItemKind kind) {
  auto c = std::make_shared<Compiled>();
  std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  c->documents = std::move(docs);
  const float w_primary = kind == ItemKind::kFaq ? kFaqQuestionWeight : kPassageWeight;
  const float w_secondary = kind == ItemKind::kFaq ? kFaqAnswerWeight : kTitleWeight;

  // Entries, their field lengths and per-entry term frequencies.
  struct EntryTerms {
    const std::vector<std::string>* primary;
    const std::vector<std::string>* secondary;
  };
  std::vector<EntryTerms> entries;
  double primary_total = 0, secondary_total = 0;
  for (uint32_t d = 0; d < c->documents.size(); ++d) {
    const IndexedDocument& doc = *c->documents[d];
    for (uint32_t i = 0; i < doc.primary_terms.size(); ++i) {
      const auto* secondary = kind == ItemKind::kFaq ? &doc.secondary_terms[i] : &doc.title_terms;
      entries.push_back({&doc.primary_terms[i], secondary});
      c->entry_document.push_back(d);
      c->entry_item.push_back(i);
      primary_total += doc.primary_terms[i].size();
      secondary_total += secondary->size();
    }
  }
  const size_t n = entries.size();
  const float avg_primary = n == 0 ? 1.0f : std::max(1.0f, static_cast<float>(primary_total / n));
  const float avg_secondary = n == 0 ? 1.0f : std::max(1.0f, static_cast<float>(secondary_total / n));

  // Pass 1: term ids and (entry, pseudo-frequency) pairs.
  struct Raw {
    uint32_t term;
    uint32_t entry;
    float tf;
    bool primary;  // the term occurs in the entry's primary field
  };
  std::vector<Raw> raw;
  struct Frequency {
    float tf = 0;
    bool primary = false;
  };
  absl::flat_hash_map<uint32_t, Frequency> tf;
  for (uint32_t e = 0; e < n; ++e) {
    tf.clear();
    const float norm_p = 1 - kB + kB * static_cast<float>(entries[e].primary->size()) / avg_primary;
    const float norm_s = 1 - kB + kB * static_cast<float>(entries[e].secondary->size()) / avg_secondary;
    auto add = [&](const std::vector<std::string>& terms, float weight, bool primary) {
      for (const std::string& t : terms) {
        auto [it, inserted] = c->term_ids.try_emplace(t, static_cast<uint32_t>(c->term_ids.size()));
        Frequency& f = tf[it->second];
        f.tf += weight;
        f.primary = f.primary || primary;
      }
    };
    add(*entries[e].primary, w_primary / norm_p, true);
    add(*entries[e].secondary, w_secondary / norm_s, false);
    for (const auto& [term, f] : tf) raw.push_back({term, e, f.tf, f.primary});
  }
  // Term ids in the terms' byte order (std::string's <, as AnalyzeQuery
  // sorts), so that an entry's terms by id are in a query's order.
  const size_t terms = c->term_ids.size();
  {
    std::vector<std::pair<std::string_view, uint32_t>> by_text;
    by_text.reserve(terms);
    for (const auto& [text, id] : c->term_ids) by_text.emplace_back(text, id);
    std::sort(by_text.begin(), by_text.end());
    std::vector<uint32_t> renumber(terms);
    for (uint32_t i = 0; i < terms; ++i) renumber[by_text[i].second] = i;
    for (auto& [text, id] : c->term_ids) id = renumber[id];
    for (Raw& r : raw) r.term = renumber[r.term];
  }
  // Each entry's terms in term order: pass 1 took them in the order of a
  // hash table's iteration, which absl salts with the table's address, and
  // the entry bounds below are float sums in this order, so two builds of
  // the same documents would differ in their last bits. In term order, the
  // forward index is also sorted as Search needs it. Raw is grouped by
  // entry already, so a group at a time.
  for (size_t begin = 0, end = 0; begin < raw.size(); begin = end) {
    while (end < raw.size() && raw[end].entry == raw[begin].entry) ++end;
    std::sort(raw.begin() + static_cast<ptrdiff_t>(begin), raw.begin() + static_cast<ptrdiff_t>(end),
              [](const Raw& x, const Raw& y) { return x.term < y.term; });
  }
  // Pass 2: postings grouped by term (counting sort), entries ascending.
  c->postings_begin.assign(terms + 1, 0);
  for (const Raw& r : raw) ++c->postings_begin[r.term + 1];
  for (size_t t = 0; t < terms; ++t) c->postings_begin[t + 1] += c->postings_begin[t];
  c->idf.resize(terms);
  for (size_t t = 0; t < terms; ++t) c->idf[t] = Idf(c->postings_begin[t + 1] - c->postings_begin[t], n);
  c->unseen_idf = Idf(0, n);
  c->postings.resize(raw.size());
  c->max_value.assign(terms, 0.0f);
  // Raw is by entry (ascending), then term: the forward index in order.
  c->entry_terms.resize(raw.size());
  c->entry_terms_begin.assign(n + 1, 0);
  for (const Raw& r : raw) ++c->entry_terms_begin[r.entry + 1];
  for (size_t e = 0; e < n; ++e) c->entry_terms_begin[e + 1] += c->entry_terms_begin[e];
  std::vector<uint32_t> fill(c->postings_begin.begin(), c->postings_begin.end() - 1);
  c->entry_bound.assign(n, 0.0f);
  for (size_t i = 0; i < raw.size(); ++i) {
    const Raw& r = raw[i];
    const float sat = r.tf * (kK1 + 1) / (r.tf + kK1);
    const float value = c->idf[r.term] * sat;
    c->postings[fill[r.term]++] = {r.entry, value};
    c->entry_terms[i] = {r.term, value};
    c->max_value[r.term] = std::max(c->max_value[r.term], value);
    if (r.primary) c->entry_bound[r.entry] += c->idf[r.term] * sat;
  }
  c->bytes = sizeof(Compiled) + c->postings.size() * sizeof(Posting) + c->entry_terms.size() * sizeof(EntryTerm) +
             terms * (2 * sizeof(float) + sizeof(uint32_t) + 48) + n * 4 * sizeof(uint32_t);
  return c;
}

int64_t KnowledgeIndex::Compiled::LookUp(const std::string& term, float weight, float* max_score) const {
  auto it = term_ids.find(term);
  if (it == term_ids.end()) {
    *max_score += weight * unseen_idf * (kK1 + 1);
    return -1;
  }
  *max_score += weight * idf[it->second] * (kK1 + 1);
  return it->second;
}

SearchHit KnowledgeIndex::Compiled::Hit(uint32_t e, float score, float max_score) const {
  SearchHit h;
  h.document = documents[entry_document[e]];
  h.entries.push_back(static_cast<int>(entry_item[e]));
  h.score = score;
  h.query_coverage = std::min(1.0f, score / max_score);
  h.entry_coverage = entry_bound[e] > 0 ? std::min(1.0f, score / entry_bound[e]) : 0.0f;
  h.confidence = Confidence(h.query_coverage, h.entry_coverage);
  return h;
}

std::vector<SearchHit> KnowledgeIndex::Compiled::SearchExhaustive(const QueryTerms& query, ItemKind kind,
                                                                  size_t max_results) const {
  std::vector<SearchHit> hits;
  const size_t n = entry_document.size();
  if (n == 0 || max_results == 0) return hits;
  thread_local std::vector<float> scores;
  thread_local std::vector<uint32_t> touched;
  if (scores.size() < n) scores.resize(n, 0.0f);
  touched.clear();
  float max_score = 0;
  for (const auto& [term, weight] : query.terms) {
    const int64_t found = LookUp(term, weight, &max_score);
    if (found < 0) continue;
    const uint32_t t = static_cast<uint32_t>(found);
    for (uint32_t p = postings_begin[t]; p < postings_begin[t + 1]; ++p) {
      const Posting& posting = postings[p];
      if (scores[posting.entry] == 0.0f) touched.push_back(posting.entry);
      scores[posting.entry] += weight * posting.value;
    }
  }
  // Best first; ties by document id (documents are sorted), then entry.
  auto better = [&](uint32_t a, uint32_t b) {
    if (scores[a] != scores[b]) return scores[a] > scores[b];
    return a < b;
  };
  auto hit = [&](uint32_t e) { return Hit(e, scores[e], max_score); };
  // Puts the best k entries first, in order. k is small (a few results)
  // and touched is most of the index, so one pass keeping the best k seen
  // (most entries lose the first comparison) then a partition around the
  // k-th beats nth_element's swaps over the whole list.
  auto take = [&](size_t k) {
    if (k == 0) return;
    if (k < touched.size()) {
      thread_local std::vector<uint32_t> best;
      best.clear();
      for (uint32_t e : touched) {
        if (best.size() == k) {
          if (!better(e, best.back())) continue;
          best.pop_back();
        }
        best.insert(std::upper_bound(best.begin(), best.end(), e, better), e);
      }
      const uint32_t kth = best.back();
      // The order is total (ties by entry), so exactly k entries are not worse.
      std::partition(touched.begin(), touched.end(), [&](uint32_t e) { return !better(kth, e); });
      std::copy(best.begin(), best.end(), touched.begin());
    } else {
      std::sort(touched.begin(), touched.end(), better);
    }
  };
  if (kind == ItemKind::kFaq) {
    const size_t k = std::min(max_results, touched.size());
    take(k);
    for (size_t i = 0; i < k; ++i) {
      const uint32_t e = touched[i];
      hits.push_back(hit(e));
    }
  } else {
    // Articles: group passages by document in score order. Look at a few
    // passages per wanted article first, everything if that is not enough.
    size_t k = std::min(touched.size(), max_results * 8);
    take(k);
    absl::flat_hash_map<uint32_t, size_t> hit_of_document;
    for (size_t i = 0; i < touched.size(); ++i) {
      if (i == k) {
        if (hits.size() >= max_results) break;
        std::sort(touched.begin() + static_cast<ptrdiff_t>(k), touched.end(), better);
        k = touched.size();
      }
      const uint32_t e = touched[i];
      const uint32_t d = entry_document[e];
      auto it = hit_of_document.find(d);
      if (it == hit_of_document.end()) {
        if (hits.size() == max_results) continue;
        hit_of_document.emplace(d, hits.size());
        hits.push_back(hit(e));
      } else if (hits[it->second].entries.size() < kMaxSnippets) {
        hits[it->second].entries.push_back(static_cast<int>(entry_item[e]));
      }
    }
  }
  for (uint32_t e : touched) scores[e] = 0.0f;
  return hits;
}

namespace {

// (score, entry), and the order of results: the higher score first, a tie
// to the smaller entry (documents are sorted, so by document, then entry).
using Scored = std::pair<float, uint32_t>;
bool Better(const Scored& a, const Scored& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; }

// Keeps the `keep` best offered in `best`, best first.
void KeepBest(std::vector<Scored>& best, size_t keep, const Scored& scored) {
  if (best.size() == keep) {
    if (!Better(scored, best.back())) return;
    best.pop_back();
  }
  best.insert(std::upper_bound(best.begin(), best.end(), scored, Better), scored);
}

}  // namespace

// SearchExhaustive without its bookkeeping: each term's postings are added,
// in query order, into a dense array of every entry's score (the same float
// sums from 0 in the same order, without the list of touched entries and its
// unpredictable branch per posting), then one pass in entry order keeps the
// best. In entry order an entry beats the worst kept exactly when it scores
// strictly more (a tie goes to the smaller entry, seen first), so most of the
// pass is comparing 16 scores at a time with one number. Articles keep
// SearchExhaustive's first look (the best 8 x max_results passages) and,
// when those hold fewer than max_results documents, go on through every
// other passage with a score, best first, as it does.
std::vector<SearchHit> KnowledgeIndex::Compiled::SearchDense(const std::vector<QueryTerm>& terms, ItemKind kind,
                                                             size_t max_results, float max_score) const {
  const size_t n = entry_document.size();
  thread_local std::vector<float> scores;  // all 0 between searches
  thread_local std::vector<Scored> best, rest;
  if (scores.size() < n) scores.resize(n, 0.0f);
  float* const s = scores.data();
  for (const QueryTerm& t : terms) {
    const float w = t.weight;
    const Posting* const end = postings.data() + postings_begin[t.id + 1];
    for (const Posting* p = postings.data() + postings_begin[t.id]; p != end; ++p) s[p->entry] += w * p->value;
  }
  const size_t keep = kind == ItemKind::kFaq ? max_results : max_results * 8;
  best.clear();
  float theta = 0;  // scores must be above it: 0 (no query term) until `keep` are kept, then the worst kept
  auto offer = [&](uint32_t e) {
    KeepBest(best, keep, {s[e], e});
    if (best.size() == keep) theta = best.back().first;
  };
  constexpr uint32_t kChunk = 16;
  const uint32_t whole = static_cast<uint32_t>(n / kChunk * kChunk);
  for (uint32_t e = 0; e < whole; e += kChunk) {
    bool any = false;
    for (uint32_t j = 0; j < kChunk; ++j) any |= s[e + j] > theta;
    if (!any) continue;
    for (uint32_t j = 0; j < kChunk; ++j) {
      if (s[e + j] > theta) offer(e + j);
    }
  }
  for (uint32_t e = whole; e < n; ++e) {
    if (s[e] > theta) offer(e);
  }
  std::vector<SearchHit> hits;
  if (kind == ItemKind::kFaq) {
    hits.reserve(best.size());
    for (const auto& [score, e] : best) hits.push_back(Hit(e, score, max_score));
    std::fill(s, s + n, 0.0f);
    return hits;
  }
  // Articles: passages grouped by document, best first.
  auto group = [&](const Scored& scored) {
    const uint32_t d = entry_document[scored.second];
    for (SearchHit& h : hits) {
      if (h.document == documents[d]) {
        if (h.entries.size() < kMaxSnippets) h.entries.push_back(static_cast<int>(entry_item[scored.second]));
        return;
      }
    }
    if (hits.size() < max_results) hits.push_back(Hit(scored.second, scored.first, max_score));
  };
  for (const auto& scored : best) group(scored);
  if (best.size() == keep && hits.size() < max_results) {
    // Not enough documents in the first look: every other passage with a score.
    rest.clear();
    for (uint32_t e = 0; e < n; ++e) {
      const Scored scored{s[e], e};
      if (s[e] > 0 && Better(best.back(), scored)) rest.push_back(scored);
    }
    std::sort(rest.begin(), rest.end(), Better);
    for (const auto& scored : rest) group(scored);
  }
  std::fill(s, s + n, 0.0f);
  return hits;
}

// SearchExhaustive's answer, scoring only the entries that can be in it
// (max-score pruning in the manner of Turtle & Flood's MaxScore):
// - a query term adds at most its weight x its largest posting value (its
//   bound) to any entry;
// - terms are walked in order of bound per posting, adding each to its
//   entries' partial sums; the entries with the largest partial sums are
//   scored exactly as they appear, so the worst of the `keep` best exact
//   scores so far (theta) bounds the keep-th best from below;
// - an entry not touched yet holds only terms not walked yet, so it scores
//   at most the sum of their bounds; once that sum (with room for float
//   rounding) is below theta, no such entry can be among the best, ties
//   included, and only touched entries remain: a few more short terms are
//   walked for them alone, then each scores at most its partial sum plus the
//   bounds still unwalked, and only those that may reach the best are
//   scored exactly;
// - an exact score comes from the forward index, adding the entry's query
//   terms by term id, which is query order, so the float sum is
//   SearchExhaustive's bit for bit.
// Queries that AnalyzeQuery does not make (terms sorted and distinct,
// weights in [1e-20, 1e20]) are answered by SearchExhaustive itself;
// articles, FAQ queries with more postings than entries, queries whose bound
// is spread evenly over many postings and walks that run out of budget by
// SearchDense (the same sums, every posting added in order).
std::vector<SearchHit> KnowledgeIndex::Compiled::Search(const QueryTerms& query, ItemKind kind,
                                                        size_t max_results) const {
  const size_t n = entry_document.size();
  if (n == 0 || max_results == 0) return {};
  // Articles need the best 8 x max_results passages (SearchExhaustive's
  // first look), and passages are long (many terms to score each): pruning
  // won 0.6 on real text but lost 1.35 on bench/dialogflow's, so they are
  // scored densely (below). Beyond kMaxPrunedKeep kept entries, the sorted
  // arrays of both ways cost more than SearchExhaustive's selection.
  if ((kind == ItemKind::kArticle ? max_results * 8 : max_results) > kMaxPrunedKeep) {
    return SearchExhaustive(query, kind, max_results);
  }
  const size_t keep = max_results;
  using Term = QueryTerm;
  // Per thread, reused: no allocation once warm.
  struct Scratch {
    std::vector<Term> terms;
    std::vector<double> rest;         // terms[j..]'s bounds summed
    std::vector<float> weight_of;     // term id -> query weight; 0 outside the query
    std::vector<uint64_t> in_query;   // term id -> 1 bit: in the query (a smaller set to probe)
    std::vector<float> partial;       // entry -> sum over the terms walked; 0 when not touched
    std::vector<uint32_t> touched;    // entries with a partial sum
    std::vector<Scored> floor;   // (partial sum, entry), a min-heap
    std::vector<uint8_t> state;  // entry -> kInFloor | kScored
    std::vector<Scored> best;    // (score, entry), best first
  };
  thread_local Scratch x;
  constexpr uint8_t kInFloor = 1, kScored = 2;
  x.terms.clear();
  float max_score = 0;
  for (size_t i = 0; i < query.terms.size(); ++i) {
    const auto& [term, weight] = query.terms[i];
    // Weights outside [1e-20, 1e20] could make a product subnormal, 0 or
    // infinite, where the bounds no longer hold.
    if (!(weight >= 1e-20f && weight <= 1e20f) || (i > 0 && !(query.terms[i - 1].first < term))) {
      return SearchExhaustive(query, kind, max_results);
    }
    const int64_t found = LookUp(term, weight, &max_score);
    if (found < 0) continue;
    const uint32_t t = static_cast<uint32_t>(found);
    x.terms.push_back({t, weight, weight * max_value[t]});
  }
  // Articles, and FAQ queries whose postings outnumber the entries (common
  // words, or a made-up vocabulary of even frequencies, as bench/dialogflow's),
  // take the dense search: it reads each posting once in order and then the
  // entries once, where pruning would read a good part of the postings anyway
  // and score many candidates one by one from the forward index.
  size_t total = 0;
  for (const Term& t : x.terms) total += postings_begin[t.id + 1] - postings_begin[t.id];
  if (kind == ItemKind::kArticle || total > n) return SearchDense(x.terms, kind, max_results, max_score);
  // The dense search instead, with the terms in query order again (term ids
  // ascend with it).
  auto dense = [&] {
    std::sort(x.terms.begin(), x.terms.end(), [](const Term& a, const Term& b) { return a.id < b.id; });
    return SearchDense(x.terms, kind, max_results, max_score);
  };
  // Most bound per posting first: the walk reads the fewest postings before
  // what is left to walk bounds below the best.
  for (Term& t : x.terms) t.density = t.bound / static_cast<float>(postings_begin[t.id + 1] - postings_begin[t.id]);
  std::sort(x.terms.begin(), x.terms.end(),
            [](const Term& a, const Term& b) { return a.density != b.density ? a.density > b.density : a.id < b.id; });
  const size_t m = x.terms.size();
  x.rest.assign(m + 1, 0.0);
  for (size_t j = m; j-- > 0;) x.rest[j] = x.rest[j + 1] + x.terms[j].bound;
  // A float sum of up to `size` positive terms exceeds the exact sum by less
  // than size x 2^-24 of it; four times that.
  const double slack = 1.0 + 2.4e-7 * static_cast<double>(query.terms.size() + 2);
  // Scores entry `e` exactly, once, and offers it to the best.
  x.best.clear();
  auto offer = [&](uint32_t e) {
    if (x.state[e] & kScored) return;
    x.state[e] |= kScored;
    float score = 0;
    for (uint32_t f = entry_terms_begin[e]; f < entry_terms_begin[e + 1]; ++f) {
      const uint32_t t = entry_terms[f].term;
      if ((x.in_query[t >> 6] >> (t & 63) & 1) == 0) continue;
      score += x.weight_of[t] * entry_terms[f].value;
    }
    KeepBest(x.best, keep, {score, e});
  };
  // Walk: add each walked term to its entries' partial sums, and keep the
  // `keep` entries with the largest partial sums seen (the floor: a min-heap
  // of (partial sum, entry); an entry's value there may lag its partial sum).
  // After each term the floor's entries are scored exactly, so the best hold
  // `keep` exact scores and the worst of them bounds the keep-th best.
  x.touched.clear();
  x.floor.clear();
  float floor_min = 0;  // the floor's lowest once it holds `keep`, else 0
  double theta = 0;     // the keep-th best score is at least this
  auto lower = [](const Scored& a, const Scored& b) { return a.first > b.first; };
  auto raise = [&](uint32_t e, float partial) {
    if (x.state[e] & kInFloor) return;
    if (x.floor.size() == keep) {
      std::pop_heap(x.floor.begin(), x.floor.end(), lower);
      x.state[x.floor.back().second] &= ~kInFloor;
      x.floor.pop_back();
    }
    x.state[e] |= kInFloor;
    x.floor.emplace_back(partial, e);
    std::push_heap(x.floor.begin(), x.floor.end(), lower);
    if (x.floor.size() == keep) floor_min = x.floor.front().first;
  };
  // Reads a sixth of the query's postings at most: when the best cannot be
  // told apart by then, the dense search is cheaper than walking on.
  size_t budget = total / 6;
  // When half the query's bound takes more than half that budget of
  // postings (terms of even frequency, as in a made-up vocabulary), the walk
  // would not get far: go the dense way at once.
  {
    size_t half = 0;
    for (size_t j = 0; j < m && x.rest[j] > x.rest[0] / 2; ++j) {
      half += postings_begin[x.terms[j].id + 1] - postings_begin[x.terms[j].id];
    }
    if (half > budget / 2) return dense();
  }
  // The query's terms for exact scores from the forward index (offer); the
  // scratch is all 0 again before any return below (clear_query).
  if (x.weight_of.size() < idf.size()) x.weight_of.resize(idf.size(), 0.0f);
  if (x.partial.size() < n) x.partial.resize(n, 0.0f);
  if (x.state.size() < n) x.state.resize(n, 0);
  if (x.in_query.size() < idf.size() / 64 + 1) x.in_query.resize(idf.size() / 64 + 1, 0);
  for (const Term& t : x.terms) {
    x.weight_of[t.id] = t.weight;
    x.in_query[t.id >> 6] |= uint64_t{1} << (t.id & 63);
  }
  auto clear_query = [&] {
    for (const Term& t : x.terms) {
      x.weight_of[t.id] = 0.0f;
      x.in_query[t.id >> 6] = 0;
    }
  };
  size_t walked = 0;
  for (; walked < m; ++walked) {
    if (theta > 0 && x.rest[walked] * slack < theta) break;
    const uint32_t t = x.terms[walked].id;
    const float w = x.terms[walked].weight;
    const size_t length = postings_begin[t + 1] - postings_begin[t];
    if (length > budget) {
      for (const uint32_t e : x.touched) {
        x.partial[e] = 0.0f;
        x.state[e] = 0;
      }
      clear_query();
      return dense();
    }
    budget -= length;
    for (uint32_t p = postings_begin[t]; p < postings_begin[t + 1]; ++p) {
      const uint32_t e = postings[p].entry;
      float& partial = x.partial[e];
      if (partial == 0.0f) x.touched.push_back(e);
      partial += w * postings[p].value;
      if (partial > floor_min) raise(e, partial);
    }
    for (const auto& [partial, e] : x.floor) offer(e);
    if (x.best.size() == keep) theta = x.best.back().first;
  }
  for (const auto& [partial, e] : x.floor) x.state[e] &= ~kInFloor;
  // Nothing untouched can enter now. Walking on for the touched entries only
  // tightens their bound (partial + what is left), so that fewer need an
  // exact score: worth it while a term's postings are fewer than the
  // touched entries and what is left still bounds above half the best, and
  // for another sixth of the query's postings at most.
  budget = total / 6;
  for (; walked < m; ++walked) {
    const uint32_t t = x.terms[walked].id;
    const size_t length = postings_begin[t + 1] - postings_begin[t];
    if (length > x.touched.size() || length > budget || x.rest[walked] * slack < theta * 0.5) break;
    budget -= length;
    const float w = x.terms[walked].weight;
    for (uint32_t p = postings_begin[t]; p < postings_begin[t + 1]; ++p) {
      float& partial = x.partial[postings[p].entry];
      if (partial != 0.0f) partial += w * postings[p].value;
    }
  }
  // An entry not touched holds only terms not walked, and scores at most
  // rest[walked]; a touched one at most its partial sum plus that (both with
  // room for rounding). Score the others exactly.
  const double unwalked = x.rest[walked];
  for (const uint32_t e : x.touched) {
    const float partial = x.partial[e];
    x.partial[e] = 0.0f;
    if (x.state[e] & kScored) {
      x.state[e] = 0;
      continue;
    }
    if (x.best.size() == keep && (partial + unwalked) * slack < x.best.back().first) continue;
    offer(e);
    x.state[e] = 0;
  }
  clear_query();

  std::vector<SearchHit> hits;
  hits.reserve(x.best.size());
  for (const auto& [score, e] : x.best) hits.push_back(Hit(e, score, max_score));
  return hits;
}

KnowledgeIndex::KnowledgeIndex() = default;
KnowledgeIndex::~KnowledgeIndex() = default;

void KnowledgeIndex::Put(std::shared_ptr<const IndexedDocument> document) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = documents_[document->id];
  if (slot != nullptr) document_bytes_ -= slot->bytes;
  document_bytes_ += document->bytes;
  slot = std::move(document);
  ++generation_;
}

bool KnowledgeIndex::Remove(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = documents_.find(Sv(id));
  if (it == documents_.end()) return false;
  document_bytes_ -= it->second->bytes;
  documents_.erase(it);
  ++generation_;
  return true;
}

std::shared_ptr<const KnowledgeIndex::Compiled> KnowledgeIndex::Current(ItemKind kind,
                                                                        bool may_be_stale) const {
  std::unique_lock<std::mutex> lock(mu_);
  Snapshot& snapshot = snapshots_[static_cast<int>(kind)];
  if (snapshot.compiled != nullptr &&
      (snapshot.generation == generation_ || (may_be_stale && snapshot.compiling))) {
    return snapshot.compiled;  // current, or the previous one while another thread compiles
  }
  const bool owns_flag = !snapshot.compiling;
  snapshot.compiling = true;
  const uint64_t generation = generation_;
  std::vector<std::shared_ptr<const IndexedDocument>> docs;
  for (const auto& [id, doc] : documents_) {
    if (doc->kind == kind) docs.push_back(doc);
  }
  lock.unlock();
  std::shared_ptr<const Compiled> built = Compiled::Build(std::move(docs), kind);
  lock.lock();
  if (owns_flag) snapshot.compiling = false;
  if (snapshot.compiled == nullptr || generation > snapshot.generation) {
    snapshot.compiled = built;
    snapshot.generation = generation;
  }
  return built;
}

void KnowledgeIndex::Warm() const {
  Current(ItemKind::kFaq, false);
  Current(ItemKind::kArticle, false);
}

std::vector<SearchHit> KnowledgeIndex::Search(const QueryTerms& query, ItemKind kind,
                                              size_t max_results) const {
  return Current(kind, true)->Search(query, kind, max_results);
}

std::vector<SearchHit> KnowledgeIndex::SearchExhaustive(const QueryTerms& query, ItemKind kind,
                                                        size_t max_results) const {
  return Current(kind, true)->SearchExhaustive(query, kind, max_results);
}

size_t KnowledgeIndex::document_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return documents_.size();
}

size_t KnowledgeIndex::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = document_bytes_;
  for (const Snapshot& s : snapshots_) n += s.compiled ? s.compiled->bytes : 0;
  return n;
}

}  // namespace parley::analysis::knowledge
