// KnowledgeService over the real SQLite store: knowledge bases and documents
// are stored, parsed, listed, updated, reloaded and deleted; searches build
// their index lazily, follow every change and see writes of another instance.
#include "service/knowledge_service.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/resource_service.h"
#include "store/store.h"

namespace parley::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kFaqCsv[] =
    "question,answer\n"
    "How do I reset my password?,Open settings and choose reset.\n"
    "\"Where is my card, and when does it arrive?\",\"Cards arrive in 5 days.\"\n"
    "How long does a refund take?,Refunds take a week.\n";

class KnowledgeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley-knowledge-" + core::NewId());
    std::filesystem::create_directories(dir_ / "files");
    auto s = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    resources_ = std::make_unique<ResourceService>(store_.get());
    service_ = MakeService();
  }
  void TearDown() override {
    service_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<KnowledgeService> MakeService(KnowledgeLimits limits = {}) {
    core::BlobOptions blobs;
    blobs.file_root = (dir_ / "files").string();
    return std::make_unique<KnowledgeService>(resources_.get(), blobs, limits);
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_ / "files" / name;
    std::ofstream(p, std::ios::binary) << text;
    return "file://" + p.string();
  }
  core::KnowledgeBase NewKb(const std::string& id) {
    core::KnowledgeBase kb;
    kb.set_id(id);
    kb.set_display_name("KB " + id);
    auto created = service_->CreateKnowledgeBase("acme", "global", kb);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : kb;
  }
  core::KnowledgeDocument Raw(const std::string& id, const std::string& mime, const std::string& content) {
    core::KnowledgeDocument d;
    d.set_id(id);
    d.set_display_name("Doc " + id);
    d.set_mime_type(mime);
    d.set_raw_content(content);
    return d;
  }
  std::vector<KnowledgeSearchResult> Search(const std::vector<std::string>& kbs,
                                            const std::vector<std::string>& messages, KnowledgeKind kind,
                                            int max = 3) {
    auto r = service_->Search("acme", kbs, messages, max, kind);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<KnowledgeSearchResult>{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ResourceService> resources_;
  std::unique_ptr<KnowledgeService> service_;
};

TEST_F(KnowledgeServiceTest, KnowledgeBaseLifecycle) {
  core::KnowledgeBase kb;
  kb.set_display_name("Support");
  kb.set_language_code("en");
  auto created = service_->CreateKnowledgeBase("acme", "global", kb);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->id().size(), 19u);  // generated
  EXPECT_EQ(created->scope(), "global");
  EXPECT_GT(created->create_time_us(), 0);

  auto got = service_->GetKnowledgeBase("acme", "global", created->id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_name(), "Support");
  EXPECT_EQ(service_->GetKnowledgeBase("acme", "us", created->id()).status().code(),
            absl::StatusCode::kNotFound);  // another scope
  EXPECT_EQ(service_->GetKnowledgeBase("other", "global", created->id()).status().code(),
            absl::StatusCode::kNotFound);  // another tenant

  core::KnowledgeBase bad;
  EXPECT_EQ(service_->CreateKnowledgeBase("acme", "global", bad).status().code(),
            absl::StatusCode::kInvalidArgument);  // no display name
  bad.set_display_name("x");
  bad.set_id("a/b");
  EXPECT_EQ(service_->CreateKnowledgeBase("acme", "global", bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad.set_id(created->id());
  EXPECT_EQ(service_->CreateKnowledgeBase("acme", "global", bad).status().code(),
            absl::StatusCode::kAlreadyExists);

  core::KnowledgeBase patch;
  patch.set_id(created->id());
  patch.set_display_name("Renamed");
  patch.set_language_code("fr");
  auto updated = service_->UpdateKnowledgeBase("acme", "global", patch, {"display_name"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name(), "Renamed");
  EXPECT_EQ(updated->language_code(), "en");
  EXPECT_GT(updated->update_time_us(), created->update_time_us());
  EXPECT_EQ(service_->UpdateKnowledgeBase("acme", "global", patch, {"scope"}).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(service_->DeleteKnowledgeBase("acme", "global", created->id(), false).ok());
  EXPECT_EQ(service_->GetKnowledgeBase("acme", "global", created->id()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KnowledgeServiceTest, ListsKnowledgeBasesByPage) {
  for (const char* id : {"kb1", "kb2", "kb3"}) NewKb(id);
  core::KnowledgeBase elsewhere;
  elsewhere.set_id("kb0");
  elsewhere.set_display_name("x");
  ASSERT_TRUE(service_->CreateKnowledgeBase("acme", "us-central1", elsewhere).ok());
  auto first = service_->ListKnowledgeBases("acme", "global", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].id(), "kb1");
  EXPECT_EQ(first->next_after_id, "kb2");
  auto second = service_->ListKnowledgeBases("acme", "global", 2, first->next_after_id);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].id(), "kb3");
  EXPECT_EQ(second->next_after_id, "");
}

TEST_F(KnowledgeServiceTest, FaqDocumentFromRawContentIsParsedAndSearchable) {
  NewKb("kb");
  auto doc = service_->CreateDocument("acme", "global", "kb", Raw("faq1", "text/csv", kFaqCsv));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->state(), core::KnowledgeDocument::ACTIVE);
  EXPECT_THAT(doc->knowledge_types(), ElementsAre(core::KnowledgeDocument::FAQ));
  ASSERT_EQ(doc->faqs_size(), 3);  // header skipped
  EXPECT_EQ(doc->faqs(1).question(), "Where is my card, and when does it arrive?");

  auto got = service_->GetDocument("acme", "global", "kb", "faq1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->raw_content(), kFaqCsv);

  auto results = Search({"kb"}, {"hello", "my card has not arrived yet"}, KnowledgeKind::kFaq);
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0].document_id, "faq1");
  EXPECT_EQ(results[0].knowledge_base_id, "kb");
  EXPECT_EQ(results[0].answer, "Cards arrive in 5 days.");
  EXPECT_EQ(results[0].faq_row, 1);
  EXPECT_EQ(results[0].document_display_name, "Doc faq1");
  EXPECT_GT(results[0].confidence, 0.0f);
  EXPECT_LE(results[0].confidence, 1.0f);
  EXPECT_TRUE(Search({"kb"}, {"my card"}, KnowledgeKind::kArticle).empty());
}

TEST_F(KnowledgeServiceTest, ArticleFromContentUriWithSnippets) {
  NewKb("kb");
  core::KnowledgeDocument d;
  d.set_id("travel");
  d.set_display_name("Travel");
  d.set_mime_type("text/html; charset=utf-8");
  d.set_content_uri(WriteFile("travel.html",
                              "<html><head><title>Travel insurance</title></head><body>"
                              "<p>Lost luggage is covered up to 1000 &euro;.</p>"
                              "<script>luggage()</script></body></html>"));
  d.mutable_metadata()->insert({"lang", "en"});
  auto doc = service_->CreateDocument("acme", "global", "kb", d);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->mime_type(), "text/html");
  EXPECT_EQ(doc->title(), "Travel insurance");
  EXPECT_TRUE(doc->raw_content().empty());
  auto results = Search({"kb"}, {"I lost my luggage"}, KnowledgeKind::kArticle);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].title, "Travel insurance");
  EXPECT_EQ(results[0].uri, d.content_uri());
  EXPECT_THAT(results[0].snippets, ElementsAre("Lost luggage is covered up to 1000 \xE2\x82\xAC."));
  EXPECT_EQ(results[0].metadata.at("lang"), "en");
}

