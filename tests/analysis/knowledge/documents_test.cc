// Parsing knowledge documents: FAQ CSV (RFC 4180) and articles (HTML, text).
#include <string>

#include "analysis/knowledge/article.h"
#include "analysis/knowledge/faq_csv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::analysis::knowledge {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

MATCHER_P2(Pair, q, a, "") { return arg.question == q && arg.answer == a; }

TEST(FaqCsvTest, ParsesPlainRowsWithLfOrCrlf) {
  auto lf = ParseFaqCsv("How do I pay?,Use the app.\nWhere are you?,Paris\n");
  ASSERT_TRUE(lf.ok()) << lf.status();
  EXPECT_THAT(*lf, ElementsAre(Pair("How do I pay?", "Use the app."), Pair("Where are you?", "Paris")));
  auto crlf = ParseFaqCsv("a,b\r\nc,d");  // no line break after the last row
  ASSERT_TRUE(crlf.ok()) << crlf.status();
  EXPECT_THAT(*crlf, ElementsAre(Pair("a", "b"), Pair("c", "d")));
}

TEST(FaqCsvTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  auto got = ParseFaqCsv(
      "\"Can I pay, or not?\",\"Yes, \"\"always\"\".\r\nSecond line.\"\r\n"
      "\"\",x\n");
  ASSERT_FALSE(got.ok());  // the second row's question is empty
  EXPECT_THAT(got.status().message(), HasSubstr("row 2 (line 3)"));
  got = ParseFaqCsv("\"Can I pay, or not?\",\"Yes, \"\"always\"\".\r\nSecond line.\"\r\nq2,a2\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(Pair("Can I pay, or not?", "Yes, \"always\".\r\nSecond line."),
                                Pair("q2", "a2")));
}

TEST(FaqCsvTest, WhiteSpaceAroundQuotedFieldsIsAllowed) {
  auto got = ParseFaqCsv("  \"a, b\" ,\t\"c\"\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(Pair("a, b", "c")));
}

TEST(FaqCsvTest, HeaderRowSkippedOnlyWhenLiterallyQuestionAnswer) {
  auto with_header = ParseFaqCsv("Question , ANSWER\nq,a\n");
  ASSERT_TRUE(with_header.ok());
  EXPECT_THAT(*with_header, ElementsAre(Pair("q", "a")));
  auto other = ParseFaqCsv("questions,answers\nq,a\n");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, ElementsAre(Pair("questions", "answers"), Pair("q", "a")));
  // Not the first row: data.
  auto later = ParseFaqCsv("q,a\nquestion,answer\n");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->size(), 2u);
}

TEST(FaqCsvTest, SkipsBomAndEmptyLines) {
  auto got = ParseFaqCsv("\xEF\xBB\xBFq1,a1\n\n  \r\nq2,a2\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(Pair("q1", "a1"), Pair("q2", "a2")));
}

TEST(FaqCsvTest, MalformedRowsNameTheRow) {
  struct Case {
    const char* csv;
    const char* message;
  } cases[] = {
      {"q,a\nonly one field\n", "row 2 (line 2): has 1 field; want 2"},
      {"q,a\nx,y,z\n", "row 2 (line 2): has 3 fields"},
      {"q,a\n\"open,a\n", "row 2 (line 2): a quoted field is not closed"},
      {"\"q\"x,a\n", "row 1 (line 1): text after a closing quote"},
      {"q\"uote,a\n", "row 1 (line 1): a double quote inside an unquoted field"},
      {"q,a\n\n\"multi\nline\",b\nbad\n", "row 3 (line 5)"},
      {"q,\n", "row 1 (line 1): the answer is empty"},
      {"", "holds no question,answer row"},
      {"question,answer\n", "holds no question,answer row"},
      {"q,\xC3(\n", "not valid UTF-8"},
  };
  for (const Case& c : cases) {
    auto got = ParseFaqCsv(c.csv);
    ASSERT_FALSE(got.ok()) << c.csv;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(c.message)) << c.csv;
  }
}

