#include "analysis/intents/text_normalizer.h"

#include <algorithm>

namespace parley::analysis::intents {
namespace {

// fastText reads a token starting with this as a label, not a word.
constexpr std::string_view kLabelPrefix = "__label__";

bool IsSpace(unsigned char c) { return c <= ' ' || c == 0x7f; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsAsciiPunct(unsigned char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}
// Part of a word: a letter, a digit or any byte of a multi-byte UTF-8 sequence.
bool IsWordByte(unsigned char c) { return !IsSpace(c) && !IsAsciiPunct(c); }

class TokenWriter {
 public:
  explicit TokenWriter(std::string* out) : out_(out) {}
  void Char(char c) {
    if (!in_token_) Start();
    out_->push_back(c);
  }
  void Token(std::string_view token) {
    End();
    Start();
    out_->append(token);
    End();
  }
  void End() {
    if (in_token_ && out_->compare(token_start_, kLabelPrefix.size(), kLabelPrefix) == 0) {
      // Keep the token a word: "__label__x" -> "___label__x".
      out_->insert(out_->begin() + token_start_, '_');
    }
    in_token_ = false;
  }

 private:
  void Start() {
    if (!out_->empty()) out_->push_back(' ');
    token_start_ = out_->size();
    in_token_ = true;
  }
  std::string* out_;
  size_t token_start_ = 0;
  bool in_token_ = false;
};

std::string SplitOnWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  TokenWriter w(&out);
  for (unsigned char c : text) {
    if (IsSpace(c)) {
      w.End();
    } else {
      w.Char(static_cast<char>(c));
    }
  }
  w.End();
  return out;
}

// U+2018, U+2019 (curly single quotes) -> '\'' ; U+201C, U+201D -> '"'.
// Returns the replacement and sets *len to the bytes consumed, or 0.
char StraightQuote(std::string_view text, size_t i, size_t* len) {
  if (i + 2 < text.size() && static_cast<unsigned char>(text[i]) == 0xE2 &&
      static_cast<unsigned char>(text[i + 1]) == 0x80) {
    unsigned char c = static_cast<unsigned char>(text[i + 2]);
    if (c == 0x98 || c == 0x99) {
      *len = 3;
      return '\'';
    }
    if (c == 0x9C || c == 0x9D) {
      *len = 3;
      return '"';
    }
  }
  return 0;
}

std::string NormalizeDefault(std::string_view raw) {
  // Straighten quotes first so the tokenizer below sees only ASCII punctuation.
  std::string text;
  text.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    size_t len = 0;
    if (char q = StraightQuote(raw, i, &len)) {
      text.push_back(q);
      i += len;
      continue;
    }
    char c = raw[i++];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    text.push_back(c);
  }

  std::string out;
  out.reserve(text.size() + text.size() / 4);
  TokenWriter w(&out);
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsSpace(c)) {
      w.End();
      ++i;
    } else if (IsDigit(c)) {
      size_t j = i;
      while (j < n && IsDigit(static_cast<unsigned char>(text[j]))) ++j;
      w.Token("0");
      w.Token(std::string(1, static_cast<char>('0' + std::min<size_t>(j - i, 9))));
      i = j;
    } else if (c == '\'' && i > 0 && i + 1 < n &&
               IsWordByte(static_cast<unsigned char>(text[i - 1])) &&
               !IsDigit(static_cast<unsigned char>(text[i - 1])) &&
               IsWordByte(static_cast<unsigned char>(text[i + 1])) &&
               !IsDigit(static_cast<unsigned char>(text[i + 1]))) {
      w.Char('\'');
      ++i;
    } else if (IsAsciiPunct(c)) {
      w.Token(std::string_view(&text[i], 1));
      ++i;
    } else {
      w.Char(static_cast<char>(c));
      ++i;
    }
  }
  w.End();
  return out;
}

}  // namespace

std::string_view TextNormalizationName(TextNormalization normalization) {
  switch (normalization) {
    case TextNormalization::kNone:
      return "none";
    case TextNormalization::kDefault:
      return "default";
  }
  return "default";
}

std::optional<TextNormalization> ParseTextNormalization(std::string_view name) {
  if (name == "none") return TextNormalization::kNone;
  if (name == "default") return TextNormalization::kDefault;
  return std::nullopt;
}

std::string NormalizeText(std::string_view text, TextNormalization normalization) {
  if (normalization == TextNormalization::kNone) return SplitOnWhitespace(text);
  return NormalizeDefault(text);
}

}  // namespace parley::analysis::intents
