// ConversationService over the real SQLite store: ids, limits, derived fields,
// update rules, delete with analyses, paging with signed tokens.
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

#include "service/conversation_service.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "core/transcript.h"
#include "google/protobuf/io/coded_stream.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace parley::service {
// The test reads like the core model it checks.
using namespace core;  // NOLINT(build/namespaces)
namespace {

class ConversationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley-svc-" + NewId());
    auto s = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    service_ = std::make_unique<ConversationService>(store_.get(), PageTokenCodec(std::string(32, 'k')));
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  Conversation New(const std::string& id = "") {
    Conversation c;
    c.set_tenant("t1");
    c.set_scope("us");
    c.set_id(id);
    return c;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> service_;
};

TEST_F(ConversationServiceTest, CreateAssignsIdTimesAndDerivedFields) {
  Conversation c = New();
  c.set_start_time_us(1'000'000);
  for (const char* who : {"a", "a", "b"}) {
    Message* m = c.add_messages();
    m->set_participant_id(who);
    m->set_time_us(c.messages_size() * 10'000'000);
  }
  auto stored = service_->Create(c);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->id().size(), 19u);
  EXPECT_GT(stored->create_time_us(), 0);
  EXPECT_EQ(stored->create_time_us(), stored->update_time_us());
  EXPECT_EQ(stored->turn_count(), 2);
  EXPECT_EQ(stored->duration_us(), 29'000'000);
  auto got = service_->Get("t1", "us", stored->id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->turn_count(), 2);
}

