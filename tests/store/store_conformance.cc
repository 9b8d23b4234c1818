#include "store/store_conformance.h"

#include "absl/synchronization/notification.h"
#include <google/protobuf/util/message_differencer.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace parley::store::testing {

using core::CompareOp;
using core::Condition;
using core::ConversationColumn;
using core::ConversationQuery;
using core::SortOrder;

void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

std::string MakeTempDir() {
  std::string tmpl = ::testing::TempDir() + "parley_store_XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

void StoreConformanceTest::SetUp() {
  dir_ = MakeTempDir();
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr) << "cannot open " << GetParam().name << " store in " << dir_;
}

void StoreConformanceTest::TearDown() {
  if (store_ != nullptr) store_->Close();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void StoreConformanceTest::Reopen() {
  store_->Close();
  store_.reset();
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
}

namespace {

constexpr int64_t kAbsent = std::numeric_limits<int64_t>::min();

core::Conversation Conv(const std::string& tenant, const std::string& id,
                        int64_t create_time = 1000) {
  core::Conversation c;
  c.set_tenant(tenant);
  c.set_id(id);
  c.set_scope("global");
  c.set_create_time_us(create_time);
  c.set_update_time_us(create_time);
  return c;
}

core::Analysis MakeAnalysis(const std::string& tenant, const std::string& conv,
                            const std::string& id, int64_t create_time) {
  core::Analysis a;
  a.set_tenant(tenant);
  a.set_scope("global");
  a.set_conversation_id(conv);
  a.set_id(id);
  a.set_create_time_us(create_time);
  a.set_request_time_us(create_time - 1);
  a.set_end_time_us(create_time + 1);
  return a;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// ---- condition builders and the reference evaluator ---------------------------

Condition Cmp(ConversationColumn col, CompareOp op, int64_t v) {
  Condition c;
  c.column = col;
  c.op = op;
  c.int_value = v;
  return c;
}

Condition CmpS(ConversationColumn col, CompareOp op, std::string v) {
  Condition c;
  c.column = col;
  c.op = op;
  c.string_value = std::move(v);
  return c;
}

Condition Label(std::string key, CompareOp op, std::string v = "") {
  Condition c = CmpS(ConversationColumn::kLabel, op, std::move(v));
  c.label_key = std::move(key);
  return c;
}

Condition Node(Condition::Kind kind, std::vector<Condition> children) {
  Condition c;
  c.kind = kind;
  c.children = std::move(children);
  return c;
}
Condition And(std::vector<Condition> children) {
  return Node(Condition::Kind::kAnd, std::move(children));
}
Condition Or(std::vector<Condition> children) {
  return Node(Condition::Kind::kOr, std::move(children));
}
Condition Not(Condition child) { return Node(Condition::Kind::kNot, {std::move(child)}); }

template <typename T>
bool Compare(const T& a, CompareOp op, const T& b) {
  switch (op) {
    case CompareOp::kEq:
    case CompareOp::kHas:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
  }
  return false;
}

// Sort / compare value of an integer column; kAbsent for an absent optional.
int64_t IntValue(const core::Conversation& c, ConversationColumn col) {
  switch (col) {
    case ConversationColumn::kMedium:
      return c.medium();
    case ConversationColumn::kLifecycle:
      return c.lifecycle();
    case ConversationColumn::kStage:
      return c.stage();
    case ConversationColumn::kSource:
      return c.source();
    case ConversationColumn::kCreateTime:
      return c.create_time_us();
    case ConversationColumn::kUpdateTime:
      return c.update_time_us();
    case ConversationColumn::kStartTime:
      return c.has_start_time_us() ? c.start_time_us() : kAbsent;
    case ConversationColumn::kDuration:
      return c.has_duration_us() ? c.duration_us() : kAbsent;
    case ConversationColumn::kTurnCount:
      return c.has_turn_count() ? c.turn_count() : c.turns_size();
    default:
      ADD_FAILURE() << "not an int column";
      return 0;
  }
}

bool Matches(const core::Conversation& c, const Condition& cond) {
  switch (cond.kind) {
    case Condition::Kind::kAnd:
      return std::all_of(cond.children.begin(), cond.children.end(),
                         [&](const Condition& k) { return Matches(c, k); });
    case Condition::Kind::kOr:
      return std::any_of(cond.children.begin(), cond.children.end(),
                         [&](const Condition& k) { return Matches(c, k); });
    case Condition::Kind::kNot:
      return !Matches(c, cond.children.at(0));
    case Condition::Kind::kCompare:
      break;
  }
  const bool has_any = cond.op == CompareOp::kHas && cond.string_value == "*";
  switch (cond.column) {
    case ConversationColumn::kAgentId: {
      if (has_any) {
        return std::any_of(c.agent_ids().begin(), c.agent_ids().end(),
                           [](const std::string& a) { return !a.empty(); });
      }
      bool any = std::find(c.agent_ids().begin(), c.agent_ids().end(), cond.string_value) !=
                 c.agent_ids().end();
      return cond.op == CompareOp::kNe ? !any : any;
    }
    case ConversationColumn::kLabel: {
      auto it = c.labels().find(cond.label_key);
      bool found = it != c.labels().end();
      if (cond.op == CompareOp::kHas) return found;
      bool eq = found && it->second == cond.string_value;
      return cond.op == CompareOp::kNe ? !eq : eq;
    }
    case ConversationColumn::kLatestAnalysis:
      return !c.latest_analysis_id().empty();
    case ConversationColumn::kLanguageCode:
    case ConversationColumn::kProfile:
    case ConversationColumn::kApp: {
      const std::string& v = cond.column == ConversationColumn::kLanguageCode ? c.language_code()
                             : cond.column == ConversationColumn::kProfile    ? c.profile()
                                                                              : c.app();
      if (has_any) return !v.empty();
      return Compare(v, cond.op, cond.string_value);
    }
    case ConversationColumn::kStartTime:
    case ConversationColumn::kDuration: {
      int64_t v = IntValue(c, cond.column);
      if (v == kAbsent) return false;
      if (has_any) return true;
      return Compare(v, cond.op, cond.int_value);
    }
    default: {
      int64_t v = IntValue(c, cond.column);
      if (has_any) return v != 0;
      return Compare(v, cond.op, cond.int_value);
    }
  }
}

std::string Describe(const Condition& cond) {
  switch (cond.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr: {
      std::string s = cond.kind == Condition::Kind::kAnd ? "AND(" : "OR(";
      for (const Condition& k : cond.children) s += Describe(k) + ",";
      return s + ")";
    }
    case Condition::Kind::kNot:
      return "NOT(" + Describe(cond.children.at(0)) + ")";
    case Condition::Kind::kCompare:
      return "col" + std::to_string(static_cast<int>(cond.column)) + "[" + cond.label_key + "] op" +
             std::to_string(static_cast<int>(cond.op)) + " '" + cond.string_value + "'/" +
             std::to_string(cond.int_value);
  }
  return "?";
}

// ---- dataset -----------------------------------------------------------------

std::vector<core::Conversation> MakeDataset(const std::string& tenant, int n) {
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto rnd = [&](int m) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((x >> 33) % static_cast<uint64_t>(m));
  };
  const char* languages[] = {"", "en-US", "de-DE", "fr"};
  const char* agents[] = {"a1", "a2", "a3", "a4"};
  const char* profiles[] = {"", "p1", "p2"};
  std::vector<core::Conversation> out;
  for (int i = 0; i < n; ++i) {
    core::Conversation c;
    c.set_tenant(tenant);
    c.set_id("c" + std::to_string(rnd(1000)) + "-" + std::to_string(i));
    c.set_scope(rnd(2) ? "global" : "us");
    c.set_medium(static_cast<core::Medium>(rnd(4)));
    c.set_language_code(languages[rnd(4)]);
    for (int k = rnd(4); k > 0; --k) c.add_agent_ids(agents[rnd(4)]);
    if (rnd(2)) (*c.mutable_labels())["env"] = rnd(2) ? "prod" : "dev";
    if (rnd(3) == 0) (*c.mutable_labels())["team"] = rnd(2) ? "x" : "y";
    if (rnd(5) == 0) (*c.mutable_labels())["flag"] = "";
    c.set_create_time_us(1000 + rnd(8) * 10);  // many ties
    c.set_update_time_us(5000 + rnd(20));
    if (rnd(4) != 0) c.set_start_time_us(100 + rnd(6));
    if (rnd(3) != 0) c.set_duration_us(rnd(5) * 1000);  // includes 0
    if (rnd(5) != 0) {
      c.set_turn_count(rnd(4));
    } else {
      for (int k = rnd(3); k > 0; --k) c.add_turns()->add_message_indices(0);
    }
    c.set_lifecycle(static_cast<core::Lifecycle>(rnd(3)));
    c.set_stage(static_cast<core::Stage>(rnd(3)));
    c.set_source(static_cast<core::Source>(rnd(8)));
    c.set_profile(profiles[rnd(3)]);
    c.set_app(rnd(2) ? "app1" : "");
    c.set_display_name("conversation " + std::to_string(i));
    out.push_back(std::move(c));
  }
  return out;
}

struct ListResult {
  std::vector<std::string> ids;
  int pages = 0;
};

// Follows `next` cursors until the last page.
absl::StatusOr<ListResult> ListAll(Store& store, ConversationQuery q) {
  ListResult r;
  for (int guard = 0; guard < 10000; ++guard) {
    absl::StatusOr<ConversationPage> page = store.ListConversations(q);
    if (!page.ok()) return page.status();
    r.pages++;
    if (static_cast<int>(page->conversations.size()) > q.page_size) {
      return absl::InternalError("page larger than page_size");
    }
    for (const core::Conversation& c : page->conversations) r.ids.push_back(c.id());
    if (!page->next.has_value()) return r;
    if (page->conversations.empty()) return absl::InternalError("empty page with a next cursor");
    q.after = page->next;
  }
  return absl::InternalError("pagination does not end");
}

ConversationQuery Query(const std::string& tenant, int page_size = 100) {
  ConversationQuery q;
  q.tenant = tenant;
  q.page_size = page_size;
  return q;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> ExpectedOrder(const std::vector<core::Conversation>& data,
                                       ConversationColumn col, SortOrder order,
                                       const std::function<bool(const core::Conversation&)>& keep) {
  std::vector<std::pair<int64_t, std::string>> keys;
  for (const core::Conversation& c : data) {
    if (keep(c)) keys.emplace_back(IntValue(c, col), c.id());
  }
  std::sort(keys.begin(), keys.end());
  if (order == SortOrder::kDescending) std::reverse(keys.begin(), keys.end());
  std::vector<std::string> ids;
  for (auto& [v, id] : keys) ids.push_back(id);
  return ids;
}

#define EXPECT_CODE(expr, code_)                                          \
  do {                                                                    \
    absl::Status _s = (expr);                                             \
    EXPECT_EQ(_s.code(), absl::StatusCode::code_) << #expr << ": " << _s; \
  } while (0)

const ConversationColumn kOrderColumns[] = {
    ConversationColumn::kCreateTime, ConversationColumn::kUpdateTime,
    ConversationColumn::kStartTime, ConversationColumn::kDuration, ConversationColumn::kTurnCount};

}  // namespace

// ---- create / get --------------------------------------------------------------

TEST_P(StoreConformanceTest, CreateThenGetRoundTripsEveryField) {
  core::Conversation c = Conv("t1", "conv-1", 1234);
  c.set_medium(core::PHONE_CALL);
  c.set_source(core::LIVE);
  c.set_lifecycle(core::COMPLETED);
  c.set_stage(core::HUMAN_ASSIST_STAGE);
  c.set_profile("profile-9");
  c.add_agent_ids("agent-1");
  c.add_agent_ids("agent-2");
  c.set_language_code("en-US");
  (*c.mutable_labels())["env"] = "prod";
  (*c.mutable_labels())["unicode"] = "h\xC3\xA9llo";
  c.set_start_time_us(1000);
  c.set_duration_us(0);
  c.set_expire_time_us(0);
  c.set_turn_count(3);
  c.set_app("app");
  c.set_metadata_json("{\"a\":1}");
  auto* p = c.add_participants();
  p->set_id("p1");
  p->set_role(core::END_USER);
  auto* m = c.add_messages();
  m->set_id("m1");
  m->set_participant_id("p1");
  m->set_text(std::string("hello\0world", 11));
  m->set_time_us(1001);
  auto* md = c.add_metadata();
  md->set_key("k");
  md->add_values()->set_number_value(1.5);
  ASSERT_TRUE(store().CreateConversation(c).ok());

  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "conv-1", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(Same(*got, c)) << got->DebugString();
  // Absent and zero stay distinct.
  EXPECT_FALSE(got->has_end_time_us());
  EXPECT_TRUE(got->has_duration_us());
}

TEST_P(StoreConformanceTest, DuplicateCreateIsAlreadyExistsAndChangesNothing) {
  core::Conversation c = Conv("t1", "dup");
  c.set_profile("first");
  ASSERT_TRUE(store().CreateConversation(c).ok());
  core::Conversation again = Conv("t1", "dup", 99);
  again.set_profile("second");
  (*again.mutable_labels())["x"] = "y";
  EXPECT_CODE(store().CreateConversation(again), kAlreadyExists);
  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "dup", 0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->profile(), "first");
  ConversationQuery q = Query("t1");
  q.condition = Label("x", CompareOp::kHas);
  absl::StatusOr<ListResult> r = ListAll(store(), q);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ids.empty());
}

