#include "analysis/pii/redact_conversation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "analysis/pii/pii_analyzer.h"

namespace parley::analysis::pii {
namespace {

const PiiDetector& Detector() {
  static const PiiDetector* d = new PiiDetector();
  return *d;
}

core::WordInfo* AddWord(core::Message* m, const std::string& w, int64_t start_us, int64_t end_us,
                        float confidence) {
  core::WordInfo* word = m->add_words();
  word->set_word(w);
  word->set_start_offset_us(start_us);
  word->set_end_offset_us(end_us);
  word->set_confidence(confidence);
  return word;
}

std::string JoinWords(const core::Message& m) {
  std::string out;
  for (const core::WordInfo& w : m.words()) {
    if (!out.empty()) out += ' ';
    out += w.word();
  }
  return out;
}

// A spoken message: text and word timings that spell it.
core::Message Spoken(const std::string& text) {
  core::Message m;
  m.set_text(text);
  int64_t t = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    AddWord(&m, text.substr(i, j - i), t, t + 100000, 0.9f);
    t += 150000;
    i = j + 1;
  }
  return m;
}

TEST(RedactMessage, TextWordsAndRedactionsStayConsistent) {
  core::Message m = Spoken("call me on (555) 123-4567 or mail jane@example.com thanks");
  m.mutable_words(3)->set_confidence(0.5f);  // "(555)"
  int replaced = RedactMessage(Detector(), InfoTypeSet::All(), &m);
  EXPECT_EQ(replaced, 2);
  EXPECT_EQ(m.text(), "call me on [PHONE_NUMBER] or mail [EMAIL_ADDRESS] thanks");
  // The words spell the new text; "(555)" and "123-4567" merged into one.
  EXPECT_EQ(JoinWords(m), m.text());
  ASSERT_EQ(m.words_size(), 8);
  const core::WordInfo& phone = m.words(3);
  EXPECT_EQ(phone.word(), "[PHONE_NUMBER]");
  EXPECT_EQ(phone.start_offset_us(), 3 * 150000);
  EXPECT_EQ(phone.end_offset_us(), 4 * 150000 + 100000);
  EXPECT_FLOAT_EQ(phone.confidence(), 0.5f);
  EXPECT_EQ(m.words(6).word(), "[EMAIL_ADDRESS]");
  EXPECT_EQ(m.words(7).word(), "thanks");
  EXPECT_EQ(m.words(7).start_offset_us(), 8 * 150000);

  ASSERT_EQ(m.redactions_size(), 2);
  for (const core::Redaction& r : m.redactions()) {
    std::string placeholder = "[" + r.info_type() + "]";
    EXPECT_EQ(m.text().substr(r.start_byte(), r.end_byte() - r.start_byte()), placeholder);
  }
  EXPECT_EQ(m.redactions(0).info_type(), "PHONE_NUMBER");
  EXPECT_EQ(m.redactions(1).info_type(), "EMAIL_ADDRESS");
}

TEST(RedactMessage, PunctuationInsideAWord) {
  core::Message m = Spoken("mail:jane@example.com, ok");
  RedactMessage(Detector(), InfoTypeSet::All(), &m);
  EXPECT_EQ(m.text(), "mail:[EMAIL_ADDRESS], ok");
  EXPECT_EQ(JoinWords(m), m.text());
}

TEST(RedactMessage, WordsThatDoNotSpellTheText) {
  core::Message m;
  m.set_text("");  // words only, as some ASR imports have
  AddWord(&m, "my", 0, 1, 1);
  AddWord(&m, "email", 1, 2, 1);
  AddWord(&m, "is", 2, 3, 1);
  AddWord(&m, "bob@example.org", 3, 4, 1);
  RedactMessage(Detector(), InfoTypeSet::All(), &m);
  EXPECT_EQ(JoinWords(m), "my email is [EMAIL_ADDRESS]");
  EXPECT_EQ(m.text(), "");
  EXPECT_EQ(m.redactions_size(), 0);  // nothing was replaced in the text
}

TEST(RedactMessage, AgainFindsNothingAndExistingRedactionsShift) {
  core::Message m;
  m.set_text("ssn 123-45-6789 then card 4111111111111111");
  InfoTypeSet ssn;
  ssn.Add(InfoType::kUsSocialSecurityNumber);
  EXPECT_EQ(RedactMessage(Detector(), ssn, &m), 1);
  EXPECT_EQ(m.text(), "ssn [US_SOCIAL_SECURITY_NUMBER] then card 4111111111111111");
  // Redact a span earlier in the text: the SSN's redaction must follow its placeholder.
  m.set_text("mail a@example.com " + m.text());
  m.mutable_redactions(0)->set_start_byte(m.redactions(0).start_byte() + 19);
  m.mutable_redactions(0)->set_end_byte(m.redactions(0).end_byte() + 19);
  EXPECT_EQ(RedactMessage(Detector(), InfoTypeSet::All(), &m), 2);
  EXPECT_EQ(m.text(),
            "mail [EMAIL_ADDRESS] ssn [US_SOCIAL_SECURITY_NUMBER] then card [CREDIT_CARD_NUMBER]");
  ASSERT_EQ(m.redactions_size(), 3);
  for (const core::Redaction& r : m.redactions()) {
    EXPECT_EQ(m.text().substr(r.start_byte(), r.end_byte() - r.start_byte()),
              "[" + r.info_type() + "]");
  }
  EXPECT_EQ(RedactMessage(Detector(), InfoTypeSet::All(), &m), 0);
}

TEST(RedactConversationTest, AllMessagesAndTypeFilter) {
  core::Conversation c;
  c.add_messages()->set_text("I'm at 10.0.0.7, mail me at ops@example.com");
  c.add_messages()->set_text("nothing here");
  c.add_messages();  // empty
  ASSERT_TRUE(RedactConversation(Detector(), {"IP_ADDRESS"}, &c).ok());
  EXPECT_EQ(c.messages(0).text(), "I'm at [IP_ADDRESS], mail me at ops@example.com");
  EXPECT_EQ(c.messages(1).text(), "nothing here");
  EXPECT_EQ(c.messages(1).redactions_size(), 0);
  ASSERT_TRUE(RedactConversation(Detector(), {}, &c).ok());
  EXPECT_EQ(c.messages(0).text(), "I'm at [IP_ADDRESS], mail me at [EMAIL_ADDRESS]");
  EXPECT_EQ(c.messages(0).redactions_size(), 2);
}

TEST(RedactConversationTest, UnknownTypeChangesNothing) {
  core::Conversation c;
  c.add_messages()->set_text("ops@example.com");
  absl::Status s = RedactConversation(Detector(), {"EMAIL_ADDRESS", "NOPE"}, &c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.messages(0).text(), "ops@example.com");
}

TEST(PiiAnalyzerTest, FindingsPerMessage) {
  core::Conversation c;
  c.add_messages()->set_text("hello there");
  *c.add_messages() = Spoken("my card is 4111 1111 1111 1111 ok");
  c.add_messages()->set_text("écrivez à jean@example.fr");
  PiiAnalyzer analyzer(&Detector());
  EXPECT_EQ(analyzer.name(), "pii");
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());
  ASSERT_EQ(result.pii_size(), 2);
  const core::PiiFinding& card = result.pii(0);
  EXPECT_EQ(card.info_type(), "CREDIT_CARD_NUMBER");
  EXPECT_EQ(card.mention().message_index(), 1);
  EXPECT_EQ(card.mention().start_byte(), 11);
  EXPECT_EQ(card.mention().end_byte(), 30);
  EXPECT_EQ(card.mention().text(), "4111 1111 1111 1111");
  EXPECT_EQ(card.mention().word_index(), 3);
  EXPECT_GT(card.likelihood(), 0.5f);
  const core::PiiFinding& mail = result.pii(1);
  EXPECT_EQ(mail.info_type(), "EMAIL_ADDRESS");
  EXPECT_EQ(mail.mention().message_index(), 2);
  EXPECT_EQ(mail.mention().start_byte(), 12);  // "écrivez à " is 12 bytes
  EXPECT_EQ(mail.mention().word_index(), 2);   // whitespace tokens: no word timings
}

TEST(PiiAnalyzerTest, EmptyConversationAndTypeFilter) {
  core::Conversation empty;
  core::AnalysisResult result;
  PiiAnalyzer all(&Detector());
  ASSERT_TRUE(all.Analyze(empty, &result).ok());
  EXPECT_EQ(result.pii_size(), 0);

  core::Conversation c;
  c.add_messages()->set_text("ops@example.com 10.1.2.3");
  InfoTypeSet ips;
  ips.Add(InfoType::kIpAddress);
  PiiAnalyzer only_ips(&Detector(), ips);
  ASSERT_TRUE(only_ips.Analyze(c, &result).ok());
  ASSERT_EQ(result.pii_size(), 1);
  EXPECT_EQ(result.pii(0).info_type(), "IP_ADDRESS");
}

}  // namespace
}  // namespace parley::analysis::pii
