// knowledge_eval: how well and how fast knowledge-base search finds the FAQ
// entry a customer's message is about.
//
//   knowledge_eval DATA_DIR [--no-service]
//
// DATA_DIR holds banking77/train.csv and clinc150/clinc150_train_val.json
// (../shared/data). The tables it prints are recorded in docs/QUALITY.md and
// docs/PERFORMANCE.md. Protocol:
//
// banking77: each intent's utterances are ordered by a salted FNV-1a hash of
// the text; the first 20 % are the test part (reported once), the next 10 %
// the calibration part (where the FAQ shape is chosen and the confidence
// logistic is fitted), the rest the FAQ source. The FAQ has one row per
// intent: the question is K source utterances of that intent joined by
// spaces, the answer is the intent name. A query is one test utterance; a hit
// is correct when its answer is the query's intent. K is chosen on the
// calibration part from {3, 10, 30, all}.
//
// CLINC150: the same FAQ shape (K chosen on banking77) from `train`, queried
// with `val` (3,000 in-scope utterances), nothing chosen on it.
//
// Latency: 1,000 FAQ documents of 15 rows (CLINC150 `train` utterances, in
// hash order) and 1,000 articles of 5 passages; queries are CLINC150 `val`
// utterances each preceded by the two before it (three messages, the last
// weighted most). Timed: AnalyzeQuery + KnowledgeIndex::Search, one thread;
// and KnowledgeService::Search over a temporary SQLite store (adds the read
// of the knowledge base), unless --no-service. Then a growing conversation's
// query (its last 20 messages, as analyzeContent searches) with every message
// analysed afresh and with MessageTermCache, checked to give the same hits.
// Every Search (pruned) here is checked against SearchExhaustive, which
// scores every posting: the run fails if one hit, order or float differs.
#include <algorithm>
#include <array>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "analysis/intents/examples_csv.h"
#include "analysis/knowledge/knowledge_index.h"
#include "bench/common/eval_data.h"
#include "bench/knowledge/search_timing.h"
#include "core/ids.h"
#include "service/knowledge_service.h"
#include "service/resource_service.h"
#include "store/store.h"

namespace {

namespace kn = parley::analysis::knowledge;
using parley::bench::Percentile;
using parley::bench::SameHits;
using parley::bench::ThreadCpuMicros;
using parley::analysis::intents::Example;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "knowledge_eval: %s\n", message.c_str());
  std::exit(1);
}

