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
    if (in_token_ && (*out_)[token_start_] == '_' &&
        out_->compare(token_start_, kLabelPrefix.size(), kLabelPrefix) == 0) {
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

void SplitOnWhitespace(std::string_view text, std::string* out) {
  out->reserve(text.size());
  TokenWriter w(out);
  for (unsigned char c : text) {
    if (IsSpace(c)) {
      w.End();
    } else {
      w.Char(static_cast<char>(c));
    }
  }
  w.End();
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

// The character at raw[i] after straightening quotes and lower-casing, and
// in *len the bytes it takes in `raw`.
unsigned char CharAt(std::string_view raw, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(raw[i]);
  if (c == 0xE2) {
    if (char q = StraightQuote(raw, i, len)) return static_cast<unsigned char>(q);
  }
  *len = 1;
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// One pass over `raw`: quotes are straightened and letters lower-cased as
// they are read (so the apostrophe rule sees its neighbours as they will be).
void NormalizeDefault(std::string_view raw, std::string* out) {
  out->reserve(raw.size() + raw.size() / 4 + 8);
  TokenWriter w(out);
  const size_t n = raw.size();
  unsigned char prev = ' ';  // the previous character (after straightening); none = space
  for (size_t i = 0; i < n;) {
    size_t len;
    const unsigned char c = CharAt(raw, i, &len);
    if (IsSpace(c)) {
      w.End();
    } else if (IsDigit(c)) {
      size_t j = i;
      while (j < n && IsDigit(static_cast<unsigned char>(raw[j]))) ++j;
      w.Token("0");
      const char length = static_cast<char>('0' + std::min<size_t>(j - i, 9));
      w.Token(std::string_view(&length, 1));
      prev = '0';
      i = j;
      continue;
    } else if (c == '\'' && IsWordByte(prev) && !IsDigit(prev) && i + len < n) {
      size_t next_len;
      const unsigned char next = CharAt(raw, i + len, &next_len);
      if (IsWordByte(next) && !IsDigit(next)) {
        w.Char('\'');
      } else {
        w.Token("'");
      }
    } else if (IsAsciiPunct(c)) {
      const char p = static_cast<char>(c);
      w.Token(std::string_view(&p, 1));
    } else {
      w.Char(static_cast<char>(c));
    }
    prev = c;
    i += len;
  }
  w.End();
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
  std::string out;
  NormalizeText(text, normalization, &out);
  return out;
}

void NormalizeText(std::string_view text, TextNormalization normalization, std::string* out) {
  out->clear();
  if (normalization == TextNormalization::kNone) {
    SplitOnWhitespace(text, out);
  } else {
    NormalizeDefault(text, out);
  }
}

}  // namespace parley::analysis::intents
