#include "analysis/intents/examples_csv.h"

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

using ::testing::HasSubstr;

MATCHER_P2(IsExample, text, label, "") { return arg.text == text && arg.label == label; }

TEST(ExamplesCsvTest, ParsesBanking77Format) {
  auto examples = ParseExamplesCsv(
      "text,category\n"
      "I am still waiting on my card?,card_arrival\n"
      "\"Hi, my card hasn't arrived\",card_arrival\n"
      "\"He said \"\"top up\"\" failed\",top_up_failed\n");
  ASSERT_TRUE(examples.ok()) << examples.status();
  EXPECT_THAT(*examples,
              ::testing::ElementsAre(IsExample("I am still waiting on my card?", "card_arrival"),
                                     IsExample("Hi, my card hasn't arrived", "card_arrival"),
                                     IsExample("He said \"top up\" failed", "top_up_failed")));
}

TEST(ExamplesCsvTest, AcceptsBomCrlfBlankLinesAndEitherColumnOrder) {
  auto examples = ParseExamplesCsv(
      "\xEF\xBB\xBF"
      "Label , Text\r\n"
      "\r\n"
      "greeting,  hello there \r\n"
      "   \n"
      "farewell,\"bye,\nsee you\"\r\n"
      "\n");
  ASSERT_TRUE(examples.ok()) << examples.status();
  EXPECT_THAT(*examples, ::testing::ElementsAre(IsExample("hello there", "greeting"),
                                                IsExample("bye,\nsee you", "farewell")));
}

TEST(ExamplesCsvTest, LastLineNeedsNoNewlineAndBareQuotesAreKept) {
  auto examples = ParseExamplesCsv("text,label\nsay 5\" please,measure");
  ASSERT_TRUE(examples.ok()) << examples.status();
  EXPECT_THAT(*examples, ::testing::ElementsAre(IsExample("say 5\" please", "measure")));
}

TEST(ExamplesCsvTest, WrongFieldCountNamesTheLine) {
  // The quoted field spans lines 2-3, so the bad row is on line 4.
  auto examples = ParseExamplesCsv(
      "text,label\n"
      "\"two\nlines\",a\n"
      "hi, there,greeting\n");
  ASSERT_FALSE(examples.ok());
  EXPECT_EQ(examples.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(examples.status().message(), HasSubstr("line 4: expected 2 fields, found 3"));
}

TEST(ExamplesCsvTest, UnterminatedQuoteNamesWhereItStarts) {
  auto examples = ParseExamplesCsv("text,label\nok,a\n\"never closed,b\nmore,c\n");
  ASSERT_FALSE(examples.ok());
  EXPECT_THAT(examples.status().message(), HasSubstr("line 3: unterminated quoted field"));
}

TEST(ExamplesCsvTest, TextAfterClosingQuoteIsAnError) {
  auto examples = ParseExamplesCsv("text,label\n\"quoted\" tail,a\n");
  ASSERT_FALSE(examples.ok());
  EXPECT_THAT(examples.status().message(), HasSubstr("line 2: unexpected text after a closing quote"));
}

TEST(ExamplesCsvTest, RejectsEmptyTextEmptyLabelAndLabelWithSpaces) {
  EXPECT_THAT(ParseExamplesCsv("text,label\n,a\n").status().message(), HasSubstr("line 2: empty text"));
  EXPECT_THAT(ParseExamplesCsv("text,label\nhi,\n").status().message(), HasSubstr("line 2: empty label"));
  EXPECT_THAT(ParseExamplesCsv("text,label\nhi,a\nhey,card arrival\n").status().message(),
              HasSubstr("line 3: label \"card arrival\" contains whitespace"));
}

TEST(ExamplesCsvTest, RequiresAUsableHeader) {
  EXPECT_THAT(ParseExamplesCsv("").status().message(), HasSubstr("expected a header line"));
  EXPECT_THAT(ParseExamplesCsv("\n\n").status().message(), HasSubstr("expected a header line"));
  // A file without a header: its first row is read as one and rejected.
  EXPECT_THAT(ParseExamplesCsv("I lost my card,lost_card\n").status().message(),
              HasSubstr("line 1: the header must name a text column"));
  EXPECT_THAT(ParseExamplesCsv("text,label\n\n").status().message(),
              HasSubstr("no examples after the header"));
}

TEST(ExamplesCsvTest, ReadNamesTheFile) {
  std::string path = ::testing::TempDir() + "/examples_csv_test.csv";
  {
    std::ofstream out(path);
    out << "text,label\nhello,greeting\nbad row\n";
  }
  auto examples = ReadExamplesCsv(path);
  ASSERT_FALSE(examples.ok());
  EXPECT_THAT(examples.status().message(), HasSubstr(path + ": line 3: expected 2 fields, found 1"));
  std::remove(path.c_str());

  EXPECT_EQ(ReadExamplesCsv(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace parley::analysis::intents
