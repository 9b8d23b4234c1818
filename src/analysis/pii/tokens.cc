#include "analysis/pii/tokens.h"

#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

// Length of the letter (any script) starting at `i`, or 0.
size_t LetterAt(std::string_view text, size_t i) {
  char c = text[i];
  if (static_cast<uint8_t>(c) < 0x80) return IsAsciiAlpha(c) ? 1 : 0;
  size_t len;
  uint32_t cp = DecodeUtf8(text, i, &len);
  return IsWordCodePoint(cp) ? len : 0;
}

bool IsApostropheAt(std::string_view text, size_t i, size_t* len) {
  if (text[i] == '\'') {
    *len = 1;
    return true;
  }
  if (text.compare(i, 3, "\xE2\x80\x99") == 0) {  // ’
    *len = 3;
    return true;
  }
  return false;
}

}  // namespace

void Tokenize(std::string_view text, std::vector<Token>* out) {
  out->clear();
  const size_t n = text.size();
  size_t i = 0;
  bool space = false, newline = false;
  while (i < n) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      space = true;
      newline |= (c == '\n' || c == '\r');
      ++i;
      continue;
    }
    Token t;
    t.start = static_cast<uint32_t>(i);
    t.space_before = space;
    t.newline_before = newline;
    space = newline = false;
    if (IsDigit(c)) {
      t.kind = TokenKind::kNumber;
      while (i < n && IsDigit(text[i])) ++i;
      while (i < n && IsAsciiAlpha(text[i])) ++i;
    } else if (size_t len = LetterAt(text, i); len > 0) {
      t.kind = TokenKind::kWord;
      t.upper_initial = IsUpperAt(text, i);
      bool all_upper = true;
      int letters = 0;
      while (i < n) {
        char ch = text[i];
        if (IsAsciiAlpha(ch)) {  // the common case, without decoding
          all_upper &= !IsAsciiLower(ch);
          ++letters;
          ++i;
          continue;
        }
        size_t l = static_cast<uint8_t>(ch) < 0x80 ? 0 : LetterAt(text, i);
        if (l > 0) {
          if (!IsUpperAt(text, i)) all_upper = false;
          ++letters;
          i += l;
          continue;
        }
        if (IsDigit(text[i])) {
          ++i;
          continue;
        }
        // Inner apostrophes and hyphens: O'Brien, Jean-Luc, Ng’ang’a.
        size_t alen = 0;
        if ((text[i] == '-' || IsApostropheAt(text, i, &alen)) && i + (alen ? alen : 1) < n) {
          size_t next = i + (alen ? alen : 1);
          if (LetterAt(text, next) > 0) {
            i = next;
            continue;
          }
        }
        break;
      }
      t.all_upper = all_upper && letters >= 2;
    } else {
      t.kind = TokenKind::kPunct;
      size_t width = 1;
      if (static_cast<uint8_t>(c) >= 0x80) DecodeUtf8(text, i, &width);
      i += width;
    }
    t.end = static_cast<uint32_t>(i);
    out->push_back(t);
  }
}

}  // namespace parley::analysis::pii
