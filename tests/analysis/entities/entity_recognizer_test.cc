#include "analysis/entities/entity_recognizer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace parley::analysis::entities {
namespace {

struct Found {
  std::string type;
  std::string text;
  bool operator==(const Found&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << f.type << ":\"" << f.text << "\"";
}

const EntityRecognizer& Recognizer() {
  static const EntityRecognizer* r = new EntityRecognizer();
  return *r;
}

std::vector<Found> FindAll(const std::string& text) {
  std::vector<Found> out;
  for (const EntityFinding& f : Recognizer().Find(text)) {
    out.push_back({std::string(EntityTypeName(f.type)), text.substr(f.start, f.end - f.start)});
  }
  return out;
}

// The single finding of `type` in `text`; fails the test if there is not
// exactly one.
EntityFinding One(const std::string& text, EntityType type) {
  std::vector<EntityFinding> of_type;
  for (const EntityFinding& f : Recognizer().Find(text)) {
    if (f.type == type) of_type.push_back(f);
  }
  EXPECT_EQ(of_type.size(), 1u) << text;
  return of_type.empty() ? EntityFinding{} : of_type[0];
}

bool Has(const std::string& text, const Found& want) {
  for (const Found& f : FindAll(text)) {
    if (f == want) return true;
  }
  return false;
}

TEST(EntityRecognizer, EmptyAndPlainText) {
  EXPECT_TRUE(Recognizer().Find("").empty());
  const std::string plain = "thank you for calling, how can i help you with your order?";
  EXPECT_TRUE(FindAll(plain).empty()) << ::testing::PrintToString(FindAll(plain));
}

TEST(EntityRecognizer, ContractionsAndFunctionWordsAreNoEntities) {
  for (const char* text : {"Don't worry about it.", "I can't log in. Don't know why.",
                           "It's fine. There's a charge. We're done. You'll see.",
                           "Won't it work? Isn't it there? They've gone."}) {
    EXPECT_TRUE(FindAll(text).empty()) << text << ": " << ::testing::PrintToString(FindAll(text));
  }
  // A name with a possessive is still a name.
  EXPECT_FALSE(FindAll("I ate at McDonald's yesterday").empty());
}

TEST(EntityRecognizer, LowerCaseSpeechText) {
  const std::string stt = "hi maria my name is john peterson and i bank with acme bank";
  EXPECT_TRUE(Has(stt, {"PERSON", "maria"})) << ::testing::PrintToString(FindAll(stt));
  EXPECT_TRUE(Has(stt, {"PERSON", "john peterson"})) << ::testing::PrintToString(FindAll(stt));
  EXPECT_TRUE(Has(stt, {"ORGANIZATION", "acme bank"})) << ::testing::PrintToString(FindAll(stt));
}

// The scanner keeps what it looked up about recent lower-case words per
// thread: a text's findings must not depend on the texts read before it,
// however many, nor on a word that shares its first bytes.
TEST(EntityRecognizer, LowerCaseFindingsDoNotDependOnEarlierTexts) {
  const std::vector<std::string> texts = {"we flew to london",
                                         "we flew to londonx",
                                         "we flew to londony",
                                         "we watched netflix",
                                         "we watched netflixx",
                                         "hi maria",
                                         "hi mariax",
                                         "i moved to paris from london",
                                         "londonxxxxxxxxxxxxxxxxxxxxxxx and london"};
  std::vector<std::vector<Found>> first;
  for (const std::string& t : texts) first.push_back(FindAll(t));
  const std::vector<std::vector<Found>> want = {{{"LOCATION", "london"}},
                                                {},
                                                {},
                                                {{"ORGANIZATION", "netflix"}},
                                                {},
                                                {{"PERSON", "maria"}},
                                                {},
                                                {{"LOCATION", "paris"}, {"LOCATION", "london"}},
                                                {{"LOCATION", "london"}}};
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(first[i], want[i]) << texts[i];
  // Many other words in between, then the texts again, last first.
  std::string many;
  for (int i = 0; i < 3000; ++i) {
    many += 'w';
    for (int n = i; n > 0; n /= 26) many += static_cast<char>('a' + n % 26);
    many += "zq ";
  }
  FindAll(many);
  for (size_t i = texts.size(); i-- > 0;) EXPECT_EQ(FindAll(texts[i]), first[i]) << texts[i];
}

TEST(EntityRecognizer, StreetAddressIsNotANumber) {
  const std::string a = "send it to 1200 market street san francisco please";
  EXPECT_TRUE(Has(a, {"ADDRESS", "1200 market street san francisco"}))
      << ::testing::PrintToString(FindAll(a));
  EXPECT_FALSE(Has(a, {"NUMBER", "1200"}));
  EXPECT_TRUE(Has("I live at 12 Baker St. in London", {"ADDRESS", "12 Baker St."}))
      << ::testing::PrintToString(FindAll("I live at 12 Baker St. in London"));
  const std::string q = "it is a 5 minutes drive from here";
  for (const Found& f : FindAll(q)) EXPECT_NE(f.type, "ADDRESS") << f;
}

TEST(EntityRecognizer, Person) {
  EXPECT_TRUE(Has("Hi, this is Sarah Connor calling about my card.", {"PERSON", "Sarah Connor"}));
  EXPECT_TRUE(Has("I transferred 700 pounds to guy kephart yesterday", {"PERSON", "guy kephart"}));
}

TEST(EntityRecognizer, Location) {
  EXPECT_TRUE(Has("My flight to Paris was cancelled.", {"LOCATION", "Paris"}));
  EXPECT_TRUE(Has("We moved from Austin Texas to Seattle.", {"LOCATION", "Austin"}));
  EXPECT_TRUE(Has("We moved from Austin Texas to Seattle.", {"LOCATION", "Texas"}));
  EXPECT_TRUE(Has("We moved from Austin Texas to Seattle.", {"LOCATION", "Seattle"}));
  EXPECT_TRUE(Has("I stayed near Redondo Beach for a week.", {"LOCATION", "Redondo Beach"}));
  EXPECT_TRUE(Has("I live in New York now.", {"LOCATION", "New York"}));
}

TEST(EntityRecognizer, Organization) {
  EXPECT_TRUE(Has("I bank with Wells Fargo and it is fine.", {"ORGANIZATION", "Wells Fargo"}));
  EXPECT_TRUE(Has("The refund from Marks and Spencer never came.",
                  {"ORGANIZATION", "Marks and Spencer"}));
  EXPECT_TRUE(Has("this direct debit to M&S is wrong", {"ORGANIZATION", "M&S"}));
  EXPECT_TRUE(Has("I work for Acme Widgets Inc in sales.", {"ORGANIZATION", "Acme Widgets Inc"}));
  EXPECT_TRUE(Has("Why did Santander's app log me out?", {"ORGANIZATION", "Santander"}));
}

TEST(EntityRecognizer, ConsumerGood) {
  EXPECT_TRUE(Has("Can you send the new iPhone 15 to me?", {"CONSUMER_GOOD", "iPhone 15"}));
  EXPECT_TRUE(Has("Is the deal on the Samsung Galaxy S23 still valid?",
                  {"CONSUMER_GOOD", "Samsung Galaxy S23"}));
}

TEST(EntityRecognizer, EventAndWorkOfArt) {
  EXPECT_TRUE(Has("Is the Black Friday deal still on?", {"EVENT", "Black Friday"}));
  EXPECT_TRUE(Has("We met at the Coachella Music Festival last year.",
                  {"EVENT", "Coachella Music Festival"}));
  EXPECT_TRUE(Has("All I have been doing is watching Rick and Morty",
                  {"WORK_OF_ART", "Rick and Morty"}));
  EXPECT_TRUE(Has("I finally read Moby Dick on the train.", {"WORK_OF_ART", "Moby Dick"}));
}

TEST(EntityRecognizer, Other) {
  // An unknown chain is OTHER; a single unknown word mid-sentence is taken
  // for a name.
  EXPECT_TRUE(Has("the Zorblat Quantix thing broke again", {"OTHER", "Zorblat Quantix"}));
  EXPECT_TRUE(Has("ask Zorblat about it", {"PERSON", "Zorblat"}));
}

TEST(EntityRecognizer, PhoneNumberAndAddress) {
  EntityFinding p = One("Please call me back on (555) 123-4567 after lunch.", EntityType::kPhoneNumber);
  EXPECT_EQ(p.value, "5551234567");
  EXPECT_TRUE(Has("Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please",
                  {"ADDRESS", "1600 Pennsylvania Avenue NW, Washington, DC 20500"}));
}

TEST(EntityRecognizer, Prices) {
  EntityFinding a = One("I was charged $49.99 twice", EntityType::kPrice);
  EXPECT_EQ(a.currency, "USD");
  EXPECT_EQ(a.value, "49.99");
  EntityFinding b = One("a withdrawal of 73 pounds", EntityType::kPrice);
  EXPECT_EQ(b.currency, "GBP");
  EXPECT_EQ(b.value, "73");
  EntityFinding c = One("I want that 40€ back", EntityType::kPrice);
  EXPECT_EQ(c.currency, "EUR");
  EXPECT_EQ(c.value, "40");
  EntityFinding d = One("it cost me 1,250.50 EUR", EntityType::kPrice);
  EXPECT_EQ(d.currency, "EUR");
  EXPECT_EQ(d.value, "1250.5");
  EntityFinding e = One("only fifty cents left", EntityType::kPrice);
  EXPECT_EQ(e.value, "0.5");
  EntityFinding f = One("did I spend more than 400 in groceries", EntityType::kPrice);
  EXPECT_EQ(f.currency, "");
  EXPECT_EQ(f.value, "400");
  EXPECT_TRUE(Has("it was £1.2m in total", {"PRICE", "£1.2m"}));
}

TEST(EntityRecognizer, Dates) {
  EntityFinding a = One("I was charged on March 3rd, 2024 for it", EntityType::kDate);
  EXPECT_EQ(a.year, 2024);
  EXPECT_EQ(a.month, 3);
  EXPECT_EQ(a.day, 3);
  EntityFinding b = One("from the 7th of Jan 2018 on", EntityType::kDate);
  EXPECT_EQ(b.year, 2018);
  EXPECT_EQ(b.month, 1);
  EXPECT_EQ(b.day, 7);
  EntityFinding c = One("due 2024-05-01", EntityType::kDate);
  EXPECT_EQ(c.year, 2024);
  EXPECT_EQ(c.month, 5);
  EXPECT_EQ(c.day, 1);
  EntityFinding d = One("born 24.06.1991", EntityType::kDate);
  EXPECT_EQ(d.month, 6);
  EXPECT_EQ(d.day, 24);
  EXPECT_TRUE(Has("please do it tomorrow", {"DATE", "tomorrow"}));
  EXPECT_TRUE(Has("it was next Monday", {"DATE", "next Monday"}));
  EXPECT_TRUE(Has("i made a transfer 8 weeks ago", {"DATE", "8 weeks ago"}));
  EXPECT_TRUE(Has("set it up on the 2nd of each month", {"DATE", "2nd"}));
  EXPECT_TRUE(Has("How much did I spend until January?", {"DATE", "January"}));
  // "May" alone is a month only after a date word.
  EXPECT_FALSE(Has("May I ask a question?", {"DATE", "May"}));
  EXPECT_TRUE(Has("since May it has been broken", {"DATE", "May"}));
  // Invalid dates are not dates.
  EXPECT_FALSE(Has("code 2024-13-45 failed", {"DATE", "2024-13-45"}));
}

TEST(EntityRecognizer, NumbersAndTimes) {
  EntityFinding a = One("Create 6 new standing orders.", EntityType::kNumber);
  EXPECT_EQ(a.value, "6");
  EXPECT_TRUE(Has("I called twenty five times", {"NUMBER", "twenty five"}));
  EXPECT_TRUE(Has("rates went up 20% this year", {"NUMBER", "20%"}));
  // Times of day are not numbers.
  EXPECT_TRUE(FindAll("call me at 12:45 p.m.").empty())
      << ::testing::PrintToString(FindAll("call me at 12:45 p.m."));
  EXPECT_TRUE(FindAll("after 5 pm please").empty());
  // "one" alone is too often a pronoun.
  EXPECT_TRUE(FindAll("the one with the blue cover").empty());
}

TEST(EntityRecognizer, OffsetsAreBytesInUtf8) {
  std::string text = "Café résumé: I paid 20 € to Zoë in München on Tuesday";
  for (const EntityFinding& f : Recognizer().Find(text)) {
    ASSERT_LE(f.end, text.size());
    ASSERT_LT(f.start, f.end);
    // Spans start and end on code point boundaries.
    EXPECT_NE(static_cast<unsigned char>(text[f.start]) & 0xC0, 0x80);
    if (f.end < text.size()) {
      EXPECT_NE(static_cast<unsigned char>(text[f.end]) & 0xC0, 0x80);
    }
  }
  EXPECT_TRUE(Has(text, {"PRICE", "20 €"}));
  EXPECT_TRUE(Has(text, {"LOCATION", "München"}));
  EXPECT_TRUE(Has(text, {"DATE", "Tuesday"}));
}

TEST(EntityRecognizer, SortedAndDisjoint) {
  std::string text =
      "Hi, Anna Berg here from Barclays in London; I paid $20 on 2024-05-01 and called "
      "+44 20 7946 0958 about the iPad Pro.";
  std::vector<EntityFinding> found = Recognizer().Find(text);
  ASSERT_GE(found.size(), 6u);
  for (size_t i = 1; i < found.size(); ++i) EXPECT_LE(found[i - 1].end, found[i].start);
}

TEST(EntityRecognizer, TitleCaseTextTrustsOnlyTheGazetteer) {
  // Every word capitalised: capitals say nothing, only known names count.
  std::vector<Found> found = FindAll("Best Deals On Cheap Flights To London Today");
  for (const Found& f : found) EXPECT_NE(f.type, "OTHER") << f;
  EXPECT_TRUE(Has("Best Deals On Cheap Flights To London Today", {"LOCATION", "London"}));
}

TEST(EntityRecognizer, LinearOnHostileInput) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "Aa 1/";
  EXPECT_FALSE(Recognizer().Find(text).empty());
}

TEST(EntityRecognizer, RedactionPlaceholdersAreNoEntities) {
  // What a redacted transcript reads like: the placeholders' info-type words
  // ("STREET", "PERSON") are not places or names; the rest still is.
  const std::string redacted = "Hi, this is [PERSON_NAME], I live at [STREET_ADDRESS] near Paris.";
  for (const Found& f : FindAll(redacted)) {
    EXPECT_EQ(f.text.find_first_of("[]_"), std::string::npos) << f;
    EXPECT_EQ(f.text.find("STREET"), std::string::npos) << f;
  }
  EXPECT_TRUE(Has(redacted, {"LOCATION", "Paris"})) << ::testing::PrintToString(FindAll(redacted));
  // Brackets around ordinary words are not placeholders.
  EXPECT_TRUE(Has("We met [in Paris] last year", {"LOCATION", "Paris"}));
}

}  // namespace
}  // namespace parley::analysis::entities
