#include "analysis/entities/entity_analyzer.h"

#include <time.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace parley::analysis::entities {
namespace {

const EntityRecognizer* Recognizer() {
  static const EntityRecognizer* r = new EntityRecognizer();
  return r;
}

core::AnalysisResult Analyze(const core::Conversation& c) {
  EntitiesAnalyzer analyzer(Recognizer());
  core::AnalysisResult result;
  EXPECT_TRUE(analyzer.Analyze(c, &result).ok());
  return result;
}

core::Conversation Chat(std::initializer_list<const char*> texts) {
  core::Conversation c;
  for (const char* t : texts) c.add_messages()->set_text(t);
  return c;
}

const core::Entity* Named(const core::AnalysisResult& r, const std::string& display,
                          core::EntityType type) {
  for (const core::Entity& e : r.entities()) {
    if (e.display_name() == display && e.type() == type) return &e;
  }
  return nullptr;
}

TEST(EntitiesAnalyzer, Name) { EXPECT_EQ(EntitiesAnalyzer(Recognizer()).name(), "entities"); }

TEST(EntitiesAnalyzer, EmptyConversationHasNoEntities) {
  EXPECT_EQ(Analyze(core::Conversation()).entities_size(), 0);
  EXPECT_EQ(Analyze(Chat({"", "   ", "ok thanks"})).entities_size(), 0);
}

TEST(EntitiesAnalyzer, MentionsOffsetsAndWordIndex) {
  core::Conversation c = Chat({"hello there", "I was charged $49.99 by Netflix"});
  core::AnalysisResult r = Analyze(c);
  const core::Entity* price = Named(r, "$49.99", core::PRICE);
  ASSERT_NE(price, nullptr);
  ASSERT_EQ(price->mentions_size(), 1);
  const core::Mention& m = price->mentions(0);
  EXPECT_EQ(m.message_index(), 1);
  EXPECT_EQ(m.start_byte(), 14);
  EXPECT_EQ(m.end_byte(), 20);
  EXPECT_EQ(m.text(), "$49.99");
  EXPECT_EQ(m.word_index(), 3);  // I was charged $49.99
  EXPECT_EQ(price->metadata().at("currency"), "USD");
  EXPECT_EQ(price->metadata().at("value"), "49.99");
  const core::Entity* org = Named(r, "Netflix", core::ORGANIZATION);
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->mentions(0).word_index(), 5);
}

TEST(EntitiesAnalyzer, WordIndexUsesWordTimingsWhenTheyAlign) {
  core::Conversation c;
  core::Message* m = c.add_messages();
  m->set_text("um, call Paris now");
  for (const char* w : {"um", "call", "Paris", "now"}) m->add_words()->set_word(w);
  core::AnalysisResult r = Analyze(c);
  const core::Entity* paris = Named(r, "Paris", core::LOCATION);
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->mentions(0).start_byte(), 9);
  EXPECT_EQ(paris->mentions(0).word_index(), 2);
}

TEST(EntitiesAnalyzer, RepeatedMentionsMerge) {
  core::AnalysisResult r = Analyze(Chat({
      "My flight to Paris was cancelled.",
      "Which flight to Paris?",
      "The one to paris on June 3, 2024.",
      "Yes, 2024-06-03. Anna Berg booked it.",
      "Thanks Anna.",
  }));
  const core::Entity* paris = Named(r, "Paris", core::LOCATION);
  ASSERT_NE(paris, nullptr);
  ASSERT_EQ(paris->mentions_size(), 3);
  EXPECT_EQ(paris->mentions(0).message_index(), 0);
  EXPECT_EQ(paris->mentions(1).message_index(), 1);
  EXPECT_EQ(paris->mentions(2).message_index(), 2);
  EXPECT_EQ(paris->mentions(2).text(), "paris");
  // Two spellings of one date are one entity.
  int dates = 0;
  for (const core::Entity& e : r.entities()) {
    if (e.type() != core::DATE) continue;
    ++dates;
    EXPECT_EQ(e.mentions_size(), 2);
    EXPECT_EQ(e.metadata().at("year"), "2024");
    EXPECT_EQ(e.metadata().at("month"), "6");
    EXPECT_EQ(e.metadata().at("day"), "3");
  }
  EXPECT_EQ(dates, 1);
  // "Anna" joins "Anna Berg".
  const core::Entity* anna = Named(r, "Anna Berg", core::PERSON);
  ASSERT_NE(anna, nullptr);
  EXPECT_EQ(anna->mentions_size(), 2);
  EXPECT_EQ(Named(r, "Anna", core::PERSON), nullptr);
}

