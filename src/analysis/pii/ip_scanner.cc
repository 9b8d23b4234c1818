// IP_ADDRESS: dotted-quad IPv4 (octets 0-255, no leading zeros) and IPv6 in
// full, compressed ("fe80::1", "::1") and IPv4-suffixed ("::ffff:10.0.0.1")
// forms. A version-like IPv4 after "version"/"v" is not an address.
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kIpCues[] = {"ip", "ipv4", "ipv6", "address", "addr", "host",
                                        "server", "client", "gateway", "dns", "router"};
constexpr std::string_view kVersionCues[] = {"version", "v", "ver", "release", "build"};

// Parses an IPv4 address exactly spanning [s, e).
bool IsIpv4(std::string_view text, size_t s, size_t e) {
  int octets = 0;
  size_t i = s;
  while (i < e) {
    size_t d = i;
    int v = 0;
    while (i < e && IsDigit(text[i]) && i - d < 3) v = v * 10 + (text[i++] - '0');
    size_t len = i - d;
    if (len == 0 || v > 255 || (len > 1 && text[d] == '0')) return false;
    ++octets;
    if (i == e) break;
    if (text[i] != '.' || octets == 4) return false;
    ++i;
  }
  return octets == 4 && i == e && text[e - 1] != '.';
}

// Parses an IPv6 address exactly spanning [s, e).
bool IsIpv6(std::string_view text, size_t s, size_t e) {
  int groups = 0;
  bool compressed = false;
  size_t i = s;
  if (e - s >= 2 && text[s] == ':' && text[s + 1] == ':') {
    compressed = true;
    i += 2;
    if (i == e) return false;  // "::" alone
  } else if (text[s] == ':') {
    return false;
  }
  while (i < e) {
    size_t g = i;
    while (i < e && IsHexDigit(text[i]) && i - g < 5) ++i;
    if (i < e && text[i] == '.') {  // an IPv4 tail counts as two groups
      if (!IsIpv4(text, g, e)) return false;
      groups += 2;
      i = e;
      break;
    }
    size_t len = i - g;
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == e) break;
    if (text[i] != ':') return false;
    ++i;
    if (i < e && text[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
    } else if (i == e) {
      return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

}  // namespace

void FindIpv4Addresses(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    const size_t s = i;
    while (i < n && (IsDigit(text[i]) || (text[i] == '.' && i + 1 < n && IsDigit(text[i + 1])))) {
      ++i;
    }
    if (IsWordCharBefore(text, s) || IsWordCharAt(text, i)) continue;
    if (s > 0 && (text[s - 1] == '.' || text[s - 1] == ':')) continue;
    if (i < n && text[i] == ':' && i + 1 < n && IsHexDigit(text[i + 1])) continue;  // IPv6 tail
    if (!IsIpv4(text, s, i)) continue;
    if (BeforeHasCue(text, s, 1, 12, kVersionCues)) continue;
    bool cue = BeforeHasCue(text, s, 4, 40, kIpCues);
    out->push_back({InfoType::kIpAddress, s, i, cue ? 0.9f : 0.75f});
  }
}

void FindIpv6Addresses(std::string_view text, std::vector<Finding>* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    char c = text[i];
    if (!IsHexDigit(c) && c != ':') {
      ++i;
      continue;
    }
    const size_t s = i;
    int colons = 0;
    while (i < n && (IsHexDigit(text[i]) || text[i] == ':' || text[i] == '.')) {
      colons += text[i] == ':';
      ++i;
    }
    if (colons < 2) continue;
    size_t e = i;
    while (e > s && text[e - 1] == '.') --e;  // sentence end
    if (e - s >= 2 && text[e - 1] == ':' && text[e - 2] != ':') --e;
    if (IsWordCharBefore(text, s) || IsWordCharAt(text, i)) continue;
    if (!IsIpv6(text, s, e)) continue;
    out->push_back({InfoType::kIpAddress, s, e, 0.9f});
  }
}

}  // namespace parley::analysis::pii
