#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

bool EqualsIgnoreCase(std::string_view word, std::string_view cue) {
  if (word.size() != cue.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (ToLowerAscii(word[i]) != cue[i]) return false;
  }
  return true;
}

bool MatchesCue(std::string_view word, CueList cues) {
  for (std::string_view cue : cues) {
    if (EqualsIgnoreCase(word, cue)) return true;
  }
  return false;
}

// Bytes that make up cue words: ASCII letters and any non-ASCII byte (so a
// word with accents is one word, and simply matches no ASCII cue).
bool IsCueWordByte(char c) { return IsAsciiAlpha(c) || static_cast<uint8_t>(c) >= 0x80; }

}  // namespace

uint32_t DecodeUtf8(std::string_view text, size_t i, size_t* len) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  size_t n = text.size();
  uint8_t b = s[i];
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  size_t need;
  uint32_t cp;
  if ((b & 0xE0) == 0xC0) {
    need = 1;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    need = 2;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    need = 3;
    cp = b & 0x07;
  } else {
    *len = 1;
    return 0xFFFD;
  }
  if (i + need >= n) {  // truncated
    *len = 1;
    return 0xFFFD;
  }
  for (size_t k = 1; k <= need; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) {
      *len = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  *len = need + 1;
  return cp;
}

size_t PrevCodePointStart(std::string_view text, size_t i) {
  size_t j = i - 1;
  int steps = 0;
  while (j > 0 && steps < 3 && (static_cast<uint8_t>(text[j]) & 0xC0) == 0x80) {
    --j;
    ++steps;
  }
  return j;
}

bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) {
    char c = static_cast<char>(cp);
    return IsAsciiAlnum(c) || c == '_';
  }
  if (cp <= 0xBF) return false;                    // C1 controls, NBSP, Latin-1 punctuation
  if (cp == 0xD7 || cp == 0xF7) return false;      // multiplication, division signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // spaces, dashes, quotes, arrows, symbols
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE0F) return false;  // variation selectors
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  if (cp == 0xFFFD) return false;
  if (cp >= 0x1F000) return false;                 // emoji and pictographs
  return true;
}

bool IsWordCharAt(std::string_view text, size_t i) {
  if (i >= text.size()) return false;
  char c = text[i];
  if (static_cast<uint8_t>(c) < 0x80) return IsAsciiAlnum(c) || c == '_';
  size_t len;
  return IsWordCodePoint(DecodeUtf8(text, i, &len));
}

bool IsWordCharBefore(std::string_view text, size_t i) {
  if (i == 0) return false;
  char c = text[i - 1];
  if (static_cast<uint8_t>(c) < 0x80) return IsAsciiAlnum(c) || c == '_';
  size_t len;
  return IsWordCodePoint(DecodeUtf8(text, PrevCodePointStart(text, i), &len));
}

bool IsUpperAt(std::string_view text, size_t i) {
  if (i >= text.size()) return false;
  char c = text[i];
  if (static_cast<uint8_t>(c) < 0x80) return IsAsciiUpper(c);
  size_t len;
  uint32_t cp = DecodeUtf8(text, i, &len);
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;  // Latin-1 capitals
  if (cp >= 0x100 && cp <= 0x137) return cp % 2 == 0;
  if (cp >= 0x139 && cp <= 0x148) return cp % 2 == 1;
  if (cp >= 0x14A && cp <= 0x177) return cp % 2 == 0;
  if (cp >= 0x178 && cp <= 0x17E) return cp == 0x178 || cp % 2 == 1;
  if (cp >= 0x218 && cp <= 0x21B) return cp % 2 == 0;  // Ș, Ț
  if (cp == 0x386 || (cp >= 0x388 && cp <= 0x38F) || (cp >= 0x391 && cp <= 0x3AB)) return true;
  if (cp >= 0x400 && cp <= 0x42F) return true;  // Cyrillic capitals
  return false;
}

std::string_view LowerInto(std::string_view word, char* buf) {
  for (size_t k = 0; k < word.size(); ++k) {
    char c = word[k];
    // Upper-case Latin-1 letters in UTF-8 are C3 80..C3 9E (but C3 97, ×).
    if (k > 0 && static_cast<uint8_t>(word[k - 1]) == 0xC3) {
      uint8_t b = static_cast<uint8_t>(c);
      if (b >= 0x80 && b <= 0x9E && b != 0x97) c = static_cast<char>(b + 0x20);
    }
    buf[k] = ToLowerAscii(c);
  }
  return std::string_view(buf, word.size());
}

bool WordSet::Contains(std::string_view word) const {
  if (word.empty() || word.size() > max_) return false;
  const char c = ToLowerAscii(word[0]);
  if (!lengths_all_ && c >= 'a' && c <= 'z' &&
      !(lengths_[c - 'a'] & (1u << std::min<size_t>(word.size(), 31)))) {
    return false;
  }
  char buf[64];
  if (word.size() > sizeof(buf)) return false;
  std::string_view lower = LowerInto(word, buf);
  return set_.contains(absl::string_view(lower.data(), lower.size()));
}

size_t ParseDigitGroups(std::string_view text, size_t i, std::string_view separators,
                        DigitGroups* g) {
  const size_t n = text.size();
  g->count = 0;
  g->digits = 0;
  g->more = false;
  char sep = 0;
  while (true) {
    if (g->count == DigitGroups::kMaxGroups) {
      g->more = true;
      break;
    }
    size_t s = i;
    while (i < n && IsDigit(text[i])) ++i;
    g->start[g->count] = static_cast<uint32_t>(s);
    g->end[g->count] = static_cast<uint32_t>(i);
    g->sep[g->count] = sep;
    g->digits += static_cast<int>(i - s);
    ++g->count;
    if (i + 1 < n && separators.find(text[i]) != std::string_view::npos && IsDigit(text[i + 1])) {
      sep = text[i];
      ++i;
      continue;
    }
    break;
  }
  return g->end[g->count - 1];
}

int DigitsValue(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool BeforeHasCue(std::string_view text, size_t start, int max_words, size_t max_bytes,
                  CueList cues) {
  size_t lo = start > max_bytes ? start - max_bytes : 0;
  size_t i = start;
  int words = 0;
  while (i > lo && words < max_words) {
    while (i > lo && !IsCueWordByte(text[i - 1])) --i;
    if (i == lo) break;
    size_t end = i;
    while (i > lo && IsCueWordByte(text[i - 1])) --i;
    if (i == lo && lo > 0 && IsCueWordByte(text[lo - 1])) break;  // cut by the window
    ++words;
    if (MatchesCue(text.substr(i, end - i), cues)) return true;
  }
  return false;
}

bool AfterHasCue(std::string_view text, size_t end, int max_words, size_t max_bytes,
                 CueList cues) {
  size_t hi = end + max_bytes < text.size() ? end + max_bytes : text.size();
  size_t i = end;
  int words = 0;
  while (i < hi && words < max_words) {
    while (i < hi && !IsCueWordByte(text[i])) ++i;
    if (i == hi) break;
    size_t start = i;
    while (i < hi && IsCueWordByte(text[i])) ++i;
    if (i == hi && hi < text.size() && IsCueWordByte(text[hi])) break;
    ++words;
    if (MatchesCue(text.substr(start, i - start), cues)) return true;
  }
  return false;
}

}  // namespace parley::analysis::pii