TEST_P(StoreConformanceTest, GetMissingIsNotFound) {
  EXPECT_CODE(store().GetConversation("t1", "global", "nope", 0).status(), kNotFound);
}

TEST_P(StoreConformanceTest, TenantsAreIsolated) {
  core::Conversation a = Conv("t1", "same");
  a.set_medium(core::CHAT);
  a.add_agent_ids("ag");
  core::Conversation b = Conv("t2", "same");
  b.set_medium(core::EMAIL);
  b.add_agent_ids("ag");
  ASSERT_TRUE(store().CreateConversation(a).ok());
  ASSERT_TRUE(store().CreateConversation(b).ok());
  ASSERT_TRUE(store().CreateConversation(Conv("t2", "only-t2")).ok());

  EXPECT_EQ(store().GetConversation("t1", "global", "same", 0)->medium(), core::CHAT);
  EXPECT_EQ(store().GetConversation("t2", "global", "same", 0)->medium(), core::EMAIL);
  EXPECT_CODE(store().GetConversation("t1", "global", "only-t2", 0).status(), kNotFound);
  EXPECT_CODE(store().GetConversation("t3", "global", "same", 0).status(), kNotFound);

  for (const char* tenant : {"t1", "t2"}) {
    ConversationQuery q = Query(tenant, 1);
    q.condition = CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "ag");
    absl::StatusOr<ListResult> r = ListAll(store(), q);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->ids, std::vector<std::string>{"same"}) << tenant;
  }
  absl::StatusOr<ListResult> all2 = ListAll(store(), Query("t2"));
  EXPECT_EQ(Sorted(all2->ids), (std::vector<std::string>{"only-t2", "same"}));
  EXPECT_TRUE(ListAll(store(), Query("t3"))->ids.empty());

  // Writes in one tenant leave the other alone.
  EXPECT_CODE(store().PutAnalysis(MakeAnalysis("t1", "only-t2", "a1", 5)), kNotFound);
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "same", "a1", 5)).ok());
  EXPECT_EQ(store().GetConversation("t2", "global", "same", 0)->latest_analysis_id(), "");
  core::Conversation a2 = a;
  a2.set_update_time_us(2000);
  a2.set_medium(core::PHONE_CALL);
  ASSERT_TRUE(store().UpdateConversation(a2, a.update_time_us()).ok());
  EXPECT_EQ(store().GetConversation("t2", "global", "same", 0)->medium(), core::EMAIL);
  EXPECT_CODE(store().DeleteConversation("t1", "global", "only-t2", true), kNotFound);
  ASSERT_TRUE(store().DeleteConversation("t1", "global", "same", true).ok());
  EXPECT_TRUE(store().GetConversation("t2", "global", "same", 0).ok());
}

// ---- update ------------------------------------------------------------------------

TEST_P(StoreConformanceTest, UpdateChecksExpectedUpdateTime) {
  core::Conversation c = Conv("t1", "u", 100);
  (*c.mutable_labels())["env"] = "prod";
  c.add_agent_ids("a1");
  c.set_start_time_us(50);
  ASSERT_TRUE(store().CreateConversation(c).ok());

  core::Conversation next = c;
  next.set_update_time_us(200);
  next.clear_labels();
  (*next.mutable_labels())["env"] = "dev";
  next.clear_agent_ids();
  next.add_agent_ids("a2");
  next.clear_start_time_us();
  next.set_turn_count(7);

  EXPECT_CODE(store().UpdateConversation(next, 99), kAborted);
  EXPECT_TRUE(Same(*store().GetConversation("t1", "global", "u", 0), c));

  ASSERT_TRUE(store().UpdateConversation(next, 100).ok());
  EXPECT_TRUE(Same(*store().GetConversation("t1", "global", "u", 0), next));
  // The old expected time no longer matches.
  EXPECT_CODE(store().UpdateConversation(next, 100), kAborted);

  // Indexed columns, labels and agents follow the update.
  auto ids_for = [&](Condition cond) {
    ConversationQuery q = Query("t1");
    q.condition = std::move(cond);
    return ListAll(store(), q)->ids;
  };
  const std::vector<std::string> none, one{"u"};
  EXPECT_EQ(ids_for(Label("env", CompareOp::kEq, "prod")), none);
  EXPECT_EQ(ids_for(Label("env", CompareOp::kEq, "dev")), one);
  EXPECT_EQ(ids_for(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1")), none);
  EXPECT_EQ(ids_for(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2")), one);
  EXPECT_EQ(ids_for(Cmp(ConversationColumn::kTurnCount, CompareOp::kEq, 7)), one);
  EXPECT_EQ(ids_for(CmpS(ConversationColumn::kStartTime, CompareOp::kHas, "*")), none);
  EXPECT_EQ(ids_for(Cmp(ConversationColumn::kUpdateTime, CompareOp::kEq, 200)), one);
  // The agent's walk checks the labels as they are now.
  const Condition a2 = CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2");
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kEq, "dev")})), one);
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kEq, "prod")})), none);
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kNe, "prod")})), one);
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kNe, "dev")})), none);
  core::Conversation unlabelled = next;
  unlabelled.set_update_time_us(300);
  unlabelled.clear_labels();
  ASSERT_TRUE(store().UpdateConversation(unlabelled, 200).ok());
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kEq, "dev")})), none);
  EXPECT_EQ(ids_for(And({a2, Label("env", CompareOp::kNe, "dev")})), one);
}

TEST_P(StoreConformanceTest, UpdateMissingIsNotFound) {
  EXPECT_CODE(store().UpdateConversation(Conv("t1", "ghost"), 1000), kNotFound);
}

TEST_P(StoreConformanceTest, UpdateKeepsLatestAnalysis) {
  core::Conversation c = Conv("t1", "u", 100);
  ASSERT_TRUE(store().CreateConversation(c).ok());
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "u", "an1", 10)).ok());
  core::Conversation next = c;  // read before the analysis landed
  next.set_update_time_us(300);
  next.set_profile("changed");
  ASSERT_TRUE(store().UpdateConversation(next, 100).ok());
  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "u", 0);
  EXPECT_EQ(got->profile(), "changed");
  EXPECT_EQ(got->latest_analysis_id(), "an1");
  ConversationQuery q = Query("t1");
  q.condition = CmpS(ConversationColumn::kLatestAnalysis, CompareOp::kHas, "*");
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{"u"});
}

// ---- delete and analyses -------------------------------------------------------------

