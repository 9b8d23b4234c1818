// store::AppendDelta: parsing the stored body followed by the delta gives
// the new body exactly, and changes no append can express are refused.
#include "store/body_delta.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "parley/conversation.pb.h"

namespace parley::store {
namespace {

using core::Conversation;

Conversation Base() {
  Conversation c;
  c.set_tenant("t");
  c.set_id("c");
  c.set_scope("global");
  c.set_update_time_us(10);
  c.set_duration_us(3);
  (*c.mutable_labels())["env"] = "prod";
  for (int i = 0; i < 3; ++i) {
    core::Message* m = c.add_messages();
    m->set_id("m" + std::to_string(i));
    m->set_text(std::string("hi\0there", 8));
    m->set_time_us(100 + i);
  }
  c.add_events()->set_id("e0");
  c.add_turns()->mutable_root_span()->set_name("turn 0");
  return c;
}

// The delta from Base() to Base() changed by `change`, if any; when there is
// one, checks that the body followed by it parses to the changed message.
bool Check(const std::function<void(Conversation&)>& change, std::string* delta = nullptr,
           std::vector<int>* changed = nullptr) {
  const Conversation before = Base();
  Conversation after = before;
  change(after);
  std::string b, a, d;
  EXPECT_TRUE(before.SerializeToString(&b));
  EXPECT_TRUE(after.SerializeToString(&a));
  std::vector<int> fields;
  if (!AppendDelta(Conversation::descriptor(), {b}, a, &d, &fields)) return false;
  Conversation merged;
  EXPECT_TRUE(merged.ParseFromString(b + d));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(merged, after))
      << merged.ShortDebugString() << "\nwanted " << after.ShortDebugString();
  EXPECT_LT(d.size(), a.size());
  if (delta != nullptr) *delta = d;
  if (changed != nullptr) *changed = fields;
  return true;
}

TEST(AppendDeltaTest, AnAppendIsOnlyTheNewElementsAndChangedFields) {
  std::string delta;
  std::vector<int> changed;
  ASSERT_TRUE(Check(
      [](Conversation& c) {
        core::Message* m = c.add_messages();
        m->set_id("m3");
        m->set_text("new");
        c.add_events()->set_id("e1");
        c.add_turns()->mutable_root_span()->set_name("turn 1");
        c.set_update_time_us(11);
        c.set_duration_us(4);
        c.set_end_time_us(12);  // newly set
      },
      &delta, &changed));
  core::Message m;
  m.set_id("m3");
  m.set_text("new");
  EXPECT_LT(delta.size(), m.ByteSizeLong() + 64);
  for (int f : {Conversation::kUpdateTimeUsFieldNumber, Conversation::kMessagesFieldNumber,
                Conversation::kEventsFieldNumber, Conversation::kTurnsFieldNumber}) {
    EXPECT_NE(std::find(changed.begin(), changed.end(), f), changed.end()) << f;
  }
  EXPECT_TRUE(std::is_sorted(changed.begin(), changed.end()));
}

// Deltas chain: each is computed against the body and the deltas before it,
// and the body followed by all of them parses to the last version.
TEST(AppendDeltaTest, DeltasChainAfterTheBody) {
  Conversation c = Base();
  std::vector<std::string> parts(1);
  ASSERT_TRUE(c.SerializeToString(&parts[0]));
  for (int i = 0; i < 20; ++i) {
    c.add_messages()->set_id("n" + std::to_string(i));
    c.set_update_time_us(20 + i);
    if (i % 3 == 0) c.set_duration_us(i + 100);
    if (i % 4 == 0) c.mutable_data_source()->set_dialogflow_conversation(
        "d" + std::to_string(i));
    std::string after, delta;
    ASSERT_TRUE(c.SerializeToString(&after));
    std::vector<absl::string_view> views(parts.begin(), parts.end());
    ASSERT_TRUE(AppendDelta(Conversation::descriptor(), views, after, &delta)) << i;
    ASSERT_FALSE(delta.empty());
    parts.push_back(delta);
    Conversation merged;
    std::string all;
    for (const std::string& p : parts) all += p;
    ASSERT_TRUE(merged.ParseFromString(all));
    ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(merged, c)) << i;
  }
  // A change no append expresses, against the chain: refused.
  c.mutable_messages(4)->set_text("edited");
  std::string after, delta;
  ASSERT_TRUE(c.SerializeToString(&after));
  std::vector<absl::string_view> views(parts.begin(), parts.end());
  EXPECT_FALSE(AppendDelta(Conversation::descriptor(), views, after, &delta));
}

