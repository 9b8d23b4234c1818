// AnalysisService: sampling, annotator selection, resumed bulk analysis.
#include "service/analysis_service.h"

#include <stdlib.h>
#include <time.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/condition_proto.h"
#include "jobs/job_queue.h"
#include "store/store.h"

#include "gtest/gtest.h"

namespace parley::service {
namespace {

TEST(InSampleTest, IsStableAndNearTheAskedPercentage) {
  int in = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string id = "conv-" + std::to_string(i);
    bool a = InSample(id, 25);
    EXPECT_EQ(a, InSample(id, 25));  // stable
    if (a) {
      ++in;
      EXPECT_TRUE(InSample(id, 50));  // a larger sample contains a smaller one
    }
  }
  EXPECT_NEAR(in / 20000.0, 0.25, 0.02);
  EXPECT_TRUE(InSample("x", 100));
  EXPECT_FALSE(InSample("x", 0));
}

core::AnalysisResult FullResult() {
  core::AnalysisResult r;
  r.add_message_sentiments()->set_message_index(0);
  r.add_channel_sentiments()->set_channel(1);
  r.mutable_overall_sentiment()->set_score(0.5f);
  r.add_entities()->set_id("e1");
  r.add_intents()->set_intent_id("i1");
  r.add_pii()->set_info_type("EMAIL_ADDRESS");
  r.add_phrase_matches()->set_matcher_id("m1");
  r.add_phrase_matches()->set_matcher_id("m2");
  r.add_silences()->set_duration_us(6'000'000);
  r.set_silence_duration_us(6'000'000);
  r.add_interruptions()->set_duration_us(1);
  r.add_holds()->set_duration_us(1);
  r.set_summary("s");
  r.add_topics()->set_text("refund");
  return r;
}

TEST(TextSentimentTest, ScoresOneText) {
  const core::Sentiment angry = AnalysisService::TextSentiment("I am really angry, this is terrible.");
  EXPECT_LT(angry.score(), 0);
  EXPECT_GT(angry.magnitude(), 0);
  const core::Sentiment glad = AnalysisService::TextSentiment("Great, thank you so much!");
  EXPECT_GT(glad.score(), 0);
  const core::Sentiment none = AnalysisService::TextSentiment("");
  EXPECT_EQ(none.score(), 0);
  EXPECT_EQ(none.magnitude(), 0);
}

TEST(SummarizeTest, SummarisesIssueAndResolutionWithoutStoring) {
  core::Conversation c;
  auto* user = c.add_participants();
  user->set_id("u");
  user->set_role(core::END_USER);
  auto* agent = c.add_participants();
  agent->set_id("a");
  agent->set_role(core::HUMAN_AGENT);
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"u", "Hello, I was charged twice for my internet bill this month."},
      {"a", "I am sorry about that. Let me look at your account."},
      {"u", "The second charge of 49 dollars appeared on May 2."},
      {"a", "I have refunded the duplicate charge of 49 dollars, you will receive it within five days."},
      {"u", "Great, thank you so much."}};
  for (const auto& [who, text] : lines) {
    auto* m = c.add_messages();
    m->set_participant_id(who);
    m->set_text(text);
  }
  const core::AnalysisResult r = AnalysisService::Summarize(c);
  EXPECT_NE(r.summary().find("charged twice"), std::string::npos) << r.summary();
  EXPECT_NE(r.summary().find("refunded"), std::string::npos) << r.summary();
  bool situation = false, resolution = false;
  for (const core::SummarySentence& s : r.summary_sentences()) {
    situation |= s.section() == core::SUMMARY_SITUATION;
    resolution |= s.section() == core::SUMMARY_RESOLUTION;
  }
  EXPECT_TRUE(situation);
  EXPECT_TRUE(resolution);
  EXPECT_TRUE(AnalysisService::Summarize(core::Conversation()).summary().empty());
}

TEST(ApplySelectionTest, AllKeepsEverything) {
  core::AnalyzerSelection all;
  all.set_all(true);
  core::AnalysisResult r = FullResult();
  ApplySelection(all, &r);
  EXPECT_EQ(r.SerializeAsString(), FullResult().SerializeAsString());
}

