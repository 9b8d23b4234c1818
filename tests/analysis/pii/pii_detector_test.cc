#include "analysis/pii/pii_detector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "analysis/pii/checksums.h"

namespace parley::analysis::pii {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const PiiDetector& Detector() {
  static const PiiDetector* d = new PiiDetector();
  return *d;
}

// The text of each finding of `type` in `text`.
std::vector<std::string> Spans(std::string_view text, InfoType type) {
  std::vector<std::string> out;
  for (const Finding& f : Detector().Find(text)) {
    if (f.type == type) out.emplace_back(text.substr(f.start, f.end - f.start));
  }
  return out;
}

std::vector<std::string> AllSpans(std::string_view text) {
  std::vector<std::string> out;
  for (const Finding& f : Detector().Find(text)) {
    out.push_back(std::string(InfoTypeName(f.type)) + ":" +
                  std::string(text.substr(f.start, f.end - f.start)));
  }
  return out;
}

// ---- checksums -------------------------------------------------------------

TEST(Checksums, Luhn) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid(""));
}

TEST(Checksums, CardPrefixes) {
  EXPECT_TRUE(KnownCardPrefix("4111111111111111"));   // Visa 16
  EXPECT_TRUE(KnownCardPrefix("378282246310005"));    // Amex 15
  EXPECT_FALSE(KnownCardPrefix("3782822463100050"));  // Amex is never 16
  EXPECT_TRUE(KnownCardPrefix("5555555555554444"));   // Mastercard
  EXPECT_TRUE(KnownCardPrefix("2223003122003222"));   // Mastercard 2-series
  EXPECT_FALSE(KnownCardPrefix("7111111111111111"));  // no scheme starts with 7
  EXPECT_FALSE(KnownCardPrefix("41111111111"));       // too short
}

TEST(Checksums, Iban) {
  EXPECT_TRUE(IbanValid("GB82WEST12345698765432"));
  EXPECT_TRUE(IbanValid("gb82west12345698765432"));
  EXPECT_TRUE(IbanValid("DE89370400440532013000"));
  EXPECT_FALSE(IbanValid("GB82WEST12345698765433"));   // check digits wrong
  EXPECT_FALSE(IbanValid("GB82WEST1234569876543"));    // one short for GB
  EXPECT_FALSE(IbanValid("QQ82WEST12345698765432"));   // no such country
  EXPECT_EQ(IbanLength("NO"), 15);
  EXPECT_EQ(IbanLength("xx"), 0);
}

TEST(Checksums, Ssn) {
  EXPECT_TRUE(SsnValid(123, 45, 6789));
  EXPECT_FALSE(SsnValid(0, 45, 6789));
  EXPECT_FALSE(SsnValid(666, 45, 6789));
  EXPECT_FALSE(SsnValid(900, 45, 6789));
  EXPECT_FALSE(SsnValid(123, 0, 6789));
  EXPECT_FALSE(SsnValid(123, 45, 0));
  EXPECT_FALSE(SsnValid(78, 5, 1120));
}

// ---- info types ------------------------------------------------------------

TEST(InfoTypes, NamesRoundTrip) {
  for (int i = 0; i < kInfoTypeCount; ++i) {
    auto t = static_cast<InfoType>(i);
    EXPECT_EQ(InfoTypeFromName(InfoTypeName(t)), t);
  }
  EXPECT_EQ(InfoTypeFromName("email_address"), std::nullopt);
}

TEST(InfoTypes, Parse) {
  EXPECT_EQ(*ParseInfoTypes({}), InfoTypeSet::All());
  auto set = ParseInfoTypes({"EMAIL_ADDRESS", "IP_ADDRESS"});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->Contains(InfoType::kEmailAddress));
  EXPECT_TRUE(set->Contains(InfoType::kIpAddress));
  EXPECT_FALSE(set->Contains(InfoType::kPhoneNumber));
  auto bad = ParseInfoTypes({"EMAIL_ADDRESS", "SHOE_SIZE"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("SHOE_SIZE"));
}

// ---- email -----------------------------------------------------------------

TEST(Email, Found) {
  EXPECT_THAT(Spans("write to jane.doe+billing@mail.example.co.uk today", InfoType::kEmailAddress),
              ElementsAre("jane.doe+billing@mail.example.co.uk"));
  EXPECT_THAT(Spans("Email: O'Brien_J@corp-x.io.", InfoType::kEmailAddress),
              ElementsAre("O'Brien_J@corp-x.io"));
}