// ScrubUpdate::rewrite_analysis: every analysis of the conversation (and of
// no other) is rewritten in the update's transaction, its key and create
// time kept, the latest unchanged; an update that fails rewrites nothing.
TEST_P(StoreConformanceTest, UpdateRewritesAnalysesInTheSameTransaction) {
  core::Conversation c = Conv("t1", "r", 100);
  ASSERT_TRUE(store().CreateConversation(c).ok());
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "other", 100)).ok());
  for (const auto& [conv, id, time] :
       std::vector<std::tuple<std::string, std::string, int64_t>>{
           {"r", "old", 10}, {"r", "new", 20}, {"r", "clean", 5}, {"other", "x", 10}}) {
    core::Analysis a = MakeAnalysis("t1", conv, id, time);
    a.mutable_result()->set_summary(id == "clean" ? "nothing here" : "card SECRET-1234 read");
    ASSERT_TRUE(store().PutAnalysis(a).ok());
  }
  int calls = 0;
  ScrubUpdate scrub;
  scrub.rewrite_analysis = [&](core::Analysis& a) {
    ++calls;
    std::string* summary = a.mutable_result()->mutable_summary();
    const size_t at = summary->find("SECRET-1234");
    if (at == std::string::npos) return false;
    summary->replace(at, 11, "[CARD]");
    a.set_id("renamed");  // the store keeps the key and create time
    a.set_create_time_us(999);
    return true;
  };
  scrub.scrub_files = true;
  auto summary = [&](const std::string& conv, const std::string& id) {
    absl::StatusOr<core::Analysis> a = store().GetAnalysis("t1", "global", conv, id);
    return a.ok() ? a->result().summary() : a.status().ToString();
  };

  // A lost race (ABORTED) rewrites nothing; neither does NOT_FOUND.
  core::Conversation next = c;
  next.set_update_time_us(200);
  EXPECT_CODE(store().UpdateConversation(next, 99, {}, scrub), kAborted);
  EXPECT_CODE(store().UpdateConversation(Conv("t1", "ghost"), 1000, {}, scrub), kNotFound);
  EXPECT_EQ(summary("r", "old"), "card SECRET-1234 read");
  EXPECT_EQ(summary("r", "new"), "card SECRET-1234 read");

  ASSERT_TRUE(store().UpdateConversation(next, 100, {}, scrub).ok());
  EXPECT_GE(calls, 3);
  EXPECT_EQ(summary("r", "old"), "card [CARD] read");
  EXPECT_EQ(summary("r", "new"), "card [CARD] read");
  EXPECT_EQ(summary("r", "clean"), "nothing here");
  EXPECT_EQ(summary("other", "x"), "card SECRET-1234 read");  // another conversation
  absl::StatusOr<AnalysisPage> page = store().ListAnalyses("t1", "global", "r", 10, std::nullopt);
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::tuple<std::string, int64_t, std::string>> listed;
  for (const core::Analysis& a : page->analyses) {
    listed.emplace_back(a.id(), a.create_time_us(), a.conversation_id());
  }
  EXPECT_EQ(listed, (std::vector<std::tuple<std::string, int64_t, std::string>>{
                        {"new", 20, "r"}, {"old", 10, "r"}, {"clean", 5, "r"}}));
  EXPECT_EQ(store().GetConversation("t1", "global", "r", 0)->latest_analysis_id(), "new");
  EXPECT_EQ(store().GetConversation("t1", "global", "r", 0)->update_time_us(), 200);

  // Durable like any write.
  Reopen();
  EXPECT_EQ(summary("r", "old"), "card [CARD] read");

  // An update without a rewrite leaves analyses alone.
  next.set_update_time_us(300);
  ASSERT_TRUE(store().UpdateConversation(next, 200).ok());
  EXPECT_EQ(summary("other", "x"), "card SECRET-1234 read");
}

// ScrubUpdate::create_resource: the resource is created with the update, in
// the same transaction: both or neither (a lost race, a taken key).
TEST_P(StoreConformanceTest, UpdateCreatesAResourceInTheSameTransaction) {
  core::Conversation c = Conv("t1", "u", 100);
  (*c.mutable_labels())["v"] = "1";
  ASSERT_TRUE(store().CreateConversation(c).ok());
  Resource taken{"t1", "records", "taken", "global", 5, 5, "old"};
  ASSERT_TRUE(store().CreateResource(taken).ok());
  Resource fresh{"t1", "records", "fresh", "global", 200, 200, "answers"};
  core::Conversation next = c;
  next.set_update_time_us(200);
  (*next.mutable_labels())["v"] = "2";
  auto label = [&] { return store().GetConversation("t1", "global", "u", 0)->labels().at("v"); };

  ScrubUpdate with;
  with.create_resource = &fresh;
  // A lost race creates nothing.
  EXPECT_CODE(store().UpdateConversation(next, 99, {}, with), kAborted);
  EXPECT_CODE(store().GetResource("t1", "records", "fresh").status(), kNotFound);
  // A taken key fails the update too.
  ScrubUpdate clash;
  clash.create_resource = &taken;
  EXPECT_CODE(store().UpdateConversation(next, 100, {}, clash), kAlreadyExists);
  EXPECT_EQ(label(), "1");
  EXPECT_EQ(store().GetResource("t1", "records", "taken")->body, "old");

  ASSERT_TRUE(store().UpdateConversation(next, 100, {}, with).ok());
  EXPECT_EQ(label(), "2");
  Reopen();
  absl::StatusOr<Resource> got = store().GetResource("t1", "records", "fresh");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, "answers");
  EXPECT_EQ(got->location, "global");
  EXPECT_EQ(got->create_time_us, 200);
  EXPECT_EQ(label(), "2");
}

TEST_P(StoreConformanceTest, DeleteNeedsForceWhenAnalysesExist) {
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "d")).ok());
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "plain")).ok());
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "d", "an", 5)).ok());

  absl::Status s = store().DeleteConversation("t1", "global", "d", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("force"), std::string::npos) << s;
  EXPECT_TRUE(store().GetConversation("t1", "global", "d", 0).ok());

  ASSERT_TRUE(store().DeleteConversation("t1", "global", "d", true).ok());
  EXPECT_CODE(store().GetConversation("t1", "global", "d", 0).status(), kNotFound);
  EXPECT_CODE(store().DeleteConversation("t1", "global", "d", true), kNotFound);

  // Analyses went with it: a new conversation with the same id has none.
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "d")).ok());
  EXPECT_EQ(store().GetConversation("t1", "global", "d", 0)->latest_analysis_id(), "");
  EXPECT_TRUE(store().DeleteConversation("t1", "global", "d", false).ok());

  EXPECT_TRUE(store().DeleteConversation("t1", "global", "plain", false).ok());
  EXPECT_CODE(store().DeleteConversation("t1", "global", "never", false), kNotFound);
  EXPECT_TRUE(ListAll(store(), Query("t1"))->ids.empty());
}

TEST_P(StoreConformanceTest, PutAnalysisTracksTheNewest) {
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "c")).ok());
  EXPECT_CODE(store().PutAnalysis(MakeAnalysis("t1", "missing", "a", 1)), kNotFound);

  auto latest = [&] { return store().GetConversation("t1", "global", "c", 0)->latest_analysis_id(); };
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "c", "a-20", 20)).ok());
  EXPECT_EQ(latest(), "a-20");
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "c", "a-10", 10)).ok());
  EXPECT_EQ(latest(), "a-20");  // older: stored, not latest
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "c", "a-30", 30)).ok());
  EXPECT_EQ(latest(), "a-30");
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "c", "b-30", 30)).ok());
  EXPECT_EQ(latest(), "b-30");  // same time: the later put wins
  // Putting the same analysis again is idempotent.
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "c", "b-30", 30)).ok());
  EXPECT_EQ(latest(), "b-30");
  EXPECT_CODE(store().DeleteConversation("t1", "global", "c", false), kFailedPrecondition);
}

// A conversation that grows a message at a time (Dialogflow analyzeContent,
// CES runSession) reads back whole through every path — get from the
// database and through the cache, list, filters on its columns and labels,
// after reopening — whatever mix of appends, changed fields, cleared fields,
// label and agent changes and new latest analyses led there (a backend may
// store appends as deltas after the body, ADR 0032).
TEST_P(StoreConformanceTest, AppendedConversationsReadBackWholeThroughEveryPath) {
  core::Conversation c = Conv("t1", "grow", 100);
  (*c.mutable_labels())["env"] = "prod";
  c.add_agent_ids("a1");
  c.set_duration_us(5);
  ASSERT_TRUE(store().CreateConversation(c).ok());
  for (int i = 1; i <= 90; ++i) {
    core::Conversation next = c;
    next.set_update_time_us(100 + i);
    core::Message* m = next.add_messages();
    m->set_id("m" + std::to_string(i));
    m->set_participant_id("p1");
    m->set_text(std::string("turn\0", 5) + std::string(static_cast<size_t>(i * 7), 'x'));
    m->set_time_us(1000 + i);
    next.add_events()->set_id("e" + std::to_string(i));
    next.set_duration_us(5 + i);                       // a changed scalar
    if (i % 9 == 0) next.clear_duration_us();          // a cleared field
    if (i % 13 == 0) (*next.mutable_labels())["n"] = std::to_string(i);  // labels
    if (i % 17 == 0) next.add_agent_ids("a" + std::to_string(i));        // agents
    if (i % 11 == 0) next.mutable_messages(0)->set_text("edited " + std::to_string(i));
    if (i % 5 == 0) next.mutable_turns()->Add()->mutable_root_span()->set_name("s" + std::to_string(i));
    // An append that also creates a resource (Dialogflow's answer records).
    Resource records{"t1", "records", "r" + std::to_string(i), "global", 100 + i, 100 + i, "answers"};
    ScrubUpdate with;
    if (i % 7 == 0) with.create_resource = &records;
    ASSERT_TRUE(store().UpdateConversation(next, c.update_time_us(), {}, with).ok()) << i;
    if (i % 7 == 0) {
      absl::StatusOr<Resource> got = store().GetResource("t1", "records", records.id);
      ASSERT_TRUE(got.ok()) << i << ": " << got.status();
      EXPECT_EQ(got->body, "answers");
    }
    c = next;
    if (i % 23 == 0) {  // the store sets latest_analysis_id in the body
      const std::string id = "an" + std::to_string(i);
      ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "grow", id, i)).ok());
      c.set_latest_analysis_id(id);
    }
    absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "grow", 0);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(Same(*got, c)) << i << ": " << got->ShortDebugString();
    got = store().GetConversation("t1", "global", "grow", 1);  // through the cache
    ASSERT_TRUE(got.ok() && Same(*got, c)) << i;
    if (i % 10 == 0) {
      absl::StatusOr<ConversationPage> page = store().ListConversations(Query("t1"));
      ASSERT_TRUE(page.ok() && page->conversations.size() == 1) << i;
      ASSERT_TRUE(Same(page->conversations[0], c)) << i;
      ConversationQuery q = Query("t1");
      q.condition = And({Label("env", CompareOp::kEq, "prod"),
                         CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1")});
      page = store().ListConversations(q);  // the agent-driven plan
      ASSERT_TRUE(page.ok() && page->conversations.size() == 1) << i;
      ASSERT_TRUE(Same(page->conversations[0], c)) << i;
    }
  }
  EXPECT_EQ(ListAll(store(), [] {
              ConversationQuery q = Query("t1");
              q.condition = CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a85");
              return q;
            }())->ids,
            std::vector<std::string>{"grow"});
  Reopen();
  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "grow", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(Same(*got, c)) << got->ShortDebugString();
  // A stale expected update time is still refused, and changes nothing.
  core::Conversation stale = c;
  stale.add_messages()->set_id("late");
  EXPECT_CODE(store().UpdateConversation(stale, 100), kAborted);
  EXPECT_TRUE(Same(*store().GetConversation("t1", "global", "grow", 0), c));
  ASSERT_TRUE(store().DeleteConversation("t1", "global", "grow", true).ok());
  EXPECT_CODE(store().GetConversation("t1", "global", "grow", 0).status(), kNotFound);
}

