// PHONE_NUMBER. A candidate is a run of digit groups joined by short
// separators (space, - . / and parentheses: "+46 (0)8 928 571 38",
// "(555) 123-4567", "(+30) 6960 837783", "0490 75 40 81"), on one line,
// with 7 to 15 digits (17 after an international "00" prefix), and an
// optional extension ("x812", "ext. 12") that is part of the span. Whether a candidate is a phone
// number depends on its shape and its context:
//
//  * shapes that are phone numbers on their own: a leading "+" (8-15
//    digits); a leading "00" international prefix; North American
//    NXX-NXX-XXXX with consistent separators or a parenthesised area code;
//    a parenthesised first group; a trunk-"0" national number in groups, or
//    of 10-11 digits written together;
//  * anything else (a bare "9472 7916", "4673395") needs a phone word within
//    a few words before ("call me on", "Phone:", "fax") or just after
//    ("... office", "-Fax").
//
// Words that announce other numbers ("order", "invoice", "account",
// "tracking", ...) veto a candidate unless a strong phone word is also
// there. Dates ("2000-04-16", "12/1/1981") are never phone numbers.
#include <algorithm>
#include <array>

#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kStrongCues[] = {
    "phone",  "phones",    "tel",       "telephone", "mobile", "mob",   "cell",    "cellphone",
    "fax",    "call",      "calling",   "called",    "text",   "texts", "sms",     "whatsapp",
    "dial",   "voicemail", "landline",  "hotline",   "ph",     "cel",   "phoned", "ring",
    "area"};  // "area code", which "code" alone would veto
constexpr std::string_view kWeakCues[] = {
    "number", "no",      "nr",      "contact", "reach",   "office",   "desk",     "home",
    "work",   "message", "messages", "answer", "answering", "extension", "ext", "direct",
    "switchboard", "line", "tel"};
constexpr std::string_view kAfterCues[] = {
    "office", "fax", "mobile", "cell", "phone", "home", "work", "desk", "tel", "landline"};
constexpr std::string_view kVetoCues[] = {
    "order",   "orders",  "invoice", "ref",     "reference", "tracking", "account",
    "acct",    "confirmation", "ticket", "case", "id", "transaction", "serial",
    "policy",  "claim",   "booking", "item",    "sku",      "po",      "customer",
    "member",  "iban",    "card",    "ssn",     "social",   "zip",     "postcode",
    "routing", "sort",    "pin",     "code",    "isbn",     "invoice", "receipt",
    "license", "licence", "passport", "vin",    "model",    "part",    "version"};

constexpr int kMaxGroups = 8;

struct Candidate {
  size_t start = 0, end = 0;
  bool plus = false;
  int digits = 0;
  int groups = 0;
  std::array<uint32_t, kMaxGroups> gs{}, ge{};
  std::array<uint8_t, kMaxGroups> paren{};  // group was inside (...)
  std::array<char, kMaxGroups> sep{};       // main separator char before the group
  bool too_long = false;
};

bool IsSepChar(char c) { return c == ' ' || c == '-' || c == '.' || c == '/'; }

// Parses a candidate starting at `i` ('+', '(' or a digit). Returns the
// position to resume scanning from.
size_t ParseCandidate(std::string_view text, size_t i, Candidate* c) {
  const size_t n = text.size();
  c->start = i;
  int depth = 0;
  if (text[i] == '(' && i + 2 < n && text[i + 1] == '+' && IsDigit(text[i + 2])) {
    // "(+30) 6960 837783": the country code in parentheses.
    c->plus = true;
    depth = 1;
    i += 2;
  } else if (text[i] == '+') {
    c->plus = true;
    ++i;
    if (i < n && text[i] == ' ') ++i;
  }
  char pending_sep = 0;
  while (i < n) {
    // Optional '(' before a group.
    bool open = false;
    if (text[i] == '(') {
      if (depth > 0) break;
      open = true;
      ++depth;
      ++i;
    }
    if (i >= n || !IsDigit(text[i])) break;
    size_t g = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (c->groups == kMaxGroups) {
      c->too_long = true;
      break;
    }
    c->gs[c->groups] = static_cast<uint32_t>(g);
    c->ge[c->groups] = static_cast<uint32_t>(i);
    c->paren[c->groups] = open || depth > 0;
    c->sep[c->groups] = pending_sep;
    ++c->groups;
    c->digits += static_cast<int>(i - g);
    c->end = i;
    if (i < n && text[i] == ')' && depth > 0) {
      --depth;
      ++i;
      c->end = i;
    }
    // Separator: one of " -./" with up to two spaces around it, or spaces
    // alone; a '(' may follow.
    size_t j = i;
    pending_sep = 0;
    int spaces = 0, marks = 0;
    while (j < n && IsSepChar(text[j])) {
      if (text[j] == ' ') {
        if (++spaces > 2) break;
      } else {
        if (++marks > 1) break;
        pending_sep = text[j];
      }
      ++j;
    }
    if (marks > 1 || spaces > 2) break;
    if (pending_sep == 0 && spaces > 0) pending_sep = ' ';
    if (j < n && IsDigit(text[j])) {
      i = j;
      continue;
    }
    if (j + 1 < n && text[j] == '(' && depth == 0 && IsDigit(text[j + 1])) {
      if (pending_sep == 0) pending_sep = '(';
      i = j;
      continue;
    }
    break;
  }
  if (depth > 0 && c->groups > 0) c->end = c->ge[c->groups - 1];
  return i > c->start ? i : c->start + 1;
}