TEST(ApplySelectionTest, KeepsOnlyTheSelectedAnalyzers) {
  core::AnalyzerSelection s;
  s.set_sentiment(true);
  s.set_phrase_matchers(true);
  s.add_phrase_matcher_ids("m2");
  core::AnalysisResult r = FullResult();
  ApplySelection(s, &r);
  EXPECT_EQ(r.message_sentiments_size(), 1);
  EXPECT_EQ(r.channel_sentiments_size(), 1);
  EXPECT_EQ(r.entities_size(), 0);
  EXPECT_EQ(r.intents_size(), 0);
  EXPECT_EQ(r.pii_size(), 0);
  ASSERT_EQ(r.phrase_matches_size(), 1);
  EXPECT_EQ(r.phrase_matches(0).matcher_id(), "m2");
  EXPECT_EQ(r.silences_size(), 0);
  EXPECT_EQ(r.silence_duration_us(), 0);
  EXPECT_EQ(r.interruptions_size(), 0);
  EXPECT_EQ(r.summary(), "");
  EXPECT_EQ(r.topics_size(), 0);
}

}  // namespace
}  // namespace parley::service

namespace parley::service {
namespace {

// A bulk analysis resumed after a restart starts after the position stored
// with the last analysis it made, so no conversation is analysed twice; and
// conversations created after the operation are not part of it.
class BulkAnalyzeResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "parley_bulk_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = store::OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<ConversationService>(
        store_.get(), core::PageTokenCodec(std::string(32, 'k')));
    analysis_ = std::make_unique<AnalysisService>(store_.get(), conversations_.get());
  }
  void TearDown() override {
    analysis_.reset();
    conversations_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  core::Conversation Add(const std::string& id) {
    core::Conversation c;
    c.set_tenant("t1");
    c.set_scope("us");
    c.set_id(id);
    c.set_medium(core::CHAT);
    c.add_messages()->set_text("my card was charged twice, please refund it");
    auto created = conversations_->Create(std::move(c));
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : core::Conversation();
  }

  int Analyses(const std::string& id) {
    auto page = store_->ListAnalyses("t1", "us", id, 100, std::nullopt);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? static_cast<int>(page->analyses.size()) : -1;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> conversations_;
  std::unique_ptr<AnalysisService> analysis_;
};

// A list page may end early (a dialect's response-size cap): the next page
// token continues with the first analysis left out, none skipped or repeated.
TEST_F(BulkAnalyzeResumeTest, AListPageEndsWhereTakeStopsAndTheTokenContinuesThere) {
  Add("c1");
  for (int i = 1; i <= 5; ++i) {
    core::Analysis a;
    a.set_tenant("t1");
    a.set_scope("us");
    a.set_conversation_id("c1");
    a.set_id("a" + std::to_string(i));
    a.set_create_time_us(1000 * i);
    ASSERT_TRUE(store_->PutAnalysis(a).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    int taken = 0;
    auto page = analysis_->ListAnalyses("t1", "us", "c1", 100, token,
                                        [&](const core::Analysis&) { return ++taken <= 2; });
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->analyses.size(), 2u);
    for (const core::Analysis& a : page->analyses) seen.push_back(a.id());
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a5", "a4", "a3", "a2", "a1"}));
  EXPECT_EQ(pages, 3);
  // A take that refuses everything still gets the first one.
  auto one = analysis_->ListAnalyses("t1", "us", "c1", 100, "",
                                     [](const core::Analysis&) { return false; });
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->analyses.size(), 1u);
  EXPECT_EQ(one->analyses[0].id(), "a5");
  EXPECT_FALSE(one->next_page_token.empty());
}

TEST_F(BulkAnalyzeResumeTest, StartsAfterTheStoredPositionAndSkipsLaterConversations) {
  std::vector<core::Conversation> made;
  for (int i = 1; i <= 5; ++i) made.push_back(Add("conv-" + std::to_string(i)));
  // An operation that had handled conv-1 and conv-2 when the server stopped.
  core::Operation op;
  op.set_tenant("t1");
  op.set_location("us");
  op.set_create_time_us(made.back().create_time_us());
  core::BulkAnalyzeJob* job = op.mutable_bulk_analyze();
  job->set_percentage(100);
  job->mutable_selection()->set_sentiment(true);
  job->mutable_selector()->set_location("us");
  job->set_resume(true);
  job->set_resume_after_create_time_us(made[1].create_time_us());
  job->set_resume_after_id(made[1].id());
  op.set_total(5);
  op.set_succeeded(2);
  Add("conv-6");  // created after the operation: not part of it

  jobs::JobQueue queue(store_.get(), 1);
  analysis_->RegisterRunners(&queue);
  ASSERT_TRUE(queue.Start().ok());
  auto submitted = queue.Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  absl::StatusOr<core::Operation> done;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    done = store_->GetOperation("t1", submitted->id());
    ASSERT_TRUE(done.ok()) << done.status();
  } while (done->state() != core::OPERATION_SUCCEEDED && done->state() != core::OPERATION_FAILED &&
           std::chrono::steady_clock::now() < deadline);
  queue.Shutdown();
  ASSERT_EQ(done->state(), core::OPERATION_SUCCEEDED);
  EXPECT_EQ(done->succeeded(), 5);  // 2 before the restart, 3 after
  EXPECT_EQ(done->total(), 5);
  EXPECT_EQ(Analyses("conv-1"), 0);
  EXPECT_EQ(Analyses("conv-2"), 0);
  EXPECT_EQ(Analyses("conv-3"), 1);
  EXPECT_EQ(Analyses("conv-4"), 1);
  EXPECT_EQ(Analyses("conv-5"), 1);
  EXPECT_EQ(Analyses("conv-6"), 0);
  // The stored position is the last conversation handled.
  EXPECT_EQ(done->bulk_analyze().resume_after_id(), "conv-5");
}

}  // namespace
}  // namespace parley::service