// ---- listing: order and pagination ---------------------------------------------------

TEST_P(StoreConformanceTest, KeysetPagesReturnEveryRowOnceInOrder) {
  const std::vector<core::Conversation> data = MakeDataset("t1", 61);
  for (const core::Conversation& c : data) ASSERT_TRUE(store().CreateConversation(c).ok());
  for (const core::Conversation& c : MakeDataset("other", 5)) {
    ASSERT_TRUE(store().CreateConversation(c).ok());
  }
  for (ConversationColumn col : kOrderColumns) {
    for (SortOrder order : {SortOrder::kAscending, SortOrder::kDescending}) {
      const std::vector<std::string> expected =
          ExpectedOrder(data, col, order, [](const core::Conversation&) { return true; });
      for (int page_size : {1, 7, 61, 100}) {
        ConversationQuery q = Query("t1", page_size);
        q.order_by = col;
        q.order = order;
        absl::StatusOr<ListResult> r = ListAll(store(), q);
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_EQ(r->ids, expected) << "column " << static_cast<int>(col) << " order "
                                    << static_cast<int>(order) << " page " << page_size;
        EXPECT_EQ(r->pages, std::max<int>(1, (61 + page_size - 1) / page_size));
      }
      // The same with filters (an agent filter may be answered from another index).
      std::vector<int64_t> values;
      for (const core::Conversation& c : data) values.push_back(IntValue(c, col));
      std::sort(values.begin(), values.end());
      const int64_t lo = values[values.size() / 4], hi = values[values.size() * 3 / 4];
      const Condition filters[] = {
          CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2"),
          And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1"),
               Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1020),
               Cmp(ConversationColumn::kCreateTime, CompareOp::kLt, 1060)}),
          Label("env", CompareOp::kHas),
          And({Cmp(col, CompareOp::kGt, lo), Cmp(col, CompareOp::kLe, hi)}),
      };
      for (const Condition& filter : filters) {
        const std::vector<std::string> want = ExpectedOrder(
            data, col, order, [&](const core::Conversation& c) { return Matches(c, filter); });
        EXPECT_GT(want.size(), 2u) << Describe(filter);
        for (int page_size : {1, 3}) {
          ConversationQuery q = Query("t1", page_size);
          q.order_by = col;
          q.order = order;
          q.condition = filter;
          absl::StatusOr<ListResult> r = ListAll(store(), q);
          ASSERT_TRUE(r.ok()) << r.status();
          EXPECT_EQ(r->ids, want) << Describe(filter) << " column " << static_cast<int>(col)
                                  << " order " << static_cast<int>(order);
        }
      }
    }
  }
}

// Label filters, alone and combined with an agent and other columns, in
// create_time order (where a label or agent index may drive the list,
// store/list_plan.h): every page in order, each match once, page tokens
// followed to the end, other tenants' rows with the same labels never seen.
TEST_P(StoreConformanceTest, LabelAndCombinedFiltersPageInOrder) {
  const std::vector<core::Conversation> data = MakeDataset("t1", 150);
  for (const core::Conversation& c : data) ASSERT_TRUE(store().CreateConversation(c).ok());
  for (const core::Conversation& c : MakeDataset("t0", 40)) ASSERT_TRUE(store().CreateConversation(c).ok());
  for (const core::Conversation& c : MakeDataset("t2", 40)) ASSERT_TRUE(store().CreateConversation(c).ok());
  const Condition prod = Label("env", CompareOp::kEq, "prod");
  const Condition filters[] = {
      prod,
      Label("flag", CompareOp::kEq, ""),
      And({Label("env", CompareOp::kEq, "dev"), Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1020),
           Cmp(ConversationColumn::kCreateTime, CompareOp::kLt, 1060)}),
      // read_bench.sh's combined shape: agent, medium, label, turn count.
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1"),
           Cmp(ConversationColumn::kMedium, CompareOp::kNe, 0), prod,
           Cmp(ConversationColumn::kTurnCount, CompareOp::kGe, 1)}),
      And({prod, CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2")}),
      And({Label("team", CompareOp::kEq, "x"), prod}),
      And({prod, Not(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a3")),
           Or({Label("team", CompareOp::kHas), Cmp(ConversationColumn::kMedium, CompareOp::kEq, 2)})}),
      // Agent-driven with label checks of every kind (ADR 0039: hashes on
      // the agents entries): equal, not equal, empty value, two labels, NOT.
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2"), Label("env", CompareOp::kNe, "prod")}),
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1"), Label("flag", CompareOp::kEq, "")}),
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a3"), Label("env", CompareOp::kEq, "dev"),
           Label("team", CompareOp::kNe, "x")}),
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a4"), Not(prod),
           Cmp(ConversationColumn::kTurnCount, CompareOp::kGe, 1)}),
      And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1"),
           Or({prod, Label("team", CompareOp::kEq, "x")})}),
      And({prod, Label("env", CompareOp::kEq, "dev")}),  // none
  };
  for (const Condition& filter : filters) {
    for (SortOrder order : {SortOrder::kDescending, SortOrder::kAscending}) {
      for (const std::string scope : {"", "us"}) {
        const std::vector<std::string> want =
            ExpectedOrder(data, ConversationColumn::kCreateTime, order, [&](const core::Conversation& c) {
              return Matches(c, filter) && (scope.empty() || c.scope() == scope);
            });
        if (scope.empty() && &filter != &filters[std::size(filters) - 1]) {
          EXPECT_GE(want.size(), 3u) << Describe(filter);  // the data discriminates
        }
        for (int page_size : {1, 4, 100}) {
          ConversationQuery q = Query("t1", page_size);
          q.order = order;
          q.scope = scope;
          q.condition = filter;
          absl::StatusOr<ListResult> r = ListAll(store(), q);
          ASSERT_TRUE(r.ok()) << Describe(filter) << ": " << r.status();
          EXPECT_EQ(r->ids, want) << Describe(filter) << " order " << static_cast<int>(order)
                                  << " scope '" << scope << "' page " << page_size;
          EXPECT_EQ(r->pages, std::max<int>(1, (static_cast<int>(want.size()) + page_size - 1) / page_size))
              << Describe(filter);
        }
      }
    }
  }
}

TEST_P(StoreConformanceTest, CursorCarriesSortValueAndId) {
  core::Conversation a = Conv("t1", "a", 10);
  core::Conversation b = Conv("t1", "b", 10);
  core::Conversation c = Conv("t1", "c", 5);
  c.set_start_time_us(7);
  for (auto* x : {&a, &b, &c}) ASSERT_TRUE(store().CreateConversation(*x).ok());

  ConversationQuery q = Query("t1", 1);
  absl::StatusOr<ConversationPage> p = store().ListConversations(q);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->conversations.size(), 1u);
  EXPECT_EQ(p->conversations[0].id(), "b");
  ASSERT_TRUE(p->next.has_value());
  EXPECT_EQ(p->next->sort_value, 10);
  EXPECT_EQ(p->next->id, "b");

  q.order_by = ConversationColumn::kStartTime;
  q.order = SortOrder::kAscending;
  q.page_size = 2;
  p = store().ListConversations(q);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->conversations.size(), 2u);
  EXPECT_EQ(p->conversations[0].id(), "a");  // absent start times first
  EXPECT_EQ(p->conversations[1].id(), "b");
  ASSERT_TRUE(p->next.has_value());
  EXPECT_EQ(p->next->sort_value, kAbsent);
  q.after = p->next;
  p = store().ListConversations(q);
  ASSERT_EQ(p->conversations.size(), 1u);
  EXPECT_EQ(p->conversations[0].id(), "c");
  EXPECT_FALSE(p->next.has_value());
}

TEST_P(StoreConformanceTest, LocationFilter) {
  core::Conversation a = Conv("t1", "a");
  a.set_scope("us-central1");
  core::Conversation b = Conv("t1", "b");
  b.set_scope("global");
  ASSERT_TRUE(store().CreateConversation(a).ok());
  ASSERT_TRUE(store().CreateConversation(b).ok());
  ConversationQuery q = Query("t1");
  q.scope = "us-central1";
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{"a"});
  q.scope = "";
  EXPECT_EQ(ListAll(store(), q)->ids.size(), 2u);
}

// ---- listing: filters --------------------------------------------------------------------

