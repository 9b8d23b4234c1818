// MessageService over the real SQLite store: appending, deleting and
// redacting messages, participants, metadata upsert and completion, each
// with its typed event, and every refused change leaving the stored
// conversation as it was.
#include "service/message_service.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "gtest/gtest.h"
#include "service/analysis_service.h"
#include "service/message_facts.h"
#include "store/store.h"

namespace parley::service {
// The test reads like the core model it checks.
using namespace core;  // NOLINT(build/namespaces)
namespace {

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::StatusCode kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr absl::StatusCode kExists = absl::StatusCode::kAlreadyExists;

Message Text(const std::string& text, const std::string& id = "") {
  Message m;
  m.set_id(id);
  m.set_text(text);
  return m;
}

class MessageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }
  void Open(ConversationLimits limits) {
    dir_ = std::filesystem::temp_directory_path() / ("parley-msg-" + NewId());
    auto s = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    conversations_ = std::make_unique<ConversationService>(
        store_.get(), PageTokenCodec(std::string(32, 'k')), limits);
    // A stored view with everything a dialect might render of the text.
    conversations_->AddView("test/all", [](const Conversation& c) { return c.DebugString(); });
    messages_ = std::make_unique<MessageService>(conversations_.get());
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  // Creates conversation `id` in (t1, profiles/p1) and returns it.
  Conversation Create(const std::string& id, Source source = LIVE,
                      Lifecycle lifecycle = IN_PROGRESS, std::vector<Message> messages = {}) {
    Conversation c;
    c.set_tenant("t1");
    c.set_scope("profiles/p1");
    c.set_id(id);
    c.set_source(source);
    c.set_lifecycle(lifecycle);
    for (Message& m : messages) *c.add_messages() = std::move(m);
    auto stored = conversations_->Create(c);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : c;
  }
  Conversation Get(const std::string& id) {
    auto c = conversations_->Get("t1", "profiles/p1", id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Conversation();
  }
  // The stored bytes, to check that a refused change changed nothing.
  std::string Snapshot(const std::string& id) { return Get(id).SerializeAsString(); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> conversations_;
  std::unique_ptr<MessageService> messages_;
};

// ---- append ----

TEST_F(MessageServiceTest, AppendAssignsIdsPositionsAndTimes) {
  Create("conv-1", LIVE, IN_PROGRESS, {Text("hello", "m0")});
  Message given = Text("second", "Given_Id.2");
  given.set_time_us(1'000'000);
  auto added = messages_->AppendMessages("t1", "profiles/p1", "conv-1", {given, Text("third")});
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_EQ(added->size(), 2u);
  EXPECT_EQ((*added)[0].id(), "Given_Id.2");
  EXPECT_EQ((*added)[1].id().size(), 19u);  // generated
  // The stored message has no position; new ones follow its index.
  EXPECT_EQ((*added)[0].sequence_position(), 1);
  EXPECT_EQ((*added)[1].sequence_position(), 2);
  for (const Message& m : *added) {
    EXPECT_GT(m.create_time_us(), 0);
    EXPECT_EQ(m.create_time_us(), m.update_time_us());
    EXPECT_EQ(m.state(), MESSAGE_ACTIVE);
  }
  EXPECT_EQ((*added)[0].time_us(), 1'000'000);  // send time kept
  EXPECT_FALSE((*added)[1].has_time_us());

  Conversation c = Get("conv-1");
  ASSERT_EQ(c.messages_size(), 3);
  EXPECT_EQ(c.messages(1).SerializeAsString(), (*added)[0].SerializeAsString());
  EXPECT_EQ(c.messages(2).SerializeAsString(), (*added)[1].SerializeAsString());

  // A given position later than the last is kept; the next follows it.
  Message jump = Text("jump");
  jump.set_sequence_position(10);
  auto more = messages_->AppendMessages("t1", "profiles/p1", "conv-1", {jump, Text("after")});
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ((*more)[0].sequence_position(), 10);
  EXPECT_EQ((*more)[1].sequence_position(), 11);
}

// An append drops the stored views instead of rendering the whole
// conversation again (O(n) per message); the next write that renders them
// (here a metadata upsert) stores them again, with every message.
TEST_F(MessageServiceTest, AppendDropsStoredViewsUntilTheNextRenderingWrite) {
  Create("conv-1", LIVE, IN_PROGRESS, {Text("hello", "m0")});
  ASSERT_NE(conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all")->find("hello"),
            std::string::npos);
  ASSERT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("second")}).ok());
  auto view = conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, "");  // none stored: a reader renders from the conversation
  EXPECT_EQ(Get("conv-1").messages_size(), 2);

  MetadataEntry entry;
  entry.set_key("k");
  entry.add_values()->set_string_value("v");
  ASSERT_TRUE(messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {entry}, core::CRM).ok());
  view = conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_NE(view->find("second"), std::string::npos);
}

TEST_F(MessageServiceTest, AppendToCompletedNeedsAllowClosed) {
  Create("conv-1", LIVE, COMPLETED);
  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("late")}).status().code(),
            kPrecondition);
  EXPECT_EQ(Snapshot("conv-1"), before);
  auto added = messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("late")},
                                         {.allow_closed = true});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(Get("conv-1").messages_size(), 1);
}

TEST_F(MessageServiceTest, AppendStoresARequestIdOncePerParticipant) {
  Create("conv-1");
  Message first = Text("hello");
  first.set_participant_id("p-user");
  first.set_request_id("req-1");
  auto added = messages_->AppendMessages("t1", "profiles/p1", "conv-1", {first});
  ASSERT_TRUE(added.ok()) << added.status();
  const std::string before = Snapshot("conv-1");
  // The retry (another text even) stores nothing and says why.
  Message retry = Text("hello again");
  retry.set_participant_id("p-user");
  retry.set_request_id("req-1");
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {retry}).status().code(), kExists);
  EXPECT_EQ(Snapshot("conv-1"), before);
  // What the caller answers the retry with.
  auto found = MessageService::FindByRequestId(Get("conv-1"), "p-user", "req-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id(), (*added)[0].id());
  EXPECT_EQ(found->text(), "hello");
  EXPECT_FALSE(MessageService::FindByRequestId(Get("conv-1"), "p-agent", "req-1").has_value());
  EXPECT_FALSE(MessageService::FindByRequestId(Get("conv-1"), "p-user", "").has_value());
  // Another participant's request with the same key, and messages without
  // a key, are new.
  Message other = Text("hi");
  other.set_participant_id("p-agent");
  other.set_request_id("req-1");
  EXPECT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {other, Text("a"), Text("b")}).ok());
  EXPECT_EQ(Get("conv-1").messages_size(), 4);
}