int GroupLen(const Candidate& c, int k) { return static_cast<int>(c.ge[k] - c.gs[k]); }

// "2000-04-16", "12/1/1981", "16.04.2000": not phone numbers.
bool LooksLikeDate(std::string_view text, const Candidate& c) {
  if (c.groups != 3 || c.plus || c.paren[0]) return false;
  if (c.sep[1] != c.sep[2] || (c.sep[1] != '-' && c.sep[1] != '/' && c.sep[1] != '.')) return false;
  int a = GroupLen(c, 0), b = GroupLen(c, 1), y = GroupLen(c, 2);
  auto val = [&](int k) { return DigitsValue(text.substr(c.gs[k], c.ge[k] - c.gs[k])); };
  if (a == 4 && b <= 2 && y <= 2) return val(1) >= 1 && val(1) <= 12 && val(2) >= 1 && val(2) <= 31;
  if (a <= 2 && b <= 2 && (y == 2 || y == 4)) {
    int x = val(0), z = val(1);
    return x >= 1 && z >= 1 && ((x <= 12 && z <= 31) || (z <= 12 && x <= 31));
  }
  return false;
}

// NXX-NXX-XXXX with an optional leading country code 1.
bool IsNorthAmerican(std::string_view text, const Candidate& c) {
  int k = 0;
  if (c.groups == 4 && GroupLen(c, 0) == 1 && text[c.gs[0]] == '1') k = 1;
  if (c.groups - k != 3) return false;
  if (GroupLen(c, k) != 3 || GroupLen(c, k + 1) != 3 || GroupLen(c, k + 2) != 4) return false;
  if (text[c.gs[k]] < '2') return false;  // area codes start with 2-9
  if (c.paren[k]) return !c.paren[k + 1] && !c.paren[k + 2];
  if (c.paren[k + 1] || c.paren[k + 2]) return false;
  char s1 = c.sep[k + 1], s2 = c.sep[k + 2];
  return s1 == s2 && (s1 == '-' || s1 == '.' || s1 == ' ');
}

// An extension after the number: "x812", " ext. 123", " extension 4".
// Returns the end of the extension, or `end` when there is none.
size_t ExtensionEnd(std::string_view text, size_t end) {
  const size_t n = text.size();
  size_t i = end;
  if (i < n && text[i] == ' ') ++i;
  size_t word = i;
  while (i < n && IsAsciiAlpha(text[i])) ++i;
  std::string_view w = text.substr(word, i - word);
  auto is = [&](std::string_view lower) {
    if (w.size() != lower.size()) return false;
    for (size_t k = 0; k < w.size(); ++k) {
      if (ToLowerAscii(w[k]) != lower[k]) return false;
    }
    return true;
  };
  if (!is("x") && !is("ext") && !is("extension")) return end;
  if (i < n && text[i] == '.') ++i;
  if (i < n && text[i] == ' ') ++i;
  size_t d = i;
  while (i < n && IsDigit(text[i]) && i - d < 6) ++i;
  if (i == d || IsWordCharAt(text, i)) return end;
  return i;
}

