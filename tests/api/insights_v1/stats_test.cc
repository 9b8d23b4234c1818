// conversations:calculateStats on conversations and analyses put straight into
// a store: phrase matcher counts (which the API cases cannot set up without
// phrase matcher routes) and the time series' intervals.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "api/http/router.h"
#include "api/insights_v1/routes.h"
#include "api/protojson/protojson.h"
#include "insights_v1/insights.pb.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace parley::insights_v1 {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = int64_t{86400} * 1'000'000;
constexpr int64_t kT0 = int64_t{1714521600} * 1'000'000;  // 2024-05-01T00:00:00Z

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-stats-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<service::ConversationService>(
        store_.get(), core::PageTokenCodec(std::string(32, 'k')));
    analysis_ = std::make_unique<service::AnalysisService>(store_.get(), conversations_.get());
    Services services;
    services.conversations = conversations_.get();
    services.analysis = analysis_.get();
    AddStatsRoutes(services, &router_);
  }
  void TearDown() override {
    analysis_.reset();
    conversations_.reset();
    store_->Close();
    fs::remove_all(dir_);
  }

  void Add(const std::string& id, int64_t create_us, std::vector<std::string> matches = {}) {
    core::Conversation c;
    c.set_tenant("p1");
    c.set_scope("us");
    c.set_id(id);
    c.set_create_time_us(create_us);
    c.set_update_time_us(create_us);
    c.set_duration_us(10'000'000);
    c.set_turn_count(4);
    ASSERT_TRUE(store_->CreateConversation(c).ok());
    if (matches.empty()) return;
    core::Analysis a;
    a.set_tenant("p1");
    a.set_scope("us");
    a.set_conversation_id(id);
    a.set_id("a-" + id);
    a.set_create_time_us(create_us + 1);
    for (const std::string& m : matches) {
      core::PhraseMatch* pm = a.mutable_result()->add_phrase_matches();
      pm->set_matcher_id(m);
      pm->set_display_name("matcher " + m);
    }
    ASSERT_TRUE(store_->PutAnalysis(a).ok());
  }

  std::string Get(const std::string& query = "") {
    http::Request req;
    req.method = http::Method::kGet;
    req.path = "/v1/projects/p1/locations/us/conversations:calculateStats";
    if (!query.empty()) req.query.emplace_back("filter", query);
    auto found = router_.Find(http::Method::kGet, req.path);
    EXPECT_TRUE(found.matched());
    return (*found.handler)(req, found.params).body;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::ConversationService> conversations_;
  std::unique_ptr<service::AnalysisService> analysis_;
  http::Router router_;
};

TEST_F(StatsTest, CountsConversationsPerPhraseMatcherOncePerConversation) {
  Add("c-0001", kT0, {"refund", "refund", "greeting"});
  Add("c-0002", kT0 + 1000, {"refund"});
  Add("c-0003", kT0 + 2000);
  CalculateStatsResponse got;
  ASSERT_TRUE(protojson::Parse(Get(), &got).ok());
  EXPECT_EQ(got.conversation_count(), 3);
  EXPECT_EQ(got.average_duration().seconds(), 10);
  EXPECT_EQ(got.average_turn_count(), 4);
  // Map order is not defined: compare the entries.
  std::map<std::string, int32_t> matches(got.custom_highlighter_matches().begin(),
                                         got.custom_highlighter_matches().end());
  EXPECT_EQ(matches, (std::map<std::string, int32_t>{
                         {"projects/p1/locations/us/phraseMatchers/greeting", 1},
                         {"projects/p1/locations/us/phraseMatchers/refund", 2}}));
  EXPECT_TRUE(got.smart_highlighter_matches().empty());
  ASSERT_EQ(got.conversation_count_time_series().points_size(), 1);
  EXPECT_EQ(got.conversation_count_time_series().points(0).start_time().seconds(), kT0 / 1'000'000);
  EXPECT_EQ(got.conversation_count_time_series().points(0).conversation_count(), 3);
}

// Two days or more: one point a day, empty days included.
TEST_F(StatsTest, DailyPointsIncludeEmptyDays) {
  Add("c-0001", kT0 + 5 * 3600'000'000LL);
  Add("c-0002", kT0 + 3 * kDay + 1);
  Add("c-0003", kT0 + 3 * kDay + 2);
  EXPECT_EQ(Get(),
            "{\"averageDuration\":\"10s\",\"averageTurnCount\":4,\"conversationCount\":3,"
            "\"conversationCountTimeSeries\":{\"intervalDuration\":\"86400s\",\"points\":["
            "{\"startTime\":\"2024-05-01T00:00:00Z\",\"conversationCount\":1},"
            "{\"startTime\":\"2024-05-02T00:00:00Z\"},"
            "{\"startTime\":\"2024-05-03T00:00:00Z\"},"
            "{\"startTime\":\"2024-05-04T00:00:00Z\",\"conversationCount\":2}]}}");
}

TEST_F(StatsTest, WeeklyPointsBeyondHalfAYear) {
  Add("c-0001", kT0);
  Add("c-0002", kT0 + 200 * kDay);
  std::string body = Get();
  EXPECT_NE(body.find("\"intervalDuration\":\"604800s\""), std::string::npos) << body;
}

TEST_F(StatsTest, PagesThroughMoreThanOnePage) {
  for (int i = 0; i < 1200; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "c-%05d", i);
    Add(id, kT0 + i, i % 10 == 0 ? std::vector<std::string>{"m"} : std::vector<std::string>{});
  }
  std::string body = Get();
  EXPECT_NE(body.find("\"conversationCount\":1200"), std::string::npos) << body;
  EXPECT_NE(body.find("\"projects/p1/locations/us/phraseMatchers/m\":120"), std::string::npos) << body;
}

}  // namespace
}  // namespace parley::insights_v1