TEST_F(MessageServiceTest, AppendRefusalsChangeNothing) {
  Create("conv-1", LIVE, IN_PROGRESS, {Text("hello", "m0")});
  const std::string before = Snapshot("conv-1");
  auto code = [&](std::vector<Message> ms, std::string_view scope = "profiles/p1",
                  std::string_view id = "conv-1") {
    return messages_->AppendMessages("t1", scope, id, std::move(ms)).status().code();
  };
  EXPECT_EQ(code({}), kInvalid);
  EXPECT_EQ(code({Text("x", "-starts-with-dash")}), kInvalid);
  EXPECT_EQ(code({Text("x", "has space")}), kInvalid);
  EXPECT_EQ(code({Text("x", std::string(129, 'a'))}), kInvalid);
  EXPECT_EQ(code({Text("x", "dup"), Text("y", "dup")}), kInvalid);
  EXPECT_EQ(code({Text("x", "new"), Text("y", "m0")}), kExists);
  Message back = Text("x");
  back.set_sequence_position(0);  // the stored message sits at index 0
  Message first = Text("y");
  EXPECT_EQ(code({first, Text("z", "ok-id")}), absl::StatusCode::kOk);
  const std::string after_ok = Snapshot("conv-1");
  EXPECT_EQ(code({back}), kInvalid);
  Message negative = Text("x");
  negative.set_sequence_position(-5);
  EXPECT_EQ(code({negative}), kInvalid);
  // Limits are the conversation's (ConversationService::Validate).
  EXPECT_EQ(code({Text(std::string(64 * 1024 + 1, 'a'))}), kInvalid);
  // Scope and conversation must match.
  EXPECT_EQ(code({Text("x")}, ""), kInvalid);
  EXPECT_EQ(code({Text("x")}, "profiles/p2"), kNotFound);
  EXPECT_EQ(code({Text("x")}, "profiles/p1", "conv-2"), kNotFound);
  EXPECT_EQ(Snapshot("conv-1"), after_ok);
  EXPECT_NE(before, after_ok);
}

TEST_F(MessageServiceTest, AppendEnforcesMessageCountLimit) {
  store_->Close();
  std::filesystem::remove_all(dir_);
  Open({.max_messages = 3});
  Create("conv-1", LIVE, IN_PROGRESS, {Text("a"), Text("b")});
  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("c"), Text("d")})
                .status()
                .code(),
            kInvalid);
  EXPECT_EQ(Snapshot("conv-1"), before);
  EXPECT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("c")}).ok());
}

TEST_F(MessageServiceTest, ConcurrentAppendsKeepEveryMessageInSequence) {
  Create("conv-1");
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto added = messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("m")});
        // ConversationService::Update gives up (ABORTED, nothing stored)
        // after losing the race many times in a row.
        if (added.ok()) {
          ++stored;
        } else {
          EXPECT_EQ(added.status().code(), absl::StatusCode::kAborted) << added.status();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  Conversation c = Get("conv-1");
  EXPECT_GT(stored.load(), 20);
  ASSERT_EQ(c.messages_size(), stored.load());
  std::set<std::string> ids;
  for (int i = 0; i < c.messages_size(); ++i) {
    EXPECT_EQ(c.messages(i).sequence_position(), i);
    ids.insert(c.messages(i).id());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(stored.load()));
}

// ---- message facts (ADR 0043) ----

// What AppendMessages refused before the facts were kept: its walk of every
// stored message, the first stored message that has a new message's id or a
// new message's request id (same participant), the id first.
absl::Status WalkedConflict(const Conversation& c, const std::vector<Message>& batch) {
  for (const Message& m : c.messages()) {
    for (const Message& n : batch) {
      if (n.id() == m.id()) return absl::AlreadyExistsError(absl::StrCat("message \"", m.id(), "\" already exists"));
    }
    if (m.request_id().empty()) continue;
    for (const Message& n : batch) {
      if (n.request_id() == m.request_id() && n.participant_id() == m.participant_id()) {
        return absl::AlreadyExistsError(absl::StrCat("a message of request \"", m.request_id(),
                                                     "\" already exists: \"", m.id(), "\""));
      }
    }
  }
  return absl::OkStatus();
}

// `c` without what differs between two conversations given the same changes
// at other moments: the key and every storage time.
std::string Timeless(Conversation c) {
  c.clear_id();
  c.clear_create_time_us();
  c.clear_update_time_us();
  for (Message& m : *c.mutable_messages()) {
    m.clear_create_time_us();
    m.clear_update_time_us();
  }
  return c.SerializeAsString();
}

