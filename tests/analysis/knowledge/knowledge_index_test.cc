// KnowledgeIndex: BM25F ranking of FAQ entries and article passages.
#include "analysis/knowledge/knowledge_index.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analysis/knowledge/terms.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::analysis::knowledge {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const IndexedDocument> Faqs() {
  return AnalyzeFaq("faq", {{"How do I reset my password?", "Open settings and choose reset."},
                            {"Where can I see my card balance?", "The balance is on the home screen."},
                            {"How long does a refund take?", "Refunds take five days."},
                            {"Can I order a new card?", "Yes, order one in the app."}});
}

TEST(TermsTest, StemsAndDropsFunctionWords) {
  std::vector<std::string> terms;
  AppendTerms("Refunds were REFUNDED to the cards, please!", &terms);
  EXPECT_THAT(terms, ElementsAre("refund", "refund", "card"));
}

TEST(KnowledgeIndexTest, RanksTheMatchingFaqFirst) {
  KnowledgeIndex index;
  index.Put(Faqs());
  auto hits = index.Search(AnalyzeQuery({"I forgot my password, how can I reset it"}), ItemKind::kFaq, 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].document->id, "faq");
  EXPECT_THAT(hits[0].entries, ElementsAre(0));
  EXPECT_GT(hits[0].confidence, 0.5f);
  EXPECT_LE(hits[0].confidence, 1.0f);
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_LE(hits[i].score, hits[i - 1].score);

  // Stems meet: "refunded" finds "refund".
  hits = index.Search(AnalyzeQuery({"when will I be refunded"}), ItemKind::kFaq, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_THAT(hits[0].entries, ElementsAre(2));
}