// How likely candidate `c` is a phone number, from its shape and the words
// around it; 0 when it is not one.
float Judge(std::string_view text, const Candidate& c) {
  const int d = c.digits;
  const bool intl00 = !c.plus && GroupLen(c, 0) >= 3 && GroupLen(c, 0) <= 5 &&
                      text[c.gs[0]] == '0' && text[c.gs[0] + 1] == '0' && c.groups >= 2;
  if (d < 7 || d > (intl00 ? 17 : 15)) return 0;
  if (LooksLikeDate(text, c)) return 0;

  const bool strong_cue = BeforeHasCue(text, c.start, 5, 48, kStrongCues);
  const bool weak_cue = !strong_cue && BeforeHasCue(text, c.start, 4, 40, kWeakCues);
  const bool after_cue = AfterHasCue(text, c.end, 1, 12, kAfterCues);
  const bool veto = !strong_cue && !c.plus && BeforeHasCue(text, c.start, 4, 40, kVetoCues);
  if (veto) return 0;

  float likelihood = 0;
  if (c.plus && d >= 8) {
    likelihood = 0.8f;
  } else if (intl00 && d >= 10) {
    likelihood = 0.7f;
  } else if (IsNorthAmerican(text, c)) {
    likelihood = c.groups >= 3 && c.sep[c.groups - 1] == ' ' && !c.paren[0] ? 0.5f : 0.7f;
  } else if (c.paren[0] && c.groups >= 2) {
    likelihood = 0.6f;
  } else if (text[c.gs[0]] == '0' && !intl00 &&
             ((c.groups >= 3 && d >= 8 && d <= 11) || (c.groups == 2 && d >= 9 && d <= 11))) {
    likelihood = 0.5f;  // trunk prefix and groups: "0490 75 40 81", "08-15 00 08"
  } else if (text[c.gs[0]] == '0' && text[c.gs[0] + 1] != '0' && c.groups == 1 && d >= 10 &&
             d <= 11) {
    likelihood = 0.4f;  // "0386756508": national numbers written without spaces
  }
  if (strong_cue || after_cue) {
    likelihood = likelihood > 0 ? 0.9f : 0.75f;
  } else if (weak_cue) {
    likelihood = likelihood > 0 ? 0.85f : 0.6f;
  }
  return likelihood;
}

}  // namespace

void FindPhoneNumbers(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    char ch = text[i];
    bool starts = IsDigit(ch) ||
                  (ch == '+' && i + 1 < n && (IsDigit(text[i + 1]) || text[i + 1] == '(' ||
                                              (text[i + 1] == ' ' && i + 2 < n && IsDigit(text[i + 2])))) ||
                  (ch == '(' && i + 1 < n && IsDigit(text[i + 1])) ||
                  (ch == '(' && i + 2 < n && text[i + 1] == '+' && IsDigit(text[i + 2]));
    if (!starts) {
      ++i;
      continue;
    }
    if (IsWordCharBefore(text, i) ||
        (i >= 2 && IsSepChar(text[i - 1]) && text[i - 1] != ' ' && IsDigit(text[i - 2]))) {
      while (i < n && IsDigit(text[i])) ++i;
      if (i == n || !IsDigit(text[i])) ++i;
      continue;
    }
    Candidate c;
    i = ParseCandidate(text, i, &c);
    if (c.groups == 0 || c.too_long) continue;
    const size_t number_end = c.end;
    c.end = ExtensionEnd(text, c.end);
    if (c.end != number_end) i = std::max(i, c.end);
    if (IsWordCharAt(text, c.end)) continue;
    if (c.end < n && (text[c.end] == ':' || text[c.end] == ',') && c.end + 1 < n &&
        IsDigit(text[c.end + 1])) {
      continue;  // a time or a list of numbers
    }
    float likelihood = Judge(text, c);
    if (likelihood > 0) out->push_back({InfoType::kPhoneNumber, c.start, c.end, likelihood});
    // Without punctuation a number may run into the one before it: a postal
    // code ("... ca 94103 415 555 0132") or another list item. The number
    // without its first group is a candidate too, a little less likely; the
    // longer one wins when both stand (ResolveOverlaps), the shorter one
    // when the first group belongs to a longer finding (a street address).
    while (c.groups >= 3 && !c.plus && !c.paren[0] && c.sep[1] == ' ') {
      c.digits -= GroupLen(c, 0);
      for (int k = 1; k < c.groups; ++k) {
        c.gs[k - 1] = c.gs[k];
        c.ge[k - 1] = c.ge[k];
        c.paren[k - 1] = c.paren[k];
        c.sep[k - 1] = k == 1 ? 0 : c.sep[k];
      }
      --c.groups;
      c.start = c.gs[0];
      likelihood = Judge(text, c);
      if (likelihood > 0) {
        out->push_back({InfoType::kPhoneNumber, c.start, c.end, likelihood * 0.9f});
        break;
      }
    }
  }
}

}  // namespace parley::analysis::pii