TEST_F(KnowledgeServiceTest, DocumentErrors) {
  NewKb("kb");
  auto bad_row = service_->CreateDocument("acme", "global", "kb", Raw("d", "text/csv", "q,a\nq2\n"));
  EXPECT_EQ(bad_row.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_row.status().message(), HasSubstr("row 2"));
  EXPECT_EQ(service_->CreateDocument("acme", "global", "kb", Raw("d", "application/pdf", "x")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto faq_html = Raw("d", "text/html", "<p>x</p>");
  faq_html.add_knowledge_types(core::KnowledgeDocument::FAQ);
  EXPECT_EQ(service_->CreateDocument("acme", "global", "kb", faq_html).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto both = Raw("d", "text/csv", "q,a");
  both.set_content_uri(WriteFile("x.csv", "q,a"));
  EXPECT_EQ(service_->CreateDocument("acme", "global", "kb", both).status().code(),
            absl::StatusCode::kInvalidArgument);
  core::KnowledgeDocument outside;
  outside.set_mime_type("text/csv");
  outside.set_content_uri("file:///etc/passwd");
  EXPECT_EQ(service_->CreateDocument("acme", "global", "kb", outside).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->CreateDocument("acme", "global", "nokb", Raw("d", "text/csv", "q,a")).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("d", "text/csv", "q,a")).ok());
  EXPECT_EQ(service_->CreateDocument("acme", "global", "kb", Raw("d", "text/csv", "q,a")).status().code(),
            absl::StatusCode::kAlreadyExists);
  // Nothing failed was stored.
  auto list = service_->ListDocuments("acme", "global", "kb", 10, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 1u);

  auto small = MakeService([] {
    KnowledgeLimits l;
    l.max_document_bytes = 10;
    return l;
  }());
  auto too_big = small->CreateDocument("acme", "global", "kb", Raw("big", "text/csv", "question1,answer1\n"));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.status().message(), HasSubstr("larger than 10 bytes"));
}

TEST_F(KnowledgeServiceTest, ListsDocumentsOfOneKnowledgeBaseByPage) {
  NewKb("kb");
  NewKb("kb2");
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw(id, "text/csv", "q,a")).ok());
  }
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb2", Raw("z", "text/csv", "q,a")).ok());
  auto first = service_->ListDocuments("acme", "global", "kb", 2, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[1].id(), "b");
  EXPECT_EQ(first->next_after_id, "b");
  auto second = service_->ListDocuments("acme", "global", "kb", 2, "b");
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].id(), "c");
  EXPECT_EQ(second->next_after_id, "");

  EXPECT_EQ(service_->DeleteKnowledgeBase("acme", "global", "kb", false).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_->DeleteKnowledgeBase("acme", "global", "kb", true).ok());
  EXPECT_EQ(service_->GetDocument("acme", "global", "kb", "a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(service_->GetDocument("acme", "global", "kb2", "z").ok());  // untouched
}

TEST_F(KnowledgeServiceTest, SearchFollowsCreateUpdateDeleteIncrementally) {
  NewKb("kb");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("f1", "text/csv", kFaqCsv)).ok());
  ASSERT_EQ(Search({"kb"}, {"reset password"}, KnowledgeKind::kFaq).size(), 1u);  // index built
  const size_t built = service_->CachedIndexBytes();
  EXPECT_GT(built, 0u);

  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb",
                                       Raw("f2", "text/csv", "Opening hours?,Nine to five.\n")).ok());
  auto hours = Search({"kb"}, {"what are your opening hours"}, KnowledgeKind::kFaq);
  ASSERT_FALSE(hours.empty());
  EXPECT_EQ(hours[0].document_id, "f2");

  core::KnowledgeDocument patch;
  patch.set_id("f2");
  patch.set_raw_content("Branch addresses?,See the map.\n");
  patch.set_display_name("Branches");
  auto updated = service_->UpdateDocument("acme", "global", "kb", patch, {"raw_content", "display_name"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->faqs(0).question(), "Branch addresses?");
  EXPECT_TRUE(Search({"kb"}, {"hours"}, KnowledgeKind::kFaq).empty());
  auto branch = Search({"kb"}, {"branch address"}, KnowledgeKind::kFaq);
  ASSERT_EQ(branch.size(), 1u);
  EXPECT_EQ(branch[0].document_display_name, "Branches");
  patch.set_raw_content("broken,row,here\n");
  EXPECT_EQ(service_->UpdateDocument("acme", "global", "kb", patch, {"raw_content"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Search({"kb"}, {"branch address"}, KnowledgeKind::kFaq).size(), 1u);  // unchanged
  EXPECT_EQ(service_->UpdateDocument("acme", "global", "kb", patch, {"state"}).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(service_->DeleteDocument("acme", "global", "kb", "f2").ok());
  EXPECT_TRUE(Search({"kb"}, {"branch address"}, KnowledgeKind::kFaq).empty());
  EXPECT_EQ(service_->DeleteDocument("acme", "global", "kb", "f2").code(), absl::StatusCode::kNotFound);
}

TEST_F(KnowledgeServiceTest, AnotherInstancesWritesAndARestartAreSeen) {
  NewKb("kb");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("f1", "text/csv", kFaqCsv)).ok());
  ASSERT_EQ(Search({"kb"}, {"refund"}, KnowledgeKind::kFaq).size(), 1u);
  // Another instance (another node, or this one after a restart) writes.
  auto other = MakeService();
  ASSERT_TRUE(other->CreateDocument("acme", "global", "kb", Raw("f2", "text/csv", "Refund fees?,None.\n")).ok());
  EXPECT_EQ(Search({"kb"}, {"refund"}, KnowledgeKind::kFaq).size(), 2u);
  ASSERT_TRUE(other->DeleteDocument("acme", "global", "kb", "f1").ok());
  auto left = Search({"kb"}, {"refund"}, KnowledgeKind::kFaq);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].document_id, "f2");
  // A fresh instance builds its index on the first search.
  auto fresh = MakeService();
  EXPECT_EQ(fresh->CachedIndexBytes(), 0u);
  auto r = fresh->Search("acme", {"kb"}, {"refund"}, 5, KnowledgeKind::kFaq);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 1u);
  EXPECT_GT(fresh->CachedIndexBytes(), 0u);
}

