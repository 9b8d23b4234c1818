// EMAIL_ADDRESS: local@domain.tld, anchored on each '@'. The local part is
// the RFC 5322 dot-atom subset people write (letters, digits, . _ % + - ');
// the domain needs two or more labels and an alphabetic TLD of 2+ letters.
// Each '@' extends left and right only over characters that are not '@', so
// the scan is linear.
#include <cstring>

#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

bool IsLocalChar(char c) {
  return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}
bool IsLabelChar(char c) { return IsAsciiAlnum(c) || c == '-'; }

}  // namespace

void FindEmailAddresses(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  const char* base = text.data();
  size_t from = 0;
  while (from < n) {
    const void* hit = std::memchr(base + from, '@', n - from);
    if (hit == nullptr) break;
    const size_t at = static_cast<const char*>(hit) - base;
    from = at + 1;

    size_t s = at;
    while (s > 0 && IsLocalChar(text[s - 1])) --s;
    while (s < at && (text[s] == '.' || text[s] == '\'')) ++s;  // "...john" / quoted 'john
    if (s == at || text[at - 1] == '.') continue;
    if (s > 0 && IsWordCharBefore(text, s)) continue;  // "naïve@..." cut mid-word

    // Domain: labels separated by single dots; remember the last full label.
    size_t e = at + 1, last_label = e, end = 0;
    int labels = 0;
    while (true) {
      size_t l = e;
      while (e < n && IsLabelChar(text[e])) ++e;
      if (e == l || text[l] == '-' || text[e - 1] == '-') break;
      ++labels;
      last_label = l;
      end = e;
      if (e + 1 < n && text[e] == '.' && IsLabelChar(text[e + 1])) {
        ++e;
        continue;
      }
      break;
    }
    if (labels < 2) continue;
    if (end < n && (IsWordCharAt(text, end) || text[end] == '@')) continue;
    // The TLD: letters only, 2 to 24 of them.
    size_t tld_len = end - last_label;
    if (tld_len < 2 || tld_len > 24) continue;
    bool alpha = true;
    for (size_t k = last_label; k < end; ++k) alpha &= IsAsciiAlpha(text[k]);
    if (!alpha) continue;
    out->push_back({InfoType::kEmailAddress, s, end, 0.9f});
    from = end;
  }
}

}  // namespace parley::analysis::pii