TEST_F(ConversationServiceTest, CreateRefusesBadIdsDuplicatesAndBrokenLimits) {
  // The core id rule (ADR 0010); dialects check their own on top.
  EXPECT_EQ(service_->Create(New("_Bad")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Create(New("bad/id")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Create(New(std::string(129, 'a'))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_->Create(New("Order_42")).ok());
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  EXPECT_EQ(service_->Create(New("conv-1")).status().code(), absl::StatusCode::kAlreadyExists);

  Conversation many = New("labels-21");
  for (int i = 0; i < 21; ++i) (*many.mutable_labels())["k" + std::to_string(i)] = "v";
  EXPECT_EQ(service_->Create(many).status().code(), absl::StatusCode::kInvalidArgument);
  Conversation long_key = New("long-key");
  (*long_key.mutable_labels())[std::string(257, 'k')] = "v";
  EXPECT_EQ(service_->Create(long_key).status().code(), absl::StatusCode::kInvalidArgument);
  Conversation long_value = New("long-value");
  (*long_value.mutable_labels())["k"] = std::string(257, 'v');
  EXPECT_EQ(service_->Create(long_value).status().code(), absl::StatusCode::kInvalidArgument);
  Conversation ok = New("edge-ok");
  for (int i = 0; i < 20; ++i) (*ok.mutable_labels())[std::string(255, 'a') + char('a' + i)] = std::string(256, 'v');
  EXPECT_TRUE(service_->Create(ok).ok());
  // Nothing refused was stored.
  EXPECT_EQ(service_->Get("t1", "us", "labels-21").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Get("t1", "us", "long-key").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, GetTakesTheWholeKey) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  EXPECT_TRUE(service_->Get("t1", "us", "conv-1").ok());
  // No "any scope" read: the scope is part of the key.
  EXPECT_EQ(service_->Get("t1", "", "conv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Get("t1", "eu", "conv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Get("t2", "us", "conv-1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, TheSameIdInTwoScopesIsTwoConversations) {
  Conversation eu = New("conv-1");
  eu.set_scope("eu");
  eu.set_language_code("de-DE");
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  ASSERT_TRUE(service_->Create(eu).ok());
  EXPECT_EQ(service_->Create(eu).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(service_->Get("t1", "eu", "conv-1")->language_code(), "de-DE");
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->language_code(), "");
  ASSERT_TRUE(service_->Delete("t1", "us", "conv-1", false).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(service_->Get("t1", "eu", "conv-1").ok());
}

TEST_F(ConversationServiceTest, CreateWithAnOperationStoresBothOrNeither) {
  core::Operation op;
  op.set_tenant("t1");
  op.set_location("us");
  op.set_id("op-1");
  op.set_state(core::OPERATION_SUCCEEDED);
  op.mutable_upload()->set_conversation_id("conv-1");
  ASSERT_TRUE(service_->Create(New("conv-1"), &op).ok());
  EXPECT_TRUE(store_->GetOperation("t1", "op-1").ok());
  // A duplicate conversation: the operation is not stored.
  op.set_id("op-2");
  EXPECT_EQ(service_->Create(New("conv-1"), &op).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetOperation("t1", "op-2").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, UpdateKeepsImmutablesAndAdvancesUpdateTime) {
  Conversation c = New("conv-1");
  c.set_medium(CHAT);
  auto created = service_->Create(c);
  ASSERT_TRUE(created.ok());
  auto updated = service_->Update("t1", "us", "conv-1", [](Conversation& x) {
    x.add_agent_ids("agent-2");
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->agent_ids(0), "agent-2");
  EXPECT_GT(updated->update_time_us(), created->update_time_us());
  EXPECT_EQ(updated->create_time_us(), created->create_time_us());

  auto medium = service_->Update("t1", "us", "conv-1", [](Conversation& x) {
    x.set_medium(PHONE_CALL);
    return absl::OkStatus();
  });
  EXPECT_EQ(medium.status().code(), absl::StatusCode::kInvalidArgument);
  auto rename = service_->Update("t1", "us", "conv-1", [](Conversation& x) {
    x.set_id("other");
    return absl::OkStatus();
  });
  EXPECT_EQ(rename.status().code(), absl::StatusCode::kInvalidArgument);
  auto refused = service_->Update("t1", "us", "conv-1", [](Conversation&) {
    return absl::InvalidArgumentError("no");
  });
  EXPECT_EQ(refused.status().message(), "no");
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->agent_ids(0), "agent-2");
  EXPECT_EQ(service_->Update("t1", "us", "missing", [](Conversation&) { return absl::OkStatus(); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, UpdateFromASnapshotRereadsWhenItIsStale) {
  // Snapshots matter without live conversations kept (a store shared with
  // other processes, like PostgreSQL): a service that keeps none.
  service_ = std::make_unique<ConversationService>(store_.get(), PageTokenCodec(std::string(32, 'k')),
                                                   ConversationLimits{}, 0);
  ASSERT_FALSE(service_->keeps_live());
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  auto snapshot = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(snapshot.ok());
  // A fresh snapshot: one attempt, starting from it.
  int calls = 0;
  auto first = service_->Update(
      "t1", "us", "conv-1",
      [&](Conversation& x) {
        ++calls;
        x.add_agent_ids("a1");
        return absl::OkStatus();
      },
      store::ScrubUpdate{}, &*snapshot);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(calls, 1);
  // The same snapshot is now stale: the store refuses the write and the
  // next attempt reads the stored conversation, so "a1" is not lost.
  calls = 0;
  auto second = service_->Update(
      "t1", "us", "conv-1",
      [&](Conversation& x) {
        ++calls;
        x.add_agent_ids("a2");
        return absl::OkStatus();
      },
      store::ScrubUpdate{}, &*snapshot);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(calls, 2);
  auto got = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->agent_ids_size(), 2);
  EXPECT_EQ(got->agent_ids(0), "a1");
  EXPECT_EQ(got->agent_ids(1), "a2");
  // A snapshot of another conversation is refused, nothing written.
  ASSERT_TRUE(service_->Create(New("conv-2")).ok());
  auto other = service_->Update(
      "t1", "us", "conv-2", [](Conversation& x) { x.add_agent_ids("x"); return absl::OkStatus(); },
      store::ScrubUpdate{}, &*got);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Get("t1", "us", "conv-2")->agent_ids_size(), 0);
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->agent_ids_size(), 2);
}

// Live conversations (ADR 0037): the service keeps what it wrote, parsed,
// and changes it in place; every other writer's change is seen.
absl::Status AddAgent(Conversation& x, const std::string& agent) {
  x.add_agent_ids(agent);
  return absl::OkStatus();
}

TEST_F(ConversationServiceTest, LiveConversationIsKeptAndServedAfterItsOwnWrites) {
  ASSERT_TRUE(service_->keeps_live());  // SQLite: one process sees every write
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [&](Conversation& x) {
                  return AddAgent(x, "a" + std::to_string(i));
                }).ok());
  }
  const LiveConversations::Stats after_writes = service_->live_stats();
  EXPECT_EQ(after_writes.entries, 1);
  EXPECT_EQ(after_writes.loads, 1);  // read once, then written in place
  EXPECT_GE(after_writes.hits, 4);
  auto got = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->agent_ids_size(), 5);
  EXPECT_EQ(service_->live_stats().hits, after_writes.hits + 1);
  // What is served is what is stored.
  auto stored = store_->GetConversation("t1", "us", "conv-1", 0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->SerializeAsString(), got->SerializeAsString());
}

TEST_F(ConversationServiceTest, LiveConversationSeesWritesThatBypassIt) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a1"); }).ok());
  // Another service over the same store (its own cache), then the store
  // itself: the first service's kept copy must not be served after either.
  ConversationService other(store_.get(), PageTokenCodec(std::string(32, 'k')));
  ASSERT_TRUE(other.Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "b1"); }).ok());
  auto got = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->agent_ids_size(), 2);
  EXPECT_EQ(got->agent_ids(1), "b1");
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a2"); }).ok());
  Conversation direct = *store_->GetConversation("t1", "us", "conv-1", 0);
  const int64_t was = direct.update_time_us();
  direct.set_update_time_us(was + 1);
  direct.add_agent_ids("c1");
  ASSERT_TRUE(store_->UpdateConversation(direct, was).ok());
  got = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->agent_ids_size(), 4);
  EXPECT_EQ(got->agent_ids(3), "c1");
  // An analysis stored sets latest_analysis_id (no update time change).
  Analysis a;
  a.set_tenant("t1");
  a.set_scope("us");
  a.set_conversation_id("conv-1");
  a.set_id("an-1");
  a.set_create_time_us(NowMicros());
  ASSERT_TRUE(store_->PutAnalysis(a, nullptr).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->latest_analysis_id(), "an-1");
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a3"); }).ok());
  got = service_->Get("t1", "us", "conv-1");
  EXPECT_EQ(got->latest_analysis_id(), "an-1");
  EXPECT_EQ(got->agent_ids_size(), 5);
  // A delete, then a new conversation under the same key.
  ASSERT_TRUE(service_->Delete("t1", "us", "conv-1", true).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->agent_ids_size(), 0);
}

