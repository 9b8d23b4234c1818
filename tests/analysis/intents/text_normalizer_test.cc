#include "analysis/intents/text_normalizer.h"

#include <algorithm>
#include <random>
#include <string>

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

// The normaliser as first written (straighten quotes and lower-case into a
// copy, then tokenize the copy), kept as the reference for the one-pass code.
std::string ReferenceNormalize(std::string_view raw) {
  auto space = [](unsigned char c) { return c <= ' ' || c == 0x7f; };
  auto digit = [](unsigned char c) { return c >= '0' && c <= '9'; };
  auto punct = [](unsigned char c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
  };
  auto word = [&](unsigned char c) { return !space(c) && !punct(c); };
  std::string text;
  for (size_t i = 0; i < raw.size();) {
    if (i + 2 < raw.size() && raw.compare(i, 2, "\xE2\x80") == 0) {
      unsigned char c = static_cast<unsigned char>(raw[i + 2]);
      if (c == 0x98 || c == 0x99 || c == 0x9C || c == 0x9D) {
        text.push_back(c == 0x98 || c == 0x99 ? '\'' : '"');
        i += 3;
        continue;
      }
    }
    char c = raw[i++];
    text.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  std::vector<std::string> tokens;
  bool open = false;
  auto add_char = [&](char c) {
    if (!open) tokens.emplace_back();
    tokens.back().push_back(c);
    open = true;
  };
  auto add_token = [&](std::string t) {
    tokens.push_back(std::move(t));
    open = false;
  };
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (space(c)) {
      open = false;
      ++i;
    } else if (digit(c)) {
      size_t j = i;
      while (j < n && digit(static_cast<unsigned char>(text[j]))) ++j;
      add_token("0");
      add_token(std::string(1, static_cast<char>('0' + std::min<size_t>(j - i, 9))));
      i = j;
    } else if (c == '\'' && i > 0 && i + 1 < n && word(text[i - 1]) && !digit(text[i - 1]) &&
               word(text[i + 1]) && !digit(text[i + 1])) {
      add_char('\'');
      ++i;
    } else if (punct(c)) {
      add_token(std::string(1, static_cast<char>(c)));
      ++i;
    } else {
      add_char(static_cast<char>(c));
      ++i;
    }
  }
  std::string out;
  for (std::string& t : tokens) {
    if (t.rfind("__label__", 0) == 0) t.insert(0, "_");
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

TEST(TextNormalizerTest, MatchesTheReferenceOnRandomText) {
  // Pieces chosen to hit every rule and their boundaries: curly quotes (and
  // broken prefixes of them) next to letters, digits and apostrophes.
  const std::vector<std::string> pieces = {
      "a", "B", "z", "Q", "0", "7", "'", "\u2019", "\u2018", "\u201C", "\u201D", "\xE2\x80",
      "\xE2", " ", "  ", "\t", ".", "-", "_", "__label__", "é", "€", "\x7f", "?", "\"", "x'y"};
  std::mt19937 rng(42);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
    std::string reused = "stale contents";
    NormalizeText(text, TextNormalization::kDefault, &reused);
    ASSERT_EQ(Norm(text), ReferenceNormalize(text)) << "text: " << text;
    ASSERT_EQ(reused, Norm(text)) << "text: " << text;
  }
}

TEST(TextNormalizerTest, NamesRoundTrip) {
  for (TextNormalization n : {TextNormalization::kNone, TextNormalization::kDefault}) {
    EXPECT_EQ(ParseTextNormalization(TextNormalizationName(n)), n);
  }
  EXPECT_FALSE(ParseTextNormalization("fancy").has_value());
}

}  // namespace
}  // namespace parley::analysis::intents
