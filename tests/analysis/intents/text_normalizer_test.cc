#include "analysis/intents/text_normalizer.h"

#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

std::string Norm(std::string_view text) { return NormalizeText(text, TextNormalization::kDefault); }

TEST(TextNormalizerTest, LowerCasesAndSplitsPunctuation) {
  EXPECT_EQ(Norm("I am STILL waiting on my card?"), "i am still waiting on my card ?");
  EXPECT_EQ(Norm("top-up (failed)!"), "top - up ( failed ) !");
}

TEST(TextNormalizerTest, KeepsApostrophesInsideWords) {
  EXPECT_EQ(Norm("Why hasn't it arrived"), "why hasn't it arrived");
  // A curly apostrophe is the same word.
  EXPECT_EQ(Norm("Why hasn\u2019t it arrived"), "why hasn't it arrived");
  EXPECT_EQ(Norm("'quoted'"), "' quoted '");
}

TEST(TextNormalizerTest, DigitRunsBecomeTheirLength) {
  EXPECT_EQ(Norm("I paid 250.00 on 3/12"), "i paid 0 3 . 0 2 on 0 1 / 0 2");
  EXPECT_EQ(Norm("card 1234567890123"), "card 0 9");
}

TEST(TextNormalizerTest, CollapsesWhitespaceAndKeepsUtf8) {
  EXPECT_EQ(Norm("  ma   carte\tbloquée \n "), "ma carte bloquée");
  EXPECT_EQ(Norm("£ and €"), "£ and €");
  EXPECT_EQ(Norm(" \t\n"), "");
}

TEST(TextNormalizerTest, NeverProducesALabelToken) {
  EXPECT_EQ(NormalizeText("__label__x y", TextNormalization::kNone), "___label__x y");
  EXPECT_EQ(Norm("__label__x"), "_ _ label _ _ x");
}

TEST(TextNormalizerTest, NoneOnlySplitsOnWhitespace) {
  EXPECT_EQ(NormalizeText("  Card? ARRIVED\r\n", TextNormalization::kNone), "Card? ARRIVED");
}

TEST(TextNormalizerTest, NamesRoundTrip) {
  for (TextNormalization n : {TextNormalization::kNone, TextNormalization::kDefault}) {
    EXPECT_EQ(ParseTextNormalization(TextNormalizationName(n)), n);
  }
  EXPECT_FALSE(ParseTextNormalization("fancy").has_value());
}

}  // namespace
}  // namespace parley::analysis::intents
