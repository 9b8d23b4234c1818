// DATE, PRICE, NUMBER and times of day, over tokens.
//
//  * PRICE: a number with a currency symbol before or after it ("$8,882",
//    "40€", "A$ 12"), an ISO 4217 code ("USD 50", "50 EUR") or a currency word
//    after it ("73 pounds", "fifty bucks", "99 cents"), with an optional
//    multiplier ("£1.2m", "5 thousand dollars"); or a bare number right after
//    a money verb ("transfer 400 to", "spend more than 990"). Metadata: the
//    ISO code and the value in that currency's main unit.
//  * DATE: numeric (2024-05-01, 6/24/1991, 24.06.1991; day and month
//    validated; m/d when both readings are valid), with month names
//    ("June 24th, 1991", "the 7th of Jan 2018", "July the 20th", "March
//    2020", a capitalised month alone), weekdays ("next Monday"), ordinal
//    days after "the" or a date preposition ("on the 3rd"), years after a
//    date preposition ("in 2019"), and relative dates ("tomorrow", "last
//    week", "8 weeks ago", "in 7 days"). Metadata: the parts stated.
//  * Times of day ("12:45 p.m.", "5 pm", "9 05 in the morning", "25 past
//    11") are recognised and left out of the result (kTimeOfDay).
//  * NUMBER: any other number in digits ("1,234.5", "6", "5k", "20%") or
//    words of two or more ("twenty five", "three hundred"; "one" alone is
//    too often a pronoun). Metadata: the value.
#include <cmath>
#include <cstdio>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "analysis/entities/scanners.h"
#include "analysis/pii/scan_util.h"