TEST(Email, NearMisses) {
  EXPECT_THAT(Spans("meet @ noon", InfoType::kEmailAddress), IsEmpty());
  EXPECT_THAT(Spans("user@localhost", InfoType::kEmailAddress), IsEmpty());
  EXPECT_THAT(Spans("a@b.c1", InfoType::kEmailAddress), IsEmpty());
  EXPECT_THAT(Spans("@handle and x@.com", InfoType::kEmailAddress), IsEmpty());
}

// ---- phone -----------------------------------------------------------------

TEST(Phone, InternationalAndNationalForms) {
  for (const char* number : {"+44 20 7946 0958", "(555) 123-4567", "555.123.4567",
                             "+1-202-555-0173", "0049 30 1234567", "+46 (0)8 928 571 38",
                             "020 7946 0958", "1-800-555-0199", "+33 1 42 68 53 00"}) {
    std::string text = std::string("You can reach them at ") + number + " most days.";
    EXPECT_THAT(Spans(text, InfoType::kPhoneNumber), ElementsAre(number)) << text;
    // The shapes above are phone numbers without any phone word too.
    std::string bare = std::string("It is ") + number + ".";
    EXPECT_THAT(Spans(bare, InfoType::kPhoneNumber), ElementsAre(number)) << bare;
  }
}