TEST(KnowledgeIndexTest, EntryCoverageFallsWithWhatTheQueryLeavesOut) {
  KnowledgeIndex index;
  index.Put(AnalyzeFaq("f", {{"card fees abroad in euros", "x"}, {"card fees", "y"}}));
  auto hits = index.Search(AnalyzeQuery({"card fees"}), ItemKind::kFaq, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_THAT(hits[0].entries, ElementsAre(1));  // the short question matches whole
  EXPECT_NEAR(hits[0].entry_coverage, 1.0f, 0.02f);
  EXPECT_LT(hits[1].entry_coverage, 0.7f);
  EXPECT_GT(hits[0].confidence, hits[1].confidence);
}

TEST(KnowledgeIndexTest, AnswersWeighLessThanQuestions) {
  KnowledgeIndex index;
  index.Put(AnalyzeFaq("f", {{"Opening hours", "We close at noon on holidays"},
                             {"Holidays schedule", "See the calendar"}}));
  auto hits = index.Search(AnalyzeQuery({"holidays"}), ItemKind::kFaq, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_THAT(hits[0].entries, ElementsAre(1));  // question match beats answer match
  EXPECT_GT(hits[0].score, hits[1].score);
}

TEST(KnowledgeIndexTest, MostRecentMessageWeighsMost) {
  KnowledgeIndex index;
  index.Put(Faqs());
  auto hits = index.Search(AnalyzeQuery({"my password is broken", "and what about my card balance"}),
                           ItemKind::kFaq, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_THAT(hits[0].entries, ElementsAre(1));
  hits = index.Search(AnalyzeQuery({"what about my card balance", "my password is broken reset"}),
                      ItemKind::kFaq, 2);
  ASSERT_FALSE(hits.empty());
  EXPECT_THAT(hits[0].entries, ElementsAre(0));
}

TEST(KnowledgeIndexTest, UnrelatedQueryMatchesNothingAndConfidenceFallsWithCoverage) {
  KnowledgeIndex index;
  index.Put(Faqs());
  EXPECT_TRUE(index.Search(AnalyzeQuery({"zebra giraffe"}), ItemKind::kFaq, 5).empty());
  EXPECT_TRUE(index.Search(AnalyzeQuery({"password"}), ItemKind::kArticle, 5).empty());
  auto full = index.Search(AnalyzeQuery({"reset password"}), ItemKind::kFaq, 1);
  auto partial = index.Search(AnalyzeQuery({"reset password zebra giraffe elephant"}), ItemKind::kFaq, 1);
  ASSERT_EQ(full.size(), 1u);
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_GT(full[0].confidence, partial[0].confidence);
  EXPECT_GT(full[0].query_coverage, partial[0].query_coverage);
  EXPECT_FLOAT_EQ(full[0].entry_coverage, partial[0].entry_coverage);
  EXPECT_GT(full[0].query_coverage, 0.0f);
  EXPECT_LE(full[0].query_coverage, 1.0f);
  EXPECT_LE(full[0].entry_coverage, 1.0f);
  EXPECT_EQ(Confidence(0, 0.5f), 0.0f);
  EXPECT_EQ(Confidence(0.5f, 0), 0.0f);
  EXPECT_EQ(Confidence(5, 5), Confidence(1, 1));
  EXPECT_LE(Confidence(1, 1), 1.0f);
  EXPECT_LT(Confidence(0.2f, 0.5f), Confidence(0.6f, 0.5f));
  EXPECT_LT(Confidence(0.5f, 0.2f), Confidence(0.5f, 0.6f));
}

TEST(KnowledgeIndexTest, ArticlesOnePerDocumentWithSnippets) {
  KnowledgeIndex index;
  index.Put(AnalyzeArticle("travel", "Travel insurance",
                           {"Our travel insurance covers lost luggage.", "Claims for luggage take a week.",
                            "Unrelated passage about weather.", "Luggage limits are 23 kg."}));
  index.Put(AnalyzeArticle("cards", "Cards", {"Lost your card? Freeze it in the app."}));
  index.Put(Faqs());
  auto hits = index.Search(AnalyzeQuery({"I lost my luggage"}), ItemKind::kArticle, 5);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].document->id, "travel");
  EXPECT_EQ(hits[0].entries.size(), 3u);  // the three luggage passages, best first
  EXPECT_THAT(hits[0].entries, ::testing::UnorderedElementsAre(0, 1, 3));
  EXPECT_EQ(hits[0].entries[0], 0);       // "lost" and "luggage" both
  EXPECT_EQ(hits[1].document->id, "cards");
  EXPECT_TRUE(hits[1].entries == std::vector<int>{0});
  // max_results bounds documents, not passages.
  EXPECT_EQ(index.Search(AnalyzeQuery({"I lost my luggage"}), ItemKind::kArticle, 1).size(), 1u);
}

TEST(KnowledgeIndexTest, PutReplacesAndRemoveDrops) {
  KnowledgeIndex index;
  index.Put(Faqs());
  EXPECT_EQ(index.document_count(), 1u);
  const size_t before = index.bytes();
  EXPECT_GT(before, 0u);
  ASSERT_FALSE(index.Search(AnalyzeQuery({"password"}), ItemKind::kFaq, 1).empty());
  index.Put(AnalyzeFaq("faq", {{"Opening hours", "Nine to five"}}));
  EXPECT_EQ(index.document_count(), 1u);
  EXPECT_TRUE(index.Search(AnalyzeQuery({"password"}), ItemKind::kFaq, 1).empty());
  EXPECT_EQ(index.Search(AnalyzeQuery({"opening hours"}), ItemKind::kFaq, 1).size(), 1u);
  EXPECT_TRUE(index.Remove("faq"));
  EXPECT_FALSE(index.Remove("faq"));
  EXPECT_TRUE(index.Search(AnalyzeQuery({"opening hours"}), ItemKind::kFaq, 1).empty());
  EXPECT_EQ(index.document_count(), 0u);
}

TEST(KnowledgeIndexTest, TiesBreakByDocumentIdThenEntry) {
  KnowledgeIndex index;
  index.Put(AnalyzeFaq("b", {{"fees", "x"}}));
  index.Put(AnalyzeFaq("a", {{"fees", "x"}, {"fees", "x"}}));
  auto hits = index.Search(AnalyzeQuery({"fees"}), ItemKind::kFaq, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].document->id, "a");
  EXPECT_THAT(hits[0].entries, ElementsAre(0));
  EXPECT_EQ(hits[1].document->id, "a");
  EXPECT_THAT(hits[1].entries, ElementsAre(1));
  EXPECT_EQ(hits[2].document->id, "b");
}