namespace parley::service {
namespace {

// Issue 9 #11: an analysis gets a time budget; past it the analysis stops
// with DEADLINE_EXCEEDED and gives nothing back.
class AnalysisBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "parley_budget_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = store::OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<ConversationService>(
        store_.get(), core::PageTokenCodec(std::string(32, 'k')));
  }
  void TearDown() override {
    conversations_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // The probe's input: 63 segments of 64 KiB of "1 1 1 ...".
  static core::Conversation Probe() {
    std::string text;
    while (text.size() + 2 <= 64 * 1024) text += "1 ";
    core::Conversation c;
    c.set_tenant("t1");
    c.set_scope("us");
    c.set_id("probe");
    for (int i = 0; i < 63; ++i) c.add_messages()->set_text(text);
    return c;
  }

  static core::AnalyzerSelection All() {
    core::AnalyzerSelection all;
    all.set_all(true);
    return all;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> conversations_;
};

TEST_F(AnalysisBudgetTest, ATinyBudgetStopsTheAnalysis) {
  AnalysisLimits limits;
  limits.time_budget_ms = 1;
  AnalysisService analysis(store_.get(), conversations_.get(), limits);
  const auto start = std::chrono::steady_clock::now();
  auto a = analysis.Analyze(Probe(), All(), 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kDeadlineExceeded) << a.status();
  EXPECT_NE(a.status().message().find("--analysis-time-budget-ms"), std::string::npos) << a.status();
  // It stopped within a message or so of the budget, not after the whole run
  // (which takes about a second here).
  EXPECT_LT(seconds, 0.5);
}

TEST_F(AnalysisBudgetTest, TheProbeFitsWellInTheDefaultBudget) {
  AnalysisService analysis(store_.get(), conversations_.get());
  EXPECT_EQ(AnalysisLimits().time_budget_ms, 30'000);
  // CPU time of this thread: other work on a busy machine does not count.
  auto cpu_seconds = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
  };
  const double start = cpu_seconds();
  auto a = analysis.Analyze(Probe(), All(), 0);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_GT(a->result().entities_size(), 0);
  EXPECT_LT(cpu_seconds() - start, 5.0);  // was 48.7 s; about 2 s now
}

TEST_F(AnalysisBudgetTest, NoBudgetWhenZero) {
  AnalysisLimits limits;
  limits.time_budget_ms = 0;
  AnalysisService analysis(store_.get(), conversations_.get(), limits);
  core::Conversation c = Probe();
  c.mutable_messages()->DeleteSubrange(1, c.messages_size() - 1);
  auto a = analysis.Analyze(c, All(), 0);
  EXPECT_TRUE(a.ok()) << a.status();
}

}  // namespace
}  // namespace parley::service

