// Inspect templates: DLP-shaped built-in and custom info types
// (inspect_templates.h), parsing, limits and matching.
#include "analysis/pii/inspect_templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/pii/redact_conversation.h"

namespace parley::analysis::pii {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const PiiDetector& Detector() {
  static const PiiDetector* d = new PiiDetector();
  return *d;
}

std::vector<std::string> Spans(const InspectTemplate& t, std::string_view text) {
  std::vector<std::string> out;
  for (const Finding& f : t.Find(Detector(), text)) {
    out.push_back(std::string(FindingTypeName(f)) + ":" +
                  std::string(text.substr(f.start, f.end - f.start)));
  }
  return out;
}

constexpr char kSupport[] = R"j({
  "name": "projects/p1/locations/us/inspectTemplates/support",
  "inspectConfig": {
    "infoTypes": [{"name": "EMAIL_ADDRESS"}, {"name": "PERSON_NAME"}],
    "customInfoTypes": [
      {"infoType": {"name": "ORDER_ID"}, "regex": {"pattern": "\\b\\d{10}\\b"},
       "likelihood": "UNLIKELY",
       "detectionRules": [{"hotwordRule": {"hotwordRegex": {"pattern": "(?i)order"},
         "proximity": {"windowBefore": 20},
         "likelihoodAdjustment": {"fixedLikelihood": "VERY_LIKELY"}}}]},
      {"infoType": {"name": "ACCOUNT_NUMBER"},
       "regex": {"pattern": "account number is (\\d+)", "groupIndexes": [1]}},
      {"infoType": {"name": "PROMO_CODE"},
       "dictionary": {"wordList": {"words": ["SUMMER10", "free shipping"]}}}]}})j";

TEST(InspectTemplate, CustomTypesWithHotwordsGroupsAndWordLists) {
  auto t = InspectTemplate::Parse(kSupport);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->name(), "projects/p1/locations/us/inspectTemplates/support");
  EXPECT_THAT(Spans(*t, "Order ID: 3348917502"), ElementsAre("ORDER_ID:3348917502"));
  // Without the hotword the 10 digits stay UNLIKELY, under the POSSIBLE default.
  EXPECT_THAT(Spans(*t, "it weighs 3348917502 grams"), ElementsAre());
  EXPECT_THAT(Spans(*t, "my account number is 00123456789 ok"),
              ElementsAre("ACCOUNT_NUMBER:00123456789"));
  EXPECT_THAT(Spans(*t, "use summer10 for Free Shipping, not summer100"),
              ElementsAre("PROMO_CODE:summer10", "PROMO_CODE:Free Shipping"));
  // Only the chosen built-in types: the phone number stays.
  EXPECT_THAT(Spans(*t, "Mail jane.doe@example.com or call 415-555-0132"),
              ElementsAre("EMAIL_ADDRESS:jane.doe@example.com"));
}

TEST(InspectTemplate, RedactsWithCustomPlaceholders) {
  auto t = InspectTemplate::Parse(kSupport);
  ASSERT_TRUE(t.ok()) << t.status();
  core::Message m;
  m.set_text("Order ID: 3348917502, mail cminh730@email.com");
  EXPECT_EQ(RedactMessage(Detector(), &*t, &m), 2);
  EXPECT_EQ(m.text(), "Order ID: [ORDER_ID], mail [EMAIL_ADDRESS]");
  ASSERT_EQ(m.redactions_size(), 2);
  EXPECT_EQ(m.redactions(0).info_type(), "ORDER_ID");
  EXPECT_EQ(m.text().substr(m.redactions(0).start_byte(),
                            m.redactions(0).end_byte() - m.redactions(0).start_byte()),
            "[ORDER_ID]");
  // Again: nothing new.
  EXPECT_EQ(RedactMessage(Detector(), &*t, &m), 0);
}

