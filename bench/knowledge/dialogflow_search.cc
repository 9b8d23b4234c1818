// knowledge_dialogflow_bench: the knowledge searches of bench/dialogflow's
// analyzeContent calls, in process, so that a change to KnowledgeIndex can be
// measured on the server benchmark's own work without the server's noise.
//
//   build/bench/knowledge/knowledge_dialogflow_bench [ROUNDS=5]   (from the repository's root)
//
// The knowledge bases are bench/dialogflow/setup.mjs's, generated the same
// way (its seeded generator, words and shapes): 500 FAQ documents of 15 rows
// and 500 articles of a 4-word first paragraph and 5 of 40 words, parsed as
// the service parses them (ParseFaqCsv, ParseArticle). The calls are
// analyze.lua's: 256 conversations in turn, the texts of
// bench/dialogflow/texts.txt in turn; each call appends one message and
// searches its conversation's last 20 messages (MessageTermCache, as the
// service) for the top 3 FAQ entries and top 3 articles.
//
// Timed per call, thread CPU: AnalyzeQuery, Search and SearchExhaustive of
// each kind, in turn on every call so that both see the same noise; every
// Search is checked against SearchExhaustive (the run fails on one
// difference).
// Prints the medians and p99s over all rounds, and each round's medians.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "analysis/knowledge/article.h"
#include "analysis/knowledge/faq_csv.h"
#include "analysis/knowledge/knowledge_index.h"
#include "bench/knowledge/search_timing.h"

namespace {

namespace kn = parley::analysis::knowledge;
using parley::bench::Percentile;
using parley::bench::SameHits;
using parley::bench::ThreadCpuMicros;

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "knowledge_dialogflow_bench: %s\n", message.c_str());
  std::exit(1);
}

// setup_helpers.mjs's textFrom: the same generator in JavaScript's doubles
// (the product exceeds 2^53, so it is rounded there, and must be here too).
class TextFrom {
 public:
  TextFrom(std::vector<std::string> words, double seed) : words_(std::move(words)), seed_(seed) {}
  size_t Rand(size_t n) {
    seed_ = std::fmod(seed_ * 1103515245.0 + 12345.0, 2147483648.0);
    return static_cast<size_t>(std::fmod(seed_, static_cast<double>(n)));
  }
  const std::string& Pick(const std::vector<std::string>& a) { return a[Rand(a.size())]; }
  std::string Sentence(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? " " : "") + Pick(words_);
    return s;
  }
  const std::vector<std::string>& words() const { return words_; }

 private:
  std::vector<std::string> words_;
  double seed_;
};