namespace parley::service {
namespace {

// Issue 9 #7: the filter of bulk work (bulkAnalyze, bulkDelete, export) is
// bounded like a list's: each page of the scan has the store's step budget,
// so a costly filter fails its operation (FAILED_PRECONDITION, nothing done)
// on a worker instead of scanning on; and the scan stops between pages when
// the operation is cancelled.
class BulkSelectionTest : public ::testing::Test {
 protected:
  void Open(int64_t max_steps) {
    std::string tmpl = ::testing::TempDir() + "parley_bulksel_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store::StoreOptions options;
    options.list_query_max_steps = max_steps;
    auto store = store::OpenSqliteStore(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<ConversationService>(
        store_.get(), core::PageTokenCodec(std::string(32, 'k')));
    analysis_ = std::make_unique<AnalysisService>(store_.get(), conversations_.get());
    for (int i = 0; i < 300; ++i) {
      core::Conversation c;
      c.set_tenant("t1");
      c.set_scope("us");
      c.set_id("conv-" + std::to_string(i));
      (*c.mutable_labels())["queue"] = "q" + std::to_string(i % 7);
      c.add_messages()->set_text("hello");
      ASSERT_TRUE(conversations_->Create(std::move(c)).ok());
    }
  }
  void TearDown() override {
    analysis_.reset();
    conversations_.reset();
    if (store_) store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // labels.queue = "value-0" OR ... OR labels.queue = "q3": no index answers it.
  static core::ConversationSelector Costly() {
    core::Condition any;
    any.kind = core::Condition::Kind::kOr;
    for (int k = 0; k < 60; ++k) {
      core::Condition c;
      c.column = core::ConversationColumn::kLabel;
      c.label_key = "queue";
      c.string_value = k == 59 ? "q3" : "value-" + std::to_string(k);
      any.children.push_back(std::move(c));
    }
    core::ConversationSelector selector;
    selector.set_location("us");
    *selector.mutable_condition() = core::ConditionToProto(any);
    return selector;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> conversations_;
  std::unique_ptr<AnalysisService> analysis_;
};

TEST_F(BulkSelectionTest, ACostlyFilterFailsTheBulkDeleteAndDeletesNothing) {
  Open(/*max_steps=*/2000);
  core::Operation op;
  op.set_tenant("t1");
  op.set_location("us");
  *op.mutable_bulk_delete()->mutable_selector() = Costly();
  op.mutable_bulk_delete()->set_force(true);
  jobs::JobQueue queue(store_.get(), 1);
  analysis_->RegisterRunners(&queue);
  ASSERT_TRUE(queue.Start().ok());
  auto submitted = queue.Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  absl::StatusOr<core::Operation> done;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    done = store_->GetOperation("t1", submitted->id());
    ASSERT_TRUE(done.ok()) << done.status();
  } while (done->state() != core::OPERATION_SUCCEEDED && done->state() != core::OPERATION_FAILED &&
           std::chrono::steady_clock::now() < deadline);
  queue.Shutdown();
  ASSERT_EQ(done->state(), core::OPERATION_FAILED);
  EXPECT_EQ(done->error().code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(conversations_->Get("t1", "us", "conv-3").ok());  // nothing deleted
}

TEST_F(BulkSelectionTest, TheDefaultBudgetLetsTheSameFilterThrough) {
  Open(store::kDefaultListQueryMaxSteps);
  auto keys = analysis_->SelectConversations("t1", Costly());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 43u);  // i % 7 == 3 for i < 300
}

TEST_F(BulkSelectionTest, TheScanStopsBetweenPagesWhenTheOperationStops) {
  Open(store::kDefaultListQueryMaxSteps);
  int asked = 0;
  auto keys = analysis_->SelectConversations("t1", Costly(), [&] { return ++asked > 0; });
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kCancelled) << keys.status();
  EXPECT_EQ(asked, 1);
}

}  // namespace
}  // namespace parley::service
