// Copying a whole store (Store::Dump* / Load*, store/store_copy.h, ADR
// 0032), part of the conformance suite: each backend is filled, copied into
// a SQLite store and from there into a fresh store of its own kind, and every
// step must verify (same counts, same SHA-256 per kind). Keys are chosen so
// that byte order matters (upper case, UTF-8), which both backends must
// follow for the two sides' dumps to pair up.
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/store_conformance.h"
#include "store/store_copy.h"

namespace parley::store::testing {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000;

core::Conversation Conversation(const std::string& tenant, const std::string& scope, const std::string& id,
                                int64_t create_time) {
  core::Conversation c;
  c.set_tenant(tenant);
  c.set_scope(scope);
  c.set_id(id);
  c.set_create_time_us(create_time);
  c.set_update_time_us(create_time + 5);
  (*c.mutable_labels())["queue"] = id.size() % 2 ? "billing" : "sales";
  (*c.mutable_labels())["z-last"] = "1";
  (*c.mutable_labels())["a-first"] = "h\xC3\xA9llo";
  c.add_agent_ids("agent-" + id);
  return c;
}

core::Analysis Analysis(const core::Conversation& c, const std::string& id, int64_t create_time) {
  core::Analysis a;
  a.set_tenant(c.tenant());
  a.set_scope(c.scope());
  a.set_conversation_id(c.id());
  a.set_id(id);
  a.set_create_time_us(create_time);
  return a;
}

// Two tenants' worth of every kind of record.
void Fill(Store& store) {
  const std::string big_view(4000, 'v');  // long enough for SQLite to pack it
  int64_t t = kNow;
  for (const std::string tenant : {"t-a", "T-b"}) {
    for (const std::string id : {"a", "Z", "\xC3\xA9-1", "m-2"}) {
      for (const std::string scope : {"us", "global"}) {
        core::Conversation c = Conversation(tenant, scope, id, t += 10);
        if (id == "m-2") c.clear_labels();  // so that appends can be stored as such
        ConversationViews views = {{"insights.full", big_view + id}, {"basic", "{\"id\":\"" + id + "\"}"}};
        ASSERT_TRUE(store.CreateConversation(c, views).ok());
        if (id != "m-2") continue;
        // Grown a message at a time (a backend may keep appends as deltas
        // after the body, ADR 0032): copied whole.
        for (int i = 1; i <= 3; ++i) {
          core::Conversation next = c;
          next.set_update_time_us(c.update_time_us() + 1);
          next.add_messages()->set_text("appended " + std::to_string(i));
          ASSERT_TRUE(store.UpdateConversation(next, c.update_time_us(), views).ok());
          c = next;
        }
      }
    }
    core::Conversation c = Conversation(tenant, "us", "a", 0);
    ASSERT_TRUE(store.PutAnalysis(Analysis(c, "an-1", t += 10)).ok());
    ASSERT_TRUE(store.PutAnalysis(Analysis(c, "an-2", t += 10)).ok());
    // Expired but not swept yet: copied all the same.
    core::Conversation expired = Conversation(tenant, "us", "gone", t += 10);
    expired.set_expire_time_us(kNow - 1);
    ASSERT_TRUE(store.CreateConversation(expired).ok());
    for (const std::string id : {"op-1", "op-2"}) {
      core::Operation op;
      op.set_tenant(tenant);
      op.set_location("us");
      op.set_id(id);
      op.set_create_time_us(t += 10);
      op.set_state(id == "op-1" ? core::OPERATION_SUCCEEDED : core::OPERATION_PENDING);
      op.mutable_analyze()->set_conversation_id("a");
      ASSERT_TRUE(store.CreateOperation(op).ok());
    }
    for (const std::string kind : {"phrase_matcher", "api_key"}) {
      ASSERT_TRUE(store.CreateResource(Resource{tenant, kind, "r-" + kind, "us", t += 10, t + 3, "body of " + kind}).ok());
    }
    for (const std::string action : {"DELETE /x", "keys.create"}) {
      ASSERT_TRUE(store.AppendAudit(AuditEntry{0, t += 10, "cli", tenant, action, "keys/1", "OK"}).ok());
    }
  }
  ASSERT_TRUE(store.GetOrCreateSetting("page_token_key", "secret-key").ok());
}

const KindCheck* Find(const std::vector<KindCheck>& checks, const std::string& kind) {
  for (const KindCheck& c : checks) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

void ExpectAllMatch(const std::vector<KindCheck>& checks) {
  for (const KindCheck& c : checks) {
    EXPECT_TRUE(c.matches()) << c.kind << ": " << c.source_count << " vs " << c.destination_count << " "
                             << c.first_difference;
    EXPECT_EQ(c.destination_only, 0) << c.kind;
    EXPECT_EQ(c.source_sha256.size(), 64u) << c.kind;
  }
}

TEST_P(StoreConformanceTest, CopyDumpsAndLoadsEveryRecordAsItIs) {
  Fill(store());
  if (HasFatalFailure()) return;
  auto kinds = NonEmptyKinds(store());
  ASSERT_TRUE(kinds.ok()) << kinds.status();
  EXPECT_EQ(*kinds, (std::vector<std::string>{"conversations", "operations", "resources", "audit_log"}));

  CopyOptions options;
  options.batch = 3;  // pages end inside a tenant, a scope and a kind
  const std::string sqlite_dir = MakeTempDir();
  auto sqlite = OpenSqliteStore(sqlite_dir);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  auto empty = NonEmptyKinds(**sqlite);
  ASSERT_TRUE(empty.ok() && empty->empty());
  auto copied = CopyStore(store(), **sqlite, options);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, (std::vector<std::pair<std::string, int64_t>>{
                         {"conversations", 18}, {"operations", 4}, {"resources", 4}, {"audit_log", 4}, {"settings", 1}}));
  auto checks = VerifyCopy(store(), **sqlite, 0, options);
  ASSERT_TRUE(checks.ok()) << checks.status();
  ExpectAllMatch(*checks);
  EXPECT_EQ(Find(*checks, "conversations")->source_count, 18);
  EXPECT_EQ(Find(*checks, "analyses")->source_count, 4);
  EXPECT_EQ(Find(*checks, "views")->source_count, 28);  // an analysis drops the views of its conversation
  EXPECT_EQ(Find(*checks, "resources/api_key")->source_count, 2);
  EXPECT_EQ(Find(*checks, "audit_log")->source_count, 4);

  // Back into a fresh store of the backend under test.
  const std::string back_dir = MakeTempDir();
  std::unique_ptr<Store> back = GetParam().open(back_dir);
  ASSERT_NE(back, nullptr);
  ASSERT_TRUE(CopyStore(**sqlite, *back, options).ok());
  checks = VerifyCopy(store(), *back, 0, options);
  ASSERT_TRUE(checks.ok()) << checks.status();
  ExpectAllMatch(*checks);

  // What was loaded reads as what was written, indexes included.
  for (Store* copy : {sqlite->get(), back.get()}) {
    auto grown = copy->GetConversation("T-b", "global", "m-2", 0);
    ASSERT_TRUE(grown.ok()) << grown.status();
    ASSERT_EQ(grown->messages_size(), 3);
    EXPECT_EQ(grown->messages(2).text(), "appended 3");
  }
  auto conv = back->GetConversation("t-a", "us", "a", 0);
  ASSERT_TRUE(conv.ok()) << conv.status();
  EXPECT_EQ(conv->latest_analysis_id(), "an-2");
  EXPECT_EQ(conv->labels().at("a-first"), "h\xC3\xA9llo");
  std::string view;
  ASSERT_TRUE(back->ReadConversationView("T-b", "global", "Z", 0, "insights.full", &view).ok());
  EXPECT_EQ(view, std::string(4000, 'v') + "Z");
  auto analyses = back->ListAnalyses("t-a", "us", "a", 10, std::nullopt);
  ASSERT_TRUE(analyses.ok());
  ASSERT_EQ(analyses->analyses.size(), 2u);
  EXPECT_EQ(analyses->analyses[0].id(), "an-2");
  EXPECT_EQ(back->GetConversation("t-a", "us", "gone", kNow).status().code(), absl::StatusCode::kNotFound);
  auto unfinished = back->ListUnfinishedOperations();
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(unfinished->size(), 2u);
  core::ConversationQuery q;
  q.tenant = "T-b";
  q.condition = core::Condition{};
  q.condition->column = core::ConversationColumn::kAgentId;
  q.condition->op = core::CompareOp::kEq;
  q.condition->string_value = "agent-Z";
  auto listed = back->ListConversations(q);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->conversations.size(), 2u);
  auto setting = back->GetOrCreateSetting("page_token_key", "other");
  ASSERT_TRUE(setting.ok());
  EXPECT_EQ(*setting, "secret-key");

