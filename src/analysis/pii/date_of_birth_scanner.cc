// DATE_OF_BIRTH: a calendar date with a birth word shortly before it
// ("born", "DOB", "date of birth", "birthday", "birthdate") or just after it
// ("... is my birthday"). Dates: 6/24/1991, 24.06.1991, 1991-06-24,
// June 24(th)(,) 1991, 24(th) (of) June(,) 1991, Jun. 24 — day and month
// validated. A date without a birth word is not personal data by itself.
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kBirthCues[] = {"born", "birth", "dob", "birthday", "birthdate",
                                           "bday"};
constexpr std::string_view kAfterCues[] = {"birthday", "birth", "dob", "bday"};

// Month number of a month name or abbreviation ("Jun", "june", "Sept"), or 0.
int MonthOf(std::string_view word) {
  static constexpr std::string_view kMonths[] = {"january", "february", "march",     "april",
                                                 "may",     "june",     "july",      "august",
                                                 "september", "october", "november", "december"};
  if (word.size() < 3 || word.size() > 9) return 0;
  char lower[10];
  for (size_t k = 0; k < word.size(); ++k) {
    if (!IsAsciiAlpha(word[k])) return 0;
    lower[k] = ToLowerAscii(word[k]);
  }
  std::string_view w(lower, word.size());
  for (int m = 0; m < 12; ++m) {
    std::string_view full = kMonths[m];
    if (w == full) return m + 1;
    if (w.size() == 3 && full.substr(0, 3) == w) return m + 1;
    if (m == 8 && w == "sept") return 9;
  }
  return 0;
}

size_t SkipSpaces(std::string_view text, size_t i) {
  while (i < text.size() && text[i] == ' ') ++i;
  return i;
}

// A day number (1-31) with an optional ordinal suffix at `i`; returns the end
// or 0.
size_t ParseDay(std::string_view text, size_t i) {
  size_t s = i;
  while (i < text.size() && IsDigit(text[i]) && i - s < 3) ++i;
  if (i == s || i - s > 2) return 0;
  int day = DigitsValue(text.substr(s, i - s));
  if (day < 1 || day > 31) return 0;
  if (i + 1 < text.size()) {
    std::string_view suf = text.substr(i, 2);
    if (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") i += 2;
  }
  return IsWordCharAt(text, i) ? 0 : i;
}

// A four-digit year (1900-2099) at `i`; returns the end or 0.
size_t ParseYear(std::string_view text, size_t i) {
  if (i + 4 > text.size()) return 0;
  for (size_t k = i; k < i + 4; ++k) {
    if (!IsDigit(text[k])) return 0;
  }
  int y = DigitsValue(text.substr(i, 4));
  if (y < 1900 || y > 2099 || IsWordCharAt(text, i + 4)) return 0;
  return i + 4;
}

// A word at `i`; returns its end.
size_t WordEnd(std::string_view text, size_t i) {
  while (i < text.size() && IsAsciiAlpha(text[i])) ++i;
  return i;
}

// Numeric dates at `i` (a digit at a word start). Returns the end or 0.
size_t ParseNumericDate(std::string_view text, size_t i) {
  DigitGroups g;
  size_t end = ParseDigitGroups(text, i, "/.-", &g);
  if (g.count != 3 || g.more || g.sep[1] != g.sep[2] || IsWordCharAt(text, end)) return 0;
  auto len = [&](int k) { return g.end[k] - g.start[k]; };
  auto val = [&](int k) { return DigitsValue(text.substr(g.start[k], len(k))); };
  if (len(0) == 4 && len(1) <= 2 && len(2) <= 2) {  // ISO
    return val(1) >= 1 && val(1) <= 12 && val(2) >= 1 && val(2) <= 31 ? end : 0;
  }
  if (len(0) <= 2 && len(1) <= 2 && (len(2) == 4 || len(2) == 2)) {
    int a = val(0), b = val(1);
    bool ok = a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (b <= 12 && a <= 31));
    return ok ? end : 0;
  }
  return 0;
}

// "24 June 1991", "24th of June, 1991", "24 Jun". Returns the end or 0.
size_t ParseDayMonth(std::string_view text, size_t i) {
  size_t p = ParseDay(text, i);
  if (p == 0) return 0;
  p = SkipSpaces(text, p);
  if (text.compare(p, 3, "of ") == 0) p = SkipSpaces(text, p + 3);
  size_t w = WordEnd(text, p);
  if (MonthOf(text.substr(p, w - p)) == 0) return 0;
  p = w;
  if (p < text.size() && text[p] == '.') ++p;
  size_t q = p;
  if (q < text.size() && text[q] == ',') ++q;
  q = SkipSpaces(text, q);
  size_t y = ParseYear(text, q);
  return y ? y : p;
}

// "June 24, 1991", "Jun. 24th 1991", "June 24". Returns the end or 0.
size_t ParseMonthDay(std::string_view text, size_t i) {
  size_t w = WordEnd(text, i);
  if (MonthOf(text.substr(i, w - i)) == 0) return 0;
  size_t p = w;
  if (p < text.size() && text[p] == '.') ++p;
  p = SkipSpaces(text, p);
  size_t d = ParseDay(text, p);
  if (d == 0) return 0;
  size_t q = d;
  if (q < text.size() && text[q] == ',') ++q;
  q = SkipSpaces(text, q);
  size_t y = ParseYear(text, q);
  return y ? y : d;
}

bool StartsWithLower(std::string_view text, size_t i, std::string_view word) {
  if (i + word.size() > text.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if (ToLowerAscii(text[i + k]) != word[k]) return false;
  }
  return true;
}

// Whether any birth word occurs at all: most text has none, and then no
// date in it needs parsing.
bool MayMentionBirth(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = ToLowerAscii(text[i]);
    if (c == 'b' && (StartsWithLower(text, i, "born") || StartsWithLower(text, i, "birth") ||
                     StartsWithLower(text, i, "bday"))) {
      return true;
    }
    if (c == 'd' && StartsWithLower(text, i, "dob")) return true;
  }
  return false;
}

bool HasBirthContext(std::string_view text, size_t start, size_t end) {
  return BeforeHasCue(text, start, 6, 60, kBirthCues) ||
         AfterHasCue(text, end, 4, 30, kAfterCues);
}

}  // namespace

void FindDatesOfBirth(std::string_view text, std::vector<Finding>* out) {
  if (!MayMentionBirth(text)) return;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    char c = text[i];
    if (!IsDigit(c) && !IsAsciiAlpha(c)) {
      ++i;
      continue;
    }
    if (IsWordCharBefore(text, i)) {
      ++i;
      continue;
    }
    size_t end = 0;
    if (IsDigit(c)) {
      end = ParseNumericDate(text, i);
      if (end == 0) end = ParseDayMonth(text, i);
    } else {
      end = ParseMonthDay(text, i);
    }
    if (end == 0) {
      // Skip the rest of this word or number.
      ++i;
      while (i < n && IsAsciiAlnum(text[i])) ++i;
      continue;
    }
    if (HasBirthContext(text, i, end)) {
      out->push_back({InfoType::kDateOfBirth, i, end, 0.8f});
    }
    i = end;
  }
}

}  // namespace parley::analysis::pii