TEST_F(MessageServiceTest, KeptMessageFactsEqualAFreshComputationOverMixedAppends) {
  // A live cache of 256 KiB, which a few conversations of 60 KB fill.
  messages_.reset();
  conversations_ = std::make_unique<ConversationService>(store_.get(), PageTokenCodec(std::string(32, 'k')),
                                                         ConversationLimits{}, 256 << 10);
  messages_ = std::make_unique<MessageService>(conversations_.get());
  ASSERT_TRUE(conversations_->keeps_live());
  // The reference: the same calls through a service that keeps nothing (a
  // whole read-modify-write each); it is also the "other writer" that the
  // live service only hears of through the store's notices.
  ConversationService whole_conversations(store_.get(), PageTokenCodec(std::string(32, 'k')), {}, 0);
  MessageService whole(&whole_conversations);
  ASSERT_FALSE(whole_conversations.keeps_live());
  Create("conv-1");
  Create("ref-1");
  std::mt19937 random(42);
  auto pick = [&](int n) { return static_cast<int>(random() % n); };
  std::vector<std::string> ids;  // given so far (stored or not)
  int kept = 0, refused = 0, evicted = 0, other_writes = 0;
  for (int step = 0; step < 300; ++step) {
    const Conversation before = *store_->GetConversation("t1", "profiles/p1", "conv-1", 0);
    const int64_t last = MessageFacts::Of(before).last_sequence_position();
    std::vector<Message> batch;
    for (int j = 0, n = 1 + pick(3); j < n; ++j) {
      Message m = Text(absl::StrCat("text ", step, " ", j));
      // Mostly new ids, now and then one given before (stored or refused).
      m.set_id(!ids.empty() && pick(8) == 0 ? ids[pick(static_cast<int>(ids.size()))]
                                            : absl::StrCat("m", step, "-", j));
      m.set_participant_id(absl::StrCat("p", pick(3)));
      // Request ids from a small pool: replays of stored ones and new ones.
      if (pick(3) == 0) m.set_request_id(absl::StrCat("req-", pick(40)));
      // Sometimes a sequence position: after the last, or (refused) not.
      if (pick(10) == 0) m.set_sequence_position(last + (pick(3) == 0 ? -pick(3) : 1 + pick(5)));
      ids.push_back(m.id());
      batch.push_back(std::move(m));
    }
    auto live = messages_->AppendMessages("t1", "profiles/p1", "conv-1", batch);
    auto ref = whole.AppendMessages("t1", "profiles/p1", "ref-1", batch);
    ASSERT_EQ(live.status(), ref.status()) << step;
    // The errors of the walk over the stored messages, word for word.
    absl::Status walked = WalkedConflict(before, batch);
    if (!walked.ok()) ASSERT_EQ(live.status(), walked) << step;
    if (live.ok()) {
      ASSERT_TRUE(walked.ok()) << step;
    } else {
      ++refused;
    }
    // Now and then another writer: an append by the reference service, or a
    // whole write that changes stored messages' ids, request ids and
    // positions (the kept facts must be computed again).
    if (step % 13 == 5) {
      ++other_writes;
      std::vector<Message> more = {Text("other", absl::StrCat("o", step))};
      more[0].set_request_id(absl::StrCat("req-", pick(40)));
      more[0].set_participant_id("p1");
      ASSERT_EQ(whole.AppendMessages("t1", "profiles/p1", "conv-1", more).status(),
                whole.AppendMessages("t1", "profiles/p1", "ref-1", more).status());
    }
    if (step % 17 == 9) {
      ++other_writes;
      auto rewrite = [&](Conversation& c) {
        if (c.messages_size() == 0) return absl::OkStatus();
        Message* m = c.mutable_messages(step % c.messages_size());
        m->set_id(absl::StrCat("renamed", step));
        m->set_request_id(absl::StrCat("req-", step % 40));
        c.mutable_messages(c.messages_size() - 1)->set_sequence_position(
            c.messages(c.messages_size() - 1).sequence_position() + 7);
        return absl::OkStatus();
      };
      ASSERT_TRUE(conversations_->Change("t1", "profiles/p1", "conv-1", rewrite).ok());
      ASSERT_TRUE(whole_conversations.Change("t1", "profiles/p1", "ref-1", rewrite).ok());
    }
    // Now and then the live cache is made to drop it: conversations that
    // fill the cache push it out as the least recently used.
    if (step % 41 == 20) {
      for (int f = 0; f < 5; ++f) {
        const std::string filler = absl::StrCat("filler-", step, "-", f);
        Create(filler);
        ASSERT_TRUE(messages_->AppendMessages("t1", "profiles/p1", filler, {Text(std::string(60'000, 'f'))}).ok());
        ASSERT_TRUE(conversations_->Delete("t1", "profiles/p1", filler, true).ok());
      }
      if (!conversations_->KeptMessageFacts("t1", "profiles/p1", "conv-1")) ++evicted;
    }
    // What is stored is what the reference stored...
    const Conversation stored = *store_->GetConversation("t1", "profiles/p1", "conv-1", 0);
    ASSERT_EQ(Timeless(stored), Timeless(*store_->GetConversation("t1", "profiles/p1", "ref-1", 0))) << step;
    // ... and the facts kept with it are the stored conversation's.
    if (auto facts = conversations_->KeptMessageFacts("t1", "profiles/p1", "conv-1")) {
      ++kept;
      ASSERT_TRUE(*facts == MessageFacts::Of(stored)) << step;
    }
  }
  // Every path was taken.
  EXPECT_GT(kept, 200);
  EXPECT_GT(refused, 30);
  EXPECT_GT(other_writes, 30);
  EXPECT_GT(evicted, 3);
  EXPECT_GT(Get("conv-1").messages_size(), 300);
}

TEST_F(MessageServiceTest, AppendNamesTheFirstStoredConflictTheIdBeforeTheRequest) {
  Message a = Text("a", "a"), b = Text("b", "b"), c = Text("c", "c");
  b.set_participant_id("p");
  b.set_request_id("r1");
  c.set_participant_id("p");
  c.set_request_id("r2");
  Create("conv-1", LIVE, IN_PROGRESS, {a, b, c});
  auto error = [&](std::vector<Message> batch) {
    return std::string(messages_->AppendMessages("t1", "profiles/p1", "conv-1", std::move(batch)).status().message());
  };
  Message replay = Text("x", "x1");
  replay.set_participant_id("p");
  replay.set_request_id("r2");
  // The stored message that comes first decides, whichever new one hits it.
  EXPECT_EQ(error({replay, Text("y", "b")}), "message \"b\" already exists");
  replay.set_request_id("r1");
  EXPECT_EQ(error({Text("y", "c"), replay}), "a message of request \"r1\" already exists: \"b\"");
  // One stored message hit by both: the id.
  EXPECT_EQ(error({replay, Text("y", "b")}), "message \"b\" already exists");
  // Another participant's request id is no conflict.
  replay.set_participant_id("q");
  EXPECT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {replay}).ok());
  EXPECT_EQ(Get("conv-1").messages_size(), 4);
}

// ---- delete ----

Message Rich(const std::string& id, const std::string& text) {
  Message m = Text(text, id);
  m.set_participant_id("agent-1");
  m.set_text_html("<b>" + text + "</b>");
  m.add_chunks()->set_text(text);
  m.add_words()->set_word(text);
  m.set_original_event_json("{\"text\":\"" + text + "\"}");
  m.mutable_email()->set_subject(text);
  return m;
}

TEST_F(MessageServiceTest, DeleteClearsContentAndRecordsEvent) {
  Create("conv-1", STUDIO_USER_DEFINED, IN_PROGRESS, {Rich("m1", "secret words"), Text("keep", "m2")});
  auto deleted = messages_->DeleteMessage("t1", "profiles/p1", "conv-1", "m1");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  Conversation c = Get("conv-1");
  ASSERT_EQ(c.messages_size(), 2);  // keeps its place
  const Message& m = c.messages(0);
  EXPECT_EQ(m.SerializeAsString(), deleted->SerializeAsString());
  EXPECT_EQ(m.id(), "m1");
  EXPECT_EQ(m.participant_id(), "agent-1");
  EXPECT_EQ(m.state(), MESSAGE_DELETED);
  EXPECT_EQ(m.text(), "");
  EXPECT_EQ(m.text_html(), "");
  EXPECT_EQ(m.chunks_size(), 0);
  EXPECT_EQ(m.words_size(), 0);
  EXPECT_EQ(m.original_event_json(), "");
  EXPECT_FALSE(m.has_email());
  EXPECT_GT(m.update_time_us(), 0);
  EXPECT_EQ(c.messages(1).text(), "keep");
  ASSERT_EQ(c.events_size(), 1);
  EXPECT_EQ(c.events(0).type(), EVENT_MESSAGE_DELETED);
  EXPECT_EQ(c.events(0).message_id(), "m1");
  EXPECT_EQ(c.events(0).message_deleted().participant_id(), "agent-1");
  EXPECT_FALSE(c.events(0).id().empty());
  EXPECT_EQ(c.DebugString().find("secret"), std::string::npos);
  EXPECT_EQ(conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all")->find("secret"),
            std::string::npos);

  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->DeleteMessage("t1", "profiles/p1", "conv-1", "m1").status().code(), kNotFound);
  EXPECT_EQ(messages_->DeleteMessage("t1", "profiles/p1", "conv-1", "nope").status().code(), kNotFound);
  EXPECT_EQ(messages_->DeleteMessage("t1", "profiles/p1", "conv-9", "m2").status().code(), kNotFound);
  EXPECT_EQ(Snapshot("conv-1"), before);
}

TEST_F(MessageServiceTest, DeleteOnlyForStudioAndOperaSources) {
  for (Source source : {SOURCE_UNSPECIFIED, LIVE, SIMULATOR, EVALUATION, IMPORTED}) {
    const std::string id = "conv-" + std::to_string(static_cast<int>(source));
    Create(id, source, IN_PROGRESS, {Text("x", "m1")});
    const std::string before = Snapshot(id);
    EXPECT_EQ(messages_->DeleteMessage("t1", "profiles/p1", id, "m1").status().code(), kPrecondition)
        << Source_Name(source);
    EXPECT_EQ(Snapshot(id), before);
  }
  for (Source source :
       {STUDIO_SYNTHETIC_ANNOTATION, STUDIO_USER_DEFINED, OPERA_SYNTHETIC, OPERA_SIMULATION}) {
    const std::string id = "conv-" + std::to_string(static_cast<int>(source));
    Create(id, source, IN_PROGRESS, {Text("x", "m1")});
    EXPECT_TRUE(messages_->DeleteMessage("t1", "profiles/p1", id, "m1").ok()) << Source_Name(source);
  }
}

// ---- redact ----

TEST_F(MessageServiceTest, RedactReplacesRangesInTextChunksAndWords) {
  // The text is its chunks joined by a space, as dialects build it.
  Message m = Text("call me at 555-1234 or mail bob@x.io", "m1");
  m.add_chunks()->set_text("call me at 555-1234");
  m.add_chunks()->set_transcript("or mail bob@x.io");
  m.add_chunks()->set_payload_json("{}");
  for (const char* w : {"call", "me", "at", "555-1234", "or", "mail", "bob@x.io"}) {
    m.add_words()->set_word(w);
  }
  m.set_text_html("call me at <b>555-1234</b> or mail bob@x.io");
  Create("conv-1", LIVE, IN_PROGRESS, {m, Text("other 555-1234", "m2")});

  auto red = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1",
                                      {{28, 36, "EMAIL_ADDRESS"}, {11, 19, ""}},
                                      "customers/t1/profiles/p1/moments/phone");
  ASSERT_TRUE(red.ok()) << red.status();
  EXPECT_EQ(red->text(), "call me at ******** or mail [EMAIL_ADDRESS]");
  EXPECT_EQ(red->chunks(0).text(), "call me at ********");
  EXPECT_EQ(red->chunks(1).transcript(), "or mail [EMAIL_ADDRESS]");
  EXPECT_EQ(red->chunks(2).payload_json(), "{}");
  std::vector<std::string> words;
  for (const WordInfo& w : red->words()) words.push_back(w.word());
  EXPECT_EQ(words, (std::vector<std::string>{"call", "me", "at", "********", "or", "mail",
                                             "[EMAIL_ADDRESS]"}));
  EXPECT_EQ(red->text_html(), "");
  EXPECT_EQ(red->state(), MESSAGE_REDACTED);
  ASSERT_EQ(red->redactions_size(), 2);  // sorted by start
  EXPECT_EQ(red->redactions(0).start_byte(), 11);
  EXPECT_EQ(red->redactions(0).end_byte(), 19);
  EXPECT_EQ(red->redactions(0).info_type(), "");
  EXPECT_EQ(red->redactions(0).moment(), "customers/t1/profiles/p1/moments/phone");
  EXPECT_GT(red->redactions(0).time_us(), 0);
  EXPECT_EQ(red->redactions(1).info_type(), "EMAIL_ADDRESS");

  Conversation c = Get("conv-1");
  EXPECT_EQ(c.messages(0).SerializeAsString(), red->SerializeAsString());
  EXPECT_EQ(c.messages(1).text(), "other 555-1234");  // other messages untouched
  ASSERT_EQ(c.events_size(), 1);
  EXPECT_EQ(c.events(0).type(), EVENT_MESSAGE_REDACTED);
  EXPECT_EQ(c.events(0).message_id(), "m1");
  ASSERT_EQ(c.events(0).message_redacted().redactions_size(), 2);
  EXPECT_EQ(c.events(0).message_redacted().redactions(1).SerializeAsString(),
            red->redactions(1).SerializeAsString());

  // '*' keeps byte offsets, so a later range is in the same coordinates.
  auto again = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{0, 4, ""}}, "");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text(), "**** me at ******** or mail [EMAIL_ADDRESS]");
  EXPECT_EQ(again->redactions_size(), 3);
  EXPECT_EQ(Get("conv-1").events_size(), 2);
}