TEST_P(StoreConformanceTest, FiltersOnEveryColumnAndOperator) {
  std::vector<core::Conversation> data = MakeDataset("t1", 90);
  for (const core::Conversation& c : data) ASSERT_TRUE(store().CreateConversation(c).ok());
  for (const core::Conversation& c : MakeDataset("t2", 20)) {
    ASSERT_TRUE(store().CreateConversation(c).ok());
  }
  // Analyses on every third conversation.
  for (size_t i = 0; i < data.size(); i += 3) {
    core::Analysis a = MakeAnalysis("t1", data[i].id(), "an", 1);
    a.set_scope(data[i].scope());
    ASSERT_TRUE(store().PutAnalysis(a).ok());
    data[i].set_latest_analysis_id("an");
  }

  const CompareOp all_ops[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kLe,
                               CompareOp::kGt, CompareOp::kGe, CompareOp::kHas};
  std::vector<Condition> conditions;
  const std::pair<ConversationColumn, std::vector<int64_t>> int_columns[] = {
      {ConversationColumn::kMedium, {0, 1, 2, 3}},
      {ConversationColumn::kLifecycle, {0, 1, 2}},
      {ConversationColumn::kStage, {0, 2}},
      {ConversationColumn::kSource, {0, 3, 7}},
      {ConversationColumn::kCreateTime, {999, 1000, 1030, 1070, 2000}},
      {ConversationColumn::kUpdateTime, {5000, 5010, 5019}},
      {ConversationColumn::kStartTime, {100, 103, 105, 0, -5}},
      {ConversationColumn::kDuration, {0, 2000, 4000}},
      {ConversationColumn::kTurnCount, {0, 1, 2, 3}},
  };
  for (const auto& [col, values] : int_columns) {
    for (CompareOp op : all_ops) {
      for (int64_t v : values) conditions.push_back(Cmp(col, op, v));
    }
    conditions.push_back(CmpS(col, CompareOp::kHas, "*"));
  }
  const std::pair<ConversationColumn, std::vector<std::string>> string_columns[] = {
      {ConversationColumn::kLanguageCode, {"", "en-US", "de-DE", "fr", "zz"}},
      {ConversationColumn::kProfile, {"", "p1", "p2"}},
      {ConversationColumn::kApp, {"", "app1"}},
  };
  for (const auto& [col, values] : string_columns) {
    for (CompareOp op : all_ops) {
      for (const std::string& v : values) conditions.push_back(CmpS(col, op, v));
    }
    conditions.push_back(CmpS(col, CompareOp::kHas, "*"));
  }
  for (CompareOp op : {CompareOp::kEq, CompareOp::kNe, CompareOp::kHas}) {
    for (const char* v : {"a1", "a2", "a4", "nobody"}) {
      conditions.push_back(CmpS(ConversationColumn::kAgentId, op, v));
    }
    for (const char* key : {"env", "team", "flag", "missing"}) {
      for (const char* v : {"prod", "dev", "x", ""}) conditions.push_back(Label(key, op, v));
    }
  }
  conditions.push_back(CmpS(ConversationColumn::kAgentId, CompareOp::kHas, "*"));
  conditions.push_back(Label("env", CompareOp::kHas, "*"));
  conditions.push_back(CmpS(ConversationColumn::kLatestAnalysis, CompareOp::kHas, "*"));
  // Nesting.
  conditions.push_back(Not(CmpS(ConversationColumn::kLatestAnalysis, CompareOp::kHas, "*")));
  conditions.push_back(Not(Cmp(ConversationColumn::kStartTime, CompareOp::kLt, 103)));
  conditions.push_back(Or(
      {Cmp(ConversationColumn::kMedium, CompareOp::kEq, 1), Label("env", CompareOp::kEq, "prod")}));
  conditions.push_back(And({Cmp(ConversationColumn::kCreateTime, CompareOp::kGe, 1020),
                            Cmp(ConversationColumn::kCreateTime, CompareOp::kLt, 1060),
                            CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2")}));
  conditions.push_back(And({Cmp(ConversationColumn::kStartTime, CompareOp::kGe, 102),
                            Not(Or({Label("team", CompareOp::kHas),
                                    CmpS(ConversationColumn::kAgentId, CompareOp::kNe, "a3")})),
                            Cmp(ConversationColumn::kDuration, CompareOp::kLe, 3000)}));
  conditions.push_back(Or({And({Cmp(ConversationColumn::kTurnCount, CompareOp::kGt, 1),
                                CmpS(ConversationColumn::kProfile, CompareOp::kEq, "p1")}),
                           Not(Not(CmpS(ConversationColumn::kApp, CompareOp::kHas, "*")))}));
  conditions.push_back(And({CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a1"),
                            CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a2")}));
  conditions.push_back(And({CmpS(ConversationColumn::kAgentId, CompareOp::kHas, "a1"),
                            CmpS(ConversationColumn::kAgentId, CompareOp::kNe, "a2"),
                            Cmp(ConversationColumn::kCreateTime, CompareOp::kLe, 1050)}));
  conditions.push_back(And({}));
  conditions.push_back(Or({}));
  conditions.push_back(Not(And({})));

  int nonempty = 0;
  for (const Condition& cond : conditions) {
    std::vector<std::string> expected;
    for (const core::Conversation& c : data) {
      if (Matches(c, cond)) expected.push_back(c.id());
    }
    if (!expected.empty() && expected.size() < data.size()) ++nonempty;
    // Once in the default order, once ordered by start time (so a comparison
    // on the ordering column is exercised both ways).
    for (ConversationColumn order_by :
         {ConversationColumn::kCreateTime, ConversationColumn::kStartTime}) {
      ConversationQuery q = Query("t1", 16);
      q.condition = cond;
      q.order_by = order_by;
      absl::StatusOr<ListResult> r = ListAll(store(), q);
      ASSERT_TRUE(r.ok()) << Describe(cond) << ": " << r.status();
      EXPECT_EQ(Sorted(r->ids), Sorted(expected)) << Describe(cond);
    }
  }
  EXPECT_GT(nonempty, static_cast<int>(conditions.size()) / 2);  // the data discriminates
}

TEST_P(StoreConformanceTest, AgentIdMatchesAnyAgent) {
  core::Conversation c = Conv("t1", "multi");
  c.add_agent_ids("alice");
  c.add_agent_ids("bob");
  ASSERT_TRUE(store().CreateConversation(c).ok());
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "none")).ok());
  auto ids = [&](Condition cond) {
    ConversationQuery q = Query("t1");
    q.condition = std::move(cond);
    return Sorted(ListAll(store(), q)->ids);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "bob")), V{"multi"});
  EXPECT_EQ(ids(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "alice")), V{"multi"});
  EXPECT_EQ(ids(CmpS(ConversationColumn::kAgentId, CompareOp::kNe, "bob")), V{"none"});
  EXPECT_EQ(ids(CmpS(ConversationColumn::kAgentId, CompareOp::kNe, "carol")), (V{"multi", "none"}));
  EXPECT_EQ(ids(Not(CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "bob"))), V{"none"});
  EXPECT_EQ(ids(CmpS(ConversationColumn::kAgentId, CompareOp::kHas, "*")), V{"multi"});
}

TEST_P(StoreConformanceTest, UnsupportedQueriesAreInvalidArgument) {
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "c")).ok());
  auto status = [&](Condition cond, ConversationColumn order = ConversationColumn::kCreateTime) {
    ConversationQuery q = Query("t1");
    q.condition = std::move(cond);
    q.order_by = order;
    return store().ListConversations(q).status();
  };
  EXPECT_CODE(status(Label("env", CompareOp::kLt, "a")), kInvalidArgument);
  EXPECT_CODE(status(Label("", CompareOp::kEq, "a")), kInvalidArgument);
  EXPECT_CODE(status(CmpS(ConversationColumn::kAgentId, CompareOp::kGt, "a")), kInvalidArgument);
  EXPECT_CODE(status(CmpS(ConversationColumn::kLatestAnalysis, CompareOp::kEq, "x")),
              kInvalidArgument);
  Condition bad_not = Not(Cmp(ConversationColumn::kMedium, CompareOp::kEq, 1));
  bad_not.children.push_back(bad_not.children[0]);
  EXPECT_CODE(status(bad_not), kInvalidArgument);
  EXPECT_CODE(status(And({}), ConversationColumn::kLabel), kInvalidArgument);
  EXPECT_CODE(status(And({}), ConversationColumn::kMedium), kInvalidArgument);
  Condition deep = Cmp(ConversationColumn::kMedium, CompareOp::kEq, 1);
  for (int i = 0; i < 500; ++i) deep = Not(std::move(deep));
  EXPECT_CODE(status(deep), kInvalidArgument);
  ConversationQuery q = Query("t1", 0);
  EXPECT_CODE(store().ListConversations(q).status(), kInvalidArgument);
}

TEST_P(StoreConformanceTest, HostileValuesAreData) {
  core::Conversation c = Conv("t1", "x'); DROP TABLE conversations; --");
  c.set_profile("' OR 1=1 --");
  (*c.mutable_labels())["k' OR '1'='1"] = "\"; DELETE";
  ASSERT_TRUE(store().CreateConversation(c).ok());
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "other")).ok());
  ConversationQuery q = Query("t1");
  q.condition = CmpS(ConversationColumn::kProfile, CompareOp::kEq, "' OR 1=1 --");
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{c.id()});
  q.condition = Label("k' OR '1'='1", CompareOp::kEq, "\"; DELETE");
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{c.id()});
  EXPECT_TRUE(store().GetConversation("t1", "global", c.id(), 0).ok());
}

// ---- expiry ------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ExpiredConversationsAreHiddenThenSwept) {
  core::Conversation gone = Conv("t1", "gone", 1);
  gone.set_expire_time_us(500);
  core::Conversation edge = Conv("t1", "edge", 2);
  edge.set_expire_time_us(1000);  // at `now`: expired
  core::Conversation later = Conv("t1", "later", 3);
  later.set_expire_time_us(2000);
  core::Conversation never = Conv("t1", "never", 4);
  core::Conversation other = Conv("t2", "gone", 5);
  other.set_expire_time_us(500);
  for (auto* c : {&gone, &edge, &later, &never, &other}) {
    ASSERT_TRUE(store().CreateConversation(*c).ok());
  }
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "gone", "an", 1)).ok());

  EXPECT_CODE(store().GetConversation("t1", "global", "gone", 1000).status(), kNotFound);
  EXPECT_CODE(store().GetConversation("t1", "global", "edge", 1000).status(), kNotFound);
  EXPECT_TRUE(store().GetConversation("t1", "global", "later", 1000).ok());
  EXPECT_TRUE(store().GetConversation("t1", "global", "gone", 400).ok());
  EXPECT_TRUE(store().GetConversation("t1", "global", "gone", 0).ok());  // 0: no expiry check

  ConversationQuery q = Query("t1");
  q.now_us = 1000;
  EXPECT_EQ(ListAll(store(), q)->ids, (std::vector<std::string>{"never", "later"}));
  q.now_us = 0;
  EXPECT_EQ(ListAll(store(), q)->ids.size(), 4u);

  // Not swept yet: the id is still taken.
  EXPECT_CODE(store().CreateConversation(gone), kAlreadyExists);

  absl::StatusOr<int64_t> swept = store().DeleteExpiredConversations(1000);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 3);  // t1/gone, t1/edge, t2/gone
  EXPECT_CODE(store().GetConversation("t1", "global", "gone", 0).status(), kNotFound);
  EXPECT_CODE(store().GetConversation("t2", "global", "gone", 0).status(), kNotFound);
  EXPECT_TRUE(store().GetConversation("t1", "global", "later", 0).ok());
  EXPECT_EQ(*store().DeleteExpiredConversations(1000), 0);

  // The id is free again and the old analyses went with the sweep.
  gone.set_expire_time_us(0);
  ASSERT_TRUE(store().CreateConversation(gone).ok());
  EXPECT_TRUE(store().DeleteConversation("t1", "global", "gone", false).ok());
}