namespace parley::analysis::entities {
namespace {

using pii::IsAsciiAlpha;
using pii::IsAsciiUpper;
using pii::IsDigit;
using pii::Token;
using pii::TokenKind;

enum class Kw : uint8_t {
  kNone,
  kMonth,         // value 1-12; abbreviated forms have abbrev = true
  kWeekday,       // 1-7
  kRelDay,        // today, tomorrow, yesterday, tonight
  kNumberWord,    // value
  kMultiplier,    // hundred, thousand, million, billion, grand
  kCurrencyWord,  // code, divisor
  kMeridiem,      // am, pm, o'clock
  kUnit,          // day(s), week(s), month(s), year(s)
  kRelModifier,   // last, next, this, coming, past
  kDayPart,       // morning, afternoon, evening, night
  kDatePrep,      // on, since, until, from, by, before, after, ...
  kMoneyVerb,     // spend, pay, transfer, ...
};

struct Keyword {
  Kw kind = Kw::kNone;
  int value = 0;
  bool abbrev = false;
  const char* code = "";  // currency
  int divisor = 1;        // cents, pence
};

const absl::flat_hash_map<std::string_view, Keyword>& Keywords() {
  static const auto* map = [] {
    auto* m = new absl::flat_hash_map<std::string_view, Keyword>();
    const char* months[] = {"january", "february", "march",     "april",   "may",      "june",
                            "july",    "august",   "september", "october", "november", "december"};
    for (int i = 0; i < 12; ++i) {
      (*m)[months[i]] = {Kw::kMonth, i + 1};
      std::string_view full = months[i];
      if (full.size() > 3) (*m)[full.substr(0, 3)] = {Kw::kMonth, i + 1, true};
    }
    (*m)["sept"] = {Kw::kMonth, 9, true};
    const char* days[] = {"monday", "tuesday", "wednesday", "thursday",
                          "friday", "saturday", "sunday"};
    for (int i = 0; i < 7; ++i) (*m)[days[i]] = {Kw::kWeekday, i + 1};
    (*m)["today"] = {Kw::kRelDay, 0};
    (*m)["tonight"] = {Kw::kRelDay, 0};
    (*m)["tomorrow"] = {Kw::kRelDay, 1};
    (*m)["yesterday"] = {Kw::kRelDay, -1};
    const char* small[] = {"zero",    "one",     "two",       "three",    "four",
                           "five",    "six",     "seven",     "eight",    "nine",
                           "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                           "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    for (int i = 0; i < 20; ++i) (*m)[small[i]] = {Kw::kNumberWord, i};
    const char* tens[] = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                          "ninety"};
    for (int i = 0; i < 8; ++i) (*m)[tens[i]] = {Kw::kNumberWord, (i + 2) * 10};
    (*m)["hundred"] = {Kw::kMultiplier, 100};
    (*m)["thousand"] = {Kw::kMultiplier, 1000};
    (*m)["million"] = {Kw::kMultiplier, 1000000};
    (*m)["billion"] = {Kw::kMultiplier, 1000000000};
    (*m)["grand"] = {Kw::kMultiplier, 1000};
    struct Cur {
      const char* word;
      const char* code;
      int divisor;
    } currencies[] = {
        {"dollar", "USD", 1},  {"dollars", "USD", 1}, {"buck", "USD", 1},     {"bucks", "USD", 1},
        {"cent", "USD", 100},  {"cents", "USD", 100}, {"pound", "GBP", 1},    {"pounds", "GBP", 1},
        {"quid", "GBP", 1},    {"pence", "GBP", 100}, {"sterling", "GBP", 1}, {"euro", "EUR", 1},
        {"euros", "EUR", 1},   {"yen", "JPY", 1},     {"rupee", "INR", 1},    {"rupees", "INR", 1},
        {"peso", "MXN", 1},    {"pesos", "MXN", 1},   {"franc", "CHF", 1},    {"francs", "CHF", 1},
        {"yuan", "CNY", 1},    {"rmb", "CNY", 1},     {"won", "KRW", 1},      {"ruble", "RUB", 1},
        {"rubles", "RUB", 1},  {"rouble", "RUB", 1},  {"roubles", "RUB", 1},  {"rand", "ZAR", 1},
        {"dirham", "AED", 1},  {"dirhams", "AED", 1}, {"zloty", "PLN", 1},    {"krona", "SEK", 1},
        {"kronor", "SEK", 1},  {"krone", "NOK", 1},   {"kroner", "NOK", 1},   {"usd", "USD", 1},
        {"gbp", "GBP", 1},     {"eur", "EUR", 1},
    };
    for (const Cur& c : currencies) (*m)[c.word] = {Kw::kCurrencyWord, 0, false, c.code, c.divisor};
    for (const char* w : {"am", "pm", "o'clock", "oclock"}) (*m)[w] = {Kw::kMeridiem};
    const char* units[] = {"day", "days", "week", "weeks", "month", "months",
                           "year", "years", "fortnight", "weekend"};
    for (int i = 0; i < 10; ++i) (*m)[units[i]] = {Kw::kUnit, i};
    for (const char* w : {"last", "next", "this", "coming", "past"}) (*m)[w] = {Kw::kRelModifier};
    for (const char* w : {"morning", "afternoon", "evening", "night"}) (*m)[w] = {Kw::kDayPart};
    for (const char* w : {"on", "since", "until", "till", "til", "from", "by", "before", "after",
                          "in", "of", "during", "between", "to", "due", "dated", "year", "for"}) {
      (*m)[w] = {Kw::kDatePrep};
    }
    for (const char* w :
         {"spend",   "spent",     "pay",       "paid",       "paying",  "payment",  "transfer",
          "transferred", "send",  "sent",      "charge",     "charged", "refund",   "refunded",
          "withdraw", "withdrew", "withdrawal", "withdrawn", "deposit", "deposited", "cost",
          "costs",    "balance",  "limit",     "owe",        "owed",    "fee",      "price",
          "worth",    "loan",     "borrow",    "salary",     "bill",    "top",      "topped",
          "receive",  "received", "amount",    "total",      "debit",   "credit",   "cash"}) {
      (*m)[w] = {Kw::kMoneyVerb};
    }
    return m;
  }();
  return *map;
}

// Currency symbols (one code point each) and their codes.
const char* CurrencySymbol(std::string_view s) {
  if (s == "$") return "USD";
  if (s == "\xC2\xA3") return "GBP";      // £
  if (s == "\xE2\x82\xAC") return "EUR";  // €
  if (s == "\xC2\xA5") return "JPY";      // ¥
  if (s == "\xE2\x82\xB9") return "INR";  // ₹
  if (s == "\xE2\x82\xA9") return "KRW";  // ₩
  if (s == "\xE2\x82\xBD") return "RUB";  // ₽
  return nullptr;
}

// "US$", "A$", "C$", ...: a dollar named by its country.
const char* DollarPrefix(std::string_view w) {
  if (w == "US") return "USD";
  if (w == "A" || w == "AU") return "AUD";
  if (w == "C" || w == "CA") return "CAD";
  if (w == "NZ") return "NZD";
  if (w == "HK") return "HKD";
  if (w == "S") return "SGD";
  return nullptr;
}

std::string FormatValue(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  return buf;
}

bool ValidDate(int y, int m, int d) {
  if (m < 1 || m > 12 || d < 0 || d > 31) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[m - 1]) return false;
  if (m == 2 && d == 29 && y > 0 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return true;
}

class QuantityScanner {
 public:
  QuantityScanner(std::string_view text, const std::vector<Token>& tokens,
                  const EntityGazetteer& gazetteer)
      : text_(text), tok_(tokens), gaz_(gazetteer) {}

  void Run(std::vector<EntityFinding>* out) {
    out_ = out;
    const size_t n = tok_.size();
    size_t t = 0;
    while (t < n) {
      size_t next = Scan(t);
      t = next > t ? next : t + 1;
    }
  }

