// Text forms of the well-known types with a string JSON form, both ways:
// Timestamp (RFC 3339), Duration ("1.5s") and FieldMask ("a.bC,d", with
// protobuf util's camelCase/snake_case conversion of path segments).
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/protojson/protojson_internal.h"

namespace parley::protojson::internal {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr int64_t kTimestampMin = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kTimestampMax = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kDurationMax = 315576000000;

inline char* Put2(char* o, unsigned v) {
  *o++ = static_cast<char>('0' + v / 10);
  *o++ = static_cast<char>('0' + v % 10);
  return o;
}

// 0, 3, 6 or 9 fraction digits (with the dot), like protobuf's util.
inline char* PutNanos(char* o, int32_t nanos) {
  if (nanos == 0) return o;
  int digits = 9;
  uint32_t v = static_cast<uint32_t>(nanos);
  if (v % 1000000 == 0) {
    digits = 3;
    v /= 1000000;
  } else if (v % 1000 == 0) {
    digits = 6;
    v /= 1000;
  }
  *o++ = '.';
  for (int i = digits - 1; i >= 0; --i) {
    o[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return o + digits;
}

inline int Digits2(const char* p) {
  if (!IsDigit(p[0]) || !IsDigit(p[1])) return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

// protobuf util's ToSnakeCase (field mask paths, per segment).
void AppendSnake(std::string* out, std::string_view in) {
  bool was_not_underscore = false, was_not_cap = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c >= 'A' && c <= 'Z') {
      if (was_not_underscore &&
          (was_not_cap || (i + 1 < in.size() && in[i + 1] >= 'a' && in[i + 1] <= 'z'))) {
        out->push_back('_');
      }
      out->push_back(static_cast<char>(c + 32));
      was_not_underscore = true;
      was_not_cap = false;
    } else {
      out->push_back(c);
      was_not_underscore = c != '_';
      was_not_cap = true;
    }
  }
}

}  // namespace

void AppendTimestamp(Sink* out, int64_t seconds, int32_t nanos) {
  // Out-of-range values cannot be produced by Parse; they are written on a
  // best-effort basis (normalized nanos, years outside 1..9999 as is).
  if (nanos < 0 || nanos > 999999999) {
    seconds += nanos / 1000000000;
    nanos %= 1000000000;
    if (nanos < 0) {
      nanos += 1000000000;
      seconds -= 1;
    }
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  char* o = buf;
  *o++ = '"';
  if (y >= 0 && y <= 9999) {
    unsigned yy = static_cast<unsigned>(y);
    o = Put2(o, yy / 100);
    o = Put2(o, yy % 100);
  } else {
    o = std::to_chars(o, o + 24, y).ptr;
  }
  *o++ = '-';
  o = Put2(o, m);
  *o++ = '-';
  o = Put2(o, d);
  *o++ = 'T';
  unsigned r = static_cast<unsigned>(rem);
  o = Put2(o, r / 3600);
  *o++ = ':';
  o = Put2(o, r / 60 % 60);
  *o++ = ':';
  o = Put2(o, r % 60);
  o = PutNanos(o, nanos);
  *o++ = 'Z';
  *o++ = '"';
  out->append(buf, o - buf);
}

void AppendDuration(Sink* out, int64_t seconds, int32_t nanos) {
  // Mixed signs cannot be produced by Parse; write the sum.
  __int128 total = static_cast<__int128>(seconds) * 1000000000 + nanos;
  bool neg = total < 0;
  if (neg) total = -total;
  char buf[64];
  char* o = buf;
  *o++ = '"';
  if (neg) *o++ = '-';
  o = std::to_chars(o, o + 24, static_cast<uint64_t>(total / 1000000000)).ptr;
  o = PutNanos(o, static_cast<int32_t>(total % 1000000000));
  *o++ = 's';
  *o++ = '"';
  out->append(buf, o - buf);
}

// protobuf util's ToCamelCase (field mask paths, per segment).
void AppendCamel(std::string* out, std::string_view in) {
  bool capitalize_next = false, was_cap = true, is_cap = false, first_word = true;
  size_t start = out->size();
  for (size_t i = 0; i < in.size(); ++i, was_cap = is_cap) {
    char c = in[i];
    is_cap = c >= 'A' && c <= 'Z';
    auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; };
    if (c == '_') {
      capitalize_next = true;
      if (out->size() > start) first_word = false;
      continue;
    } else if (first_word) {
      if (out->size() > start && is_cap &&
          (!was_cap || (i + 1 < in.size() && in[i + 1] >= 'a' && in[i + 1] <= 'z'))) {
        first_word = false;
        out->push_back(c);
      } else {
        out->push_back(lower(c));
        continue;
      }
    } else if (capitalize_next) {
      capitalize_next = false;
      out->push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
      continue;
    } else {
      out->push_back(lower(c));
    }
  }
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM); range 0001-01-01T00:00:00Z
// to 9999-12-31T23:59:59.999999999Z.
bool ParseTimestamp(std::string_view s, int64_t* seconds, int32_t* nanos) {
  if (s.size() < 20) return false;
  const char* p = s.data();
  int y1 = Digits2(p), y2 = Digits2(p + 2);
  if (y1 < 0 || y2 < 0 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
      p[16] != ':')
    return false;
  int mo = Digits2(p + 5), d = Digits2(p + 8), h = Digits2(p + 11), mi = Digits2(p + 14),
      se = Digits2(p + 17);
  if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return false;
  int year = y1 * 100 + y2;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (d > kDays[mo - 1] + (mo == 2 && leap)) return false;
  size_t i = 19;
  int32_t ns = 0;
  if (s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (++digits > 9) return false;
      ns = ns * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) ns *= 10;
  }
  if (i >= s.size()) return false;
  int offset = 0;
  if (s[i] == 'Z') {
    if (i + 1 != s.size()) return false;
  } else if (s[i] == '+' || s[i] == '-') {
    if (i + 6 != s.size() || s[i + 3] != ':') return false;
    int oh = Digits2(p + i + 1), om = Digits2(p + i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = (oh * 60 + om) * 60;
    if (s[i] == '-') offset = -offset;
  } else {
    return false;
  }
  int64_t secs = DaysFromCivil(year, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                 h * 3600 + mi * 60 + se - offset;
  if (secs < kTimestampMin || secs > kTimestampMax) return false;
  *seconds = secs;
  *nanos = ns;
  return true;
}

// -?digits(.f{1,9})?s with |value| <= 315576000000.999999999s.
bool ParseDuration(std::string_view s, int64_t* seconds, int32_t* nanos) {
  size_t i = 0, n = s.size();
  if (n < 2 || s[n - 1] != 's') return false;
  --n;
  bool neg = s[0] == '-';
  if (neg) ++i;
  size_t start = i;
  int64_t secs = 0;
  while (i < n && IsDigit(s[i])) {
    secs = secs * 10 + (s[i] - '0');
    if (secs > kDurationMax) return false;
    ++i;
  }
  if (i == start) return false;
  int32_t ns = 0;
  if (i < n && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < n && IsDigit(s[i])) {
      if (++digits > 9) return false;
      ns = ns * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) ns *= 10;
  }
  if (i != n) return false;
  *seconds = neg ? -secs : secs;
  *nanos = neg ? -ns : ns;
  return true;
}

// "a.bC,d" → paths {"a.b_c", "d"}; "" → no paths.
bool ParseFieldMask(std::string_view s, std::vector<std::string>* paths) {
  paths->clear();
  if (s.empty()) return true;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view path = s.substr(start, comma == s.npos ? s.npos : comma - start);
    std::string snake;
    size_t seg = 0;
    while (true) {
      size_t dot = path.find('.', seg);
      std::string_view part = path.substr(seg, dot == path.npos ? path.npos : dot - seg);
      if (part.empty()) return false;
      for (char c : part)
        if (!(IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
          return false;
      AppendSnake(&snake, part);
      if (dot == path.npos) break;
      snake.push_back('.');
      seg = dot + 1;
    }
    paths->push_back(std::move(snake));
    if (comma == s.npos) break;
    start = comma + 1;
  }
  return true;
}

}  // namespace parley::protojson::internal