TEST_P(StoreConformanceTest, SweepsManyExpired) {
  for (int i = 0; i < 2500; i += 50) {
    std::vector<std::thread> threads;
    for (int k = 0; k < 50; ++k) {
      threads.emplace_back([&, i, k] {
        core::Conversation c = Conv("t1", "e" + std::to_string(i + k));
        c.set_expire_time_us(10 + (i + k) % 3);
        EXPECT_TRUE(store().CreateConversation(c).ok());
      });
    }
    for (auto& t : threads) t.join();
  }
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "keep")).ok());
  EXPECT_EQ(*store().DeleteExpiredConversations(100), 2500);
  EXPECT_EQ(ListAll(store(), Query("t1"))->ids, std::vector<std::string>{"keep"});
}

TEST_P(StoreConformanceTest, ListsIdleLiveConversationsOfEveryTenantOldestFirst) {
  auto live = [](const std::string& tenant, const std::string& id, int64_t updated) {
    core::Conversation c = Conv(tenant, id, updated);
    c.set_lifecycle(core::IN_PROGRESS);
    c.set_stage(core::HUMAN_ASSIST_STAGE);
    return c;
  };
  core::Conversation done = live("t1", "done", 100);
  done.set_lifecycle(core::COMPLETED);
  core::Conversation stageless = Conv("t1", "stageless", 100);  // another dialect's open conversation
  stageless.set_lifecycle(core::IN_PROGRESS);
  core::Conversation eu = live("t2", "b", 300);
  eu.set_scope("eu");
  core::Conversation us = live("t0", "z", 150);  // a tenant before t1, between t1's two
  us.set_scope("us");
  for (const core::Conversation& c : {live("t1", "a", 200), eu, live("t1", "c", 100), live("t1", "fresh", 900), done,
                                      stageless, us}) {
    ASSERT_TRUE(store().CreateConversation(c).ok());
  }
  auto keys = [&](int64_t before, int limit) {
    absl::StatusOr<std::vector<ConversationKey>> idle = store().ListIdleConversations(before, limit);
    EXPECT_TRUE(idle.ok()) << idle.status();
    std::vector<std::string> out;
    for (const ConversationKey& k : idle.value_or(std::vector<ConversationKey>{})) {
      out.push_back(k.tenant + "/" + k.scope + "/" + k.id);
    }
    return out;
  };
  EXPECT_EQ(keys(500, 10), (std::vector<std::string>{"t1/global/c", "t0/us/z", "t1/global/a", "t2/eu/b"}));
  EXPECT_EQ(keys(500, 2), (std::vector<std::string>{"t1/global/c", "t0/us/z"}));
  EXPECT_EQ(keys(160, 10), (std::vector<std::string>{"t1/global/c", "t0/us/z"}));
  EXPECT_EQ(keys(50, 10).size(), 0u);
}

// ---- settings, persistence, concurrency, close --------------------------------------------

TEST_P(StoreConformanceTest, SettingsAreCreatedOnceAndPersist) {
  absl::StatusOr<std::string> v = store().GetOrCreateSetting("page-key", std::string("s\0e", 3));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, std::string("s\0e", 3));
  EXPECT_EQ(*store().GetOrCreateSetting("page-key", "other"), std::string("s\0e", 3));
  EXPECT_EQ(*store().GetOrCreateSetting("second", "two"), "two");
  Reopen();
  EXPECT_EQ(*store().GetOrCreateSetting("page-key", "third"), std::string("s\0e", 3));
}

TEST_P(StoreConformanceTest, ConcurrentSettingCreationAgrees) {
  std::vector<std::string> got(16);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      got[i] = store().GetOrCreateSetting("k", "v" + std::to_string(i)).value_or("error");
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_NE(got[0], "error");
}

TEST_P(StoreConformanceTest, DataSurvivesReopen) {
  core::Conversation c = Conv("t1", "keep", 10);
  (*c.mutable_labels())["env"] = "prod";
  c.add_agent_ids("a");
  ASSERT_TRUE(store().CreateConversation(c).ok());
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "keep", "an", 3)).ok());
  c.set_latest_analysis_id("an");
  core::Conversation next = c;
  next.set_update_time_us(20);
  ASSERT_TRUE(store().UpdateConversation(next, 10).ok());
  Reopen();
  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "keep", 0);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(Same(*got, next)) << got->DebugString();
  ConversationQuery q = Query("t1");
  q.condition = And({Label("env", CompareOp::kEq, "prod"),
                     CmpS(ConversationColumn::kAgentId, CompareOp::kEq, "a")});
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{"keep"});
  EXPECT_CODE(store().DeleteConversation("t1", "global", "keep", false), kFailedPrecondition);
}

TEST_P(StoreConformanceTest, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 32, kEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        core::Conversation c =
            Conv("t1", "w" + std::to_string(t) + "-" + std::to_string(i), 1000 + i);
        c.add_agent_ids("agent" + std::to_string(t % 4));
        if (!store().CreateConversation(c).ok()) failures++;
        if (i % 5 == 0) {
          ConversationQuery q = Query("t1", 10);
          if (!store().ListConversations(q).ok()) failures++;
          if (!store().GetConversation("t1", "global", c.id(), 0).ok()) failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ListAll(store(), Query("t1", 100))->ids.size(), size_t{kThreads * kEach});
}

namespace {

// Waits for one asynchronous write's result.
class WriteResult {
 public:
  store::Store::WriteDone Callback() {
    return [this](absl::Status s) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      status_ = std::move(s);
    };
  }
  absl::Status Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](int* calls) { return *calls > 0; }, &calls_));
    return status_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ = 0;
  absl::Status status_;
};

}  // namespace

TEST_P(StoreConformanceTest, AsyncCreateReportsOnceWhenDurable) {
  core::Conversation c = Conv("t1", "async-1", 100);
  c.set_profile("first");
  WriteResult first;
  const store::ConversationViews views = {{"a", "view"}}, no_views;
  store().CreateConversationAsync(c, views, first.Callback());
  ASSERT_TRUE(first.Wait().ok());
  absl::StatusOr<core::Conversation> got = store().GetConversation("t1", "global", "async-1", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->profile(), "first");
  std::string body;
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "async-1", 0, "a", &body).ok());
  EXPECT_EQ(body, "view");

  // A duplicate is ALREADY_EXISTS through the callback and changes nothing.
  core::Conversation again = Conv("t1", "async-1", 200);
  again.set_profile("second");
  WriteResult dup;
  store().CreateConversationAsync(again, no_views, dup.Callback());
  EXPECT_CODE(dup.Wait(), kAlreadyExists);
  EXPECT_EQ(store().GetConversation("t1", "global", "async-1", 0)->profile(), "first");
  // A conversation without an id is refused, also through the callback.
  WriteResult bad;
  const core::Conversation no_id = Conv("t1", "");
  store().CreateConversationAsync(no_id, no_views, bad.Callback());
  EXPECT_CODE(bad.Wait(), kInvalidArgument);
  EXPECT_EQ(first.calls() + dup.calls() + bad.calls(), 3);
}

TEST_P(StoreConformanceTest, ManyAsyncCreatesAllLandAndSurviveReopen) {
  constexpr int kCount = 300;
  std::vector<core::Conversation> convs;
  for (int i = 0; i < kCount; ++i) convs.push_back(Conv("t1", "a" + std::to_string(i), 1000 + i));
  std::vector<WriteResult> results(kCount);
  const store::ConversationViews no_views;
  for (int i = 0; i < kCount; ++i) {
    store().CreateConversationAsync(convs[i], no_views, results[i].Callback());
  }
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(results[i].Wait().ok()) << i;
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(results[i].calls(), 1);
  Reopen();
  EXPECT_EQ(ListAll(store(), Query("t1", 100))->ids.size(), size_t{kCount});
}

TEST_P(StoreConformanceTest, CloseMakesEverythingUnavailable) {
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "c")).ok());
  store().Close();
  store().Close();  // idempotent
  EXPECT_CODE(store().CreateConversation(Conv("t1", "d")), kUnavailable);
  EXPECT_CODE(store().GetConversation("t1", "global", "c", 0).status(), kUnavailable);
  EXPECT_CODE(store().UpdateConversation(Conv("t1", "c"), 1000), kUnavailable);
  EXPECT_CODE(store().DeleteConversation("t1", "global", "c", true), kUnavailable);
  EXPECT_CODE(store().PutAnalysis(MakeAnalysis("t1", "c", "a", 1)), kUnavailable);
  EXPECT_CODE(store().ListConversations(Query("t1")).status(), kUnavailable);
  EXPECT_CODE(store().DeleteExpiredConversations(1).status(), kUnavailable);
  EXPECT_CODE(store().GetOrCreateSetting("k", "v").status(), kUnavailable);
  WriteResult async;
  const core::Conversation late = Conv("t1", "e");
  const store::ConversationViews no_views;
  store().CreateConversationAsync(late, no_views, async.Callback());
  EXPECT_CODE(async.Wait(), kUnavailable);
  // What was acknowledged before Close is there after a reopen.
  Reopen();
  EXPECT_TRUE(store().GetConversation("t1", "global", "c", 0).ok());
}


TEST_P(StoreConformanceTest, ViewsAreStoredReplacedAndDroppedWithTheirConversation) {
  std::string body;
  core::Conversation c = Conv("t1", "v", 100);
  ASSERT_TRUE(store().CreateConversation(c, {{"a", "rendering-1"}, {"b", "other"}}).ok());
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "a", &body).ok());
  EXPECT_EQ(body, "rendering-1");
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "missing", &body).ok());
  EXPECT_EQ(body, "");
  EXPECT_CODE(store().ReadConversationView("t2", "global", "v", 0, "a", &body), kNotFound);
  EXPECT_CODE(store().ReadConversationView("t1", "global", "nope", 0, "a", &body), kNotFound);

  // An update that renders views replaces them; one that does not drops them.
  c.set_update_time_us(200);
  ASSERT_TRUE(store().UpdateConversation(c, 100, {{"a", "rendering-2"}}).ok());
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "a", &body).ok());
  EXPECT_EQ(body, "rendering-2");
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "b", &body).ok());
  EXPECT_EQ(body, "");
  c.set_update_time_us(300);
  ASSERT_TRUE(store().UpdateConversation(c, 200).ok());
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "a", &body).ok());
  EXPECT_EQ(body, "");

  // A new latest analysis makes views stale: they are dropped.
  c.set_update_time_us(400);
  ASSERT_TRUE(store().UpdateConversation(c, 300, {{"a", "rendering-3"}}).ok());
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "v", "an-1", 500)).ok());
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "v", 0, "a", &body).ok());
  EXPECT_EQ(body, "");

  // Expired conversations have no views to read.
  core::Conversation old = Conv("t1", "old", 100);
  old.set_expire_time_us(1000);
  ASSERT_TRUE(store().CreateConversation(old, {{"a", "x"}}).ok());
  EXPECT_CODE(store().ReadConversationView("t1", "global", "old", 2000, "a", &body), kNotFound);
  ASSERT_TRUE(store().DeleteConversation("t1", "global", "old", true).ok());
  EXPECT_CODE(store().ReadConversationView("t1", "global", "old", 0, "a", &body), kNotFound);
}