 private:
  // --- token helpers ---
  std::string_view Text(size_t t) const { return tok_[t].text(text_); }
  bool IsWord(size_t t) const { return t < tok_.size() && tok_[t].kind == TokenKind::kWord; }
  bool IsNumber(size_t t) const { return t < tok_.size() && tok_[t].kind == TokenKind::kNumber; }
  bool IsPunct(size_t t, char c) const {
    return t < tok_.size() && tok_[t].kind == TokenKind::kPunct && Text(t).size() == 1 &&
           Text(t)[0] == c;
  }
  // Token t follows token t-1 without space.
  bool Glued(size_t t) const { return t < tok_.size() && !tok_[t].space_before; }
  bool SameLine(size_t t) const { return t < tok_.size() && !tok_[t].newline_before; }
  Keyword Kw(size_t t) const {
    if (!IsWord(t)) return {};
    std::string_view w = Text(t);
    if (w.size() > 16) return {};
    char buf[16];
    std::string_view lower = LowerAsciiInto(w, buf);
    auto it = Keywords().find(lower);
    return it == Keywords().end() ? Keyword{} : it->second;
  }
  bool WordIs(size_t t, std::string_view lower) const {
    if (!IsWord(t) || Text(t).size() != lower.size()) return false;
    std::string_view w = Text(t);
    for (size_t k = 0; k < w.size(); ++k) {
      if (pii::ToLowerAscii(w[k]) != lower[k]) return false;
    }
    return true;
  }
  // All digits.
  bool IsPlainNumber(size_t t) const {
    if (!IsNumber(t)) return false;
    for (char c : Text(t)) {
      if (!IsDigit(c)) return false;
    }
    return true;
  }
  int Value(size_t t) const {
    std::string_view s = Text(t);
    return s.size() <= 9 ? pii::DigitsValue(s) : -1;
  }
  // An ordinal day "1st".."31st" (or plain "1".."31" when plain_ok); its day or 0.
  int DayAt(size_t t, bool plain_ok) const {
    if (!IsNumber(t)) return 0;
    std::string_view s = Text(t);
    size_t d = 0;
    while (d < s.size() && IsDigit(s[d])) ++d;
    if (d == 0 || d > 2) return 0;
    std::string_view suf = s.substr(d);
    char buf[4];
    if (suf.size() > 2) return 0;
    suf = LowerAsciiInto(suf, buf);
    if (suf.empty() ? !plain_ok : (suf != "st" && suf != "nd" && suf != "rd" && suf != "th"))
      return 0;
    int day = pii::DigitsValue(s.substr(0, d));
    return day >= 1 && day <= 31 ? day : 0;
  }
  bool IsOrdinal(size_t t) const { return IsNumber(t) && !IsPlainNumber(t) && DayAt(t, false) > 0; }
  // A four-digit year 1900-2099 at t.
  int YearAt(size_t t) const {
    if (!IsPlainNumber(t) || Text(t).size() != 4) return 0;
    int y = Value(t);
    return y >= 1900 && y <= 2099 ? y : 0;
  }
  // "a.m." / "p.m." / "am" / "pm" / "o'clock" at t; returns the end token or 0.
  size_t MeridiemAt(size_t t) const {
    if (!IsWord(t)) return 0;
    if (Kw(t).kind == Kw::kMeridiem) return IsPunct(t + 1, '.') && Glued(t + 1) ? t + 2 : t + 1;
    // a.m. / p.m.: "a" "." "m" "."
    if ((WordIs(t, "a") || WordIs(t, "p")) && IsPunct(t + 1, '.') && Glued(t + 1) &&
        WordIs(t + 2, "m") && Glued(t + 2)) {
      return IsPunct(t + 3, '.') && Glued(t + 3) ? t + 4 : t + 3;
    }
    return 0;
  }
  // "in the morning", "at night", "evening": returns the end token or 0.
  size_t DayPartAt(size_t t) const {
    size_t p = t;
    if ((WordIs(p, "in") && WordIs(p + 1, "the")) || WordIs(p, "at")) p += WordIs(p, "at") ? 1 : 2;
    return Kw(p).kind == Kw::kDayPart ? p + 1 : 0;
  }

  void Emit(EntityType type, size_t a, size_t b, float confidence, EntityFinding f = {}) {
    f.type = type;
    f.start = tok_[a].start;
    f.end = tok_[b - 1].end;
    f.confidence = confidence;
    out_->push_back(std::move(f));
  }

