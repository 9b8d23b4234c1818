// PII in speech-recognition text: lower case, no punctuation, numbers as
// words (speech_form.h), through PiiDetector::Find.
#include "analysis/pii/speech_form.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/pii/name_lists.h"
#include "analysis/pii/pii_detector.h"

namespace parley::analysis::pii {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> AllSpans(std::string_view text) {
  static const PiiDetector* d = new PiiDetector();
  std::vector<std::string> out;
  for (const Finding& f : d->Find(text)) {
    out.push_back(std::string(InfoTypeName(f.type)) + ":" +
                  std::string(text.substr(f.start, f.end - f.start)));
  }
  return out;
}

TEST(SpokenDigits, Forms) {
  EXPECT_EQ(SpokenDigits({"four", "one", "five"}), "415");
  EXPECT_EQ(SpokenDigits({"twelve", "hundred"}), "1200");
  EXPECT_EQ(SpokenDigits({"one", "hundred", "and", "five"}), "105");
  EXPECT_EQ(SpokenDigits({"double", "five", "oh", "one"}), "5501");
  EXPECT_EQ(SpokenDigits({"twenty", "three", "forty"}), "2340");
  EXPECT_EQ(SpokenDigits({"nineteen", "ninety"}), "1990");
  EXPECT_EQ(SpokenDigits({"four", "15", "five"}), "4155");
  EXPECT_EQ(SpokenDigits({"four", "and"}), "");   // "and" only after hundred
  EXPECT_EQ(SpokenDigits({"apple"}), "");
}

TEST(SpeechForm, NamesAddressAndSpokenPhoneInOneCall) {
  const std::string call =
      "hi maria my name is john peterson i live at twelve hundred market street san francisco "
      "and my number is four one five five five five one two one two";
  EXPECT_THAT(AllSpans(call),
              ElementsAre("PERSON_NAME:maria", "PERSON_NAME:john peterson",
                          "STREET_ADDRESS:twelve hundred market street",
                          "PHONE_NUMBER:four one five five five five one two one two"));
}

TEST(SpeechForm, SpokenCardAndSsn) {
  EXPECT_THAT(AllSpans("my card is four one one one one one one one one one one one one one "
                       "one one"),
              ElementsAre("CREDIT_CARD_NUMBER:four one one one one one one one one one one one "
                          "one one one one"));
  EXPECT_THAT(AllSpans("my social security number is one two three four five six seven eight "
                       "nine thanks"),
              ElementsAre("US_SOCIAL_SECURITY_NUMBER:one two three four five six seven eight "
                          "nine"));
}

TEST(SpeechForm, DigitsInLowerCaseText) {
  EXPECT_THAT(AllSpans("you can call me at 415 555 1212 after five"),
              ElementsAre("PHONE_NUMBER:415 555 1212"));
  EXPECT_THAT(AllSpans("send it to 6821 1st ave san mateo please"),
              ElementsAre("STREET_ADDRESS:6821 1st ave"));
}

TEST(SpeechForm, EuropeanStreetAndForeignNames) {
  EXPECT_THAT(AllSpans("my name is krisztián szöllösy"),
              ElementsAre("PERSON_NAME:krisztián szöllösy"));
  EXPECT_THAT(AllSpans("the address is 28030 edeby 55 apt 297 tystberga sweden 99178"),
              ElementsAre("STREET_ADDRESS:28030 edeby 55 apt 297 tystberga sweden 99178"));
}

TEST(SpeechForm, OrdinaryWordsAndNumbersStay) {
  EXPECT_THAT(AllSpans("i will grant you that it was a great call"), IsEmpty());
  EXPECT_THAT(AllSpans("this is great thank you so much"), IsEmpty());
  EXPECT_THAT(AllSpans("i waited twenty five minutes on hold with two agents"), IsEmpty());
  EXPECT_THAT(AllSpans("we flew to paris and then san francisco"), IsEmpty());
  EXPECT_THAT(AllSpans("i have one or two questions about my order"), IsEmpty());
}

TEST(SpeechForm, PlaceIsNotAPersonInWrittenText) {
  EXPECT_THAT(AllSpans("I moved to San Francisco last year."), IsEmpty());
  EXPECT_THAT(AllSpans("We met in Los Angeles with Anna."), ElementsAre("PERSON_NAME:Anna"));
}

TEST(SpeechView, OffsetsMapBackAcrossRuns) {
  SpeechView view;
  ASSERT_TRUE(view.Build("call one two three now", NameGazetteer::Default()));
  EXPECT_EQ(view.text(), "call 123 now");
  EXPECT_EQ(view.OriginalStart(5), 5u);
  EXPECT_EQ(view.OriginalEnd(8), 18u);
  EXPECT_EQ(view.OriginalStart(9), 19u);
  EXPECT_EQ(view.OriginalEnd(12), 22u);
  // Written text without spoken numbers needs no view.
  EXPECT_FALSE(view.Build("Call Anna at 555-1234.", NameGazetteer::Default()));
}

}  // namespace
}  // namespace parley::analysis::pii