TEST_P(StoreConformanceTest, ViewsAreOpaqueBytesOfAnySize) {
  // Large repetitive text (stored compressed by SQLite), small text, and
  // bytes that look like a storage marker all come back exactly.
  std::string big;
  for (int i = 0; i < 200; ++i) big += "{\"text\":\"segment " + std::to_string(i) + " of the call\"},";
  const std::string marker(std::string("\x01\x05\x00\x00\x00", 5) + "hello");
  const std::string zero(std::string("\x00", 1) + "raw");
  const store::ConversationViews views = {{"big", big}, {"small", "{}"}, {"marker", marker}, {"zero", zero}};
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "opaque", 100), views).ok());
  for (const auto& [name, want] : views) {
    std::string body;
    ASSERT_TRUE(store().ReadConversationView("t1", "global", "opaque", 0, name, &body).ok());
    EXPECT_EQ(body, want) << name;
  }
}

TEST_P(StoreConformanceTest, CreateReplacesAnExpiredConversationWithTheSameId) {
  core::Conversation old = Conv("t1", "reuse", 100);
  old.set_expire_time_us(500);
  ASSERT_TRUE(store().CreateConversation(old, {{"a", "old view"}}).ok());
  ASSERT_TRUE(store().PutAnalysis(MakeAnalysis("t1", "reuse", "an-1", 200)).ok());
  // Not yet expired at the new create time: still taken.
  EXPECT_CODE(store().CreateConversation(Conv("t1", "reuse", 400)), kAlreadyExists);
  // Expired: replaced, with nothing of the old one left behind.
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "reuse", 600)).ok());
  auto got = store().GetConversation("t1", "global", "reuse", 700);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->create_time_us(), 600);
  EXPECT_EQ(got->latest_analysis_id(), "");
  std::string body;
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "reuse", 700, "a", &body).ok());
  EXPECT_EQ(body, "");
  // Deleting without force works: the old analyses went with the old row.
  EXPECT_TRUE(store().DeleteConversation("t1", "global", "reuse", false).ok());
}

// ---- the key is (tenant, scope, id) --------------------------------------------------

TEST_P(StoreConformanceTest, TheSameIdInTwoScopesIsTwoIndependentConversations) {
  core::Conversation us = Conv("t1", "same", 100);
  us.set_scope("us");
  us.set_profile("in-us");
  core::Conversation eu = Conv("t1", "same", 200);
  eu.set_scope("eu");
  eu.set_profile("in-eu");
  ASSERT_TRUE(store().CreateConversation(us, {{"full", "US"}}).ok());
  ASSERT_TRUE(store().CreateConversation(eu, {{"full", "EU"}}).ok());
  // A scope with "/" (CES, Cresta) is just another scope.
  core::Conversation app = Conv("t1", "same", 300);
  app.set_scope("us/apps/a1");
  ASSERT_TRUE(store().CreateConversation(app).ok());
  // Still one per key.
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "same", 400)).ok());  // scope "global"
  EXPECT_CODE(store().CreateConversation(eu), kAlreadyExists);

  auto got_us = store().GetConversation("t1", "us", "same", 0);
  auto got_eu = store().GetConversation("t1", "eu", "same", 0);
  ASSERT_TRUE(got_us.ok()) << got_us.status();
  ASSERT_TRUE(got_eu.ok()) << got_eu.status();
  EXPECT_EQ(got_us->profile(), "in-us");
  EXPECT_EQ(got_us->scope(), "us");
  EXPECT_EQ(got_eu->profile(), "in-eu");
  EXPECT_CODE(store().GetConversation("t1", "asia", "same", 0).status(), kNotFound);
  EXPECT_CODE(store().GetConversation("t2", "us", "same", 0).status(), kNotFound);
  std::string body;
  ASSERT_TRUE(store().ReadConversationView("t1", "us", "same", 0, "full", &body).ok());
  EXPECT_EQ(body, "US");
  ASSERT_TRUE(store().ReadConversationView("t1", "eu", "same", 0, "full", &body).ok());
  EXPECT_EQ(body, "EU");
  EXPECT_CODE(store().ReadConversationView("t1", "asia", "same", 0, "full", &body), kNotFound);

  // Updates address one scope.
  us.set_update_time_us(150);
  us.set_profile("in-us-2");
  ASSERT_TRUE(store().UpdateConversation(us, 100, {{"full", "US2"}}).ok());
  EXPECT_EQ(store().GetConversation("t1", "eu", "same", 0)->profile(), "in-eu");
  ASSERT_TRUE(store().ReadConversationView("t1", "eu", "same", 0, "full", &body).ok());
  EXPECT_EQ(body, "EU");
  core::Conversation elsewhere = us;
  elsewhere.set_scope("asia");
  EXPECT_CODE(store().UpdateConversation(elsewhere, 150), kNotFound);

  // Analyses belong to one of them.
  core::Analysis a = MakeAnalysis("t1", "same", "an-1", 500);
  a.set_scope("eu");
  ASSERT_TRUE(store().PutAnalysis(a).ok());
  EXPECT_EQ(store().GetConversation("t1", "eu", "same", 0)->latest_analysis_id(), "an-1");
  EXPECT_EQ(store().GetConversation("t1", "us", "same", 0)->latest_analysis_id(), "");
  // It dropped the views of its own conversation only.
  ASSERT_TRUE(store().ReadConversationView("t1", "eu", "same", 0, "full", &body).ok());
  EXPECT_EQ(body, "");
  ASSERT_TRUE(store().ReadConversationView("t1", "us", "same", 0, "full", &body).ok());
  EXPECT_EQ(body, "US2");
  EXPECT_TRUE(store().GetAnalysis("t1", "eu", "same", "an-1").ok());
  EXPECT_CODE(store().GetAnalysis("t1", "us", "same", "an-1").status(), kNotFound);
  EXPECT_EQ(store().ListAnalyses("t1", "eu", "same", 10, std::nullopt)->analyses.size(), 1u);
  EXPECT_EQ(store().ListAnalyses("t1", "us", "same", 10, std::nullopt)->analyses.size(), 0u);
  EXPECT_CODE(store().ListAnalyses("t1", "asia", "same", 10, std::nullopt).status(), kNotFound);
  EXPECT_CODE(store().DeleteAnalysis("t1", "us", "same", "an-1"), kNotFound);
  core::Analysis nowhere = MakeAnalysis("t1", "same", "an-2", 600);
  nowhere.set_scope("asia");
  EXPECT_CODE(store().PutAnalysis(nowhere), kNotFound);

  // Lists see both (every scope) or one (a scope).
  ConversationQuery q = Query("t1");
  EXPECT_EQ(ListAll(store(), q)->ids.size(), 4u);
  q.scope = "eu";
  EXPECT_EQ(ListAll(store(), q)->ids, std::vector<std::string>{"same"});

  // Deleting one leaves the others, their views and analyses.
  EXPECT_CODE(store().DeleteConversation("t1", "eu", "same", false), kFailedPrecondition);
  ASSERT_TRUE(store().DeleteConversation("t1", "us", "same", false).ok());
  EXPECT_CODE(store().GetConversation("t1", "us", "same", 0).status(), kNotFound);
  EXPECT_CODE(store().DeleteConversation("t1", "us", "same", true), kNotFound);
  ASSERT_TRUE(store().GetConversation("t1", "eu", "same", 0).ok());
  EXPECT_TRUE(store().GetAnalysis("t1", "eu", "same", "an-1").ok());
  EXPECT_TRUE(store().GetConversation("t1", "us/apps/a1", "same", 0).ok());
  ASSERT_TRUE(store().DeleteConversation("t1", "eu", "same", true).ok());
  EXPECT_TRUE(store().GetConversation("t1", "us/apps/a1", "same", 0).ok());

  // And the key survives a reopen.
  Reopen();
  EXPECT_CODE(store().GetConversation("t1", "eu", "same", 0).status(), kNotFound);
  EXPECT_TRUE(store().GetConversation("t1", "us/apps/a1", "same", 0).ok());
}

TEST_P(StoreConformanceTest, ExpiryFreesAKeyOnlyInItsScope) {
  core::Conversation old = Conv("t1", "reuse", 100);
  old.set_scope("us");
  old.set_expire_time_us(500);
  ASSERT_TRUE(store().CreateConversation(old).ok());
  core::Conversation live = Conv("t1", "reuse", 100);
  live.set_scope("eu");
  ASSERT_TRUE(store().CreateConversation(live).ok());
  core::Conversation again = Conv("t1", "reuse", 600);
  again.set_scope("eu");
  EXPECT_CODE(store().CreateConversation(again), kAlreadyExists);
  again.set_scope("us");
  ASSERT_TRUE(store().CreateConversation(again).ok());
  EXPECT_EQ(store().GetConversation("t1", "us", "reuse", 700)->create_time_us(), 600);
  EXPECT_EQ(store().GetConversation("t1", "eu", "reuse", 700)->create_time_us(), 100);
}

// ---- a conversation created together with an operation -------------------------------

core::Operation UploadOperation(const std::string& tenant, const std::string& id,
                                const std::string& conversation_id) {
  core::Operation op;
  op.set_tenant(tenant);
  op.set_location("global");
  op.set_id(id);
  op.set_create_time_us(100);
  op.set_state(core::OPERATION_SUCCEEDED);
  op.mutable_upload()->set_conversation_id(conversation_id);
  return op;
}