TEST(AppendDeltaTest, EqualBodiesNeedNothing) {
  std::string delta = "x";
  ASSERT_TRUE(Check([](Conversation&) {}, &delta));
  EXPECT_TRUE(delta.empty());
}

TEST(AppendDeltaTest, ASingularMessageIsMergedFieldByField) {
  // The turn's span is inside a repeated field: editing it is refused; a
  // singular sub-message (a message's span, inside a new element) is not
  // reached. Conversation-level singular messages merge: check one that
  // gains a field and one that changes a scalar.
  const google::protobuf::FieldDescriptor* f = nullptr;
  for (int i = 0; i < Conversation::descriptor()->field_count(); ++i) {
    const auto* field = Conversation::descriptor()->field(i);
    if (!field->is_repeated() && field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
        field->containing_oneof() == nullptr) {
      f = field;
      break;
    }
  }
  if (f == nullptr) GTEST_SKIP() << "Conversation has no singular message field";
  // Set one string field of it in the base and change it in the next version.
  const google::protobuf::Descriptor* sub = f->message_type();
  const google::protobuf::FieldDescriptor* s = nullptr;
  for (int i = 0; i < sub->field_count() && s == nullptr; ++i) {
    if (sub->field(i)->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !sub->field(i)->is_repeated()) {
      s = sub->field(i);
    }
  }
  if (s == nullptr) GTEST_SKIP() << f->full_name() << " has no string field";
  Conversation before = Base();
  before.GetReflection()->MutableMessage(&before, f)->GetReflection()->SetString(
      before.GetReflection()->MutableMessage(&before, f), s, "one");
  Conversation after = before;
  after.GetReflection()->MutableMessage(&after, f)->GetReflection()->SetString(
      after.GetReflection()->MutableMessage(&after, f), s, "two");
  std::string b, a, d;
  ASSERT_TRUE(before.SerializeToString(&b) && after.SerializeToString(&a));
  ASSERT_TRUE(AppendDelta(Conversation::descriptor(), {b}, a, &d));
  Conversation merged;
  ASSERT_TRUE(merged.ParseFromString(b + d));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(merged, after));
}

TEST(AppendDeltaTest, ChangesNoAppendExpressesAreRefused) {
  EXPECT_FALSE(Check([](Conversation& c) { c.clear_duration_us(); }));          // cleared
  EXPECT_FALSE(Check([](Conversation& c) { c.mutable_messages(1)->set_text("x"); }));  // edited
  EXPECT_FALSE(Check([](Conversation& c) { c.mutable_messages()->RemoveLast(); }));    // removed
  EXPECT_FALSE(Check([](Conversation& c) {                                      // inserted
    c.mutable_messages()->Add();
    c.mutable_messages()->SwapElements(0, 3);
  }));
  EXPECT_FALSE(Check([](Conversation& c) { c.mutable_turns(0)->mutable_root_span()->set_name("x"); }));
  EXPECT_FALSE(Check([](Conversation& c) { c.set_tenant(""); }));  // set to the default
}

TEST(AppendDeltaTest, MalformedInputIsRefused) {
  std::string b, d;
  ASSERT_TRUE(Base().SerializeToString(&b));
  EXPECT_FALSE(AppendDelta(Conversation::descriptor(), {b}, b.substr(0, b.size() - 1), &d));
  EXPECT_FALSE(AppendDelta(Conversation::descriptor(), {b}, b + "\xff", &d));
  EXPECT_FALSE(AppendDelta(Conversation::descriptor(), {"\x0b"}, b, &d));  // a group tag
}

}  // namespace
}  // namespace parley::store