TEST(KnowledgeIndexTest, TheBestKAreThePrefixOfTheWholeRanking) {
  // Many entries, many equal scores: whatever k, the k hits are the first k
  // of the full ranking, in its order (the top-k selection must agree with
  // a full sort, ties included).
  KnowledgeIndex index;
  std::vector<FaqPair> rows;
  const char* words[] = {"card", "refund", "password", "balance", "order", "fee"};
  for (int i = 0; i < 60; ++i) {
    rows.push_back({std::string(words[i % 6]) + " " + words[(i / 6) % 6] + " question",
                    std::string("answer ") + words[(i * 7) % 6]});
  }
  index.Put(AnalyzeFaq("f", rows));
  const QueryTerms query = AnalyzeQuery({"card refund fee question"});
  auto all = index.Search(query, ItemKind::kFaq, 1000);
  ASSERT_GT(all.size(), 20u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i].score, all[i - 1].score);
  for (size_t k : {1u, 2u, 3u, 7u, 20u}) {
    auto some = index.Search(query, ItemKind::kFaq, k);
    ASSERT_EQ(some.size(), k);
    for (size_t i = 0; i < k; ++i) {
      EXPECT_EQ(some[i].entries, all[i].entries) << "k=" << k << " i=" << i;
      EXPECT_EQ(some[i].score, all[i].score);
    }
  }
}

// Search scores only the entries that can be among the best; it must give
// SearchExhaustive's answer exactly: the same entries in the same order with
// the same floats.
void ExpectSameHits(const std::vector<SearchHit>& pruned, const std::vector<SearchHit>& exhaustive,
                    const std::string& what) {
  ASSERT_EQ(pruned.size(), exhaustive.size()) << what;
  for (size_t i = 0; i < pruned.size(); ++i) {
    EXPECT_EQ(pruned[i].document, exhaustive[i].document) << what << " hit " << i;
    EXPECT_EQ(pruned[i].entries, exhaustive[i].entries) << what << " hit " << i;
    EXPECT_EQ(pruned[i].score, exhaustive[i].score) << what << " hit " << i;
    EXPECT_EQ(pruned[i].query_coverage, exhaustive[i].query_coverage) << what << " hit " << i;
    EXPECT_EQ(pruned[i].entry_coverage, exhaustive[i].entry_coverage) << what << " hit " << i;
    EXPECT_EQ(pruned[i].confidence, exhaustive[i].confidence) << what << " hit " << i;
  }
}

// A made-up language with skewed word frequencies (a few words common, most
// rare, as in real text), deterministic.
class Babble {
 public:
  std::string Word() {
    static const char* syllables[] = {"ka", "lo", "mi", "ru", "te", "zo", "pa", "ni", "su", "ved"};
    const double u = Next();
    size_t w = static_cast<size_t>(400 * u * u * u);  // skewed to small ids
    std::string word;
    for (int i = 0; i < 3; ++i, w /= 10) word += syllables[w % 10];
    return word;
  }
  std::string Text(int min_words, int max_words) {
    const int n = min_words + static_cast<int>(Next() * (max_words - min_words + 1));
    std::string text;
    for (int i = 0; i < n; ++i) text += (i ? " " : "") + Word();
    return text;
  }
  double Next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ull << 53);
  }

 private:
  uint64_t state_ = 42;
};