  // --- numbers ---
  // A number in digits from token t: "1,234.56", "3.4", "5k", "1.2m". Sets
  // *value and returns the token after it, or 0.
  size_t NumberAt(size_t t, double* value, bool* multiplied) const {
    *multiplied = false;
    if (!IsNumber(t)) return 0;
    if (t > 0 && Glued(t) && (IsWord(t - 1) || IsNumber(t - 1))) return 0;  // "A123"
    std::string digits;
    std::string_view s = Text(t);
    size_t d = 0;
    while (d < s.size() && IsDigit(s[d])) ++d;
    std::string_view tail = s.substr(d);
    digits.assign(s.substr(0, d));
    size_t u = t + 1;
    double mult = 1;
    if (tail.empty()) {
      // Thousands groups: "1,234,567".
      while (IsPunct(u, ',') && Glued(u) && IsPlainNumber(u + 1) && Glued(u + 1) &&
             Text(u + 1).size() == 3 && digits.size() <= 3 * 5) {
        digits.append(Text(u + 1));
        u += 2;
      }
      // Decimals: "56.79", "1.2m".
      if (IsPunct(u, '.') && Glued(u) && IsNumber(u + 1) && Glued(u + 1)) {
        std::string_view f = Text(u + 1);
        size_t fd = 0;
        while (fd < f.size() && IsDigit(f[fd])) ++fd;
        digits.push_back('.');
        digits.append(f.substr(0, fd));
        tail = f.substr(fd);
        u += 2;
      }
    }
    if (!tail.empty()) {
      char buf[4];
      if (tail.size() > 2) return 0;
      std::string_view lt = LowerAsciiInto(tail, buf);
      if (lt == "k") {
        mult = 1e3;
      } else if (lt == "m" || lt == "mn") {
        mult = 1e6;
      } else if (lt == "bn" || lt == "b") {
        mult = 1e9;
      } else {
        return 0;  // "12B" as an id, "5th" (ordinals are dates or nothing)
      }
      *multiplied = true;
    }
    if (digits.empty() || digits.size() > 18) return 0;
    *value = std::strtod(digits.c_str(), nullptr) * mult;
    return u;
  }

  // Number words from t: "twenty five", "three hundred and fifty". Returns
  // the end token or 0; at least two words, or one word other than "one"
  // and "zero".
  size_t NumberWordsAt(size_t t, double* value) const {
    double total = 0, group = 0;
    size_t u = t;
    int words = 0;
    while (u < tok_.size()) {
      Keyword k = Kw(u);
      if (k.kind == Kw::kNumberWord) {
        group += k.value;
      } else if (k.kind == Kw::kMultiplier && words > 0 && !WordIs(u, "grand")) {
        if (k.value >= 1000) {
          total += (group == 0 ? 1 : group) * k.value;
          group = 0;
        } else {
          group = (group == 0 ? 1 : group) * k.value;
        }
      } else if (WordIs(u, "and") && words > 0 && Kw(u + 1).kind == Kw::kNumberWord) {
        ++u;
        continue;
      } else {
        break;
      }
      ++words;
      ++u;
      if (!SameLine(u)) break;
    }
    if (words == 0) return 0;
    if (words == 1 && (WordIs(t, "one") || WordIs(t, "zero"))) return 0;
    *value = total + group;
    return u;
  }

  // A currency after a number ending at token u: a symbol, an ISO code or a
  // currency word, with an optional multiplier before a word. Returns the
  // end token or 0.
  size_t CurrencyAfter(size_t u, double* value, const char** code) const {
    if (u >= tok_.size() || !SameLine(u)) return 0;
    if (tok_[u].kind == TokenKind::kPunct) {
      if (const char* c = CurrencySymbol(Text(u))) {
        *code = c;
        return u + 1;
      }
      return 0;
    }
    size_t p = u;
    Keyword k = Kw(p);
    if (k.kind == Kw::kMultiplier) {
      *value *= k.value;
      ++p;
      if (WordIs(u, "grand")) {  // "5 grand"
        *code = "";
        return p;
      }
      k = Kw(p);
    }
    if (k.kind == Kw::kCurrencyWord) {
      *code = k.code;
      *value /= k.divisor;
      return p + 1;
    }
    if (IsWord(p) && tok_[p].all_upper && Text(p).size() == 3 &&
        (gaz_.Lookup(Text(p)) & EntityGazetteer::kCurrencyCode)) {
      *code = nullptr;  // set by the caller from the token
      return p + 1;
    }
    return 0;
  }

  void EmitPrice(size_t a, size_t b, double value, std::string currency, float confidence) {
    EntityFinding f;
    f.currency = std::move(currency);
    f.value = FormatValue(value);
    Emit(EntityType::kPrice, a, b, confidence, std::move(f));
  }

  // A money verb shortly before token t, with only small words between
  // ("transfer 400", "spend more than 990", "pay them back 20").
  bool MoneyCueBefore(size_t t) const {
    static constexpr std::string_view kBetween[] = {
        "more", "less", "than", "over", "under", "around", "about", "approximately", "roughly",
        "me", "you", "him", "her", "them", "us", "it", "the", "a", "an", "of", "just", "only",
        "another", "extra", "additional", "back", "up", "almost", "nearly", "like", "exactly"};
    int words = 0;
    for (size_t p = t; p > 0 && words < 4;) {
      --p;
      if (!IsWord(p)) return false;
      ++words;
      if (Kw(p).kind == Kw::kMoneyVerb) return true;
      char buf[16];
      std::string_view w = Text(p);
      if (w.size() > sizeof buf) return false;
      w = LowerAsciiInto(w, buf);
      bool small = false;
      for (std::string_view b : kBetween) small |= w == b;
      if (!small) return false;
    }
    return false;
  }