uint64_t Fnv1a(std::string_view salt, std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (std::string_view part : {salt, std::string_view("\x1f"), text}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
  return h;
}

// Label -> its examples in hash order.
std::map<std::string, std::vector<std::string>> ByLabel(const std::vector<Example>& all, std::string_view salt) {
  std::map<std::string, std::vector<std::string>> by;
  for (const Example& e : all) by[e.label].push_back(e.text);
  for (auto& [label, texts] : by) {
    std::sort(texts.begin(), texts.end(), [&](const std::string& a, const std::string& b) {
      const uint64_t ha = Fnv1a(salt, a), hb = Fnv1a(salt, b);
      return ha != hb ? ha < hb : a < b;
    });
  }
  return by;
}

std::string AnswerOf(const std::string& label) {
  std::string s = label;
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// One FAQ row per label: K source utterances joined (K = 0: all).
std::shared_ptr<const kn::IndexedDocument> BuildFaq(const std::map<std::string, std::vector<std::string>>& source,
                                                    size_t k) {
  std::vector<kn::FaqPair> rows;
  for (const auto& [label, texts] : source) {
    const size_t n = k == 0 ? texts.size() : std::min(k, texts.size());
    rows.push_back({absl::StrJoin(texts.begin(), texts.begin() + static_cast<ptrdiff_t>(n), " "), AnswerOf(label)});
  }
  return kn::AnalyzeFaq("faq", std::move(rows));
}

struct Query {
  std::string text;
  std::string label;
};

struct Scored {
  double top1 = 0, top3 = 0, answered = 0;
  std::vector<std::pair<float, bool>> confidence_correct;  // of the top hit
  struct Coverage {
    float query, entry;
    bool correct;
  };
  std::vector<Coverage> coverage_correct;  // of the top hit
  size_t n = 0;
};

size_t compared_searches = 0;  // Search checked against SearchExhaustive

void CheckSame(const kn::KnowledgeIndex& index, const kn::QueryTerms& query, kn::ItemKind kind, size_t k,
               const std::vector<kn::SearchHit>& hits) {
  if (!SameHits(hits, index.SearchExhaustive(query, kind, k))) Fail("Search differs from SearchExhaustive");
  ++compared_searches;
}

Scored Score(const kn::KnowledgeIndex& index, const std::vector<Query>& queries) {
  Scored s;
  for (const Query& q : queries) {
    const kn::QueryTerms query = kn::AnalyzeQuery({q.text});
    auto hits = index.Search(query, kn::ItemKind::kFaq, 3);
    CheckSame(index, query, kn::ItemKind::kFaq, 3, hits);
    const std::string want = AnswerOf(q.label);
    ++s.n;
    if (hits.empty()) continue;
    s.answered += 1;
    const bool first = hits[0].document->faqs[hits[0].entries[0]].answer == want;
    bool any = false;
    for (const auto& h : hits) any = any || h.document->faqs[h.entries[0]].answer == want;
    s.top1 += first;
    s.top3 += any;
    s.confidence_correct.push_back({hits[0].confidence, first});
    s.coverage_correct.push_back({hits[0].query_coverage, hits[0].entry_coverage, first});
  }
  s.top1 /= s.n;
  s.top3 /= s.n;
  s.answered /= s.n;
  return s;
}

// Expected calibration error over 10 equal-width confidence bins.
double Ece(const std::vector<std::pair<float, bool>>& cc, size_t n_total) {
  double bins_conf[10] = {}, bins_acc[10] = {}, bins_n[10] = {};
  for (auto [c, ok] : cc) {
    const int b = std::min(9, static_cast<int>(c * 10));
    bins_conf[b] += c;
    bins_acc[b] += ok;
    bins_n[b] += 1;
  }
  double e = 0;
  for (int b = 0; b < 10; ++b) {
    if (bins_n[b] > 0) e += std::abs(bins_conf[b] - bins_acc[b]) / n_total;
  }
  return e;
}

// Logistic regression p(correct) = 1 / (1 + exp(-(a q + c e + b))) by
// gradient descent on the log loss; returns {a, c, b}.
std::array<double, 3> FitLogistic(const std::vector<Scored::Coverage>& rows) {
  double a = 1, c = 0, b = 0;
  for (int it = 0; it < 20000; ++it) {
    double ga = 0, gc = 0, gb = 0;
    for (const auto& r : rows) {
      const double p = 1 / (1 + std::exp(-(a * r.query + c * r.entry + b)));
      ga += (p - r.correct) * r.query;
      gc += (p - r.correct) * r.entry;
      gb += (p - r.correct);
    }
    a -= 2.0 * ga / rows.size();
    c -= 2.0 * gc / rows.size();
    b -= 2.0 * gb / rows.size();
  }
  return {a, c, b};
}

// One FAQ row per source utterance, answered by its intent.
std::shared_ptr<const kn::IndexedDocument> BuildShortFaq(
    const std::map<std::string, std::vector<std::string>>& source) {
  std::vector<kn::FaqPair> rows;
  for (const auto& [label, texts] : source) {
    for (const auto& text : texts) rows.push_back({text, AnswerOf(label)});
  }
  return kn::AnalyzeFaq("faq", std::move(rows));
}

std::vector<Query> ToQueries(const std::map<std::string, std::vector<std::string>>& part) {
  std::vector<Query> q;
  for (const auto& [label, texts] : part) {
    for (const auto& t : texts) q.push_back({t, label});
  }
  return q;
}

std::vector<Example> ReadClinc(const std::string& dir, const char* split) {
  rapidjson::Document doc;
  const std::string path = dir + "/clinc150/clinc150_train_val.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string json = buf.str();
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(split)) Fail(path + " is not the CLINC150 file");
  std::vector<Example> out;
  for (const auto& row : doc[split].GetArray()) out.push_back({row[0].GetString(), row[1].GetString()});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Fail("usage: knowledge_eval DATA_DIR [--no-service]");
  const std::string data = argv[1];
  const bool service = !(argc > 2 && std::string(argv[2]) == "--no-service");

  // ---- banking77 ----
  auto all = parley::analysis::intents::ReadExamplesCsv(data + "/banking77/train.csv");
  if (!all.ok()) Fail(std::string(all.status().message()));
  std::map<std::string, std::vector<std::string>> test, calibration, source;
  for (auto& [label, texts] : ByLabel(*all, "knowledge-b77")) {
    const size_t n_test = static_cast<size_t>(texts.size() * 0.2 + 0.5);
    const size_t n_cal = static_cast<size_t>(texts.size() * 0.1 + 0.5);
    for (size_t i = 0; i < texts.size(); ++i) {
      (i < n_test ? test : i < n_test + n_cal ? calibration : source)[label].push_back(texts[i]);
    }
  }
  const std::vector<Query> test_q = ToQueries(test), cal_q = ToQueries(calibration);
  std::printf("## banking77: %zu intents; FAQ source %zu, calibration %zu, test %zu utterances\n\n",
              source.size(), ToQueries(source).size(), cal_q.size(), test_q.size());
  std::printf("| utterances per FAQ question (K) | calibration top-1 | top-3 |\n|---|---|---|\n");
  size_t best_k = 0;
  double best_top1 = -1;
  for (size_t k : {3, 10, 30, 0}) {
    kn::KnowledgeIndex index;
    index.Put(BuildFaq(source, k));
    Scored s = Score(index, cal_q);
    std::printf("| %s | %.3f | %.3f |\n", k == 0 ? "all" : std::to_string(k).c_str(), s.top1, s.top3);
    if (s.top1 > best_top1) {
      best_top1 = s.top1;
      best_k = k;
    }
  }
  kn::KnowledgeIndex b77, b77_short;
  b77.Put(BuildFaq(source, best_k));
  b77_short.Put(BuildShortFaq(source));
  std::vector<Scored::Coverage> pooled = Score(b77, cal_q).coverage_correct;
  for (const auto& r : Score(b77_short, cal_q).coverage_correct) pooled.push_back(r);
  const auto [fit_a, fit_c, fit_b] = FitLogistic(pooled);
  std::printf("\nchosen K = %s; logistic fitted on calibration (both FAQ shapes pooled): a = %.2f, c = %.2f, "
              "b = %.2f (compiled in: kCalibrationA/C/B in knowledge_index.cc)\n\n",
              best_k == 0 ? "all" : std::to_string(best_k).c_str(), fit_a, fit_c, fit_b);
  Scored t = Score(b77, test_q);
  std::printf("| set | top-1 | top-3 | answered | mean confidence of top hit | ECE (10 bins) |\n|---|---|---|---|---|---|\n");
  auto mean_conf = [](const Scored& s) {
    double m = 0;
    for (auto [c, ok] : s.confidence_correct) m += c;
    return s.confidence_correct.empty() ? 0.0 : m / s.n;
  };
  std::printf("| banking77 test (%zu) | **%.3f** | **%.3f** | %.3f | %.3f | %.3f |\n", t.n, t.top1, t.top3,
              t.answered, mean_conf(t), Ece(t.confidence_correct, t.n));

  {
    Scored r = Score(b77_short, test_q);
    std::printf("| banking77 test, one short question per row (%zu rows) | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
                ToQueries(source).size(), r.top1, r.top3, r.answered, mean_conf(r), Ece(r.confidence_correct, r.n));
  }

  // ---- CLINC150 ----
  std::vector<Example> clinc_train = ReadClinc(data, "train");
  std::vector<Example> clinc_val = ReadClinc(data, "val");
  auto clinc_source = ByLabel(clinc_train, "knowledge-clinc");
  kn::KnowledgeIndex clinc;
  clinc.Put(BuildFaq(clinc_source, best_k));
  std::vector<Query> val_q;
  for (const Example& e : clinc_val) val_q.push_back({e.text, e.label});
  Scored c = Score(clinc, val_q);
  std::printf("| CLINC150 val (%zu), FAQ from train | **%.3f** | **%.3f** | %.3f | %.3f | %.3f |\n", c.n,
              c.top1, c.top3, c.answered, mean_conf(c), Ece(c.confidence_correct, c.n));
  kn::KnowledgeIndex clinc_short;
  clinc_short.Put(BuildShortFaq(clinc_source));
  Scored cs = Score(clinc_short, val_q);
  std::printf("| CLINC150 val, one short question per row (%zu rows) | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
              clinc_train.size(), cs.top1, cs.top3, cs.answered, mean_conf(cs), Ece(cs.confidence_correct, cs.n));

  // ---- latency over 1,000 documents ----
  std::vector<std::string> utterances;
  std::vector<std::string> labels;
  {
    std::vector<Example> sorted = clinc_train;
    std::sort(sorted.begin(), sorted.end(), [](const Example& x, const Example& y) {
      return Fnv1a("knowledge-latency", x.text) < Fnv1a("knowledge-latency", y.text);
    });
    for (auto& e : sorted) {
      utterances.push_back(e.text);
      labels.push_back(e.label);
    }
  }
  kn::KnowledgeIndex big;
  std::vector<std::string> csvs;  // the same documents as CSV, for the service
  for (size_t d = 0; d < 1000; ++d) {
    std::vector<kn::FaqPair> rows;
    std::string csv;
    for (size_t r = 0; r < 15; ++r) {
      const size_t i = d * 15 + r;
      rows.push_back({utterances[i], AnswerOf(labels[i])});
      csv += "\"" + absl::StrReplaceAll(utterances[i], {{"\"", "\"\""}}) + "\"," + labels[i] + "\n";
    }
    big.Put(kn::AnalyzeFaq("faq" + std::to_string(d), std::move(rows)));
    csvs.push_back(std::move(csv));
    std::vector<std::string> passages;
    for (size_t p = 0; p < 5; ++p) {
      const size_t i = (d * 15 + p * 3) % utterances.size();
      passages.push_back(utterances[i] + ". " + utterances[i + 1] + ". " + utterances[i + 2] + ".");
    }
    big.Put(kn::AnalyzeArticle("article" + std::to_string(d), AnswerOf(labels[d * 15]), std::move(passages)));
  }
  std::vector<std::vector<std::string>> contexts;
  for (size_t i = 2; i < clinc_val.size(); ++i) {
    contexts.push_back({clinc_val[i - 2].text, clinc_val[i - 1].text, clinc_val[i].text});
  }
  std::printf("\n## latency: 1,000 FAQ documents x 15 rows (15,000 entries) + 1,000 articles x 5 passages; "
              "%zu three-message queries x 3 passes, top 5\n\n",
              contexts.size());
  std::printf("| path | kind | wall median µs | wall p99 µs | wall max µs | CPU median µs | CPU p99 µs |\n"
              "|---|---|---|---|---|---|---|\n");
  for (auto kind : {kn::ItemKind::kFaq, kn::ItemKind::kArticle}) {
    big.Search(kn::AnalyzeQuery(contexts[0]), kind, 5);  // compiles the index
    // Search and SearchExhaustive in turn on each query (so both see the
    // same noise), each checked to answer the same.
    std::vector<double> us[2], cpu[2];
    size_t sink = 0;
    for (int pass = 0; pass < 3; ++pass) {
      for (const auto& ctx : contexts) {
        std::vector<kn::SearchHit> hits[2];
        for (int exhaustive = 0; exhaustive < 2; ++exhaustive) {
          const double cpu_start = ThreadCpuMicros();
          const auto start = Clock::now();
          const kn::QueryTerms query = kn::AnalyzeQuery(ctx);
          hits[exhaustive] = exhaustive ? big.SearchExhaustive(query, kind, 5) : big.Search(query, kind, 5);
          us[exhaustive].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
          cpu[exhaustive].push_back(ThreadCpuMicros() - cpu_start);
        }
        if (!SameHits(hits[0], hits[1])) Fail("Search differs from SearchExhaustive");
        ++compared_searches;
        sink += hits[0].size();
      }
    }
    for (int exhaustive = 0; exhaustive < 2; ++exhaustive) {
      std::printf("| AnalyzeQuery + KnowledgeIndex::%s | %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
                  exhaustive ? "SearchExhaustive" : "Search", kind == kn::ItemKind::kFaq ? "FAQ" : "article",
                  Percentile(us[exhaustive], 0.5), Percentile(us[exhaustive], 0.99), Percentile(us[exhaustive], 1.0),
                  Percentile(cpu[exhaustive], 0.5), Percentile(cpu[exhaustive], 0.99));
    }
    if (sink == 0) Fail("no hits at all");
  }
  {
    // analyzeContent's query: a conversation's last 20 messages, searched on
    // its every call. Fresh: every message analysed on every call (as before
    // MessageTermCache); cached: each message once. The answers must be equal.
    kn::MessageTermCache cache(8u << 20);
    std::vector<double> fresh_cpu, cached_cpu, fresh_total, cached_total;
    // The cached query again with SearchExhaustive (the scoring before
    // pruning), and each kind's search alone, pruned and exhaustive.
    std::vector<double> exhaustive_total, search_cpu[2][2];  // [kind][exhaustive]
    std::vector<std::string> window;
    size_t sink = 0;
    for (size_t i = 0; i < std::min<size_t>(clinc_val.size(), 2000); ++i) {
      window.push_back(clinc_val[i].text);
      if (window.size() > 20) window.erase(window.begin());
      double t0 = ThreadCpuMicros();
      const kn::QueryTerms fresh = kn::AnalyzeQuery(window);
      double t1 = ThreadCpuMicros();
      const auto fresh_hits = big.Search(fresh, kn::ItemKind::kFaq, 5);
      double t2 = ThreadCpuMicros();
      const kn::QueryTerms cached = kn::AnalyzeQuery(window, &cache);
      double t3 = ThreadCpuMicros();
      const auto cached_hits = big.Search(cached, kn::ItemKind::kFaq, 5);
      double t4 = ThreadCpuMicros();
      const auto exhaustive_hits = big.SearchExhaustive(cached, kn::ItemKind::kFaq, 5);
      double t5 = ThreadCpuMicros();
      fresh_cpu.push_back(t1 - t0);
      fresh_total.push_back(t2 - t0);
      cached_cpu.push_back(t3 - t2);
      cached_total.push_back(t4 - t2);
      exhaustive_total.push_back(t3 - t2 + t5 - t4);
      search_cpu[0][0].push_back(t4 - t3);
      search_cpu[0][1].push_back(t5 - t4);
      if (!SameHits(cached_hits, exhaustive_hits)) Fail("Search differs from SearchExhaustive");
      ++compared_searches;
      {
        const double a0 = ThreadCpuMicros();
        const auto pruned = big.Search(cached, kn::ItemKind::kArticle, 5);
        const double a1 = ThreadCpuMicros();
        const auto exhaustive = big.SearchExhaustive(cached, kn::ItemKind::kArticle, 5);
        const double a2 = ThreadCpuMicros();
        search_cpu[1][0].push_back(a1 - a0);
        search_cpu[1][1].push_back(a2 - a1);
        if (!SameHits(pruned, exhaustive)) Fail("Search differs from SearchExhaustive (articles)");
        ++compared_searches;
      }
      // Other result counts, both kinds.
      for (size_t k : {1, 3, 10, 20}) {
        for (auto kind : {kn::ItemKind::kFaq, kn::ItemKind::kArticle}) {
          CheckSame(big, cached, kind, k, big.Search(cached, kind, k));
        }
      }
      if (fresh.terms != cached.terms || fresh_hits.size() != cached_hits.size()) Fail("cached query differs");
      for (size_t h = 0; h < fresh_hits.size(); ++h) {
        if (fresh_hits[h].entries != cached_hits[h].entries || fresh_hits[h].confidence != cached_hits[h].confidence ||
            fresh_hits[h].document != cached_hits[h].document) {
          Fail("cached query's hits differ");
        }
      }
      sink += cached_hits.size();
    }
    if (sink == 0) Fail("no hits at all");
    std::printf("\n## a growing conversation's query (its last 20 messages, CLINC150 `val` in order), %zu calls, "
                "FAQ top 5, CPU median / p99 µs\n\n"
                "| query terms | AnalyzeQuery | AnalyzeQuery + KnowledgeIndex::Search |\n|---|---|---|\n"
                "| analysed afresh | %.1f / %.1f | %.1f / %.1f |\n"
                "| MessageTermCache (each message once) | %.1f / %.1f | %.1f / %.1f |\n"
                "| MessageTermCache, SearchExhaustive (no pruning) | | %.1f / %.1f |\n",
                fresh_cpu.size(), Percentile(fresh_cpu, 0.5), Percentile(fresh_cpu, 0.99),
                Percentile(fresh_total, 0.5), Percentile(fresh_total, 0.99), Percentile(cached_cpu, 0.5),
                Percentile(cached_cpu, 0.99), Percentile(cached_total, 0.5), Percentile(cached_total, 0.99),
                Percentile(exhaustive_total, 0.5), Percentile(exhaustive_total, 0.99));
    std::printf("\nthe same calls, the search alone (query analysed), top 5, CPU median / p99 µs\n\n"
                "| kind | KnowledgeIndex::Search | SearchExhaustive | ratio of medians |\n|---|---|---|---|\n");
    for (int kind = 0; kind < 2; ++kind) {
      const double pruned = Percentile(search_cpu[kind][0], 0.5), exhaustive = Percentile(search_cpu[kind][1], 0.5);
      std::printf("| %s | %.1f / %.1f | %.1f / %.1f | %.2f |\n", kind == 0 ? "FAQ" : "article", pruned,
                  Percentile(search_cpu[kind][0], 0.99), exhaustive, Percentile(search_cpu[kind][1], 0.99),
                  pruned / exhaustive);
    }
  }
  std::string change_note;
  {
    // A document change: the writer re-analyses the document and recompiles
    // both snapshots (Put + Warm); searches meanwhile use the previous one.
    std::vector<double> ms;
    for (int i = 0; i < 20; ++i) {
      std::vector<kn::FaqPair> rows = {{utterances[i], AnswerOf(labels[i])}};
      const auto start = Clock::now();
      big.Put(kn::AnalyzeFaq("faq" + std::to_string(i), std::move(rows)));
      big.Warm();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    change_note = absl::StrFormat(
        "one document changed in the 2,000-document index (Put + Warm, the writer's cost): "
        "median %.1f ms, max %.1f ms; index %.1f MiB\n",
        Percentile(ms, 0.5), Percentile(ms, 1.0), big.bytes() / 1048576.0);
  }
  std::printf("\nSearch gave SearchExhaustive's hits (entries, order, scores, coverages, confidences) on all %zu "
              "searches compared\n",
              compared_searches);
  if (!service) {
    std::printf("\n%s", change_note.c_str());
    return 0;
  }

  const auto dir = std::filesystem::temp_directory_path() / ("parley-knowledge-eval-" + parley::core::NewId());
  {
    auto store = parley::store::OpenSqliteStore(dir.string());
    if (!store.ok()) Fail(std::string(store.status().message()));
    parley::service::ResourceService resources(store->get());
    parley::service::KnowledgeService knowledge(&resources, {});
    parley::core::KnowledgeBase kb;
    kb.set_id("kb");
    kb.set_display_name("latency");
    if (!knowledge.CreateKnowledgeBase("bench", "global", kb).ok()) Fail("cannot create the knowledge base");
    const auto load_start = Clock::now();
    for (size_t d = 0; d < csvs.size(); ++d) {
      parley::core::KnowledgeDocument doc;
      doc.set_id("faq" + std::to_string(d));
      doc.set_mime_type("text/csv");
      doc.set_raw_content(csvs[d]);
      auto created = knowledge.CreateDocument("bench", "global", "kb", doc);
      if (!created.ok()) Fail(std::string(created.status().message()));
    }
    const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
    // A fresh instance: the first search builds the index from the store.
    parley::service::KnowledgeService fresh(&resources, {});
    const auto build_start = Clock::now();
    if (!fresh.Search("bench", {"kb"}, contexts[0], 5, parley::service::KnowledgeKind::kFaq).ok()) Fail("search");
    const double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();
    std::vector<double> us, cpu;
    for (int pass = 0; pass < 3; ++pass) {
      for (const auto& ctx : contexts) {
        const double cpu_start = ThreadCpuMicros();
        const auto start = Clock::now();
        auto r = fresh.Search("bench", {"kb"}, ctx, 5, parley::service::KnowledgeKind::kFaq);
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        cpu.push_back(ThreadCpuMicros() - cpu_start);
        if (!r.ok()) Fail(std::string(r.status().message()));
      }
    }
    std::printf("| KnowledgeService::Search (SQLite read of the knowledge base + index) | FAQ | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
                Percentile(us, 0.5), Percentile(us, 0.99), Percentile(us, 1.0), Percentile(cpu, 0.5),
                Percentile(cpu, 0.99));
    std::printf("\n%s", change_note.c_str());
    std::printf("service: 1,000 CreateDocument calls took %.1f s (each two durable writes); the first search of "
                "a fresh instance (index built from the store) took %.1f ms; cached index %.1f MiB\n",
                load_s, build_ms, fresh.CachedIndexBytes() / 1048576.0);
    (*store)->Close();
  }
  std::filesystem::remove_all(dir);
  return 0;
}
