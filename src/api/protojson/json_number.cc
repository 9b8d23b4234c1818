// Numbers for the proto3 JSON codec: doubles and floats printed like
// protobuf's SimpleDtoa/SimpleFtoa, and JSON number or string text read into
// doubles, floats and integers with util's range rules.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "api/protojson/protojson_internal.h"

namespace parley::protojson::internal {
namespace {

// printf("%.*g", precision, v) for finite v, given v's shortest round-trip
// digits when they number at most `precision` (then %.Pg prints exactly those
// digits, in %g layout).
bool AppendGFromShortest(Sink* out, const char* sci, const char* end, int precision) {
  // sci: "[-]d[.ddd]e[+-]xx" (shortest scientific form).
  const char* p = sci;
  bool neg = *p == '-';
  if (neg) ++p;
  char digits[20];
  int k = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') {
      if (k == 20) return false;
      digits[k++] = *p;
    }
  }
  if (k > precision || p == end) return false;
  ++p;  // 'e'
  bool eneg = *p == '-';
  ++p;
  int x = 0;
  for (; p < end; ++p) x = x * 10 + (*p - '0');
  if (eneg) x = -x;
  char buf[48];
  char* o = buf;
  if (neg) *o++ = '-';
  if (x < -4 || x >= precision) {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      for (int i = 1; i < k; ++i) *o++ = digits[i];
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) {
      *o++ = static_cast<char>('0' + ax / 100);
      ax %= 100;
      *o++ = static_cast<char>('0' + ax / 10);
      *o++ = static_cast<char>('0' + ax % 10);
    } else {
      *o++ = static_cast<char>('0' + ax / 10);
      *o++ = static_cast<char>('0' + ax % 10);
    }
  } else if (x >= 0) {
    for (int i = 0; i <= x; ++i) *o++ = i < k ? digits[i] : '0';
    if (k > x + 1) {
      *o++ = '.';
      for (int i = x + 1; i < k; ++i) *o++ = digits[i];
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; ++i) *o++ = '0';
    for (int i = 0; i < k; ++i) *o++ = digits[i];
  }
  out->append(buf, o - buf);
  return true;
}

bool IsIntegerLiteral(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!IsDigit(s[i])) return false;
  return true;
}

}  // namespace

// Like protobuf's SimpleDtoa: %.15g if that round-trips, else %.17g.
//
// For normal numbers, %.15g round-trips exactly when the shortest round-trip
// form has at most 15 digits (DBL_DIG), and then prints those very digits, so
// the fast shortest conversion decides. Subnormals have fewer significant
// bits and take the slow path.
void AppendDouble(Sink* out, double v) {
  char buf[40];
  if (std::fabs(v) >= std::numeric_limits<double>::min() || v == 0) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (AppendGFromShortest(out, buf, r.ptr, 15)) return;
  } else {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 15);
    double back;
    auto b = std::from_chars(buf, r.ptr, back);
    if (b.ec == std::errc() && back == v) {
      out->append(buf, r.ptr - buf);
      return;
    }
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  out->append(buf, r.ptr - buf);
}

// Like protobuf's SimpleFtoa: %.6g if that round-trips as a float, else %.9g
// (FLT_DIG = 6; same reasoning as above). Its round-trip check (strtof with
// errno) always fails for subnormals, so those always get %.9g.
void AppendFloat(Sink* out, float v) {
  char buf[40];
  if (std::fabs(v) >= std::numeric_limits<float>::min() || v == 0) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (AppendGFromShortest(out, buf, r.ptr, 6)) return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(v), std::chars_format::general, 9);
  out->append(buf, r.ptr - buf);
}

// JSON number grammar, except that leading zeros are allowed.
bool LooksLikeNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  size_t d = i;
  while (i < n && IsDigit(s[i])) ++i;
  if (i == d) return false;
  if (i < n && s[i] == '.') {
    ++i;
    d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == n;
}

// Text of a JSON number (validated grammar) to double. Overflow is an error;
// underflow gives (signed) zero, like strtod.
bool TextToDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return std::isfinite(*out);
  if (r.ec != std::errc::result_out_of_range) return false;
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isinf(v)) return false;
  *out = v;
  return true;
}

// protobuf util's double → float check: out-of-range values are refused,
// except those that round to ±FLT_MAX.
bool DoubleToFloat(double d, float* out) {
  if (!std::isfinite(d)) {
    *out = static_cast<float>(d);
    return true;
  }
  constexpr double kMax = std::numeric_limits<float>::max();
  if (d > kMax || d < -kMax) {
    double half = d * 0.5;
    if (half < kMax && half > -kMax) {
      const float half_fmax = std::numeric_limits<float>::max() * 0.5f;
      float half_after = static_cast<float>(half);
      if (half_after <= half_fmax && half_after >= -half_fmax) {
        *out = half_after + half_after;
        return true;
      }
    }
    return false;
  }
  *out = static_cast<float>(d);
  return true;
}

// Integer from a JSON number's text: exact integers directly, others through
// double when the value is integral and in range (1e2 → 100, 1.5 refused).
template <typename T>
bool NumberToInt(std::string_view s, T* out) {
  if (IsIntegerLiteral(s)) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
    if (r.ec == std::errc::result_out_of_range) return false;
    // "-0" for unsigned types.
    if (s == "-0") {
      *out = 0;
      return true;
    }
    return false;
  }
  double d;
  if (!TextToDouble(s, &d)) return false;
  if (d != std::trunc(d)) return false;
  // Bounds as doubles: [min, 2^bits) exclusive of the top.
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = std::is_signed_v<T> ? -lo : 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1);
  if (d < lo || d >= hi) return false;
  *out = static_cast<T>(d);
  return true;
}

// Integer from a JSON string: an integer literal only ("12", "-3").
template <typename T>
bool StringToInt(std::string_view s, T* out) {
  if (!IsIntegerLiteral(s)) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
  if (r.ec != std::errc::result_out_of_range && std::is_unsigned_v<T> &&
      s.find_first_not_of("-0") == std::string_view::npos) {
    *out = 0;  // "-0"
    return true;
  }
  return false;
}

template bool NumberToInt<int32_t>(std::string_view, int32_t*);
template bool NumberToInt<uint32_t>(std::string_view, uint32_t*);
template bool NumberToInt<int64_t>(std::string_view, int64_t*);
template bool NumberToInt<uint64_t>(std::string_view, uint64_t*);
template bool StringToInt<int32_t>(std::string_view, int32_t*);
template bool StringToInt<uint32_t>(std::string_view, uint32_t*);
template bool StringToInt<int64_t>(std::string_view, int64_t*);
template bool StringToInt<uint64_t>(std::string_view, uint64_t*);

}  // namespace parley::protojson::internal