TEST_F(MessageServiceTest, RedactWithMomentAnnotatesEachRangeAndIsIdempotent) {
  Create("conv-1", LIVE, IN_PROGRESS, {Text("ssn 123-45-6789 and 987", "m1")});
  auto red = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{4, 15, ""}, {20, 23, ""}},
                                      "ssn");
  ASSERT_TRUE(red.ok()) << red.status();
  EXPECT_EQ(red->text(), "ssn *********** and ***");
  Conversation c = Get("conv-1");
  ASSERT_EQ(c.moment_annotations_size(), 2);
  const MomentAnnotation& a = c.moment_annotations(0);
  EXPECT_EQ(a.type(), Moment::ENTITY);
  EXPECT_EQ(a.moment_id(), "ssn");
  EXPECT_EQ(a.message_id(), "m1");
  EXPECT_EQ(a.start_byte(), 4);
  EXPECT_EQ(a.end_byte(), 15);
  EXPECT_EQ(a.event_id(), c.events(0).id());
  EXPECT_FALSE(a.id().empty());
  EXPECT_NE(a.id(), c.moment_annotations(1).id());
  EXPECT_EQ(c.moment_annotations(1).start_byte(), 20);

  // The same ranges with the same moment again: the message as stored,
  // nothing written (no new redaction record, event or annotation).
  const std::string before = Snapshot("conv-1");
  auto again = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{20, 23, ""}, {4, 15, ""}},
                                        "ssn");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), red->SerializeAsString());
  EXPECT_EQ(Snapshot("conv-1"), before);
  // One of them with another moment is a new redaction.
  auto other = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{4, 15, ""}}, "pii");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->redactions_size(), 3);
  EXPECT_EQ(Get("conv-1").moment_annotations_size(), 3);
  // No moment: no annotation.
  ASSERT_TRUE(messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{0, 3, ""}}, "").ok());
  EXPECT_EQ(Get("conv-1").moment_annotations_size(), 3);
}

TEST_F(MessageServiceTest, RedactedTextIsGoneFromEveryRead) {
  const std::string secret = "4111-1111-1111-1111";
  Message m = Text("my card is " + secret + " thanks", "m1");
  m.add_words()->set_word("card");
  m.add_words()->set_word(secret);
  Create("conv-1", LIVE, IN_PROGRESS, {m});
  // Warm every read path, including the store's view cache.
  ASSERT_NE(conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all")->find(secret),
            std::string::npos);
  ASSERT_NE(Get("conv-1").DebugString().find(secret), std::string::npos);

  ASSERT_TRUE(messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{11, 30, "CREDIT_CARD"}},
                                       "moment-1")
                  .ok());
  auto view = conversations_->ReadView("t1", "profiles/p1", "conv-1", "test/all");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_NE(view->find("[CREDIT_CARD]"), std::string::npos);  // a fresh view is stored
  EXPECT_EQ(view->find(secret), std::string::npos);
  EXPECT_EQ(Get("conv-1").SerializeAsString().find(secret), std::string::npos);
  EXPECT_EQ(Get("conv-1").messages(0).text(), "my card is [CREDIT_CARD] thanks");
  auto direct = store_->GetConversation("t1", "profiles/p1", "conv-1", 0);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->SerializeAsString().find(secret), std::string::npos);
  bool seen = false;
  ConversationQuery query;
  query.tenant = "t1";
  query.page_size = 10;
  ASSERT_TRUE(conversations_->ForEach(query, [&](const Conversation& c) {
    seen = true;
    EXPECT_EQ(c.SerializeAsString().find(secret), std::string::npos);
    return true;
  }).ok());
  EXPECT_TRUE(seen);
}

