// CREDIT_CARD_NUMBER: 13-19 digits, contiguous or in groups of 3+ joined by
// one consistent space or dash, starting with a known issuer prefix for that
// length and passing the Luhn check. After a card word ("card", "visa", ...)
// the issuer prefix is not required (an issuer we do not list, or a test
// number; the word supplies the evidence the prefix would), and Maestro's
// 12-digit numbers count too. When a run of groups is longer
// than a card (a card followed by a quantity), its longest valid prefix of
// whole groups is taken.
#include <array>

#include "analysis/pii/checksums.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kCardCues[] = {
    "card",     "cards",  "cc",      "credit",  "debit", "visa",   "mastercard", "amex",
    "maestro",  "jcb",    "diners",  "discover", "unionpay", "cvv", "expiry",     "expires",
    "pan",      "charge", "payment", "pay"};

}  // namespace

void FindCreditCardNumbers(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    DigitGroups g;
    size_t end = ParseDigitGroups(text, i, " -", &g);
    i = end;
    if (g.more) {  // an endless run of digit groups: skip it whole
      while (i < n && (IsDigit(text[i]) || text[i] == ' ' || text[i] == '-')) ++i;
      continue;
    }
    if (g.digits < 12) continue;
    if (IsWordCharBefore(text, start)) continue;
    if (start >= 2 && (text[start - 1] == '.' || text[start - 1] == '-') && IsDigit(text[start - 2]))
      continue;

    // Groups must share one separator and have 3+ digits each.
    int usable = 1;
    while (usable < g.count && g.sep[usable] == g.sep[1] &&
           g.end[usable - 1] - g.start[usable - 1] >= 3) {
      ++usable;
    }
    if (usable > 1 && g.end[usable - 1] - g.start[usable - 1] < 3) --usable;

    std::array<char, 24> buf;
    std::array<int, DigitGroups::kMaxGroups> digits_through{};
    int d = 0;
    for (int k = 0; k < usable; ++k) {
      for (uint32_t p = g.start[k]; p < g.end[k] && d < 24; ++p) buf[d++] = text[p];
      digits_through[k] = d;
    }
    bool cue_known = false, cue = false;
    for (int k = usable - 1; k >= 0; --k) {
      int len = digits_through[k];
      if (len < 12) break;
      if (len > 19) continue;
      size_t span_end = g.end[k];
      if (IsWordCharAt(text, span_end)) continue;
      std::string_view digits(buf.data(), static_cast<size_t>(len));
      if (!LuhnValid(digits)) continue;
      if (!cue_known) {
        cue = BeforeHasCue(text, start, 6, 60, kCardCues);
        cue_known = true;
      }
      const bool known_prefix = KnownCardPrefix(digits);
      if (!known_prefix && !(cue && len >= 13)) continue;
      if (len == 12 && (!cue || !known_prefix)) continue;
      out->push_back({InfoType::kCreditCardNumber, start, span_end, cue ? 0.9f : 0.7f});
      break;
    }
  }
}

}  // namespace parley::analysis::pii