  // What may follow a bare amount: the end, punctuation, or a function word.
  bool AmountMayEndBefore(size_t u) const {
    if (u >= tok_.size() || !SameLine(u)) return true;
    if (tok_[u].kind == TokenKind::kPunct) return !IsPunct(u, '%') && !IsPunct(u, ':');
    if (!IsWord(u)) return false;
    static constexpr std::string_view kOk[] = {"to",  "from", "in",  "on",     "for",   "into",
                                               "at",  "and",  "or",  "but",    "please", "back",
                                               "last", "this", "yesterday", "today", "now", "with",
                                               "by",  "via",  "instead", "already", "then"};
    char buf[16];
    std::string_view w = Text(u);
    if (w.size() > sizeof buf) return false;
    w = LowerAsciiInto(w, buf);
    for (std::string_view ok : kOk) {
      if (w == ok) return true;
    }
    return false;
  }

  // --- dates ---
  // Month name at t: returns the end token (after a '.' of an abbreviation) or 0.
  size_t MonthAt(size_t t, int* month, bool need_context) const {
    Keyword k = Kw(t);
    if (k.kind != Kw::kMonth) return 0;
    bool capital = tok_[t].upper_initial;
    // Abbreviations and the months that are also words ("may", "march") need
    // a capital letter; all need the other date parts when need_context.
    if ((k.abbrev || k.value == 5 || k.value == 3 || k.value == 8) && !capital) return 0;
    if (need_context && k.abbrev) return 0;
    *month = k.value;
    size_t e = t + 1;
    if (k.abbrev && IsPunct(e, '.') && Glued(e)) ++e;
    return e;
  }

  // ", 1991" / " 1991" after a date part ending at token u: returns the end or u.
  size_t YearAfter(size_t u, int* year) const {
    size_t p = u;
    if (IsPunct(p, ',')) ++p;
    if (SameLine(p) && YearAt(p)) {
      *year = YearAt(p);
      return p + 1;
    }
    return u;
  }

  bool DatePrepBefore(size_t t) const {
    if (t == 0) return false;
    size_t p = t - 1;
    if (WordIs(p, "the") && p > 0) --p;
    Keyword k = Kw(p);
    return k.kind == Kw::kDatePrep || k.kind == Kw::kRelModifier || WordIs(p, "early") ||
           WordIs(p, "late") || WordIs(p, "mid") || WordIs(p, "every") || WordIs(p, "each");
  }

  void EmitDate(size_t a, size_t b, int y, int m, int d, float confidence) {
    EntityFinding f;
    f.year = y;
    f.month = m;
    f.day = d;
    Emit(EntityType::kDate, a, b, confidence, std::move(f));
  }

  // Dates that start with a month name at t.
  size_t MonthDate(size_t t) {
    int month = 0;
    size_t e = MonthAt(t, &month, false);
    if (e == 0) return 0;
    // "July the 20th", "June 24, 1991", "Jan 5".
    size_t p = e;
    if (WordIs(p, "the") && SameLine(p + 1)) ++p;
    if (SameLine(p) && IsNumber(p) && !(IsPunct(p + 1, ':') && Glued(p + 1))) {
      if (int day = DayAt(p, /*plain_ok=*/true); day > 0 && (p == e || IsOrdinal(p)) &&
                                                 !YearAt(p) && ValidDate(0, month, day)) {
        int year = 0;
        size_t end = YearAfter(p + 1, &year);
        EmitDate(t, end, year, month, day, 0.9f);
        return end;
      }
    }
    // "March 2020", "June, 1991".
    int year = 0;
    if (size_t end = YearAfter(e, &year); end != e) {
      EmitDate(t, end, year, month, 0, 0.85f);
      return end;
    }
    // A month alone: a full name, capitalised; "May" and "March" need a
    // date word before them ("in May", "until March").
    Keyword k = Kw(t);
    if (k.abbrev) return 0;
    if (!tok_[t].upper_initial && !DatePrepBefore(t)) return 0;
    if ((month == 5 || month == 3 || month == 8) && !DatePrepBefore(t)) return 0;
    EmitDate(t, e, 0, month, 0, 0.7f);
    return e;
  }

  // Dates that start with a day number at t: "21 June 2016", "7th of Jan
  // 2018", "the 3rd" (after "the" or a date word), numeric dates.
  size_t DayDate(size_t t) {
    int day = DayAt(t, /*plain_ok=*/true);
    if (day > 0 && !(t > 0 && Glued(t) && (IsWord(t - 1) || IsNumber(t - 1)))) {
      size_t p = t + 1;
      if (WordIs(p, "of") && SameLine(p + 1)) ++p;
      int month = 0;
      if (SameLine(p) && (p == t + 1 || IsOrdinal(t))) {
        if (size_t e = MonthAt(p, &month, false); e != 0 && ValidDate(0, month, day)) {
          int year = 0;
          size_t end = YearAfter(e, &year);
          EmitDate(t, end, year, month, day, 0.9f);
          return end;
        }
      }
      // "the 3rd", "on the 16th", "from the 1st": an ordinal day.
      if (IsOrdinal(t) && t > 0 && (WordIs(t - 1, "the") || DatePrepBefore(t))) {
        // "the 4th of each month": the ordinal alone.
        EmitDate(t, t + 1, 0, 0, day, 0.6f);
        return t + 1;
      }
    }
    return NumericDate(t);
  }

