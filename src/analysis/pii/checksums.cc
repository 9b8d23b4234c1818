#include "analysis/pii/checksums.h"

#include <cstdint>

#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

// Leading `n` digits as a number (digits.size() >= n).
int Prefix(std::string_view digits, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

bool InRange(int v, int lo, int hi) { return v >= lo && v <= hi; }

struct IbanCountry {
  char code[3];
  int length;
};

// SWIFT IBAN registry (release 2024), plus the countries that publish IBANs
// outside the registry (Algeria, Angola, Benin, ...), which banks accept.
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AO", 25}, {"AT", 20}, {"AZ", 28}, {"BA", 20},
    {"BE", 16}, {"BF", 28}, {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BJ", 28}, {"BR", 29},
    {"BY", 28}, {"CF", 27}, {"CG", 27}, {"CH", 21}, {"CI", 28}, {"CM", 27}, {"CR", 22},
    {"CV", 25}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28},
    {"DZ", 26}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18},
    {"FR", 27}, {"GA", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GQ", 27},
    {"GR", 27}, {"GT", 28}, {"GW", 25}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
    {"IL", 23}, {"IQ", 23}, {"IR", 26}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KM", 27},
    {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MA", 28}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MG", 27},
    {"MK", 19}, {"ML", 28}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"MZ", 25},
    {"NE", 28}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SN", 28},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TD", 27}, {"TG", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool KnownCardPrefix(std::string_view digits) {
  const size_t n = digits.size();
  if (n < 12 || n > 19) return false;
  const int p1 = Prefix(digits, 1), p2 = Prefix(digits, 2), p3 = Prefix(digits, 3),
            p4 = Prefix(digits, 4);
  switch (p1) {
    case 1:  // UATP; JCB's old 15-digit 1800 range
      return n == 15;
    case 2:
      if (p4 == 2131) return n == 15;                      // JCB (old)
      if (InRange(p4, 2200, 2204)) return n >= 16;          // Mir
      if (InRange(p4, 2221, 2720)) return n == 16;          // Mastercard 2-series
      return false;
    case 3:
      if (p2 == 34 || p2 == 37) return n == 15;             // American Express
      if (InRange(p3, 300, 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
        return n >= 14;                                     // Diners Club
      if (InRange(p4, 3528, 3589)) return n >= 15;          // JCB
      if (p3 == 353 || p3 == 356) return n == 16;           // RuPay (JCB co-brand)
      return false;
    case 4:  // Visa
      return n == 13 || n >= 16;
    case 5:
      if (InRange(p2, 51, 55)) return n == 16;              // Mastercard
      if (p2 == 50 || InRange(p2, 56, 59)) return true;     // Maestro 12-19, Verve, RuPay 508
      return false;
    case 6:  // Discover, UnionPay, Maestro, RuPay, Troy-less 6-range
      return n >= 12;
    case 8:  // UnionPay, RuPay
      return (p2 == 81 || p2 == 82) && n >= 16;
    case 9:  // Troy
      return p4 == 9792 && n == 16;
    default:
      return false;
  }
}

int IbanLength(std::string_view country) {
  if (country.size() != 2) return 0;
  char a = ToUpperAscii(country[0]), b = ToUpperAscii(country[1]);
  for (const IbanCountry& c : kIbanCountries) {
    if (c.code[0] == a && c.code[1] == b) return c.length;
  }
  return 0;
}

bool IbanValid(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (IbanLength(iban.substr(0, 2)) != static_cast<int>(iban.size())) return false;
  if (!IsDigit(iban[2]) || !IsDigit(iban[3])) return false;
  // Move the first four characters to the end, letters to 10..35, mod 97.
  uint32_t rem = 0;
  for (size_t k = 0; k < iban.size(); ++k) {
    char c = iban[(k + 4) % iban.size()];
    if (IsDigit(c)) {
      rem = (rem * 10 + static_cast<uint32_t>(c - '0')) % 97;
    } else if (IsAsciiAlpha(c)) {
      uint32_t v = static_cast<uint32_t>(ToUpperAscii(c) - 'A' + 10);
      rem = (rem * 100 + v) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool SsnValid(int area, int group, int serial) {
  if (area <= 0 || area == 666 || area >= 900) return false;
  if (group <= 0 || group > 99) return false;
  if (serial <= 0 || serial > 9999) return false;
  if (area == 78 && group == 5 && serial == 1120) return false;
  if (area == 219 && group == 9 && serial == 9999) return false;
  return true;
}

}  // namespace parley::analysis::pii
