// PII in speech-recognition text: lower case, no punctuation, numbers as
// words (speech_form.h), through PiiDetector::Find.
#include "analysis/pii/speech_form.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/pii/name_lists.h"
#include "analysis/pii/pii_detector.h"
#include "typed_spans.h"

namespace parley::analysis::pii {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> AllSpans(std::string_view text) {
  return TypedSpans(text, SharedDetector().Find(text));
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

TEST(SpeechForm, NamesFromTheWordsAlone) {
  // Two words no list knows, or a middle initial: a name with no cue.
  EXPECT_THAT(AllSpans("the form was signed by ravil g yefimov"),
              ElementsAre("PERSON_NAME:ravil g yefimov"));
  // A name spelled out after it, and a name said again elsewhere.
  EXPECT_THAT(AllSpans("my name is crystal c r y s t a l"),
              ElementsAre("PERSON_NAME:crystal", "PERSON_NAME:c r y s t a l"));
  EXPECT_THAT(AllSpans("asya spent a year there as the assistant to asya godina"),
              ElementsAre("PERSON_NAME:asya", "PERSON_NAME:asya godina"));
  // A possessive: the name without its "'s"; a shop is no person.
  EXPECT_THAT(AllSpans("please dial christie's number"), ElementsAre("PERSON_NAME:christie"));
  EXPECT_THAT(AllSpans("we ate at wendy's"), IsEmpty());
}

// Lower-case text of ordinary words takes a fast exit (a per-word memo,
// speech_form.cc InertLowerText); what only a word's neighbours make a name
// must still be found, also when the words were met before in the thread.
TEST(SpeechForm, OrdinaryWordsThatACueMakesAName) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_THAT(AllSpans("the crystal is from billing"), IsEmpty());
    // "is" and "am" end a naming cue only after "this", "i".
    EXPECT_THAT(AllSpans("this is crystal from billing"), ElementsAre("PERSON_NAME:crystal"));
    EXPECT_THAT(AllSpans("i am crystal"), ElementsAre("PERSON_NAME:crystal"));
    EXPECT_THAT(AllSpans("it is crystal clear"), IsEmpty());
    // Three single letters in a row after "spelled": a spelled name, even
    // of letters that are words alone.
    EXPECT_THAT(AllSpans("it is spelled a i a"), ElementsAre("PERSON_NAME:a i a"));
    EXPECT_THAT(AllSpans("i want a refund and i want it today"), IsEmpty());
    // Words glued into an address are no names; a cue word stays a cue.
    EXPECT_THAT(AllSpans("my email is jane.doe@example.com"),
                ElementsAre("EMAIL_ADDRESS:jane.doe@example.com"));
    EXPECT_THAT(AllSpans("x.hi crystal"), ElementsAre("PERSON_NAME:crystal"));
  }
}

TEST(SpeechForm, UnknownWordsThatAreNoNames) {
  // Typing slips, contractions without the apostrophe, another language, a
  // street of a European address.
  EXPECT_THAT(AllSpans("there was an atm withdrawl i didnt make"), IsEmpty());
  EXPECT_THAT(AllSpans("no i havent made this wtih my card"), IsEmpty());
  EXPECT_THAT(AllSpans("zoo saib kawg dab laug kuj ua ib qhov zoo kawm thiab"), IsEmpty());
  EXPECT_THAT(AllSpans("brucker bundesstrasse 31"),
              ElementsAre("STREET_ADDRESS:bundesstrasse 31"));
}

TEST(SpeechForm, SpokenPhoneNumbers) {
  // A North American number said digit by digit needs no cue.
  EXPECT_THAT(AllSpans("four one five five five five zero one three two"),
              ElementsAre("PHONE_NUMBER:four one five five five five zero one three two"));
  // A postal code just before the number is not part of it.
  EXPECT_THAT(AllSpans("send it to 12 main street san francisco ca 94103 415 555 0132"),
              ElementsAre("STREET_ADDRESS:12 main street san francisco ca 94103",
                          "PHONE_NUMBER:415 555 0132"));
  // "area code" is a phone cue although "code" alone vetoes one.
  EXPECT_THAT(AllSpans("the area code 9472 7916"), ElementsAre("PHONE_NUMBER:9472 7916"));
  EXPECT_THAT(AllSpans("the discount code 9472 7916"), IsEmpty());
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