  // 2024-05-01, 6/24/1991, 24.06.1991, 6/24 (after a date word).
  size_t NumericDate(size_t t) {
    if (!IsPlainNumber(t)) return 0;
    if (t > 0 && Glued(t) && (IsWord(t - 1) || IsNumber(t - 1) || IsPunct(t - 1, '/') ||
                              IsPunct(t - 1, '-') || IsPunct(t - 1, '.'))) {
      return 0;
    }
    // Groups: number (sep number){1,2} with one separator kind, glued.
    size_t g[3] = {t, 0, 0};
    int count = 1;
    char sep = 0;
    size_t u = t + 1;
    while (count < 3 && u + 1 < tok_.size() && Glued(u) && Glued(u + 1) &&
           (IsPunct(u, '/') || IsPunct(u, '-') || IsPunct(u, '.')) && IsPlainNumber(u + 1)) {
      char s = Text(u)[0];
      if (sep != 0 && s != sep) break;
      sep = s;
      g[count++] = u + 1;
      u += 2;
    }
    if (count < 2) return 0;
    if (u < tok_.size() && Glued(u) && (IsNumber(u) || IsWord(u) || IsPunct(u, '/') ||
                                        IsPunct(u, '-') || (IsPunct(u, '.') && IsNumber(u + 1)))) {
      return 0;
    }
    auto len = [&](int k) { return Text(g[k]).size(); };
    auto val = [&](int k) { return Value(g[k]); };
    if (count == 3) {
      if (len(0) == 4 && len(1) <= 2 && len(2) <= 2) {
        int y = val(0), m = val(1), d = val(2);
        if (y >= 1900 && y <= 2099 && ValidDate(y, m, d)) {
          EmitDate(t, u, y, m, d, 0.9f);
          return u;
        }
        return 0;
      }
      if (len(0) <= 2 && len(1) <= 2 && (len(2) == 4 || len(2) == 2)) {
        int a = val(0), b = val(1), y = val(2);
        if (len(2) == 2) y += y < 50 ? 2000 : 1900;
        // m/d when it is valid (the US reading), else d/m.
        if (sep != '.' && ValidDate(y, a, b)) {
          EmitDate(t, u, y, a, b, 0.85f);
          return u;
        }
        if (ValidDate(y, b, a)) {
          EmitDate(t, u, y, b, a, 0.85f);
          return u;
        }
      }
      return 0;
    }
    // Two groups: "6/24" only with '/' and a date word before.
    if (sep == '/' && len(0) <= 2 && len(1) <= 2 && DatePrepBefore(t)) {
      int a = val(0), b = val(1);
      if (ValidDate(0, a, b)) {
        EmitDate(t, u, 0, a, b, 0.6f);
        return u;
      }
      if (ValidDate(0, b, a)) {
        EmitDate(t, u, 0, b, a, 0.6f);
        return u;
      }
    }
    return 0;
  }

  // --- times ---
  // A time of day at number token t; returns the end token or 0.
  size_t TimeAt(size_t t) const {
    if (!IsPlainNumber(t) || Text(t).size() > 2) return 0;
    int h = Value(t);
    if (h > 24) return 0;
    size_t u = t + 1;
    // 12:45(:30)
    if (IsPunct(u, ':') && Glued(u) && IsPlainNumber(u + 1) && Glued(u + 1) &&
        Text(u + 1).size() == 2) {
      u += 2;
      if (IsPunct(u, ':') && Glued(u) && IsPlainNumber(u + 1) && Glued(u + 1) &&
          Text(u + 1).size() == 2) {
        u += 2;
      }
      if (size_t m = MeridiemAt(u)) return m;
      if (size_t m = DayPartAt(u)) return m;
      return u;
    }
    // 5 pm, 5pm, 5 o'clock
    if (size_t m = MeridiemAt(u); m != 0 && SameLine(u)) return m;
    // "9 05 in the morning", "7 25 p.m."
    if (IsPlainNumber(u) && Text(u).size() == 2 && SameLine(u) && h <= 12) {
      if (size_t m = MeridiemAt(u + 1)) return m;
      if (size_t m = DayPartAt(u + 1)) return m;
    }
    // "25 past 11", "20 to 2" (with a meridiem, a day part or "at" before)
    if ((WordIs(u, "past") || WordIs(u, "to")) && IsPlainNumber(u + 1) && Text(u + 1).size() <= 2 &&
        Value(u + 1) <= 24 && (h == 5 || h == 10 || h == 15 || h == 20 || h == 25 || h == 30)) {
      size_t e = u + 2;
      if (size_t m = MeridiemAt(e)) return m;
      if (size_t m = DayPartAt(e)) return m;
      if (WordIs(e, "night")) return e + 1;
      bool cue = t > 0 && (WordIs(t - 1, "at") || WordIs(t - 1, "from") ||
                           WordIs(t - 1, "between") || WordIs(t - 1, "until") ||
                           WordIs(t - 1, "till") || WordIs(t - 1, "and") || WordIs(t - 1, "by"));
      if (cue || WordIs(u, "past")) return e;
    }
    return 0;
  }