// Every byte of the store's files (parley.db and its -wal and -shm), read
// with plain file reads, so nothing SQLite shows or hides matters.
std::string StoreFileBytes(const std::filesystem::path& dir) {
  std::string bytes;
  for (const char* name : {"parley.db", "parley.db-wal", "parley.db-shm"}) {
    std::ifstream in(dir / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

// Issue 8: redaction removes the original text from stored analyses (which
// exports include) and from the bytes of the database files, for a
// conversation whose analyses quote it and for one without analyses.
TEST_F(MessageServiceTest, RedactedTextIsGoneFromAnalysesAndTheStoreFiles) {
  const std::string quoted = "4929-5551-0372-8816";    // conv-a, quoted by its analyses
  const std::string unquoted = "5105-1051-0510-5100";  // conv-b, no analyses
  Create("conv-a", LIVE, IN_PROGRESS, {Text("card " + quoted + " ok", "m1")});
  Create("conv-b", LIVE, IN_PROGRESS, {Text("card " + unquoted + " ok", "m1")});
  Analysis a;
  a.set_tenant("t1");
  a.set_scope("profiles/p1");
  a.set_conversation_id("conv-a");
  a.set_id("an-new");
  a.set_create_time_us(NowMicros());
  a.mutable_result()->set_summary("The customer read out " + quoted + ".");
  PiiFinding* pii = a.mutable_result()->add_pii();
  pii->set_info_type("CREDIT_CARD_NUMBER");
  pii->mutable_mention()->set_text(quoted);
  pii->mutable_mention()->set_start_byte(5);
  pii->mutable_mention()->set_end_byte(5 + static_cast<int>(quoted.size()));
  Entity* entity = a.mutable_result()->add_entities();
  entity->set_display_name("card " + quoted);
  (*entity->mutable_metadata())["raw"] = quoted;
  ASSERT_TRUE(store_->PutAnalysis(a).ok());
  Analysis older = a;
  older.set_id("an-old");
  older.set_create_time_us(a.create_time_us() - 1);
  older.mutable_result()->set_summary("Earlier: " + quoted);
  ASSERT_TRUE(store_->PutAnalysis(older).ok());
  // The check below can see the secrets where they are.
  ASSERT_NE(StoreFileBytes(dir_).find(quoted), std::string::npos);
  ASSERT_NE(StoreFileBytes(dir_).find(unquoted), std::string::npos);

  ASSERT_TRUE(messages_->RedactMessage("t1", "profiles/p1", "conv-a", "m1",
                                       {{5, 5 + static_cast<int64_t>(quoted.size()),
                                         "CREDIT_CARD_NUMBER"}},
                                       "")
                  .ok());
  EXPECT_EQ(StoreFileBytes(dir_).find(quoted), std::string::npos)
      << "the redacted text is still in the store's files";
  EXPECT_NE(StoreFileBytes(dir_).find(unquoted), std::string::npos);  // not redacted yet

  // Read back through the store and the analysis service.
  auto stored = store_->GetAnalysis("t1", "profiles/p1", "conv-a", "an-new");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->result().summary(), "The customer read out [CREDIT_CARD_NUMBER].");
  EXPECT_EQ(stored->result().pii(0).mention().text(), "[CREDIT_CARD_NUMBER]");
  EXPECT_EQ(stored->result().pii(0).mention().start_byte(), 5);  // numbers are kept
  EXPECT_EQ(stored->result().entities(0).display_name(), "card [CREDIT_CARD_NUMBER]");
  EXPECT_EQ(stored->result().entities(0).metadata().at("raw"), "[CREDIT_CARD_NUMBER]");
  EXPECT_EQ(stored->id(), "an-new");
  auto listed = store_->ListAnalyses("t1", "profiles/p1", "conv-a", 10, std::nullopt);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->analyses.size(), 2u);
  for (const Analysis& x : listed->analyses) {
    EXPECT_EQ(x.SerializeAsString().find(quoted), std::string::npos) << x.id();
  }
  EXPECT_EQ(listed->analyses[1].result().summary(), "Earlier: [CREDIT_CARD_NUMBER]");
  AnalysisService analyses(store_.get(), conversations_.get());
  auto latest = analyses.LatestAnalysis(Get("conv-a"));
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->id(), "an-new");
  EXPECT_EQ(latest->SerializeAsString().find(quoted), std::string::npos);

  // Without analyses, '*' replacement.
  ASSERT_TRUE(messages_->RedactMessage("t1", "profiles/p1", "conv-b", "m1",
                                       {{5, 5 + static_cast<int64_t>(unquoted.size()), ""}}, "")
                  .ok());
  EXPECT_EQ(StoreFileBytes(dir_).find(unquoted), std::string::npos)
      << "the redacted text is still in the store's files";
  EXPECT_EQ(Get("conv-b").messages(0).text(), "card " + std::string(unquoted.size(), '*') + " ok");
}

TEST_F(MessageServiceTest, RedactHonoursCharacterBoundaries) {
  Create("conv-1", LIVE, IN_PROGRESS, {Text("café 1234", "m1")});  // é is 2 bytes: [3, 5)
  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{4, 6, ""}}, "").status().code(),
            kInvalid);
  EXPECT_EQ(messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{0, 4, ""}}, "").status().code(),
            kInvalid);
  EXPECT_EQ(Snapshot("conv-1"), before);
  auto red = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{3, 5, ""}, {6, 10, "N"}}, "");
  ASSERT_TRUE(red.ok()) << red.status();
  EXPECT_EQ(red->text(), "caf** [N]");
}

TEST_F(MessageServiceTest, RedactRefusalsChangeNothing) {
  Create("conv-1", STUDIO_USER_DEFINED, IN_PROGRESS, {Text("0123456789", "m1"), Text("gone", "m2")});
  ASSERT_TRUE(messages_->DeleteMessage("t1", "profiles/p1", "conv-1", "m2").ok());
  const std::string before = Snapshot("conv-1");
  auto code = [&](std::vector<MessageService::ByteRange> ranges, std::string_view message = "m1") {
    return messages_->RedactMessage("t1", "profiles/p1", "conv-1", message, std::move(ranges), "mo")
        .status()
        .code();
  };
  EXPECT_EQ(code({}), kInvalid);
  EXPECT_EQ(code({{-1, 2, ""}}), kInvalid);
  EXPECT_EQ(code({{3, 3, ""}}), kInvalid);
  EXPECT_EQ(code({{5, 2, ""}}), kInvalid);
  EXPECT_EQ(code({{8, 11, ""}}), kInvalid);  // past the end
  EXPECT_EQ(code({{0, 4, ""}, {3, 6, ""}}), kInvalid);  // overlap
  EXPECT_EQ(code({{3, 6, ""}, {0, 4, ""}}), kInvalid);  // overlap, unsorted
  EXPECT_EQ(code({{0, 4, "BAD TYPE"}}), kInvalid);
  EXPECT_EQ(code({{0, 4, "]"}}), kInvalid);
  EXPECT_EQ(code({{0, 1, ""}}, "nope"), kNotFound);
  EXPECT_EQ(code({{0, 1, ""}}, "m2"), kPrecondition);  // deleted
  EXPECT_EQ(Snapshot("conv-1"), before);
  // Adjacent ranges do not overlap.
  EXPECT_EQ(code({{0, 4, ""}, {4, 10, ""}}), absl::StatusCode::kOk);
}

