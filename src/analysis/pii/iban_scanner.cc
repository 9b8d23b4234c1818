// IBAN_CODE: country code, two check digits and the BBAN, exactly as long as
// the country's IBAN (checksums.cc), written contiguously or in groups
// separated by single spaces, either case; the mod-97 check must pass.
#include <array>

#include "analysis/pii/checksums.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {

void FindIbans(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  for (size_t i = 0; i + 15 <= n; ++i) {
    if (!IsAsciiAlpha(text[i]) || !IsAsciiAlpha(text[i + 1]) || !IsDigit(text[i + 2]) ||
        !IsDigit(text[i + 3])) {
      continue;
    }
    if (IsWordCharBefore(text, i)) continue;
    const int length = IbanLength(text.substr(i, 2));
    if (length == 0) continue;
    std::array<char, 34> buf;
    int have = 0;
    size_t p = i;
    while (p < n && have < length) {
      char c = text[p];
      if (IsAsciiAlnum(c)) {
        buf[have++] = c;
        ++p;
      } else if (c == ' ' && have >= 4 && p + 1 < n && IsAsciiAlnum(text[p + 1])) {
        ++p;
      } else {
        break;
      }
    }
    if (have != length || IsWordCharAt(text, p)) continue;
    if (!IbanValid(std::string_view(buf.data(), static_cast<size_t>(length)))) continue;
    out->push_back({InfoType::kIbanCode, i, p, 0.9f});
    i = p - 1;
  }
}

}  // namespace parley::analysis::pii
