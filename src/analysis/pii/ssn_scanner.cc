// US_SOCIAL_SECURITY_NUMBER: AAA-GG-SSSS with the SSA's validity rules (see
// SsnValid). The dashed form is distinctive enough on its own; the spaced
// ("123 45 6789") and bare ("123456789") forms need an SSN word nearby
// ("SSN", "social security", "SS#", ...).
#include "analysis/pii/checksums.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kSsnCues[] = {"ssn", "ssns", "social", "ss", "ssa", "taxpayer", "tin"};

}  // namespace

void FindSocialSecurityNumbers(std::string_view text, std::vector<Finding>* out) {
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
    if (g.more) continue;
    if (IsWordCharBefore(text, start) || IsWordCharAt(text, end)) continue;
    if (start >= 2 && (text[start - 1] == '.' || text[start - 1] == '-') && IsDigit(text[start - 2]))
      continue;
    if (end + 1 < n && text[end] == '.' && IsDigit(text[end + 1])) continue;

    std::string_view area, group, serial;
    char sep = 0;
    if (g.count == 3 && g.sep[1] == g.sep[2] && g.end[0] - g.start[0] == 3 &&
        g.end[1] - g.start[1] == 2 && g.end[2] - g.start[2] == 4) {
      area = text.substr(g.start[0], 3);
      group = text.substr(g.start[1], 2);
      serial = text.substr(g.start[2], 4);
      sep = g.sep[1];
    } else if (g.count == 1 && g.digits == 9) {
      area = text.substr(start, 3);
      group = text.substr(start + 3, 2);
      serial = text.substr(start + 5, 4);
    } else {
      continue;
    }
    if (!SsnValid(DigitsValue(area), DigitsValue(group), DigitsValue(serial))) continue;
    bool cue = BeforeHasCue(text, start, 6, 60, kSsnCues);
    if (sep != '-' && !cue) continue;
    out->push_back({InfoType::kUsSocialSecurityNumber, start, end, cue ? 0.9f : 0.6f});
  }
}

}  // namespace parley::analysis::pii