TEST_F(KnowledgeServiceTest, ReloadRereadsTheUriAndRecordsTheOutcome) {
  NewKb("kb");
  core::KnowledgeDocument d;
  d.set_id("f");
  d.set_mime_type("text/csv");
  d.set_content_uri(WriteFile("faq.csv", "Opening hours?,Nine to five.\n"));
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", d).ok());
  ASSERT_EQ(Search({"kb"}, {"opening hours"}, KnowledgeKind::kFaq).size(), 1u);

  WriteFile("faq.csv", "Parking?,Behind the shop.\n");
  auto reloaded = service_->ReloadDocument("acme", "global", "kb", "f", "");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(reloaded->latest_reload_status().code(), 0);
  EXPECT_GT(reloaded->latest_reload_status().time_us(), 0);
  EXPECT_TRUE(Search({"kb"}, {"opening hours"}, KnowledgeKind::kFaq).empty());
  EXPECT_EQ(Search({"kb"}, {"where can I park"}, KnowledgeKind::kFaq).size(), 1u);

  WriteFile("faq.csv", "a,b,c\n");
  auto failed = service_->ReloadDocument("acme", "global", "kb", "f", "");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  auto stored = service_->GetDocument("acme", "global", "kb", "f");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->latest_reload_status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(stored->latest_reload_status().message(), HasSubstr("row 1"));
  EXPECT_EQ(stored->faqs(0).question(), "Parking?");  // content kept
  EXPECT_EQ(Search({"kb"}, {"park"}, KnowledgeKind::kFaq).size(), 1u);

  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("raw", "text/csv", "q,a")).ok());
  EXPECT_EQ(service_->ReloadDocument("acme", "global", "kb", "raw", "").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(KnowledgeServiceTest, SearchesSeveralKnowledgeBasesByConfidence) {
  NewKb("a");
  NewKb("b");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "a", Raw("fa", "text/csv", "Card fees?,None.\n")).ok());
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "b",
                                       Raw("fb", "text/csv", "Lost card abroad?,Call us.\nCard fees abroad?,2%.\n"))
                  .ok());
  auto r = Search({"a", "b"}, {"I lost my card abroad"}, KnowledgeKind::kFaq, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].question, "Lost card abroad?");
  EXPECT_GE(r[0].confidence, r[1].confidence);
  auto missing = service_->Search("acme", {"a", "nope"}, {"card"}, 2, KnowledgeKind::kFaq);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope"));
  EXPECT_EQ(service_->Search("acme", {"a"}, {"card"}, 0, KnowledgeKind::kFaq).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Search("other", {"a"}, {"card"}, 1, KnowledgeKind::kFaq).status().code(),
            absl::StatusCode::kNotFound);  // tenants are apart
}