  // --- the dispatcher ---
  size_t Scan(size_t t) {
    const Token& tk = tok_[t];
    if (tk.kind == TokenKind::kNumber) return ScanNumber(t);
    if (tk.kind == TokenKind::kPunct) return ScanSymbol(t);
    return ScanWord(t);
  }

  size_t ScanNumber(size_t t) {
    if (size_t e = TimeAt(t)) {
      Emit(kTimeOfDay, t, e, 0.8f);
      return e;
    }
    if (size_t e = DayDate(t)) return e;
    // "8 weeks ago", "3 days from now"
    if (IsPlainNumber(t) && Kw(t + 1).kind == Kw::kUnit && SameLine(t + 1)) {
      if (WordIs(t + 2, "ago")) {
        EmitDate(t, t + 3, 0, 0, 0, 0.6f);
        return t + 3;
      }
      if (WordIs(t + 2, "from") && WordIs(t + 3, "now")) {
        EmitDate(t, t + 4, 0, 0, 0, 0.6f);
        return t + 4;
      }
    }
    // A year after a date word: "in 2019", "since 1998".
    if (int y = YearAt(t); y > 0 && t > 0 && Kw(t - 1).kind == Kw::kDatePrep &&
                           !WordIs(t - 1, "to") && !WordIs(t - 1, "for") &&
                           Kw(t + 1).kind != Kw::kCurrencyWord && !IsPunct(t + 1, '%')) {
      EmitDate(t, t + 1, y, 0, 0, 0.7f);
      return t + 1;
    }
    double value = 0;
    bool multiplied = false;
    size_t e = NumberAt(t, &value, &multiplied);
    if (e == 0) return t + 1;
    const char* code = "";
    if (size_t c = CurrencyAfter(e, &value, &code)) {
      std::string currency = code ? code : std::string(Text(c - 1));
      EmitPrice(t, c, value, currency, 0.9f);
      return c;
    }
    if (IsPunct(e, '%') && Glued(e)) {
      EntityFinding f;
      f.value = FormatValue(value);
      Emit(EntityType::kNumber, t, e + 1, 0.8f, std::move(f));
      return e + 1;
    }
    // A multiplier word: "5 thousand".
    if (Keyword k = Kw(e); k.kind == Kw::kMultiplier && !WordIs(e, "grand") && SameLine(e)) {
      value *= k.value;
      ++e;
    }
    if (MoneyCueBefore(t) && AmountMayEndBefore(e)) {
      EmitPrice(t, e, value, "", 0.6f);
      return e;
    }
    EntityFinding f;
    f.value = FormatValue(value);
    Emit(EntityType::kNumber, t, e, 0.8f, std::move(f));
    return e;
  }

  // "$8,882", "£27", "€ 40", "US$ 12".
  size_t ScanSymbol(size_t t) {
    const char* code = CurrencySymbol(Text(t));
    if (!code) return t + 1;
    size_t u = t + 1;
    if (u < tok_.size() && SameLine(u) && IsNumber(u)) {
      double value = 0;
      bool multiplied = false;
      size_t e = NumberAt(u, &value, &multiplied);
      if (e == 0) return t + 1;
      if (Keyword k = Kw(e); k.kind == Kw::kMultiplier && SameLine(e)) {
        value *= k.value;
        ++e;
      }
      EmitPrice(t, e, value, code, 0.9f);
      return e;
    }
    return t + 1;
  }