TEST(InspectTemplate, MalformedTemplatesAreRefusedWithTheField) {
  auto err = [](std::string json) {
    auto t = InspectTemplate::Parse(json);
    return t.ok() ? std::string("ok") : std::string(t.status().message());
  };
  const std::string name = R"("name": "projects/p/locations/l/inspectTemplates/t")";
  EXPECT_THAT(err("[]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(err(R"({"name": "templates/t"})"), HasSubstr("is not projects/"));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"infoTypes": [{"name": "SHOE_SIZE"}]}})"),
              HasSubstr("unknown info type \"SHOE_SIZE\""));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"customInfoTypes": [
      {"infoType": {"name": "X"}, "regex": {"pattern": "(unclosed"}}]}})"),
              HasSubstr("does not compile"));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"customInfoTypes": [
      {"infoType": {"name": "PHONE_NUMBER"}, "regex": {"pattern": "x"}}]}})"),
              HasSubstr("is a built-in type"));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"customInfoTypes": [
      {"infoType": {"name": "X"}}]}})"),
              HasSubstr("exactly one of regex and dictionary"));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"customInfoTypes": [
      {"infoType": {"name": "X"}, "regex": {"pattern": "x"}, "likelihood": "SURE"}]}})"),
              HasSubstr("unknown likelihood \"SURE\""));
  EXPECT_THAT(err("{" + name + R"(, "inspectConfig": {"customInfoTypes": [
      {"infoType": {"name": "X"}, "regex": {"pattern": "x"}, "detectionRules": [
        {"hotwordRule": {"hotwordRegex": {"pattern": "y"},
          "likelihoodAdjustment": {"relativeLikelihood": 1}}}]}]}})"),
              HasSubstr("windowBefore or windowAfter"));
}

TEST(InspectTemplate, Limits) {
  const std::string head =
      R"({"name": "projects/p/locations/l/inspectTemplates/t", "inspectConfig": {"customInfoTypes": [)";
  std::string types;
  for (size_t i = 0; i <= kMaxCustomInfoTypes; ++i) {
    if (i > 0) types += ",";
    types += R"({"infoType": {"name": "T)" + std::to_string(i) + R"("}, "regex": {"pattern": "x"}})";
  }
  auto t = InspectTemplate::Parse(head + types + "]}}");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("more than 30 customInfoTypes"));

  std::string words;
  for (size_t i = 0; i <= kMaxDictionaryWords; ++i) words += (i ? ",\"w" : "\"w") + std::to_string(i) + "\"";
  t = InspectTemplate::Parse(head + R"({"infoType": {"name": "W"}, "dictionary": {"wordList": {"words": [)" +
                             words + "]}}}]}}");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("more than 10000 dictionary words"));

  t = InspectTemplate::Parse(head + R"({"infoType": {"name": "L"}, "regex": {"pattern": ")" +
                             std::string(kMaxPatternBytes + 1, 'a') + R"("}}]}})");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("longer than 1000 bytes"));
}

TEST(InspectTemplates, FileOfTemplatesByName) {
  auto all = InspectTemplates::Parse(std::string(R"({"inspectTemplates": [)") + kSupport + "]}");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 1u);
  EXPECT_NE(all->Get("projects/p1/locations/us/inspectTemplates/support"), nullptr);
  EXPECT_EQ(all->Get("projects/p2/locations/us/inspectTemplates/support"), nullptr);
  auto twice = InspectTemplates::Parse(std::string(R"({"inspectTemplates": [)") + kSupport + "," +
                                       kSupport + "]}");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("defined twice"));
  EXPECT_FALSE(InspectTemplates::Parse(R"({"templates": []})").ok());
  EXPECT_EQ(InspectTemplates::Load("/nonexistent/templates.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(InspectTemplate, LinearOnHostileInput) {
  auto t = InspectTemplate::Parse(R"({"name": "projects/p/locations/l/inspectTemplates/t",
    "inspectConfig": {"customInfoTypes": [{"infoType": {"name": "X"},
      "regex": {"pattern": "(a+)+b"}}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  std::string text(200000, 'a');
  EXPECT_THAT(Spans(*t, text), ElementsAre());  // RE2: no catastrophic backtracking
}

}  // namespace
}  // namespace parley::analysis::pii