TEST(FaqCsvTest, Limits) {
  FaqCsvLimits limits;
  limits.max_rows = 2;
  limits.max_field_bytes = 5;
  EXPECT_TRUE(ParseFaqCsv("a,b\nc,d\n", limits).ok());
  auto rows = ParseFaqCsv("a,b\nc,d\ne,f\n", limits);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.status().message(), HasSubstr("more than 2"));
  auto field = ParseFaqCsv("a,b\nc,dddddd\n", limits);
  ASSERT_FALSE(field.ok());
  EXPECT_THAT(field.status().message(), HasSubstr("row 2"));
}

TEST(ArticleTest, HtmlDropsScriptsStylesCommentsAndHeadKeepsTitle) {
  HtmlText t = HtmlToText(
      "<!DOCTYPE html><html><head><title>Refund &amp; returns</title>"
      "<style>p{color:red}</style><meta charset=utf-8></head><body>"
      "<script>var x = '<p>no</p>';</script><!-- hidden <p>text</p> -->"
      "<h1>Refunds</h1><p>You can ask for a <b>refund</b> within 30&nbsp;days.</p>"
      "<ul><li>Caf&eacute; &#233;t&#xE9; &lt;tag&gt; &quot;q&quot; &mdash; ok</li></ul>"
      "<p>2 &lt; 3 &unknown; x</p></body></html>");
  EXPECT_EQ(t.title, "Refund & returns");
  EXPECT_THAT(t.paragraphs,
              ElementsAre("Refunds", "You can ask for a refund within 30 days.",
                          "Caf&eacute; \xC3\xA9t\xC3\xA9 <tag> \"q\" \xE2\x80\x94 ok",
                          "2 < 3 &unknown; x"));
  EXPECT_THAT(t.heading, ElementsAre(true, false, false, false));
}

TEST(ArticleTest, HtmlTitleFallsBackToFirstH1) {
  HtmlText t = HtmlToText("<body><h2>Sub</h2><h1>Main <i>one</i></h1><p>x</p>");
  EXPECT_EQ(t.title, "Main one");
}

TEST(ArticleTest, PassagesAreBoundedAndStartAtHeadings) {
  std::string html = "<h1>Cards</h1><p>Short one.</p><p>Short two.</p><h2>Fees</h2><p>";
  for (int i = 0; i < 40; ++i) html += "Sentence number " + std::to_string(i) + " is here. ";
  html += "</p>";
  ArticleLimits limits;
  limits.max_passage_bytes = 200;
  auto a = ParseArticle(html, "text/html", limits);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->title, "Cards");
  ASSERT_GE(a->passages.size(), 4u);
  EXPECT_EQ(a->passages[0], "Cards\nShort one.\nShort two.");
  EXPECT_EQ(a->passages[1], "Fees");
  for (const auto& p : a->passages) {
    EXPECT_LE(p.size(), 200u);
    EXPECT_FALSE(p.empty());
  }
  // Long paragraphs are cut at sentence ends.
  EXPECT_EQ(a->passages[2].back(), '.');
  EXPECT_EQ(a->passages[2].rfind("Sentence number 0 is here.", 0), 0u);
}

TEST(ArticleTest, PlainTextParagraphsAndTitle) {
  auto a = ParseArticle("Opening hours\n\nWe open at nine\nand close at five.\n\n\nClosed on Sundays.\n",
                        "text/plain");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->title, "Opening hours");
  ASSERT_EQ(a->passages.size(), 1u);
  EXPECT_EQ(a->passages[0], "Opening hours\nWe open at nine and close at five.\nClosed on Sundays.");
  auto untitled = ParseArticle("We open at nine.\n\nBye.", "text/plain");
  ASSERT_TRUE(untitled.ok());
  EXPECT_EQ(untitled->title, "");
}

TEST(ArticleTest, Errors) {
  EXPECT_EQ(ParseArticle("<p> </p><script>x</script>", "text/html").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArticle("x", "application/pdf").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseArticle("\xFF", "text/plain").status().code(), absl::StatusCode::kInvalidArgument);
  ArticleLimits limits;
  limits.max_passage_bytes = 10;
  limits.max_passages = 2;
  auto many = ParseArticle("aaaa bbbb cccc dddd eeee ffff", "text/plain", limits);
  ASSERT_FALSE(many.ok());
  EXPECT_THAT(many.status().message(), HasSubstr("more than 2 passages"));
}

}  // namespace
}  // namespace parley::analysis::knowledge