TEST(KnowledgeIndexTest, PrunedSearchGivesTheExhaustiveAnswerExactly) {
  Babble babble;
  KnowledgeIndex index;
  for (int d = 0; d < 60; ++d) {
    std::vector<FaqPair> rows;
    for (int r = 0; r < 12; ++r) rows.push_back({babble.Text(2, 9), babble.Text(1, 4)});
    rows.push_back(rows[0]);  // equal scores: ties by document, then entry
    index.Put(AnalyzeFaq("faq" + std::to_string(d), rows));
    if (d % 20 == 0) index.Put(AnalyzeFaq("copy" + std::to_string(d), rows));
  }
  for (int d = 0; d < 80; ++d) {
    std::vector<std::string> passages;
    for (int p = 0; p < 1 + d % 5; ++p) passages.push_back(babble.Text(6, 20));
    const std::string title = babble.Text(1, 3);
    index.Put(AnalyzeArticle("article" + std::to_string(d), title, passages));
    if (d % 16 == 0) index.Put(AnalyzeArticle("twin" + std::to_string(d), title, passages));
  }
  // A conversation searched by its last 20 messages after each new one,
  // with other decays too, for every kind and several result counts.
  std::vector<std::string> window;
  int compared = 0, answered = 0;
  for (int i = 0; i < 120; ++i) {
    window.push_back(babble.Text(1, 10));
    if (window.size() > 20) window.erase(window.begin());
    for (float decay : {0.5f, 0.9f, 0.2f}) {
      const QueryTerms query = AnalyzeQuery(window, decay);
      for (ItemKind kind : {ItemKind::kFaq, ItemKind::kArticle}) {
        for (size_t k : {1u, 2u, 3u, 5u, 8u, 13u, 40u}) {
          const auto pruned = index.Search(query, kind, k);
          ExpectSameHits(pruned, index.SearchExhaustive(query, kind, k),
                         "message " + std::to_string(i) + " decay " + std::to_string(decay) + " kind " +
                             std::to_string(static_cast<int>(kind)) + " k " + std::to_string(k));
          ++compared;
          answered += !pruned.empty();
        }
      }
    }
  }
  EXPECT_EQ(compared, 120 * 3 * 2 * 7);
  EXPECT_GT(answered, compared * 9 / 10);  // the queries do match entries
}

// Two indexes of the same documents give the same floats, bit for bit,
// wherever their memory lies: a build must not sum in the order of a hash
// table's iteration (absl salts that order with the table's address), or
// the entry bounds, and so the confidences, differ in their last bits from
// one build to the next (seen as a rare failure of
// KnowledgeServiceTest.RememberedMessageTermsGiveTheAnswersOfAFreshAnalysis).
TEST(KnowledgeIndexTest, IndexesOfTheSameDocumentsGiveTheSameFloats) {
  auto put_all = [](KnowledgeIndex& index) {
    Babble babble;
    for (int d = 0; d < 20; ++d) {
      std::vector<FaqPair> rows;
      for (int r = 0; r < 10; ++r) rows.push_back({babble.Text(4, 14), babble.Text(2, 8)});
      index.Put(AnalyzeFaq("faq" + std::to_string(d), rows));
      std::vector<std::string> passages;
      for (int p = 0; p < 3; ++p) passages.push_back(babble.Text(8, 24));
      index.Put(AnalyzeArticle("article" + std::to_string(d), babble.Text(1, 3), passages));
    }
  };
  Babble queries;
  std::vector<QueryTerms> asked;
  for (int i = 0; i < 12; ++i) asked.push_back(AnalyzeQuery({queries.Text(3, 8), queries.Text(2, 6)}));
  KnowledgeIndex first;
  put_all(first);
  int compared = 0;
  std::vector<std::vector<char>> elsewhere;  // moves the next builds' scratch to other addresses
  for (int round = 0; round < 24; ++round) {
    // Blocks of the sizes the build's tables take, kept: they hold the
    // freed memory the next build would otherwise get back at the same place.
    for (size_t size = 24; size <= 4096; size += 40) elsewhere.emplace_back(size + round % 7 * 8);
    KnowledgeIndex again;
    put_all(again);
    for (size_t q = 0; q < asked.size(); ++q) {
      for (ItemKind kind : {ItemKind::kFaq, ItemKind::kArticle}) {
        const auto a = again.SearchExhaustive(asked[q], kind, 5);
        const auto b = first.SearchExhaustive(asked[q], kind, 5);
        const std::string what = "round " + std::to_string(round) + " query " + std::to_string(q);
        ASSERT_EQ(a.size(), b.size()) << what;
        for (size_t i = 0; i < a.size(); ++i) {
          EXPECT_EQ(a[i].document->id, b[i].document->id) << what;
          EXPECT_EQ(a[i].entries, b[i].entries) << what;
          EXPECT_EQ(a[i].score, b[i].score) << what;
          EXPECT_EQ(a[i].entry_coverage, b[i].entry_coverage) << what;
          EXPECT_EQ(a[i].confidence, b[i].confidence) << what;
          compared += 1;
        }
      }
    }
  }
  EXPECT_GT(compared, 24 * 12);  // the queries match entries
}