TEST_F(ConversationServiceTest, LiveConversationChangeThatFailsStoresAndKeepsNothing) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a1"); }).ok());
  // The change is made in place on the kept conversation, then refused:
  // by the mutation itself, by an immutable field, by a limit.
  EXPECT_EQ(service_->Change("t1", "us", "conv-1",
                             [](Conversation& x) {
                               x.add_agent_ids("lost");
                               return absl::FailedPreconditionError("no");
                             })
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->Change("t1", "us", "conv-1",
                             [](Conversation& x) {
                               x.add_agent_ids("lost");
                               x.set_medium(PHONE_CALL);
                               return absl::OkStatus();
                             })
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Change("t1", "us", "conv-1",
                             [](Conversation& x) {
                               x.add_agent_ids("lost");
                               x.add_messages()->set_text(std::string(65 * 1024, 'x'));
                               return absl::OkStatus();
                             })
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto got = service_->Get("t1", "us", "conv-1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->agent_ids_size(), 1);
  EXPECT_EQ(got->messages_size(), 0);
  EXPECT_EQ(got->medium(), MEDIUM_UNSPECIFIED);
}

TEST_F(ConversationServiceTest, LiveConversationKeepsALongTextStoredUnderALargerLimit) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  const std::string long_text(100 * 1024, 'x');
  ASSERT_TRUE(service_->Change(
                  "t1", "us", "conv-1",
                  [&](Conversation& x) {
                    x.add_messages()->set_text(long_text);
                    return absl::OkStatus();
                  },
                  store::ScrubUpdate{}, nullptr, ConversationService::Views::kDrop, 256 * 1024)
                  .ok());
  // A later change under the default limit keeps it, but may not change it.
  EXPECT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a"); }).ok());
  EXPECT_EQ(service_->Change("t1", "us", "conv-1",
                             [](Conversation& x) {
                               x.mutable_messages(0)->mutable_text()->append("y");
                               return absl::OkStatus();
                             })
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->messages(0).text(), long_text);
}

