// VirtualAgentService over the real SQLite store: detection (one intent,
// out of scope, fallback), FAQ answers, span attributes as JSON, and session
// turns — concurrent first turns of one session both recorded, in order, and
// a refused turn storing nothing.
#include "service/virtual_agent_service.h"

#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/page_token.h"
#include "core/time_format.h"
#include "gtest/gtest.h"
#include "service/conversation_service.h"
#include "service/message_service.h"
#include "service/resource_service.h"
#include "store/store.h"

namespace parley::service {
namespace {

class VirtualAgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley-agent-" + core::NewId());
    auto s = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    resources_ = std::make_unique<ResourceService>(store_.get());
    knowledge_ = std::make_unique<KnowledgeService>(resources_.get(), core::BlobOptions{});
    conversations_ = std::make_unique<ConversationService>(store_.get(), core::PageTokenCodec(std::string(32, 'k')));
    messages_ = std::make_unique<MessageService>(conversations_.get());
    agent_ = std::make_unique<VirtualAgentService>(resources_.get(), knowledge_.get(), conversations_.get(),
                                                   messages_.get());
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  void AddIntent(const std::string& id, const std::string& name, std::vector<std::string> phrases,
                 const std::string& reply, bool fallback = false) {
    core::AgentIntent intent;
    intent.set_display_name(name);
    intent.set_is_fallback(fallback);
    for (const std::string& p : phrases) intent.add_training_phrases()->add_parts()->set_text(p);
    intent.add_responses()->mutable_texts()->add_text(reply);
    ASSERT_TRUE(resources_->Create({"t1", kAgentIntentKind, "us", id}, core::NowMicros(), intent).ok());
  }
  core::Conversation Session(const std::string& id) {
    core::Conversation c;
    c.set_tenant("t1");
    c.set_scope("us");
    c.set_id(id);
    c.set_app("shop");
    c.set_source(core::SIMULATOR);
    return c;
  }
  core::Message Said(const std::string& text) {
    core::Message m;
    m.set_text(text);
    m.add_chunks()->set_text(text);
    return m;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ResourceService> resources_;
  std::unique_ptr<KnowledgeService> knowledge_;
  std::unique_ptr<ConversationService> conversations_;
  std::unique_ptr<MessageService> messages_;
  std::unique_ptr<VirtualAgentService> agent_;
};

TEST_F(VirtualAgentServiceTest, OneIntentMatchesAndTheRestFallsBack) {
  AddIntent("hours", "opening \"hours\"", {"when do you open", "what are your opening hours"}, "9 to 5");
  AddIntent("fb", "fallback", {}, "Sorry?", true);
  auto hit = agent_->Reply("t1", "us", "are you open on sunday", {});
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->intent_id, "hours");
  EXPECT_EQ(hit->text, "9 to 5");
  EXPECT_GT(hit->confidence, 0.3f);
  // The display name's quotes are escaped in the span attributes.
  ASSERT_FALSE(hit->steps.empty());
  EXPECT_EQ(hit->steps[0].name, "intent_detection");
  EXPECT_NE(hit->steps[0].attributes_json.find(R"("intent":"opening \"hours\"")"), std::string::npos)
      << hit->steps[0].attributes_json;
  EXPECT_LE(hit->steps[0].start_us, hit->steps[0].end_us);

  auto miss = agent_->Reply("t1", "us", "book me a flight to rome", {});
  ASSERT_TRUE(miss.ok()) << miss.status();
  EXPECT_EQ(miss->intent_id, "fb");
  EXPECT_EQ(miss->text, "Sorry?");
}

TEST_F(VirtualAgentServiceTest, ConcurrentFirstTurnsOfOneSessionAreBothRecorded) {
  AddIntent("a", "track", {"where is my order", "track my parcel"}, "On its way.");
  AddIntent("b", "refund", {"I want my money back", "refund please"}, "Refund started.");
  constexpr int kThreads = 4;
  std::vector<int> indices(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto turn = agent_->RunSessionTurn(Session("s1"), Said("where is my parcel"), {}, nullptr);
      ASSERT_TRUE(turn.ok()) << turn.status();
      indices[i] = turn->turn_index;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<int>(indices.begin(), indices.end()), (std::set<int>{1, 2, 3, 4}));
  auto stored = conversations_->Get("t1", "us", "s1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->turns_size(), kThreads);
  EXPECT_EQ(stored->messages_size(), 2 * kThreads);
  for (const core::Turn& t : stored->turns()) {
    ASSERT_EQ(t.message_indices_size(), 2);
    EXPECT_EQ(stored->messages(t.message_indices(0)).role(), core::END_USER);
    EXPECT_EQ(stored->messages(t.message_indices(1)).role(), core::AUTOMATED_AGENT);
    EXPECT_EQ(stored->messages(t.message_indices(1)).text(), "On its way.");
    EXPECT_EQ(t.root_span().name(), "turn");
    EXPECT_EQ(t.root_span().children(0).name(), "intent_detection");
  }
}

TEST_F(VirtualAgentServiceTest, ARefusedTurnStoresNothing) {
  AddIntent("a", "track", {"where is my order", "track my parcel"}, "On its way.");
  ASSERT_TRUE(agent_->RunSessionTurn(Session("s2"), Said("where is my order"), {}, nullptr).ok());
  auto refused = agent_->RunSessionTurn(Session("s2"), Said("track my parcel"), {},
                                        [](const core::Conversation&) { return absl::InvalidArgumentError("no"); });
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  auto stored = conversations_->Get("t1", "us", "s2");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->turns_size(), 1);
  EXPECT_EQ(stored->messages_size(), 2);
}

}  // namespace
}  // namespace parley::service