TEST_P(StoreConformanceTest, ListsOperationsOfTheGivenJobsInFullPages) {
  // Newest first: k0 (oldest) .. k4, with an upload between each.
  for (int i = 0; i < 5; ++i) {
    core::Operation upload = UploadOperation("t1", "u" + std::to_string(i), "c");
    upload.set_create_time_us(10 * i);
    ASSERT_TRUE(store().CreateOperation(upload).ok());
    core::Operation doc = UploadOperation("t1", "k" + std::to_string(i), "c");
    doc.set_create_time_us(10 * i + 5);
    doc.mutable_knowledge_document()->set_knowledge_base_id("kb");
    ASSERT_TRUE(store().CreateOperation(doc).ok());
  }
  const std::vector<int> jobs = {core::Operation::kKnowledgeDocument, core::Operation::kAgentTrain};
  absl::StatusOr<OperationPage> first = store().ListOperations("t1", "global", std::nullopt, 2, std::nullopt, jobs);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->operations.size(), 2u);
  EXPECT_EQ(first->operations[0].id(), "k4");
  EXPECT_EQ(first->operations[1].id(), "k3");
  ASSERT_TRUE(first->next.has_value());
  absl::StatusOr<OperationPage> second = store().ListOperations("t1", "global", std::nullopt, 3, first->next, jobs);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->operations.size(), 3u);
  EXPECT_EQ(second->operations[2].id(), "k0");
  EXPECT_FALSE(second->next.has_value());
  // A job that changes kind moves with it; no jobs: every operation.
  core::Operation moved = *store().GetOperation("t1", "u4");
  moved.mutable_agent_train();
  ASSERT_TRUE(store().UpdateOperation(moved).ok());
  EXPECT_EQ(store().ListOperations("t1", "global", std::nullopt, 10, std::nullopt, jobs)->operations.size(), 6u);
  EXPECT_EQ(store().ListOperations("t1", "global", std::nullopt, 20, std::nullopt)->operations.size(), 10u);
}

TEST_P(StoreConformanceTest, CreateWithAnOperationStoresBoth) {
  const core::Operation op = UploadOperation("t1", "op-1", "c1");
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "c1", 100), {{"full", "F"}}, &op).ok());
  Reopen();
  EXPECT_TRUE(store().GetConversation("t1", "global", "c1", 0).ok());
  std::string body;
  ASSERT_TRUE(store().ReadConversationView("t1", "global", "c1", 0, "full", &body).ok());
  EXPECT_EQ(body, "F");
  auto stored = store().GetOperation("t1", "op-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(Same(*stored, op));
}

// An analysis and its finished operation commit together; a reader who sees
// the operation done must not then be served the conversation's old view from
// a cache (the views are dropped with the analysis, as the new latest analysis
// is not in them). The reader polls the operation while the write runs, so it
// sees it done moments after the commit: the caches must be emptied by then,
// not when the writing thread next runs (compat/elevateai_llm once read an
// Insights conversation without its latestSummary so).
TEST_P(StoreConformanceTest, AReaderWhoSeesTheAnalysisOperationDoneSeesNoOldView) {
  constexpr int kRounds = 40;
  for (int i = 0; i < kRounds; ++i) {
    const std::string id = "race-" + std::to_string(i);
    core::Operation op = UploadOperation("t1", "op-" + id, id);
    op.set_state(core::OPERATION_RUNNING);
    ASSERT_TRUE(store().CreateConversation(Conv("t1", id, 100), {{"full", "OLD"}}, &op).ok());
    std::string body;
    // Twice: the second read is served from the cache where there is one.
    for (int read = 0; read < 2; ++read) {
      ASSERT_TRUE(store().ReadConversationView("t1", "global", id, 0, "full", &body).ok());
      ASSERT_EQ(body, "OLD");
    }
    core::Operation finished = op;
    finished.set_state(core::OPERATION_SUCCEEDED);
    std::atomic<bool> stop{false};
    std::string seen = "none";
    std::thread reader([&] {
      while (!stop.load()) {
        absl::StatusOr<core::Operation> got = store().GetOperation("t1", op.id());
        if (!got.ok() || got->state() != core::OPERATION_SUCCEEDED) continue;
        std::string view;
        if (store().ReadConversationView("t1", "global", id, 0, "full", &view).ok()) seen = view;
        return;
      }
    });
    absl::Status put = store().PutAnalysis(MakeAnalysis("t1", id, "an-" + id, 10), &finished);
    stop.store(true);
    reader.join();
    ASSERT_TRUE(put.ok()) << put;
    EXPECT_NE(seen, "OLD") << "round " << i << ": the operation was done and the old view was served";
  }
}

TEST_P(StoreConformanceTest, AFailedCreateWithAnOperationStoresNeither) {
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "taken", 100)).ok());
  // The conversation's key is taken: the operation is not stored either.
  const core::Operation op = UploadOperation("t1", "op-1", "taken");
  EXPECT_CODE(store().CreateConversation(Conv("t1", "taken", 200), {}, &op), kAlreadyExists);
  EXPECT_CODE(store().GetOperation("t1", "op-1").status(), kNotFound);
  EXPECT_EQ(store().GetConversation("t1", "global", "taken", 0)->create_time_us(), 100);

  // The operation's id is taken: the conversation is not stored either.
  const core::Operation first = UploadOperation("t1", "op-2", "other");
  ASSERT_TRUE(store().CreateOperation(first).ok());
  const core::Operation dup = UploadOperation("t1", "op-2", "fresh");
  EXPECT_CODE(store().CreateConversation(Conv("t1", "fresh", 100), {{"full", "F"}}, &dup),
              kAlreadyExists);
  EXPECT_CODE(store().GetConversation("t1", "global", "fresh", 0).status(), kNotFound);
  EXPECT_EQ(store().GetOperation("t1", "op-2")->upload().conversation_id(), "other");
  // ... and its key stays free.
  ASSERT_TRUE(store().CreateConversation(Conv("t1", "fresh", 100)).ok());

  // An operation without an id is refused before anything is written.
  core::Operation no_id = UploadOperation("t1", "", "later");
  EXPECT_CODE(store().CreateConversation(Conv("t1", "later", 100), {}, &no_id), kInvalidArgument);
  EXPECT_CODE(store().GetConversation("t1", "global", "later", 0).status(), kNotFound);
  Reopen();
  EXPECT_CODE(store().GetOperation("t1", "op-1").status(), kNotFound);
  EXPECT_CODE(store().GetConversation("t1", "global", "later", 0).status(), kNotFound);
}

// The audit log: appended entries come back oldest first with increasing
// seqs, filtered by time and tenant, paged by seq, and survive a reopen;
// the asynchronous append reports once the entry is readable.
TEST_P(StoreConformanceTest, AuditLogAppendsFiltersAndPersists) {
  auto entry = [](int64_t time_us, std::string tenant, std::string resource) {
    AuditEntry e;
    e.time_us = time_us;
    e.key = "ci";
    e.tenant = std::move(tenant);
    e.action = "DELETE /v1/{x}";
    e.resource = std::move(resource);
    e.result = "200";
    return e;
  };
  ASSERT_TRUE(store().AppendAudit(entry(100, "acme", "a")).ok());
  ASSERT_TRUE(store().AppendAudit(entry(200, "beta", "b")).ok());
  absl::Notification appended;
  absl::Status async_status = absl::UnknownError("not called");
  store().AppendAuditAsync(entry(300, "acme", "c"), [&](absl::Status s) {
    async_status = s;
    appended.Notify();
  });
  appended.WaitForNotification();
  ASSERT_TRUE(async_status.ok()) << async_status;

  auto all = store().ListAudit(AuditQuery{});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].resource, "a");
  EXPECT_EQ((*all)[0].key, "ci");
  EXPECT_EQ((*all)[0].tenant, "acme");
  EXPECT_EQ((*all)[0].action, "DELETE /v1/{x}");
  EXPECT_EQ((*all)[0].result, "200");
  EXPECT_EQ((*all)[0].time_us, 100);
  EXPECT_LT((*all)[0].seq, (*all)[1].seq);
  EXPECT_LT((*all)[1].seq, (*all)[2].seq);

  AuditQuery acme;
  acme.tenant = "acme";
  auto only_acme = store().ListAudit(acme);
  ASSERT_TRUE(only_acme.ok());
  ASSERT_EQ(only_acme->size(), 2u);
  EXPECT_EQ((*only_acme)[1].resource, "c");

  AuditQuery recent;
  recent.since_us = 200;
  auto since = store().ListAudit(recent);
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].resource, "b");

  AuditQuery page;
  page.limit = 1;
  page.after_seq = (*all)[0].seq;
  auto second = store().ListAudit(page);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].resource, "b");

  Reopen();
  auto reopened = store().ListAudit(AuditQuery{});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->size(), 3u);
}

// Pruning the audit log removes exactly the entries answered before the
// cut (any number of them, across its chunks), keeps the rest with their
// seqs, and is a no-op when repeated.
TEST_P(StoreConformanceTest, AuditLogPrunesOlderEntries) {
  AuditEntry e;
  e.key = "ci";
  e.tenant = "acme";
  e.action = "DELETE /v1/{x}";
  e.result = "200";
  // 12000 entries at times 1000..12999, appended in group commits.
  std::atomic<int> pending{12000};
  std::atomic<int> failed{0};
  absl::Notification appended;
  for (int i = 0; i < 12000; ++i) {
    e.time_us = 1000 + i;
    e.resource = std::to_string(e.time_us);
    store().AppendAuditAsync(e, [&](absl::Status s) {
      if (!s.ok()) failed.fetch_add(1);
      if (pending.fetch_sub(1) == 1) appended.Notify();
    });
  }
  appended.WaitForNotification();
  ASSERT_EQ(failed.load(), 0);
  e.time_us = 20000;
  e.resource = "last";
  ASSERT_TRUE(store().AppendAudit(e).ok());  // after the lazy ones
  auto before = store().ListAudit(AuditQuery{.since_us = 11000, .limit = 100000});
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 2001u);

  auto pruned = store().PruneAudit(11000);  // entries with time < 11000
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 10000);
  auto left = store().ListAudit(AuditQuery{.limit = 100000});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2001u);
  // Asynchronous appends may commit out of order (PostgreSQL writes them on
  // several threads), so the earliest remaining entry need not be the first.
  int64_t earliest = left->front().time_us;
  for (const AuditEntry& entry : *left) earliest = std::min(earliest, entry.time_us);
  EXPECT_EQ(earliest, 11000);
  EXPECT_EQ(left->front().seq, before->front().seq);
  EXPECT_EQ(left->back().resource, "last");

  auto again = store().PruneAudit(11000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  Reopen();
  auto reopened = store().ListAudit(AuditQuery{.limit = 100000});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->size(), 2001u);
}

}  // namespace parley::store::testing