std::vector<std::string> Split(const char* text) {
  std::vector<std::string> out;
  for (const char* p = text; *p;) {
    const char* q = std::strchr(p, ' ');
    if (q == nullptr) q = p + std::strlen(p);
    out.emplace_back(p, q);
    p = *q ? q + 1 : q;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  if (rounds < 1) Fail("usage: knowledge_dialogflow_bench [ROUNDS]");
  TextFrom gen(Split("account address agent alarm app balance bank bill billing blocked booking branch cable "
                     "calendar call cancel card charge chat check claim code complaint connection contract "
                     "coverage credit customer damage data deadline delivery deposit device discount dispute "
                     "document download email error exchange expiry fee flight fraud gift hotel insurance "
                     "internet invoice item key laptop late limit loan login loyalty luggage meter modem "
                     "mortgage network number offer order outage package parcel password payment pension "
                     "phone pin plan point policy premium price printer profile promotion purchase receipt "
                     "refund renewal rent repair replacement reservation return reward roaming router salary "
                     "schedule screen seat security service shipment signal sim speed statement storage "
                     "subscription support tariff tax ticket tracking transfer travel upgrade usage voucher "
                     "wallet warranty website wifi withdrawal"),
               42);
  const std::vector<std::string> verbs = Split("activate change close fix find get open pay reset send stop track update use");
  kn::KnowledgeIndex faq, articles;
  for (int d = 0; d < 500; ++d) {
    std::string csv;
    for (int r = 0; r < 15; ++r) {
      const std::string verb = gen.Pick(verbs);
      const std::string object = gen.Sentence(3);
      csv += (r ? "\n" : "") + ("how do I " + verb + " my " + object + "?,") + gen.Sentence(14) + ".";
    }
    auto rows = kn::ParseFaqCsv(csv);
    if (!rows.ok()) Fail("FAQ document " + std::to_string(d) + ": " + std::string(rows.status().message()));
    char id[16];
    std::snprintf(id, sizeof id, "faq%03d", d);
    faq.Put(kn::AnalyzeFaq(id, std::move(*rows)));
  }
  for (int d = 0; d < 500; ++d) {
    std::string text = gen.Sentence(4) + "\n\n";
    for (int p = 0; p < 5; ++p) text += (p ? "\n\n" : "") + gen.Sentence(40) + ".";
    auto article = kn::ParseArticle(text, "text/plain");
    if (!article.ok()) Fail("article " + std::to_string(d) + ": " + std::string(article.status().message()));
    char id[16];
    std::snprintf(id, sizeof id, "art%03d", d);
    articles.Put(kn::AnalyzeArticle(id, article->title.empty() ? "doc " + std::to_string(d) : article->title,
                                    std::move(article->passages)));
  }
  faq.Warm();
  articles.Warm();
  // The calls' texts, as analyze.lua reads them (run from the repository's root).
  std::vector<std::string> texts;
  {
    std::ifstream in("bench/dialogflow/texts.txt");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) texts.push_back(line);
    }
    if (texts.empty()) Fail("cannot read bench/dialogflow/texts.txt (run from the repository's root)");
  }
  constexpr size_t kConversations = 256, kWindow = 20, kCallsPerRound = 256 * 24;
  std::vector<std::vector<std::string>> conversations(kConversations);
  kn::MessageTermCache cache(64u << 20);
  // [0]: AnalyzeQuery; then per kind (FAQ 1, 2; articles 3, 4): Search, SearchExhaustive.
  const char* names[5] = {"AnalyzeQuery (MessageTermCache)", "FAQ Search", "FAQ SearchExhaustive", "article Search",
                          "article SearchExhaustive"};
  std::vector<double> all[5];
  std::vector<std::vector<double>> per_round(5);
  size_t counter = 0, compared = 0, sink = 0;
  for (int round = 0; round < rounds + 1; ++round) {  // round 0 warms up, not reported
    std::vector<double> times[5];
    for (size_t call = 0; call < kCallsPerRound; ++call, ++counter) {
      auto& messages = conversations[counter % kConversations];
      messages.push_back(texts[counter % texts.size()]);
      if (messages.size() > kWindow) messages.erase(messages.begin());
      double t0 = ThreadCpuMicros();
      const kn::QueryTerms query = kn::AnalyzeQuery(messages, &cache);
      times[0].push_back(ThreadCpuMicros() - t0);
      int slot = 1;
      for (const kn::KnowledgeIndex* index : {&faq, &articles}) {
        const kn::ItemKind kind = index == &faq ? kn::ItemKind::kFaq : kn::ItemKind::kArticle;
        std::vector<kn::SearchHit> hits[2];
        // Alternate which goes first, so that neither always finds the other's reads in cache.
        for (int j = 0; j < 2; ++j) {
          const int exhaustive = (call + j) % 2;
          t0 = ThreadCpuMicros();
          hits[exhaustive] = exhaustive ? index->SearchExhaustive(query, kind, 3) : index->Search(query, kind, 3);
          times[slot + exhaustive].push_back(ThreadCpuMicros() - t0);
        }
        if (!SameHits(hits[0], hits[1])) Fail("Search differs from SearchExhaustive");
        ++compared;
        sink += hits[0].size();
        slot += 2;
      }
    }
    if (round == 0) continue;
    for (int s = 0; s < 5; ++s) {
      per_round[s].push_back(Percentile(times[s], 0.5));
      all[s].insert(all[s].end(), times[s].begin(), times[s].end());
    }
  }
  if (sink == 0) Fail("no hits at all");
  std::printf("## bench/dialogflow's knowledge searches in process: %d rounds x %zu calls, top 3, CPU µs\n\n",
              rounds, kCallsPerRound);
  std::printf("| step | median | p99 | each round's median |\n|---|---|---|---|\n");
  for (int s = 0; s < 5; ++s) {
    std::string each;
    for (double m : per_round[s]) each += (each.empty() ? "" : ", ") + std::to_string(m).substr(0, 5);
    std::printf("| %s | %.1f | %.1f | %s |\n", names[s], Percentile(all[s], 0.5), Percentile(all[s], 0.99),
                each.c_str());
  }
  std::printf("\nSearch gave SearchExhaustive's hits on all %zu searches compared\n", compared);
  return 0;
}