TEST(EntitiesAnalyzer, IdsUniqueAndSaliencesSumToAtMostOne) {
  core::Conversation c;
  for (int i = 0; i < 60; ++i) {
    c.add_messages()->set_text("Order " + std::to_string(i) + " of " + std::to_string(i * 7 + 3) +
                               " items to Berlin, Oslo and Lima for $" + std::to_string(i + 1) +
                               " on May " + std::to_string(i % 28 + 1) + ", 2024");
  }
  core::AnalysisResult r = Analyze(c);
  ASSERT_GT(r.entities_size(), 50);
  std::set<std::string> ids;
  double sum = 0;
  float prev = 2;
  for (const core::Entity& e : r.entities()) {
    EXPECT_TRUE(ids.insert(e.id()).second) << e.id();
    EXPECT_GE(e.salience(), 0.0f);
    EXPECT_LE(e.salience(), 1.0f);
    EXPECT_LE(e.salience(), prev);  // ordered by salience
    prev = e.salience();
    sum += e.salience();
  }
  EXPECT_LE(sum, 1.0);
  EXPECT_GT(sum, 0.99);
  float fsum = 0;
  for (const core::Entity& e : r.entities()) fsum += e.salience();
  EXPECT_LE(fsum, 1.0f);
}

TEST(EntitiesAnalyzer, Deterministic) {
  core::Conversation c = Chat({"Hi, this is Sarah Connor from Wells Fargo.",
                               "I paid 40€ to guy kephart on the 4th in London.",
                               "Call me on +44 20 7946 0958 about the iPhone 15."});
  core::AnalysisResult first = Analyze(c);
  ASSERT_GT(first.entities_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Analyze(c), first));
  }
}

TEST(EntitiesAnalyzer, Utf8Text) {
  core::Conversation c = Chat({"Zoë sent 20 € to München on Tuesday"});
  core::AnalysisResult r = Analyze(c);
  const std::string& text = c.messages(0).text();
  const core::Entity* city = Named(r, "München", core::LOCATION);
  ASSERT_NE(city, nullptr);
  const core::Mention& m = city->mentions(0);
  EXPECT_EQ(text.substr(m.start_byte(), m.end_byte() - m.start_byte()), "München");
  EXPECT_EQ(m.word_index(), 5);  // Zoë sent 20 € to München
  const core::Entity* price = Named(r, "20 €", core::PRICE);
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->metadata().at("currency"), "EUR");
}

TEST(EntitiesAnalyzer, PhoneMetadata) {
  core::AnalysisResult r = Analyze(Chat({"my number is +1 415-555-0100 x12"}));
  ASSERT_EQ(r.entities_size(), 1);
  const core::Entity& e = r.entities(0);
  EXPECT_EQ(e.type(), core::PHONE_NUMBER);
  EXPECT_EQ(e.metadata().at("number"), "+14155550100");
  EXPECT_EQ(e.metadata().at("extension"), "12");
  EXPECT_FLOAT_EQ(e.salience(), e.salience());  // set
  EXPECT_GT(e.salience(), 0.99f);
}

}  // namespace
}  // namespace parley::analysis::entities

namespace parley::analysis::entities {
namespace {

// Issue 9 #11: 63 segments of 64 KiB of "1 1 1 ..." took 48.7 s, because
// overlap resolution compared every candidate with every span kept. It is
// O(n log n) now: the whole input takes well under a second on one core (the
// bound is generous for a loaded machine; the quadratic version needed a
// second per segment).
TEST(EntitiesAnalyzer, ProbeInputOfManyNumbersIsAnalysedQuickly) {
  std::string text;
  while (text.size() + 2 <= 64 * 1024) text += "1 ";
  core::Conversation c;
  for (int i = 0; i < 63; ++i) c.add_messages()->set_text(text);
  // CPU time of this thread, so that other work on a busy machine does not
  // count.
  auto cpu_seconds = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
  };
  const double start = cpu_seconds();
  core::AnalysisResult r = Analyze(c);
  EXPECT_LT(cpu_seconds() - start, 5.0);
  // Still analysed: the "1"s merge into one NUMBER entity, whose mentions
  // are the first kMaxMentionsPerEntity, in message order.
  const core::Entity* one = Named(r, "1", core::NUMBER);
  ASSERT_NE(one, nullptr);
  ASSERT_EQ(one->mentions_size(), static_cast<int>(EntitiesAnalyzer::kMaxMentionsPerEntity));
  EXPECT_EQ(one->mentions(0).message_index(), 0);
  EXPECT_EQ(one->mentions(999).start_byte(), 2 * 999);
}

// Many distinct full names and lone names: the lone-name merge indexes the
// full names instead of comparing every pair, and still merges exactly when
// one full name holds the lone one.
TEST(EntitiesAnalyzer, LoneNameMergeScalesAndStaysExact) {
  core::Conversation c;
  c.add_messages()->set_text("I spoke with Anna Berg yesterday.");
  c.add_messages()->set_text("Then Anna called back.");
  core::AnalysisResult r = Analyze(c);
  const core::Entity* anna = Named(r, "Anna Berg", core::PERSON);
  ASSERT_NE(anna, nullptr);
  EXPECT_EQ(anna->mentions_size(), 2);
  EXPECT_EQ(Named(r, "Anna", core::PERSON), nullptr);
}

}  // namespace
}  // namespace parley::analysis::entities