  size_t ScanWord(size_t t) {
    // "US$ 12", "A$5"
    if (const char* code = DollarPrefix(Text(t));
        code && IsPunct(t + 1, '$') && Glued(t + 1) && IsNumber(t + 2)) {
      double value = 0;
      bool multiplied = false;
      if (size_t e = NumberAt(t + 2, &value, &multiplied)) {
        EmitPrice(t, e, value, code, 0.9f);
        return e;
      }
    }
    // "USD 50"
    if (tok_[t].all_upper && Text(t).size() == 3 && IsNumber(t + 1) && SameLine(t + 1) &&
        (gaz_.Lookup(Text(t)) & EntityGazetteer::kCurrencyCode)) {
      double value = 0;
      bool multiplied = false;
      if (size_t e = NumberAt(t + 1, &value, &multiplied)) {
        EmitPrice(t, e, value, std::string(Text(t)), 0.9f);
        return e;
      }
    }
    Keyword k = Kw(t);
    switch (k.kind) {
      case Kw::kMonth:
        return MonthDate(t);
      case Kw::kWeekday: {
        // "Black Friday", "Cyber Monday": an event, left to the proper-noun scanner.
        if (t > 0 && tok_[t - 1].upper_initial && tok_[t - 1].kind == TokenKind::kWord &&
            Text(t - 1).size() + Text(t).size() < 40) {
          char buf[48];
          std::string_view prev = LowerAsciiInto(Text(t - 1), buf);
          std::string key(prev);
          key.push_back(' ');
          key.append(LowerAsciiInto(Text(t), buf));
          if (gaz_.Lookup(key) & EntityGazetteer::kEvent) return t + 1;
        }
        // "next Monday", "Monday, June 3rd", "on Monday".
        size_t a = t;
        if (t > 0 && Kw(t - 1).kind == Kw::kRelModifier && !WordIs(t - 1, "past")) a = t - 1;
        size_t e = t + 1;
        if (IsPunct(e, ',')) ++e;
        if (Kw(e).kind == Kw::kMonth) {
          size_t before = out_->size();
          size_t end = MonthDate(e);
          if (end != 0 && out_->size() > before) {
            EntityFinding f = std::move(out_->back());
            out_->pop_back();
            f.start = tok_[a].start;
            out_->push_back(std::move(f));
            return end;
          }
        }
        EmitDate(a, t + 1, 0, 0, 0, 0.75f);
        return t + 1;
      }
      case Kw::kRelDay: {
        // "the day after tomorrow"
        size_t a = t;
        if (t >= 3 && WordIs(t - 3, "the") && WordIs(t - 2, "day") &&
            (WordIs(t - 1, "after") || WordIs(t - 1, "before"))) {
          a = t - 3;
        }
        EmitDate(a, t + 1, 0, 0, 0, 0.7f);
        return t + 1;
      }
      case Kw::kRelModifier: {
        // "last week", "next month", "last night"
        Keyword n = Kw(t + 1);
        if (!WordIs(t, "past") && SameLine(t + 1) &&
            ((n.kind == Kw::kUnit && !(Text(t + 1).back() == 's')) ||
             (WordIs(t, "last") && WordIs(t + 1, "night")))) {
          EmitDate(t, t + 2, 0, 0, 0, 0.6f);
          return t + 2;
        }
        return t + 1;
      }
      case Kw::kDatePrep:
        // "in 7 days", "in two weeks"
        if (WordIs(t, "in") && SameLine(t + 1)) {
          size_t u = t + 1;
          double v;
          if (IsPlainNumber(u)) {
            ++u;
          } else if (size_t e = NumberWordsAt(u, &v)) {
            u = e;
          } else if (WordIs(u, "a") || WordIs(u, "one")) {
            ++u;
          } else {
            return t + 1;
          }
          if (Kw(u).kind == Kw::kUnit && SameLine(u)) {
            EmitDate(t, u + 1, 0, 0, 0, 0.6f);
            return u + 1;
          }
        }
        return t + 1;
      case Kw::kNumberWord:
      case Kw::kMultiplier: {
        double value = 0;
        size_t e = NumberWordsAt(t, &value);
        if (e == 0) return t + 1;
        const char* code = "";
        if (size_t c = CurrencyAfter(e, &value, &code)) {
          EmitPrice(t, c, value, code ? code : std::string(Text(c - 1)), 0.85f);
          return c;
        }
        // "quarter past" is handled as words; "five past 9" as a time.
        if ((WordIs(e, "past") || WordIs(e, "to")) && IsPlainNumber(e + 1) &&
            (MeridiemAt(e + 2) || DayPartAt(e + 2))) {
          size_t end = MeridiemAt(e + 2) ? MeridiemAt(e + 2) : DayPartAt(e + 2);
          Emit(kTimeOfDay, t, end, 0.7f);
          return end;
        }
        if (Kw(e).kind == Kw::kUnit && WordIs(e + 1, "ago")) {
          EmitDate(t, e + 2, 0, 0, 0, 0.6f);
          return e + 2;
        }
        EntityFinding f;
        f.value = FormatValue(value);
        Emit(EntityType::kNumber, t, e, 0.6f, std::move(f));
        return e;
      }
      default:
        break;
    }
    // "quarter past 9", "half past 10"
    if ((WordIs(t, "quarter") || WordIs(t, "half")) && WordIs(t + 1, "past") &&
        IsPlainNumber(t + 2)) {
      size_t e = t + 3;
      if (size_t m = MeridiemAt(e)) e = m;
      Emit(kTimeOfDay, t, e, 0.7f);
      return e;
    }
    return t + 1;
  }

  std::string_view text_;
  const std::vector<Token>& tok_;
  const EntityGazetteer& gaz_;
  std::vector<EntityFinding>* out_ = nullptr;
};

}  // namespace

std::string_view LowerAsciiInto(std::string_view s, char* buf) {
  for (size_t k = 0; k < s.size(); ++k) buf[k] = pii::ToLowerAscii(s[k]);
  return std::string_view(buf, s.size());
}

void FindQuantities(std::string_view text, const std::vector<pii::Token>& tokens,
                    const EntityGazetteer& gazetteer, std::vector<EntityFinding>* out) {
  QuantityScanner(text, tokens, gazetteer).Run(out);
}

}  // namespace parley::analysis::entities