TEST_F(MessageServiceTest, RedactScrubsChunksThatAreNotTheJoinedText) {
  Message m = Text("pin 9876", "m1");
  m.add_chunks()->set_text("your pin");
  m.add_chunks()->set_text("is 9876 (9876)");
  m.add_words()->set_word("nine-eight");  // not in the text, not redacted
  m.add_words()->set_word("9876");
  Create("conv-1", LIVE, IN_PROGRESS, {m});
  auto red = messages_->RedactMessage("t1", "profiles/p1", "conv-1", "m1", {{4, 8, "PIN"}}, "");
  ASSERT_TRUE(red.ok()) << red.status();
  EXPECT_EQ(red->chunks(0).text(), "your pin");
  EXPECT_EQ(red->chunks(1).text(), "is [PIN] ([PIN])");
  EXPECT_EQ(red->words(0).word(), "nine-eight");
  EXPECT_EQ(red->words(1).word(), "[PIN]");
}

// ---- participants ----

TEST_F(MessageServiceTest, AddParticipantStoresItAndRecordsEvent) {
  Create("conv-1");
  Participant p;
  p.set_id("Agent_1");
  p.set_role(HUMAN_AGENT);
  p.set_role_name("Senior agent");
  p.set_user_id("customers/t1/users/u1");
  p.set_external_participant_name("projects/t1/conversations/conv-1/participants/Agent_1");
  auto added = messages_->AddParticipant("t1", "profiles/p1", "conv-1", p);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->SerializeAsString(), p.SerializeAsString());
  auto generated = messages_->AddParticipant("t1", "profiles/p1", "conv-1", Participant());
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->id().size(), 19u);

  Conversation c = Get("conv-1");
  ASSERT_EQ(c.participants_size(), 2);
  EXPECT_EQ(c.participants(0).SerializeAsString(), p.SerializeAsString());
  ASSERT_EQ(c.events_size(), 2);
  EXPECT_EQ(c.events(0).type(), EVENT_PARTICIPANT_ADDED);
  EXPECT_EQ(c.events(0).participant_id(), "Agent_1");
  EXPECT_EQ(c.events(0).participant_added().participant_id(), "Agent_1");
  EXPECT_EQ(c.events(0).participant_added().role(), HUMAN_AGENT);

  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->AddParticipant("t1", "profiles/p1", "conv-1", p).status().code(), kExists);
  Participant bad;
  bad.set_id("_bad");
  EXPECT_EQ(messages_->AddParticipant("t1", "profiles/p1", "conv-1", bad).status().code(), kInvalid);
  EXPECT_EQ(messages_->AddParticipant("t1", "profiles/p1", "conv-2", Participant()).status().code(),
            kNotFound);
  EXPECT_EQ(Snapshot("conv-1"), before);
}

TEST_F(MessageServiceTest, UpdateParticipantKeepsIdAndRole) {
  Create("conv-1");
  Participant p;
  p.set_id("u1");
  ASSERT_TRUE(messages_->AddParticipant("t1", "profiles/p1", "conv-1", p).ok());
  // An unset role may be set once; other fields change freely.
  auto updated = messages_->UpdateParticipant("t1", "profiles/p1", "conv-1", "u1", [](Participant& p) {
    p.set_role(END_USER);
    p.set_role_name("caller");
    p.set_obfuscated_external_user_id("x1");
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->role(), END_USER);
  EXPECT_EQ(Get("conv-1").participants(0).SerializeAsString(), updated->SerializeAsString());
  EXPECT_EQ(Get("conv-1").events_size(), 1);  // only the add

  const std::string before = Snapshot("conv-1");
  auto code = [&](std::string_view id, std::function<absl::Status(Participant&)> mutate) {
    return messages_->UpdateParticipant("t1", "profiles/p1", "conv-1", id, mutate).status().code();
  };
  EXPECT_EQ(code("u1", [](Participant& p) { p.set_role(HUMAN_AGENT); return absl::OkStatus(); }), kInvalid);
  EXPECT_EQ(code("u1", [](Participant& p) { p.set_id("u2"); return absl::OkStatus(); }), kInvalid);
  EXPECT_EQ(code("u1", [](Participant& p) {
              p.set_role_name("changed");
              return absl::PermissionDeniedError("no");
            }),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code("u9", [](Participant&) { return absl::OkStatus(); }), kNotFound);
  EXPECT_EQ(Snapshot("conv-1"), before);
}

// ---- metadata ----

MetadataEntry Entry(const std::string& key, std::vector<std::string> values) {
  MetadataEntry e;
  e.set_key(key);
  for (const auto& v : values) e.add_values()->set_string_value(v);
  return e;
}

TEST_F(MessageServiceTest, UpsertMetadataReplacesPerKeyAndKeepsOthers) {
  Create("conv-1", LIVE, COMPLETED);  // closed conversations take metadata too
  auto first = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1",
                                         {Entry("a", {"1"}), Entry("b", {"x"})}, CCAAS);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->event.has_value());

  MetadataEntry flag;
  flag.set_key("c");
  flag.add_values()->set_bool_value(true);
  auto second = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1",
                                          {Entry("a", {"2", "3"}), flag}, CRM);
  ASSERT_TRUE(second.ok()) << second.status();
  const Conversation& c = second->conversation;
  EXPECT_EQ(c.SerializeAsString(), Snapshot("conv-1"));
  ASSERT_EQ(c.metadata_size(), 3);
  EXPECT_EQ(c.metadata(0).key(), "a");
  ASSERT_EQ(c.metadata(0).values_size(), 2);  // replaced, not concatenated
  EXPECT_EQ(c.metadata(0).values(0).string_value(), "2");
  EXPECT_EQ(c.metadata(0).source(), CRM);
  EXPECT_GT(c.metadata(0).update_time_us(), 0);
  EXPECT_EQ(c.metadata(1).key(), "b");  // not given: kept
  EXPECT_EQ(c.metadata(1).values(0).string_value(), "x");
  EXPECT_EQ(c.metadata(1).source(), CCAAS);
  EXPECT_EQ(c.metadata(2).key(), "c");
  EXPECT_TRUE(c.metadata(2).values(0).bool_value());

  ASSERT_TRUE(second->event.has_value());
  const Event& e = *second->event;
  EXPECT_EQ(e.type(), EVENT_METADATA_CHANGED);
  EXPECT_EQ(e.metadata_changed().source(), CRM);
  ASSERT_EQ(e.metadata_changed().set_size(), 2);
  EXPECT_EQ(e.metadata_changed().set(0).key(), "a");
  EXPECT_EQ(e.metadata_changed().set(1).key(), "c");
  EXPECT_EQ(e.metadata_changed().removed_keys_size(), 0);
  ASSERT_EQ(c.events_size(), 2);
  EXPECT_EQ(c.events(1).SerializeAsString(), e.SerializeAsString());
}

TEST_F(MessageServiceTest, UpsertMetadataWithoutChangeWritesNothing) {
  Create("conv-1");
  ASSERT_TRUE(messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("a", {"1"})}, CRM).ok());
  const std::string before = Snapshot("conv-1");
  auto same = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("a", {"1"})}, CRM);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_FALSE(same->event.has_value());
  EXPECT_EQ(same->conversation.SerializeAsString(), before);
  EXPECT_EQ(Snapshot("conv-1"), before);
  // The same values from another source are a change.
  auto moved = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("a", {"1"})}, FILE);
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(moved->event.has_value());
}