// An even vocabulary (bench/dialogflow's shape: every word in many entries),
// so that a query's postings outnumber the entries and Search adds every
// posting into its dense array, then keeps the best in one pass by entry.
TEST(KnowledgeIndexTest, DenseSearchGivesTheExhaustiveAnswerExactly) {
  const std::vector<std::string> words = {"account", "bill",   "card",  "data",   "email",  "fee",
                                          "login",   "modem",  "order", "parcel", "refund", "router",
                                          "signal",  "speed",  "tax",   "ticket", "voucher", "wifi"};
  uint64_t state = 7;
  auto pick = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return words[(state >> 33) % words.size()];
  };
  auto text = [&](int n) {
    std::string t;
    for (int i = 0; i < n; ++i) t += (i ? " " : "") + pick();
    return t;
  };
  KnowledgeIndex index;
  for (int d = 0; d < 30; ++d) {
    std::vector<FaqPair> rows;
    for (int r = 0; r < 14; ++r) rows.push_back({"how do I fix my " + text(3), text(8)});
    rows.push_back(rows[3]);  // equal scores: ties by document, then entry
    index.Put(AnalyzeFaq("faq" + std::to_string(d), rows));
    if (d % 10 == 0) index.Put(AnalyzeFaq("copy" + std::to_string(d), rows));
  }
  for (int d = 0; d < 40; ++d) {
    std::vector<std::string> passages;
    for (int p = 0; p < 1 + d % 6; ++p) passages.push_back(text(12));
    index.Put(AnalyzeArticle("article" + std::to_string(d), text(2), passages));
    if (d % 13 == 0) index.Put(AnalyzeArticle("twin" + std::to_string(d), text(2), passages));
  }
  std::vector<std::string> window;
  int compared = 0;
  for (int i = 0; i < 60; ++i) {
    window.push_back(text(1 + i % 7));
    if (window.size() > 20) window.erase(window.begin());
    for (float decay : {0.5f, 0.9f}) {
      const QueryTerms query = AnalyzeQuery(window, decay);
      for (ItemKind kind : {ItemKind::kFaq, ItemKind::kArticle}) {
        for (size_t k : {1u, 2u, 3u, 5u, 13u, 32u, 33u}) {
          ExpectSameHits(index.Search(query, kind, k), index.SearchExhaustive(query, kind, k),
                         "message " + std::to_string(i) + " decay " + std::to_string(decay) + " kind " +
                             std::to_string(static_cast<int>(kind)) + " k " + std::to_string(k));
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 60 * 2 * 2 * 7);
}

// When the best 8 x max_results passages come from fewer than max_results
// articles, the search goes on through every other passage with a score, as
// SearchExhaustive does.
TEST(KnowledgeIndexTest, ArticlesBeyondTheFirstLookAreFound) {
  KnowledgeIndex index;
  for (int d = 0; d < 4; ++d) {
    std::vector<std::string> passages;
    for (int p = 0; p < 12; ++p) passages.push_back("the router has no signal, passage " + std::to_string(p));
    index.Put(AnalyzeArticle("long" + std::to_string(d), "Router help", passages));
  }
  index.Put(AnalyzeArticle("short-a", "Modems", {"a modem without signal", "lights on the modem"}));
  index.Put(AnalyzeArticle("short-b", "Routers", {"where to put the router in a house"}));
  index.Put(AnalyzeArticle("short-c", "Bills", {"how to read a bill"}));
  const QueryTerms query = AnalyzeQuery({"my router has no signal"});
  const auto hits = index.Search(query, ItemKind::kArticle, 5);
  ExpectSameHits(hits, index.SearchExhaustive(query, ItemKind::kArticle, 5), "k 5");
  ASSERT_EQ(hits.size(), 5u);  // the 4 long articles fill the first look (40 passages); 1 more beyond it
  EXPECT_EQ(hits[4].entries.size(), 1u);
  EXPECT_TRUE(hits[4].document->id == "short-a" || hits[4].document->id == "short-b") << hits[4].document->id;
  for (size_t k : {1u, 3u, 4u, 6u, 7u}) {
    ExpectSameHits(index.Search(query, ItemKind::kArticle, k), index.SearchExhaustive(query, ItemKind::kArticle, k),
                   "k " + std::to_string(k));
  }
}

TEST(KnowledgeIndexTest, QueriesNotShapedByAnalyzeQueryGetTheExhaustiveAnswer) {
  KnowledgeIndex index;
  index.Put(Faqs());
  // Terms out of order, a repeated term, a weight of 0, a negative one.
  for (const QueryTerms& query : {QueryTerms{{{"reset", 1.0f}, {"card", 0.5f}, {"password", 0.25f}}},
                                  QueryTerms{{{"card", 1.0f}, {"card", 1.0f}, {"refund", 0.5f}}},
                                  QueryTerms{{{"balanc", 0.0f}, {"card", 1.0f}}},
                                  QueryTerms{{{"card", -1.0f}, {"refund", 1.0f}}}}) {
    for (size_t k : {1u, 3u, 10u}) {
      ExpectSameHits(index.Search(query, ItemKind::kFaq, k), index.SearchExhaustive(query, ItemKind::kFaq, k),
                     query.terms[0].first + " k " + std::to_string(k));
    }
  }
}

TEST(KnowledgeIndexTest, ConcurrentSearchesWhileDocumentsChange) {
  KnowledgeIndex index;
  index.Put(Faqs());
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      const QueryTerms q = AnalyzeQuery({"reset my password"});
      while (!stop) {
        auto hits = index.Search(q, ItemKind::kFaq, 1);
        if (hits.empty() || hits[0].document->id != "faq" || hits[0].entries[0] != 0) ++wrong;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    index.Put(AnalyzeFaq("other" + std::to_string(i % 7), {{"card fees", "none"}}));
    if (i % 3 == 0) index.Remove("other" + std::to_string((i + 1) % 7));
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
}

// A conversation that grows one message at a time, searched by its last 20
// messages each time (as analyzeContent does): some texts come back ("yes",
// "ok, thanks"), one is long, one has no terms at all.
std::vector<std::string> GrowingConversation() {
  const std::vector<std::string> lines = {
      "Hello, I need help with my card", "ok, thanks", "My card payment was declined abroad",
      "Which country were you in?", "yes", "Spain, and the refund never arrived",
      "Refunds take five days", "the the the", "Can I order a new card?",
      "Where can I see my card balance, and how long does a refund take?", "yes",
      "ok, thanks", "Ünïcödé café résumé naïve", "I forgot my password, how can I reset it"};
  std::vector<std::string> out;
  for (int i = 0; i < 60; ++i) {
    out.push_back(lines[i % lines.size()]);
    if (i % 7 == 3) out.back() += " (message " + std::to_string(i) + ")";
  }
  out.push_back(std::string(3000, 'x') + " refund");  // bigger than a small cache's half
  return out;
}

void ExpectSameQuery(const QueryTerms& cached, const QueryTerms& fresh) {
  ASSERT_EQ(cached.terms.size(), fresh.terms.size());
  for (size_t i = 0; i < fresh.terms.size(); ++i) {
    EXPECT_EQ(cached.terms[i].first, fresh.terms[i].first);
    EXPECT_EQ(cached.terms[i].second, fresh.terms[i].second);  // the same float, not nearly
  }
}

TEST(MessageTermCacheTest, CachedQueriesEqualFreshOnesAndEachTextIsAnalysedOnce) {
  const std::vector<std::string> conversation = GrowingConversation();
  MessageTermCache cache(8u << 20);
  KnowledgeIndex index;
  index.Put(Faqs());
  std::vector<std::string> window;
  for (const std::string& message : conversation) {
    window.push_back(message);
    if (window.size() > 20) window.erase(window.begin());
    const QueryTerms fresh = AnalyzeQuery(window);
    const QueryTerms cached = AnalyzeQuery(window, &cache);
    ExpectSameQuery(cached, fresh);
    const auto a = index.Search(cached, ItemKind::kFaq, 4);
    const auto b = index.Search(fresh, ItemKind::kFaq, 4);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].entries, b[i].entries);
      EXPECT_EQ(a[i].score, b[i].score);
      EXPECT_EQ(a[i].confidence, b[i].confidence);
    }
  }
  // Only new texts were analysed: each distinct one once, not 20 per call.
  const std::set<std::string> distinct(conversation.begin(), conversation.end());
  EXPECT_EQ(cache.analysed(), distinct.size());
  EXPECT_EQ(cache.entries(), distinct.size());
  // Other weights (decay) come from the same cached terms.
  ExpectSameQuery(AnalyzeQuery(window, &cache, 0.8f), AnalyzeQuery(window, 0.8f));
  EXPECT_EQ(cache.analysed(), distinct.size());
}