TEST_F(ConversationServiceTest, LiveConversationShareIsNotChangedByALaterWrite) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a1"); }).ok());
  auto share = service_->Share("t1", "us", "conv-1");
  ASSERT_TRUE(share.ok());
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a2"); }).ok());
  EXPECT_EQ((*share)->agent_ids_size(), 1);  // copied on write
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->agent_ids_size(), 2);
  EXPECT_EQ(service_->Share("t1", "us", "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, LiveConversationExpiresAsStored) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  const int64_t soon = NowMicros() + 200'000;
  ASSERT_TRUE(service_->Change("t1", "us", "conv-1", [&](Conversation& x) {
                x.set_expire_time_us(soon);
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(service_->Get("t1", "us", "conv-1").ok());
  while (NowMicros() <= soon) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(service_->Get("t1", "us", "conv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Change("t1", "us", "conv-1", [](Conversation& x) { return AddAgent(x, "a"); }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, LiveConversationConcurrentWritersLoseNothing) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  // Two services (two caches) over one store, two threads each.
  ConversationService other(store_.get(), PageTokenCodec(std::string(32, 'k')));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ConversationService& s = t % 2 == 0 ? *service_ : other;
      for (int i = 0; i < 25; ++i) {
        absl::Status st;
        do {
          st = s.Change("t1", "us", "conv-1", [&](Conversation& x) {
            return AddAgent(x, absl::StrCat("w", t, "-", i));
          });
        } while (st.code() == absl::StatusCode::kAborted);
        EXPECT_TRUE(st.ok()) << st;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (ConversationService* s : {service_.get(), &other}) {
    auto got = s->Get("t1", "us", "conv-1");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->agent_ids_size(), 100);
    std::set<std::string> unique(got->agent_ids().begin(), got->agent_ids().end());
    EXPECT_EQ(unique.size(), 100u);
  }
}

TEST_F(ConversationServiceTest, LiveConversationsStayWithinTheirBytes) {
  service_ = std::make_unique<ConversationService>(store_.get(), PageTokenCodec(std::string(32, 'k')),
                                                   ConversationLimits{}, 64 * 1024);
  for (int i = 0; i < 20; ++i) {
    const std::string id = absl::StrCat("conv-", i);
    ASSERT_TRUE(service_->Create(New(id)).ok());
    ASSERT_TRUE(service_->Change("t1", "us", id, [&](Conversation& x) {
                  x.add_messages()->set_text(std::string(4000, 'a' + i));
                  return absl::OkStatus();
                }).ok());
  }
  const LiveConversations::Stats stats = service_->live_stats();
  EXPECT_EQ(stats.capacity, 64 * 1024);
  EXPECT_LE(stats.bytes, 64 * 1024);
  EXPECT_GE(stats.entries, 10);
  EXPECT_LT(stats.entries, 20);
  // A change that fails forgets the (most recent, so kept) conversation:
  // one fewer kept, its bytes no longer counted.
  ASSERT_EQ(service_->Change("t1", "us", "conv-19", [](Conversation&) { return absl::InternalError("no"); }).code(),
            absl::StatusCode::kInternal);
  const LiveConversations::Stats after = service_->live_stats();
  EXPECT_EQ(after.entries, stats.entries - 1);
  EXPECT_LT(after.bytes, stats.bytes - 4000);
  for (int i = 0; i < 20; ++i) {
    auto got = service_->Get("t1", "us", absl::StrCat("conv-", i));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->messages(0).text(), std::string(4000, 'a' + i));
  }
}

// Appends (ADR 0041): the kept conversation grows by the tail, the store
// appends the tail's serialization, and both must be what a whole
// read-modify-write would store.
int64_t CountRows(const std::filesystem::path& dir, const char* sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2((dir / "parley.db").string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

// The i-th append of the test below: messages with times and word offsets,
// now and then a turn, an input type (a packed field), a participant, a
// singular message merged (call_channels) and a label (its rows are
// rewritten with the body).
absl::Status AppendStep(int i, const Conversation& current, Conversation& tail) {
  Message* m = tail.add_messages();
  m->set_id(absl::StrCat("m", i));
  m->set_participant_id(i % 3 == 0 ? "agent" : "customer");
  m->set_text(std::string(20 + (i * 37) % 300, 'a' + i % 26));
  m->set_time_us(1'000'000 * (i + 1));
  if (i % 4 == 0) m->add_words()->set_end_offset_us(500'000 * i);
  if (i % 5 == 0) {
    Turn* t = tail.add_turns();
    t->add_message_indices(current.messages_size());
    t->mutable_root_span()->set_name(absl::StrCat("turn ", i));
  }
  if (i % 7 == 0) tail.add_input_types(i % 14 == 0 ? INPUT_TYPE_TEXT : INPUT_TYPE_AUDIO);
  if (i == 9) tail.add_participants()->set_id("p9");
  if (i == 11) tail.mutable_call_channels()->set_agent_channel(1);
  if (i == 12) tail.mutable_call_channels()->set_customer_channel(2);
  if (i == 20) (*tail.mutable_labels())["k"] = "v";
  if (i == 30) tail.set_lifecycle(IN_PROGRESS);
  if (i == 45) tail.set_end_time_us(90'000'000);
  return absl::OkStatus();
}

TEST_F(ConversationServiceTest, AppendStoresWhatAWholeWriteWould) {
  ASSERT_TRUE(service_->keeps_live());
  // The same appends through a service that keeps nothing (a whole
  // read-modify-write each) give the reference.
  ConversationService whole(store_.get(), PageTokenCodec(std::string(32, 'k')), ConversationLimits{}, 0);
  ASSERT_FALSE(whole.keeps_live());
  Conversation c = New("conv-1");
  c.set_start_time_us(500'000);
  ASSERT_TRUE(service_->Create(c).ok());
  ASSERT_TRUE(service_->Create(New("ref-1")).ok());
  ASSERT_TRUE(whole.Change("t1", "us", "ref-1", [](Conversation& x) {
                x.set_start_time_us(500'000);
                return absl::OkStatus();
              }).ok());
  int64_t most_tails = 0;
  for (int i = 0; i < 80; ++i) {
    auto step = [i](const Conversation& current, const MessageFacts&, Conversation& tail) {
      return AppendStep(i, current, tail);
    };
    ASSERT_TRUE(service_->Append("t1", "us", "conv-1", step).ok()) << i;
    ASSERT_TRUE(whole.Append("t1", "us", "ref-1", step).ok()) << i;
    most_tails = std::max(most_tails, CountRows(dir_, "SELECT count(*) FROM conversation_tails t JOIN"
                                                      " conversations c ON c.pk = t.conv WHERE c.id = 'conv-1'"));
    // What is kept is what the store parses from the body and its deltas
    // (read past every cache: now_us 0)...
    auto kept = service_->Get("t1", "us", "conv-1");
    auto stored = store_->GetConversation("t1", "us", "conv-1", 0);
    ASSERT_TRUE(kept.ok() && stored.ok()) << i;
    ASSERT_EQ(kept->SerializeAsString(), stored->SerializeAsString()) << i;
    // ... is what the whole write stored, but for the key and the times...
    auto ref = store_->GetConversation("t1", "us", "ref-1", 0);
    ASSERT_TRUE(ref.ok());
    ref->set_id("conv-1");
    ref->set_create_time_us(stored->create_time_us());
    ref->set_update_time_us(stored->update_time_us());
    ASSERT_EQ(ref->SerializeAsString(), stored->SerializeAsString()) << i;
    // ... and the running size is the serialized size.
    ASSERT_EQ(service_->live_stats().bytes, static_cast<int64_t>(stored->ByteSizeLong())) << i;
  }
  Conversation got = *service_->Get("t1", "us", "conv-1");
  EXPECT_EQ(got.messages_size(), 80);
  EXPECT_EQ(got.turn_count(), got.turns_size());
  EXPECT_EQ(got.duration_us(), 90'000'000 - 500'000);  // from the end time (i == 45)
  EXPECT_EQ(got.labels().at("k"), "v");
  EXPECT_EQ(got.call_channels().agent_channel(), 1);
  EXPECT_EQ(got.call_channels().customer_channel(), 2);
  // Stored as deltas (up to sqlite::kMaxTails after a body), not whole.
  EXPECT_GE(most_tails, 10);
  EXPECT_EQ(CountRows(dir_, "SELECT count(*) FROM conversation_labels WHERE key = 'k'"), 2);
}

TEST_F(ConversationServiceTest, AppendTurnsAndDurationFollowTheMessages) {
  // No turns: the turn count is CountTurns, extended message by message;
  // no end time: the duration is the messages' own.
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  for (const char* who : {"a", "a", "b", "a", "b", "b", "c"}) {
    ASSERT_TRUE(service_->Append("t1", "us", "conv-1",
                                 [&](const Conversation& current, const MessageFacts&, Conversation& tail) {
                  Message* m = tail.add_messages();
                  m->set_participant_id(who);
                  m->set_time_us(7'000'000 + 1'000'000 * current.messages_size());
                  return absl::OkStatus();
                }).ok());
  }
  auto stored = store_->GetConversation("t1", "us", "conv-1", 0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->turn_count(), 5);
  EXPECT_EQ(stored->turn_count(), CountTurns(*stored));
  EXPECT_EQ(stored->duration_us(), 6'000'000);
  EXPECT_EQ(stored->duration_us(), *TranscriptDurationMicros(*stored));
}

TEST_F(ConversationServiceTest, AppendSizeLimitIsExactAtTheBoundary) {
  // The same limit with the live conversation's running size and with a
  // whole read-modify-write: a conversation of exactly the limit is stored,
  // one byte more is refused and changes nothing.
  ConversationLimits limits;
  limits.max_conversation_bytes = 4096;
  for (size_t live_bytes : {ConversationService::kDefaultLiveBytes, size_t{0}}) {
    ConversationService service(store_.get(), PageTokenCodec(std::string(32, 'k')), limits, live_bytes);
    ASSERT_EQ(service.keeps_live(), live_bytes != 0);
    const std::string id = absl::StrCat("conv-", live_bytes);
    ASSERT_TRUE(service.Create(New(id)).ok());
    auto append_text = [&](size_t n) {
      return service.Append("t1", "us", id, [&](const Conversation&, const MessageFacts&, Conversation& tail) {
        tail.add_messages()->set_text(std::string(n, 'x'));
        return absl::OkStatus();
      });
    };
    ASSERT_TRUE(append_text(1000).ok());
    ASSERT_TRUE(append_text(1000).ok());
    const size_t size = store_->GetConversation("t1", "us", id, 0)->ByteSizeLong();
    // A message record of text n: tag, length, then the text's tag, length, n.
    auto record = [](size_t n) {
      Message m;
      m.set_text(std::string(n, 'x'));
      using google::protobuf::io::CodedOutputStream;
      return CodedOutputStream::VarintSize32(Conversation::kMessagesFieldNumber << 3) +
             CodedOutputStream::VarintSize32(m.ByteSizeLong()) + m.ByteSizeLong();
    };
    size_t n = 4096 - size - 4;
    while (size + record(n) < 4096) ++n;
    while (size + record(n) > 4096) --n;
    ASSERT_EQ(size + record(n), 4096u);
    const absl::Status over = append_text(n + 1);
    EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument) << over;
    EXPECT_NE(over.message().find("--max-conversation-mb"), std::string::npos) << over;
    EXPECT_EQ(store_->GetConversation("t1", "us", id, 0)->messages_size(), 2);
    EXPECT_TRUE(append_text(n).ok()) << live_bytes;
    EXPECT_EQ(service.Get("t1", "us", id)->messages_size(), 3);
    EXPECT_EQ(append_text(0).code(), absl::StatusCode::kInvalidArgument);  // a record more
  }
}

TEST_F(ConversationServiceTest, AppendRefusesRenamesAndStoresNothingOnAnError) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  auto append = [&](const std::function<void(Conversation&)>& fill) {
    return service_->Append("t1", "us", "conv-1", [&](const Conversation&, const MessageFacts&, Conversation& tail) {
      tail.add_messages()->set_text("lost");
      fill(tail);
      return absl::OkStatus();
    });
  };
  EXPECT_EQ(append([](Conversation& t) { t.set_id("other"); }).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(append([](Conversation& t) { t.set_tenant("t2"); }).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(append([](Conversation& t) { t.set_medium(PHONE_CALL); }).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(append([](Conversation& t) { t.mutable_messages(0)->set_text(std::string(65 * 1024, 'x')); }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Append("t1", "us", "conv-1",
                             [](const Conversation&, const MessageFacts&, Conversation& tail) {
                               tail.add_messages()->set_text("lost");
                               return absl::FailedPreconditionError("no");
                             })
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->messages_size(), 0);
  EXPECT_EQ(store_->GetConversation("t1", "us", "conv-1", 0)->messages_size(), 0);
  // What the service sets itself is not taken from the tail.
  const int64_t created = service_->Get("t1", "us", "conv-1")->create_time_us();
  ASSERT_TRUE(append([](Conversation& t) {
                t.set_create_time_us(1);
                t.set_turn_count(99);
              }).ok());
  auto got = store_->GetConversation("t1", "us", "conv-1", 0);
  EXPECT_EQ(got->create_time_us(), created);
  EXPECT_EQ(got->turn_count(), 1);
  EXPECT_EQ(service_->Append("t1", "us", "missing", [](const Conversation&, const MessageFacts&, Conversation&) {
              return absl::OkStatus();
            }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, DeleteNeedsForceWhenAnalysesExist) {
  ASSERT_TRUE(service_->Create(New("conv-1")).ok());
  Analysis a;
  a.set_tenant("t1");
  a.set_scope("us");
  a.set_conversation_id("conv-1");
  a.set_id("a1");
  a.set_create_time_us(NowMicros());
  ASSERT_TRUE(store_->PutAnalysis(a).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1")->latest_analysis_id(), "a1");
  EXPECT_EQ(service_->Delete("t1", "us", "conv-1", false).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(service_->Get("t1", "us", "conv-1").ok());
  EXPECT_TRUE(service_->Delete("t1", "us", "conv-1", true).ok());
  EXPECT_EQ(service_->Get("t1", "us", "conv-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Delete("t1", "us", "conv-1", true).code(), absl::StatusCode::kNotFound);
}

TEST_F(ConversationServiceTest, ListPagesWithSignedTokens) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(service_->Create(New("conv-" + std::to_string(100 + i))).ok());
  ConversationQuery q;
  q.tenant = "t1";
  q.scope = "us";
  q.page_size = 10;
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = service_->List(q, token, "fp");
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& c : page->conversations) EXPECT_TRUE(seen.insert(c.id()).second) << c.id();
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 25u);

  auto first = service_->List(q, "", "fp");
  ASSERT_FALSE(first->next_page_token.empty());
  EXPECT_EQ(service_->List(q, first->next_page_token, "other-filter").status().code(),
            absl::StatusCode::kInvalidArgument);
  ConversationQuery other_tenant = q;
  other_tenant.tenant = "t2";
  EXPECT_EQ(service_->List(other_tenant, first->next_page_token, "fp").status().code(),
            absl::StatusCode::kInvalidArgument);
  q.page_size = -1;
  EXPECT_EQ(service_->List(q, "", "fp").status().code(), absl::StatusCode::kInvalidArgument);
  q.page_size = 5000;  // clamped to the maximum
  EXPECT_EQ(service_->List(q, "", "fp")->conversations.size(), 25u);
}

TEST_F(ConversationServiceTest, ExpiredConversationsVanishAndAreSwept) {
  Conversation c = New("old-1");
  c.set_expire_time_us(NowMicros() - 1);
  ASSERT_TRUE(service_->Create(c).ok());
  EXPECT_EQ(service_->Get("t1", "us", "old-1").status().code(), absl::StatusCode::kNotFound);
  auto swept = service_->SweepExpired();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
}


TEST_F(ConversationServiceTest, ViewsAreRenderedOnEveryWriteAndDroppedByAnalyses) {
  service_->AddView("test/labels", [](const Conversation& c) {
    return std::to_string(c.labels_size()) + " labels, updated " + std::to_string(c.update_time_us());
  });
  Conversation c = New("conv-1");
  (*c.mutable_labels())["a"] = "1";
  auto created = service_->Create(c);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*service_->ReadView("t1", "us", "conv-1", "test/labels"),
            "1 labels, updated " + std::to_string(created->update_time_us()));
  auto updated = service_->Update("t1", "us", "conv-1", [](Conversation& x) {
    (*x.mutable_labels())["b"] = "2";
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*service_->ReadView("t1", "us", "conv-1", "test/labels"),
            "2 labels, updated " + std::to_string(updated->update_time_us()));
  EXPECT_EQ(service_->ReadView("t1", "eu", "conv-1", "test/labels").status().code(),
            absl::StatusCode::kNotFound);
  Analysis a;
  a.set_tenant("t1");
  a.set_scope("us");
  a.set_conversation_id("conv-1");
  a.set_id("a1");
  a.set_create_time_us(NowMicros());
  ASSERT_TRUE(store_->PutAnalysis(a).ok());
  EXPECT_EQ(*service_->ReadView("t1", "us", "conv-1", "test/labels"), "");
}

}  // namespace
}  // namespace parley::service