TEST(Phone, ShortFormsNeedContext) {
  EXPECT_THAT(Spans("Can someone call me on 9472 7916? Thanks", InfoType::kPhoneNumber),
              ElementsAre("9472 7916"));
  EXPECT_THAT(Spans("Phone:\n467 3395\n", InfoType::kPhoneNumber), ElementsAre("467 3395"));
  EXPECT_THAT(Spans("Fax: 9498777106", InfoType::kPhoneNumber), ElementsAre("9498777106"));
  EXPECT_THAT(Spans("416 60 039 office", InfoType::kPhoneNumber), ElementsAre("416 60 039"));
  // Without a phone word these are just numbers.
  EXPECT_THAT(Spans("We shipped 9472 7916 units", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("Reference 9498777106 attached", InfoType::kPhoneNumber), IsEmpty());
}

TEST(Phone, OrderNumbersAndOtherNumbersAreNot) {
  EXPECT_THAT(Spans("Your order number is 555-123-4567.", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("tracking 1Z 4567 8910 1112", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("invoice 2023 0045 7781 is overdue", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("It happened on 2000-04-16 11:34:35", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("call me back on 12/06/2023", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("population 1234567 in 2020", InfoType::kPhoneNumber), IsEmpty());
  EXPECT_THAT(Spans("call me at 5 pm", InfoType::kPhoneNumber), IsEmpty());
}

TEST(Phone, OrderWordLosesToStrongPhoneWord) {
  EXPECT_THAT(Spans("about my order, call me on 9472 7916", InfoType::kPhoneNumber),
              ElementsAre("9472 7916"));
}

// ---- credit cards ----------------------------------------------------------

TEST(Card, Found) {
  EXPECT_THAT(Spans("card 4111 1111 1111 1111 exp 12/27", InfoType::kCreditCardNumber),
              ElementsAre("4111 1111 1111 1111"));
  EXPECT_THAT(Spans("4111-1111-1111-1111", InfoType::kCreditCardNumber),
              ElementsAre("4111-1111-1111-1111"));
  EXPECT_THAT(Spans("amex 3782 822463 10005.", InfoType::kCreditCardNumber),
              ElementsAre("3782 822463 10005"));
  EXPECT_THAT(Spans("number 5555555555554444", InfoType::kCreditCardNumber),
              ElementsAre("5555555555554444"));
}

TEST(Card, NearMisses) {
  // Luhn fails.
  EXPECT_THAT(Spans("card 4111 1111 1111 1112", InfoType::kCreditCardNumber), IsEmpty());
  // Luhn passes but no scheme issues it.
  EXPECT_THAT(Spans("id 7111111111111114", InfoType::kCreditCardNumber), IsEmpty());
  // Mixed separators, and digits glued to letters.
  EXPECT_THAT(Spans("4111 1111-1111 1111", InfoType::kCreditCardNumber), IsEmpty());
  EXPECT_THAT(Spans("x4111111111111111", InfoType::kCreditCardNumber), IsEmpty());
  // Too long: part of a longer number.
  EXPECT_THAT(Spans("41111111111111111111111", InfoType::kCreditCardNumber), IsEmpty());
}

TEST(Card, UnlistedIssuerNeedsACardWord) {
  // 7111111111111114 passes Luhn but no listed scheme issues it: an id,
  // unless the text says it is a card.
  EXPECT_THAT(Spans("my card number is 7111 1111 1111 1114", InfoType::kCreditCardNumber),
              ElementsAre("7111 1111 1111 1114"));
  EXPECT_THAT(Spans("pay with 7111111111111114 please", InfoType::kCreditCardNumber),
              ElementsAre("7111111111111114"));
  EXPECT_THAT(Spans("order 7111111111111114 shipped", InfoType::kCreditCardNumber), IsEmpty());
  // A card word does not rescue a failed Luhn check.
  EXPECT_THAT(Spans("my card number is 7111 1111 1111 1115", InfoType::kCreditCardNumber), IsEmpty());
}

TEST(Card, TrailingNumberIsNotPartOfIt) {
  EXPECT_THAT(Spans("card 4111 1111 1111 1111 2 times", InfoType::kCreditCardNumber),
              ElementsAre("4111 1111 1111 1111"));
}

TEST(Card, TwelveDigitMaestroNeedsCardWord) {
  EXPECT_THAT(Spans("What is the limit for card 501864667909?", InfoType::kCreditCardNumber),
              ElementsAre("501864667909"));
  EXPECT_THAT(Spans("Ticket 501864667909 was closed", InfoType::kCreditCardNumber), IsEmpty());
}

// ---- SSN -------------------------------------------------------------------

TEST(Ssn, Found) {
  EXPECT_THAT(Spans("Here's my SSN: 460-89-9847", InfoType::kUsSocialSecurityNumber),
              ElementsAre("460-89-9847"));
  EXPECT_THAT(Spans("it is 123-45-6789.", InfoType::kUsSocialSecurityNumber),
              ElementsAre("123-45-6789"));
  EXPECT_THAT(Spans("social security number 123 45 6789", InfoType::kUsSocialSecurityNumber),
              ElementsAre("123 45 6789"));
  EXPECT_THAT(Spans("SSN 123456789", InfoType::kUsSocialSecurityNumber), ElementsAre("123456789"));
}

TEST(Ssn, NearMisses) {
  EXPECT_THAT(Spans("SSN: 000-12-3456", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("SSN: 666-12-3456", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("SSN: 912-12-3456", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("SSN: 123-00-3456", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("SSN: 123-45-0000", InfoType::kUsSocialSecurityNumber), IsEmpty());
  // Undashed without an SSN word is just a number.
  EXPECT_THAT(Spans("we sold 123456789 units", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("parts 123 45 6789", InfoType::kUsSocialSecurityNumber), IsEmpty());
  EXPECT_THAT(Spans("123-45-67890", InfoType::kUsSocialSecurityNumber), IsEmpty());
}

// ---- IBAN ------------------------------------------------------------------

TEST(Iban, Found) {
  EXPECT_THAT(Spans("My IBAN is GB82WEST12345698765432.", InfoType::kIbanCode),
              ElementsAre("GB82WEST12345698765432"));
  EXPECT_THAT(Spans("to GB82 WEST 1234 5698 7654 32 please", InfoType::kIbanCode),
              ElementsAre("GB82 WEST 1234 5698 7654 32"));
  EXPECT_THAT(Spans("iban de89370400440532013000", InfoType::kIbanCode),
              ElementsAre("de89370400440532013000"));
}

TEST(Iban, NearMisses) {
  EXPECT_THAT(Spans("IBAN GB82WEST12345698765433", InfoType::kIbanCode), IsEmpty());  // checksum
  EXPECT_THAT(Spans("IBAN GB82WEST1234569876543", InfoType::kIbanCode), IsEmpty());   // length
  EXPECT_THAT(Spans("IBAN GB82WEST123456987654321", InfoType::kIbanCode), IsEmpty());
}

// ---- IP --------------------------------------------------------------------

TEST(Ip, V4) {
  EXPECT_THAT(Spans("client_ip = 106.31.73.20|", InfoType::kIpAddress), ElementsAre("106.31.73.20"));
  EXPECT_THAT(Spans("ping 8.8.8.8.", InfoType::kIpAddress), ElementsAre("8.8.8.8"));
  EXPECT_THAT(Spans("bad 999.1.1.1", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("256.1.1.1 and 1.2.3", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("1.2.3.4.5", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("version 1.2.3.4", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("010.1.1.1", InfoType::kIpAddress), IsEmpty());
}

TEST(Ip, V6) {
  for (const char* addr : {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8::8a2e:370:7334",
                           "fe80::1", "::1", "::ffff:192.0.2.128", "2001:db8::"}) {
    std::string text = std::string("host ") + addr + " is down";
    EXPECT_THAT(Spans(text, InfoType::kIpAddress), ElementsAre(addr)) << text;
  }
  EXPECT_THAT(Spans("at 12:30:45 today", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("mac 00:1A:2B:3C:4D:5E", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("2001:db8::1::2", InfoType::kIpAddress), IsEmpty());
  EXPECT_THAT(Spans("1:2:3:4:5:6:7:8:9", InfoType::kIpAddress), IsEmpty());
}

// ---- date of birth ---------------------------------------------------------

TEST(DateOfBirth, NeedsBirthContext) {
  EXPECT_THAT(Spans("She was born on 2/8/1935. Her maiden name", InfoType::kDateOfBirth),
              ElementsAre("2/8/1935"));
  EXPECT_THAT(Spans("Please tell me your date of birth. It's 6/24/1991", InfoType::kDateOfBirth),
              ElementsAre("6/24/1991"));
  EXPECT_THAT(Spans("DOB: 1985-03-12", InfoType::kDateOfBirth), ElementsAre("1985-03-12"));
  EXPECT_THAT(Spans("my birthday is March 3rd, 1985", InfoType::kDateOfBirth),
              ElementsAre("March 3rd, 1985"));
  EXPECT_THAT(Spans("born 24th of June 1991 in Leeds", InfoType::kDateOfBirth),
              ElementsAre("24th of June 1991"));
  EXPECT_THAT(Spans("12.06.1990 is my birthday", InfoType::kDateOfBirth),
              ElementsAre("12.06.1990"));
  // A date with no birth word is not a date of birth.
  EXPECT_THAT(Spans("It's like that since 12/1/1981", InfoType::kDateOfBirth), IsEmpty());
  EXPECT_THAT(Spans("born on 13/13/1990", InfoType::kDateOfBirth), IsEmpty());
}

// ---- street address --------------------------------------------------------

TEST(StreetAddress, Found) {
  EXPECT_THAT(Spans("Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please",
                    InfoType::kStreetAddress),
              ElementsAre("1600 Pennsylvania Avenue NW, Washington, DC 20500"));
  EXPECT_THAT(Spans("I live at 42 Baker St., Apt 4B, Springfield, IL 62704.",
                    InfoType::kStreetAddress),
              ElementsAre("42 Baker St., Apt 4B, Springfield, IL 62704"));
  EXPECT_THAT(Spans("The title refers to 1668 Glyn St street", InfoType::kStreetAddress),
              ElementsAre("1668 Glyn St"));
  EXPECT_THAT(Spans("Office: Kiannonkatu 98, Oulu", InfoType::kStreetAddress),
              ElementsAre("Kiannonkatu 98"));
  EXPECT_THAT(Spans("Meet me at P.O. Box 149 tomorrow", InfoType::kStreetAddress),
              ElementsAre("P.O. Box 149"));
  EXPECT_THAT(Spans("PSC 0413, Box 8144\nAPO AA 42323", InfoType::kStreetAddress),
              ElementsAre("PSC 0413, Box 8144\nAPO AA 42323"));
  EXPECT_THAT(Spans("The bus station is on Villacher Strasse 89", InfoType::kStreetAddress),
              ElementsAre("Villacher Strasse 89"));
  EXPECT_THAT(Spans("it is the corner of Dalbraut 99 and Frederikke Coves",
                    InfoType::kStreetAddress),
              ElementsAre("the corner of Dalbraut 99 and Frederikke Coves"));
  // Multi-line, with unit, city and postal code.
  EXPECT_THAT(Spans("Address:\n28030 Edeby 55\n Apt. 297\n TYSTBERGA\n Sweden 99178",
                    InfoType::kStreetAddress),
              ElementsAre("28030 Edeby 55\n Apt. 297\n TYSTBERGA\n Sweden 99178"));
}

TEST(StreetAddress, NearMisses) {
  EXPECT_THAT(Spans("I bought 2 Green Apples and 3 pears", InfoType::kStreetAddress), IsEmpty());
  EXPECT_THAT(Spans("We waited 20 minutes on the street", InfoType::kStreetAddress), IsEmpty());
  EXPECT_THAT(Spans("Offering 3 discounts today", InfoType::kStreetAddress), IsEmpty());
  // A name and a number is an address only with an address word or a unit.
  EXPECT_THAT(Spans("Chapter Seven 12 was long", InfoType::kStreetAddress), IsEmpty());
  EXPECT_THAT(Spans("He lives at Edeby 55.", InfoType::kStreetAddress), ElementsAre("Edeby 55"));
}

// ---- person name -----------------------------------------------------------

TEST(PersonName, Found) {
  EXPECT_THAT(Spans("Hello, this is Dr. Kyle Kuefer. Who are you?", InfoType::kPersonName),
              ElementsAre("Kyle Kuefer"));
  EXPECT_THAT(Spans("my name is Rubija", InfoType::kPersonName), ElementsAre("Rubija"));
  EXPECT_THAT(Spans("Billing address: Sara Schwarz", InfoType::kPersonName),
              ElementsAre("Sara Schwarz"));
  EXPECT_THAT(Spans("Mr. Pálffy is a 19 year old", InfoType::kPersonName), ElementsAre("Pálffy"));
  EXPECT_THAT(Spans("Thanks, Melanie", InfoType::kPersonName), ElementsAre("Melanie"));
  // Names that are also English words, after a greeting or introduction.
  EXPECT_THAT(Spans("Hi Sarah, this is Tom from billing.", InfoType::kPersonName),
              ElementsAre("Sarah", "Tom"));
  EXPECT_THAT(Spans("Mark the ticket as resolved, thanks Grace.", InfoType::kPersonName),
              ElementsAre("Grace"));
  // Middle initials, surname answers, unknown given name with a known surname.
  EXPECT_THAT(Spans("the verses from Faina D. Yefremova's poem", InfoType::kPersonName),
              ElementsAre("Faina D. Yefremova"));
  EXPECT_THAT(Spans("What's your last name? Magnusson", InfoType::kPersonName),
              ElementsAre("Magnusson"));
  EXPECT_THAT(Spans("Crystal Minh", InfoType::kPersonName), ElementsAre("Crystal Minh"));
  // A speaker label.
  EXPECT_THAT(Spans("Melanie: You saved me", InfoType::kPersonName), ElementsAre("Melanie"));
}

TEST(PersonName, NearMisses) {
  EXPECT_THAT(Spans("Will you send it on Monday?", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("The Bank of New York", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("I arrived in April", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("no capitals at all here", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("Hi Team, hello World", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("We shipped 1500 units to Paris last week.", InfoType::kPersonName),
              IsEmpty());
  EXPECT_THAT(Spans("Russell Investments is a design agency", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("I work for Aunt Bertha Inc", InfoType::kPersonName), IsEmpty());
  EXPECT_THAT(Spans("the corner of Dalbraut 99 and Frederikke Coves", InfoType::kPersonName),
              IsEmpty());
}

// ---- overlaps, offsets, redaction -------------------------------------------

TEST(Find, EmptyAndCleanText) {
  EXPECT_THAT(Detector().Find(""), IsEmpty());
  EXPECT_THAT(Detector().Find("the weather is nice today"), IsEmpty());
  EXPECT_THAT(Detector().Find("   \n\t  "), IsEmpty());
}

TEST(Find, OverlapsResolvedToTheMostSpecific) {
  // A dashed SSN after "call" is also a phone candidate: SSN wins.
  EXPECT_THAT(AllSpans("call 123-45-6789"), ElementsAre("US_SOCIAL_SECURITY_NUMBER:123-45-6789"));
  // A card number after "my number is" would be a phone candidate: the card wins.
  EXPECT_THAT(AllSpans("my number is 4111111111111111"),
              ElementsAre("CREDIT_CARD_NUMBER:4111111111111111"));
  // An IPv4 address also looks like a dotted phone number.
  EXPECT_THAT(AllSpans("call 192.168.100.200"), ElementsAre("IP_ADDRESS:192.168.100.200"));
  // An email address holding a name is one email address.
  EXPECT_THAT(AllSpans("mail Sarah.Connor@example.com"),
              ElementsAre("EMAIL_ADDRESS:Sarah.Connor@example.com"));
}

TEST(Find, SortedAndDisjoint) {
  std::string text =
      "Hi, I'm Sarah Connor, card 4111 1111 1111 1111, mail sarah@example.com, "
      "phone +1-202-555-0173, IBAN GB82WEST12345698765432, ip 10.0.0.1";
  std::vector<Finding> found = Detector().Find(text);
  ASSERT_GE(found.size(), 6u);
  for (size_t i = 1; i < found.size(); ++i) {
    EXPECT_LE(found[i - 1].end, found[i].start);
  }
  for (const Finding& f : found) {
    EXPECT_GT(f.likelihood, 0.0f);
    EXPECT_LE(f.likelihood, 1.0f);
  }
}

TEST(Find, ByteOffsetsAroundUtf8) {
  std::string text = "Ünïcødé — écrivez à jean@example.fr 😀 ou appelez +33 1 42 68 53 00";
  std::vector<Finding> found = Detector().Find(text);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].type, InfoType::kEmailAddress);
  EXPECT_EQ(found[0].start, text.find("jean@"));
  EXPECT_EQ(text.substr(found[0].start, found[0].end - found[0].start), "jean@example.fr");
  EXPECT_EQ(found[1].type, InfoType::kPhoneNumber);
  EXPECT_EQ(found[1].start, text.find("+33"));
  EXPECT_EQ(found[1].end, text.size());
  // A local part that is cut by a non-ASCII letter is not reported in part.
  EXPECT_THAT(Spans("écrivez à zoë.müller@example.com", InfoType::kEmailAddress), IsEmpty());
  // Non-ASCII letters glued to digits are not boundaries.
  EXPECT_THAT(Spans("réf4111111111111111", InfoType::kCreditCardNumber), IsEmpty());
  // Non-breaking spaces and Unicode dashes are.
  EXPECT_THAT(Spans("carte\u00a04111111111111111\u2014ok", InfoType::kCreditCardNumber),
              ElementsAre("4111111111111111"));
}

TEST(Redact, ReplacesEachSpanWithItsType) {
  EXPECT_EQ(Detector().Redact("mail me at jane@example.com or call (555) 123-4567."),
            "mail me at [EMAIL_ADDRESS] or call [PHONE_NUMBER].");
  EXPECT_EQ(Detector().Redact("My SSN is 460-89-9847 and card 4111111111111111"),
            "My SSN is [US_SOCIAL_SECURITY_NUMBER] and card [CREDIT_CARD_NUMBER]");
  EXPECT_EQ(Detector().Redact(""), "");
  EXPECT_EQ(Detector().Redact("nothing to hide"), "nothing to hide");
  EXPECT_EQ(Detector().Redact("à jean@example.fr — ok"), "à [EMAIL_ADDRESS] — ok");
}

TEST(Redact, OnlyTheAskedTypes) {
  InfoTypeSet emails;
  emails.Add(InfoType::kEmailAddress);
  EXPECT_EQ(Detector().Redact("jane@example.com, 4111111111111111", emails),
            "[EMAIL_ADDRESS], 4111111111111111");
  // The card stays a card: it is not redacted as a phone number either.
  InfoTypeSet phones;
  phones.Add(InfoType::kPhoneNumber);
  EXPECT_EQ(Detector().Redact("my number is 4111111111111111", phones),
            "my number is 4111111111111111");
}

TEST(ApplyRedactionsTest, Placeholders) {
  std::vector<Finding> f = {{InfoType::kPersonName, 0, 4, 0.9f}, {InfoType::kIpAddress, 8, 15, 0.9f}};
  EXPECT_EQ(ApplyRedactions("Anna at 1.2.3.4!", f), "[PERSON_NAME] at [IP_ADDRESS]!");
}

TEST(Find, LinearOnHostileInput) {
  // Long runs that would make a backtracking matcher explode finish quickly.
  std::string digits(200000, '1');
  std::string at_signs;
  for (int i = 0; i < 50000; ++i) at_signs += "a@";
  std::string seps;
  for (int i = 0; i < 50000; ++i) seps += "1 ";
  std::string colons(100000, ':');
  for (const std::string& s : {digits, at_signs, seps, colons}) {
    (void)Detector().Find(s);
  }
  // Many findings in one text: overlap resolution must not be quadratic.
  std::string addresses;
  for (int i = 0; i < 200000; ++i) addresses += "12 Main St ";
  auto start = std::chrono::steady_clock::now();
  std::vector<Finding> found = Detector().Find(addresses);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(found.size(), 200000u);
  EXPECT_LT(seconds, 5.0);  // about 0.2 s; a quadratic resolution takes over 10 s
}

}  // namespace
}  // namespace parley::analysis::pii