TEST(MessageTermCacheTest, StaysWithinItsBoundAndStillAnswersTheSame) {
  const std::vector<std::string> conversation = GrowingConversation();
  const size_t bound = 2000;  // a few messages per generation; the long one never fits
  MessageTermCache cache(bound);
  std::vector<std::string> window;
  for (const std::string& message : conversation) {
    window.push_back(message);
    if (window.size() > 20) window.erase(window.begin());
    ExpectSameQuery(AnalyzeQuery(window, &cache), AnalyzeQuery(window));
    EXPECT_LE(cache.bytes(), bound);
    EXPECT_GT(cache.entries(), 0u);
  }
  EXPECT_GT(cache.analysed(), 20u);  // texts were dropped and analysed again

  MessageTermCache none(0);
  ExpectSameQuery(AnalyzeQuery(window, &none), AnalyzeQuery(window));
  EXPECT_EQ(none.entries(), 0u);
  EXPECT_EQ(none.bytes(), 0u);
}

TEST(MessageTermCacheTest, ConcurrentQueriesGetTheirOwnTerms) {
  const std::vector<std::string> conversation = GrowingConversation();
  MessageTermCache cache(4000);  // small: generations turn over while threads read
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> window;
      for (size_t i = t; i < conversation.size() + t; ++i) {
        window.push_back(conversation[i % conversation.size()]);
        if (window.size() > 20) window.erase(window.begin());
        const QueryTerms a = AnalyzeQuery(window, &cache);
        const QueryTerms b = AnalyzeQuery(window);
        if (a.terms != b.terms) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_LE(cache.bytes(), 4000u);
}

}  // namespace
}  // namespace parley::analysis::knowledge