  // A load whose key is taken writes nothing of its batch.
  std::vector<ConversationDump> clash(2);
  clash[0].conversation = Conversation("t-a", "us", "new-one", kNow);
  clash[1].conversation = Conversation("t-a", "us", "a", kNow);
  EXPECT_EQ(back->LoadConversations(clash).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(back->GetConversation("t-a", "us", "new-one", 0).status().code(), absl::StatusCode::kNotFound);

  // Changes made afterwards show as the kinds they touch.
  ASSERT_TRUE(back->DeleteAnalysis("T-b", "us", "a", "an-1").ok());
  Resource r = *back->GetResource("t-a", "phrase_matcher", "r-phrase_matcher");
  const int64_t stored = r.update_time_us;
  r.body = "changed";
  ASSERT_TRUE(back->UpdateResource(r, stored).ok());
  ASSERT_TRUE(back->CreateResource(Resource{"t-a", "api_key", "r-extra", "us", 1, 1, "x"}).ok());
  ASSERT_TRUE(back->AppendAudit(AuditEntry{0, kNow, "cli", "t-a", "keys.revoke", "keys/1", "OK"}).ok());
  checks = VerifyCopy(store(), *back, 0, options);
  ASSERT_TRUE(checks.ok()) << checks.status();
  EXPECT_TRUE(Find(*checks, "conversations")->matches());
  EXPECT_TRUE(Find(*checks, "views")->matches());
  const KindCheck* a = Find(*checks, "analyses");
  EXPECT_FALSE(a->matches());
  EXPECT_EQ(a->destination_count, 3);
  EXPECT_EQ(a->first_difference, "missing: analysis an-1 of T-b/us/a");
  const KindCheck* pm = Find(*checks, "resources/phrase_matcher");
  EXPECT_FALSE(pm->matches());
  EXPECT_NE(pm->source_sha256, pm->destination_sha256);
  EXPECT_EQ(pm->first_difference, "differs: phrase_matcher t-a/r-phrase_matcher");
  const KindCheck* keys = Find(*checks, "resources/api_key");
  EXPECT_TRUE(keys->matches());
  EXPECT_EQ(keys->destination_only, 1);
  EXPECT_FALSE(Find(*checks, "audit_log")->matches());

  back->Close();
  (*sqlite)->Close();
  std::error_code ec;
  std::filesystem::remove_all(sqlite_dir, ec);
  std::filesystem::remove_all(back_dir, ec);
}

}  // namespace
}  // namespace parley::store::testing
