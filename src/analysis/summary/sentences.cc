#include "analysis/summary/sentences.h"

#include <array>
#include <string_view>

namespace parley::analysis::summary {
namespace {

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The word before a '.' at `dot` is an abbreviation that does not end a
// sentence. "No." and months only count before a number ("No. 5", "Jan. 5").
bool IsAbbreviation(std::string_view text, size_t dot, bool digit_follows) {
  size_t b = dot;
  while (b > 0 && (IsAlpha(text[b - 1]) || text[b - 1] == '.')) --b;
  std::string_view word = text.substr(b, dot - b);
  if (word.empty()) return false;
  if (word.size() == 1) return true;  // an initial
  static constexpr std::array<std::string_view, 26> kAbbreviations = {
      "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "inc",
      "ltd", "co", "no", "approx", "dept", "mt", "ft", "acct", "apt", "ave", "est", "nr", "tel"};
  char lowered[8];
  if (word.size() > sizeof lowered) return false;
  for (size_t i = 0; i < word.size(); ++i) lowered[i] = Lower(word[i]);
  const std::string_view w(lowered, word.size());
  static constexpr std::array<std::string_view, 13> kBeforeNumbers = {
      "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"};
  for (std::string_view a : kBeforeNumbers) {
    if (w == a) return digit_follows;
  }
  for (std::string_view a : kAbbreviations) {
    if (w == a) return true;
  }
  return false;
}

bool IsEllipsisAt(std::string_view text, size_t i) {
  return i + 2 < text.size() && static_cast<unsigned char>(text[i]) == 0xE2 &&
         static_cast<unsigned char>(text[i + 1]) == 0x80 && static_cast<unsigned char>(text[i + 2]) == 0xA6;
}

bool IsCloser(std::string_view text, size_t i, size_t* length) {
  const char c = text[i];
  if (c == '"' || c == '\'' || c == ')' || c == ']') {
    *length = 1;
    return true;
  }
  // ’ ” (U+2019, U+201D)
  if (i + 2 < text.size() && static_cast<unsigned char>(c) == 0xE2 &&
      static_cast<unsigned char>(text[i + 1]) == 0x80 &&
      (static_cast<unsigned char>(text[i + 2]) == 0x99 || static_cast<unsigned char>(text[i + 2]) == 0x9D)) {
    *length = 3;
    return true;
  }
  return false;
}

void Emit(std::string_view text, size_t begin, size_t end, std::vector<SentenceSpan>* out) {
  while (begin < end && IsSpace(text[begin])) ++begin;
  while (end > begin && IsSpace(text[end - 1])) --end;
  if (begin < end) out->push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
}

}  // namespace

std::vector<SentenceSpan> SplitSentences(std::string_view text) {
  std::vector<SentenceSpan> out;
  SplitSentences(text, &out);
  return out;
}

void SplitSentences(std::string_view text, std::vector<SentenceSpan>* out) {
  out->clear();
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      Emit(text, start, i, out);
      start = ++i;
      continue;
    }
    if (c != '.' && c != '!' && c != '?' && !(static_cast<unsigned char>(c) == 0xE2 && IsEllipsisAt(text, i))) {
      ++i;
      continue;
    }
    const size_t first_mark = i;
    // The run of marks.
    while (i < text.size()) {
      if (text[i] == '.' || text[i] == '!' || text[i] == '?') {
        ++i;
      } else if (IsEllipsisAt(text, i)) {
        i += 3;
      } else {
        break;
      }
    }
    const size_t mark_end = i;
    size_t closer = 0;
    while (i < text.size() && IsCloser(text, i, &closer)) i += closer;
    if (i < text.size() && !IsSpace(text[i])) continue;  // "2.5", "a.m.x", "?!)x"
    size_t next = i;
    while (next < text.size() && IsSpace(text[next]) && text[next] != '\n' && text[next] != '\r') ++next;
    if (next < text.size() && IsLower(text[next])) continue;
    if (mark_end - first_mark == 1 && c == '.' && mark_end == i &&
        IsAbbreviation(text, first_mark, next < text.size() && text[next] >= '0' && text[next] <= '9')) {
      continue;
    }
    Emit(text, start, i, out);
    start = i;
  }
  Emit(text, start, text.size(), out);
}

}  // namespace parley::analysis::summary