TEST_F(MessageServiceTest, UpsertMetadataAnnotatesChangedMappedKeys) {
  Create("conv-1");
  MessageService::UpsertOptions options;
  options.annotate = {{"geo.country", "m-country"}, {"never.given", "m-other"}};
  auto first = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1",
                                         {Entry("geo.country", {"US"}), Entry("geo.state", {"CA"})},
                                         CCAAS, options);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->event.has_value());
  const Conversation& c = first->conversation;
  ASSERT_EQ(c.moment_annotations_size(), 1);  // only the mapped key
  const MomentAnnotation& a = c.moment_annotations(0);
  EXPECT_EQ(a.type(), Moment::CONVERSATION_METADATA);
  EXPECT_EQ(a.moment_id(), "m-country");
  EXPECT_EQ(a.metadata_key(), "geo.country");
  ASSERT_EQ(a.values_size(), 1);
  EXPECT_EQ(a.values(0).string_value(), "US");
  EXPECT_EQ(a.event_id(), first->event->id());
  EXPECT_EQ(c.SerializeAsString(), Snapshot("conv-1"));

  // Unchanged key: no event, no annotation.
  auto same = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("geo.country", {"US"})},
                                        CCAAS, options);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->event.has_value());
  EXPECT_EQ(Get("conv-1").moment_annotations_size(), 1);

  // A completed conversation is annotated only with annotate_completed.
  ASSERT_TRUE(messages_->Complete("t1", "profiles/p1", "conv-1", std::nullopt, "close").ok());
  auto closed = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("geo.country", {"MX"})},
                                          CCAAS, options);
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(closed->event.has_value());
  EXPECT_EQ(closed->conversation.moment_annotations_size(), 1);
  options.annotate_completed = true;
  auto indexed = messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", {Entry("geo.country", {"FR"})},
                                           CCAAS, options);
  ASSERT_TRUE(indexed.ok());
  ASSERT_EQ(indexed->conversation.moment_annotations_size(), 2);
  EXPECT_EQ(indexed->conversation.moment_annotations(1).values(0).string_value(), "FR");
}

TEST_F(MessageServiceTest, UpsertMetadataRefusalsChangeNothing) {
  Create("conv-1");
  const std::string before = Snapshot("conv-1");
  auto code = [&](std::vector<MetadataEntry> entries) {
    return messages_->UpsertMetadata("t1", "profiles/p1", "conv-1", entries, CRM).status().code();
  };
  EXPECT_EQ(code({}), kInvalid);
  EXPECT_EQ(code({Entry("", {"1"})}), kInvalid);
  EXPECT_EQ(code({Entry("a", {"1"}), Entry("a", {"2"})}), kInvalid);
  EXPECT_EQ(messages_->UpsertMetadata("t1", "profiles/p1", "conv-2", {Entry("a", {"1"})}, CRM)
                .status()
                .code(),
            kNotFound);
  EXPECT_EQ(Snapshot("conv-1"), before);
}

// ---- lifecycle ----

TEST_F(MessageServiceTest, ChangeStageRecordsEventOnceAndRefusesCompleted) {
  Create("conv-1");
  auto moved = messages_->ChangeStage("t1", "profiles/p1", "conv-1", HUMAN_ASSIST_STAGE, "p-user");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->stage(), HUMAN_ASSIST_STAGE);
  ASSERT_EQ(moved->events_size(), 1);
  EXPECT_EQ(moved->events(0).type(), EVENT_STAGE_CHANGED);
  EXPECT_EQ(moved->events(0).participant_id(), "p-user");
  EXPECT_EQ(moved->events(0).stage_changed().to(), HUMAN_ASSIST_STAGE);
  EXPECT_EQ(Get("conv-1").stage(), HUMAN_ASSIST_STAGE);
  // Already there: nothing is written.
  const std::string before = Snapshot("conv-1");
  auto again = messages_->ChangeStage("t1", "profiles/p1", "conv-1", HUMAN_ASSIST_STAGE);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events_size(), 1);
  EXPECT_EQ(Snapshot("conv-1"), before);
  Create("conv-2", LIVE, COMPLETED);
  EXPECT_EQ(messages_->ChangeStage("t1", "profiles/p1", "conv-2", HUMAN_ASSIST_STAGE).status().code(),
            kPrecondition);
}

TEST_F(MessageServiceTest, CompleteSetsLifecycleEndTimeAndEvent) {
  Conversation created = Create("conv-1");
  ASSERT_TRUE(conversations_->Update("t1", "profiles/p1", "conv-1", [](Conversation& c) {
    c.set_start_time_us(1'000'000);
    return absl::OkStatus();
  }).ok());
  auto done = messages_->Complete("t1", "profiles/p1", "conv-1", 61'000'000, "close");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->lifecycle(), COMPLETED);
  EXPECT_EQ(done->end_time_us(), 61'000'000);
  EXPECT_EQ(done->duration_us(), 60'000'000);
  ASSERT_EQ(done->events_size(), 1);
  EXPECT_EQ(done->events(0).type(), EVENT_CONVERSATION_COMPLETED);
  EXPECT_EQ(done->events(0).completed().end_time_us(), 61'000'000);
  EXPECT_EQ(done->events(0).completed().reason(), "close");
  EXPECT_EQ(done->SerializeAsString(), Snapshot("conv-1"));

  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->Complete("t1", "profiles/p1", "conv-1", std::nullopt).status().code(),
            kPrecondition);
  EXPECT_EQ(Snapshot("conv-1"), before);
}

TEST_F(MessageServiceTest, CompleteDefaultsToNowAndChecksStart) {
  Create("conv-1");
  ASSERT_TRUE(conversations_->Update("t1", "profiles/p1", "conv-1", [](Conversation& c) {
    c.set_start_time_us(5'000'000);
    return absl::OkStatus();
  }).ok());
  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->Complete("t1", "profiles/p1", "conv-1", 4'000'000).status().code(), kInvalid);
  EXPECT_EQ(Snapshot("conv-1"), before);
  const int64_t start = NowMicros();
  auto done = messages_->Complete("t1", "profiles/p1", "conv-1", std::nullopt);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_GE(done->end_time_us(), start);
  EXPECT_EQ(done->events(0).completed().reason(), "complete");
  EXPECT_EQ(messages_->Complete("t1", "profiles/p9", "conv-1", std::nullopt).status().code(), kNotFound);
}