TEST_F(KnowledgeServiceTest, CachedIndexesStayWithinTheMemoryBound) {
  KnowledgeLimits limits;
  limits.max_index_bytes = 1;  // room for one index only
  service_ = MakeService(limits);
  NewKb("a");
  NewKb("b");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "a", Raw("fa", "text/csv", kFaqCsv)).ok());
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "b", Raw("fb", "text/csv", kFaqCsv)).ok());
  ASSERT_EQ(Search({"a"}, {"refund"}, KnowledgeKind::kFaq).size(), 1u);
  const size_t one = service_->CachedIndexBytes();
  ASSERT_EQ(Search({"b"}, {"refund"}, KnowledgeKind::kFaq).size(), 1u);
  EXPECT_LT(service_->CachedIndexBytes(), 2 * one);  // "a" was dropped
  ASSERT_EQ(Search({"a"}, {"refund"}, KnowledgeKind::kFaq).size(), 1u);  // and is rebuilt
}

// analyzeContent searches a conversation's last messages on its every call:
// the service remembers each message's terms, and its answers are those of a
// service that analyses every message afresh (same entries, confidences and
// order), while it analyses each message once.
TEST_F(KnowledgeServiceTest, RememberedMessageTermsGiveTheAnswersOfAFreshAnalysis) {
  NewKb("kb");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("faq1", "text/csv", kFaqCsv)).ok());
  ASSERT_TRUE(service_
                  ->CreateDocument("acme", "global", "kb",
                                   Raw("art", "text/plain",
                                       "Lost cards\n\nA lost card is blocked at once.\n\n"
                                       "A refund for a card payment takes a week.\n\n"
                                       "Reset your password in the settings."))
                  .ok());
  KnowledgeLimits fresh_limits;
  fresh_limits.max_message_term_bytes = 0;
  auto fresh = MakeService(fresh_limits);
  const std::vector<std::string> lines = {
      "hello", "my card has not arrived yet", "I lost it abroad, I think", "ok", "can I get a refund",
      "how long does a refund take", "ok", "and how do I reset my password", "thanks, bye"};
  std::vector<std::string> conversation;
  std::set<std::string> distinct;
  size_t found = 0;
  for (int i = 0; i < 40; ++i) {
    conversation.push_back(lines[i % lines.size()] + (i % 5 == 0 ? " " + std::to_string(i) : ""));
    distinct.insert(conversation.back());
    const std::vector<std::string> last(
        conversation.end() - std::min<ptrdiff_t>(20, static_cast<ptrdiff_t>(conversation.size())),
        conversation.end());
    for (KnowledgeKind kind : {KnowledgeKind::kFaq, KnowledgeKind::kArticle}) {
      auto a = service_->Search("acme", {"kb"}, last, 5, kind);
      auto b = fresh->Search("acme", {"kb"}, last, 5, kind);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a->size(), b->size()) << "message " << i;
      found += a->size();
      for (size_t j = 0; j < a->size(); ++j) {
        EXPECT_EQ((*a)[j].document_id, (*b)[j].document_id);
        EXPECT_EQ((*a)[j].faq_row, (*b)[j].faq_row);
        EXPECT_EQ((*a)[j].snippets, (*b)[j].snippets);
        EXPECT_EQ((*a)[j].confidence, (*b)[j].confidence);  // bit for bit
      }
    }
  }
  EXPECT_GT(found, 40u);
  EXPECT_EQ(service_->AnalysedQueryMessages(), distinct.size());
  EXPECT_GT(service_->CachedMessageTermBytes(), 0u);
  EXPECT_EQ(fresh->CachedMessageTermBytes(), 0u);
}

TEST_F(KnowledgeServiceTest, ConcurrentSearchesAndWrites) {
  NewKb("kb");
  ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw("f1", "text/csv", kFaqCsv)).ok());
  std::atomic<int> wrong{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto r = service_->Search("acme", {"kb"}, {"reset my password"}, 1, KnowledgeKind::kFaq);
        if (!r.ok() || r->empty() || (*r)[0].faq_row != 0 || (*r)[0].document_id != "f1") ++wrong;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    const std::string id = "x" + std::to_string(i);
    ASSERT_TRUE(service_->CreateDocument("acme", "global", "kb", Raw(id, "text/csv", "Card fees?,None.\n")).ok());
    if (i % 2 == 0) ASSERT_TRUE(service_->DeleteDocument("acme", "global", "kb", id).ok());
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
  auto list = service_->ListDocuments("acme", "global", "kb", 100, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 11u);
  // The ten x documents left, and f1's card question.
  EXPECT_EQ(Search({"kb"}, {"card fees"}, KnowledgeKind::kFaq, 20).size(), 11u);
}

}  // namespace
}  // namespace parley::service