TEST_F(MessageServiceTest, CompleteIfIdleCompletesOnlyIdleConversationsInProgress) {
  Create("conv-1");
  Create("open-1");  // no stage: another dialect's open conversation, never idle
  ASSERT_TRUE(conversations_->Update("t1", "profiles/p1", "conv-1", [](Conversation& c) {
    c.set_stage(HUMAN_ASSIST_STAGE);
    return absl::OkStatus();
  }).ok());
  const std::string before = Snapshot("conv-1");
  // Written just now: not idle for an hour, and never with 0.
  auto active = messages_->CompleteIfIdle("t1", "profiles/p1", "conv-1", int64_t{3600} * 1'000'000);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->lifecycle(), IN_PROGRESS);
  EXPECT_EQ(Snapshot("conv-1"), before);
  auto never = messages_->CompleteIfIdle("t1", "profiles/p1", "conv-1", 0);
  ASSERT_TRUE(never.ok()) << never.status();
  EXPECT_EQ(never->lifecycle(), IN_PROGRESS);
  EXPECT_EQ(Snapshot("conv-1"), before);

  const int64_t last_write = Get("conv-1").update_time_us();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(MessageService::IsIdle(Get("conv-1"), 1'000, NowMicros()));
  auto idle = messages_->CompleteIfIdle("t1", "profiles/p1", "conv-1", 1'000);
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ(idle->lifecycle(), COMPLETED);
  EXPECT_EQ(idle->end_time_us(), last_write + 1'000);
  ASSERT_EQ(idle->events_size(), 1);
  EXPECT_EQ(idle->events(0).type(), EVENT_CONVERSATION_COMPLETED);
  EXPECT_EQ(idle->events(0).completed().reason(), "idle");
  EXPECT_EQ(idle->SerializeAsString(), Snapshot("conv-1"));
  // Completed: nothing more happens.
  const std::string completed = Snapshot("conv-1");
  EXPECT_FALSE(MessageService::IsIdle(Get("conv-1"), 1'000, NowMicros()));
  ASSERT_TRUE(messages_->CompleteIfIdle("t1", "profiles/p1", "conv-1", 1'000).ok());
  EXPECT_EQ(Snapshot("conv-1"), completed);
  EXPECT_EQ(messages_->CompleteIfIdle("t1", "profiles/p1", "nope", 1'000).status().code(), kNotFound);
  EXPECT_FALSE(MessageService::IsIdle(Get("open-1"), 1'000, NowMicros()));
  EXPECT_EQ(messages_->CompleteIfIdle("t1", "profiles/p1", "open-1", 1'000)->lifecycle(), IN_PROGRESS);
}

TEST_F(MessageServiceTest, ShareCompleteIfIdleSharesTheLiveConversationAndCompletesAnIdleOne) {
  Create("conv-1");
  ASSERT_TRUE(conversations_->Update("t1", "profiles/p1", "conv-1", [](Conversation& c) {
    c.set_stage(HUMAN_ASSIST_STAGE);
    return absl::OkStatus();
  }).ok());
  ASSERT_TRUE(conversations_->keeps_live());
  const std::string before = Snapshot("conv-1");
  // Not idle: the service's kept conversation itself, no copy.
  auto active = messages_->ShareCompleteIfIdle("t1", "profiles/p1", "conv-1", int64_t{3600} * 1'000'000);
  ASSERT_TRUE(active.ok()) << active.status();
  auto kept = conversations_->Share("t1", "profiles/p1", "conv-1");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(active->get(), kept->get());
  EXPECT_EQ((*active)->SerializeAsString(), before);
  active->reset();
  kept->reset();

  const int64_t last_write = Get("conv-1").update_time_us();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto idle = messages_->ShareCompleteIfIdle("t1", "profiles/p1", "conv-1", 1'000);
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ((*idle)->lifecycle(), COMPLETED);
  EXPECT_EQ((*idle)->end_time_us(), last_write + 1'000);
  EXPECT_EQ((*idle)->SerializeAsString(), Snapshot("conv-1"));
  EXPECT_EQ(messages_->ShareCompleteIfIdle("t1", "profiles/p1", "nope", 1'000).status().code(), kNotFound);
  EXPECT_EQ(messages_->ShareCompleteIfIdle("t1", "elsewhere/x", "conv-1", 1'000).status().code(),
            messages_->CompleteIfIdle("t1", "elsewhere/x", "conv-1", 1'000).status().code());
}

TEST_F(MessageServiceTest, AnAppendMayCarryItsOwnTextLimitAndStoredTextStaysValid) {
  TearDown();
  Open({.max_message_text_bytes = 10});
  Create("conv-1");
  const std::string before = Snapshot("conv-1");
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text(std::string(20, 'x'))}).status().code(),
            kInvalid);
  EXPECT_EQ(Snapshot("conv-1"), before);
  MessageService::AppendOptions options;
  options.max_text_bytes = 32;  // a dialect's own limit (Dialogflow: 256 KiB)
  ASSERT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text(std::string(20, 'x'))}, options).ok());
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text(std::string(33, 'y'))}, options)
                .status().code(),
            kInvalid);
  // Later writes under the server's limit keep the longer message; new text
  // over it is still refused.
  ASSERT_TRUE(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text("short")}).ok());
  EXPECT_EQ(messages_->AppendMessages("t1", "profiles/p1", "conv-1", {Text(std::string(11, 'z'))}).status().code(),
            kInvalid);
  EXPECT_EQ(Get("conv-1").messages_size(), 2);
}

TEST_F(MessageServiceTest, CompleteIdleSweepsLiveConversationsOfEveryTenant) {
  auto live = [&](const std::string& tenant, const std::string& id, Stage stage) {
    Conversation c;
    c.set_tenant(tenant);
    c.set_scope("global");
    c.set_id(id);
    c.set_source(LIVE);
    c.set_lifecycle(IN_PROGRESS);
    c.set_stage(stage);
    ASSERT_TRUE(conversations_->Create(c).ok());
  };
  live("t1", "a", HUMAN_ASSIST_STAGE);
  live("t2", "b", VIRTUAL_AGENT_STAGE);
  live("t1", "open", STAGE_UNSPECIFIED);
  EXPECT_EQ(*messages_->CompleteIdle(int64_t{3600} * 1'000'000), 0);  // written just now
  EXPECT_EQ(*messages_->CompleteIdle(0), 0);                           // 0: never
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(*messages_->CompleteIdle(1'000), 2);
  auto a = conversations_->Get("t1", "global", "a");
  auto b = conversations_->Get("t2", "global", "b");
  auto open = conversations_->Get("t1", "global", "open");
  ASSERT_TRUE(a.ok() && b.ok() && open.ok());
  EXPECT_EQ(a->lifecycle(), COMPLETED);
  EXPECT_EQ(a->events(0).completed().reason(), "idle");
  EXPECT_EQ(b->lifecycle(), COMPLETED);
  EXPECT_EQ(open->lifecycle(), IN_PROGRESS);
  EXPECT_EQ(*messages_->CompleteIdle(1'000), 0);
}

TEST_F(MessageServiceTest, ExpiredConversationsAreNotFound) {
  Create("conv-1", STUDIO_USER_DEFINED, IN_PROGRESS, {Text("x", "m1")});
  ASSERT_TRUE(conversations_->Update("t1", "profiles/p1", "conv-1", [](Conversation& c) {
    c.set_expire_time_us(NowMicros() + 1);
    return absl::OkStatus();
  }).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string_view s = "profiles/p1";
  EXPECT_EQ(messages_->AppendMessages("t1", s, "conv-1", {Text("y")}).status().code(), kNotFound);
  EXPECT_EQ(messages_->DeleteMessage("t1", s, "conv-1", "m1").status().code(), kNotFound);
  EXPECT_EQ(messages_->RedactMessage("t1", s, "conv-1", "m1", {{0, 1, ""}}, "").status().code(), kNotFound);
  EXPECT_EQ(messages_->AddParticipant("t1", s, "conv-1", Participant()).status().code(), kNotFound);
  EXPECT_EQ(messages_->UpsertMetadata("t1", s, "conv-1", {Entry("a", {"1"})}, CRM).status().code(),
            kNotFound);
  EXPECT_EQ(messages_->Complete("t1", s, "conv-1", std::nullopt).status().code(), kNotFound);
}

}  // namespace
}  // namespace parley::service
