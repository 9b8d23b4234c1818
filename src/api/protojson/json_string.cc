// JSON strings and bytes for the proto3 JSON codec: escaping like
// protobuf's JSON writer, UTF-8 decoding and validation, base64 for bytes
// fields (both directions), and quoting of untrusted text in error messages.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "api/protojson/protojson_internal.h"

namespace parley::protojson::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes that need a look: controls, '"', '<', '>', '\\', DEL and non-ASCII.
struct EscapeTable {
  bool special[256];
  constexpr EscapeTable() : special() {
    for (int c = 0; c < 256; ++c)
      special[c] = c < 0x20 || c == '"' || c == '<' || c == '>' || c == '\\' || c >= 0x7f;
  }
};
constexpr EscapeTable kEscape;

void AppendU16(Sink* out, uint32_t u) {
  char b[6] = {'\\', 'u', kHex[(u >> 12) & 15], kHex[(u >> 8) & 15], kHex[(u >> 4) & 15],
               kHex[u & 15]};
  out->append(b, 6);
}

// Decodes one UTF-8 sequence at s[i] (s[i] >= 0x80). Returns its length, or 0
// when it is not valid UTF-8 (overlong forms, surrogates and values above
// U+10FFFF are invalid).
inline int DecodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  if (c < 0xc2) return 0;
  if (c < 0xe0) {
    if (i + 1 >= n || (s[i + 1] & 0xc0) != 0x80) return 0;
    *cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
    return 2;
  }
  if (c < 0xf0) {
    if (i + 2 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80) return 0;
    uint32_t v = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
    if (v < 0x800 || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80 ||
        (s[i + 3] & 0xc0) != 0x80)
      return 0;
    uint32_t v = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) | ((s[i + 2] & 0x3fu) << 6) |
                 (s[i + 3] & 0x3fu);
    if (v < 0x10000 || v > 0x10ffff) return 0;
    *cp = v;
    return 4;
  }
  return 0;
}

// Code points at or above 0x80 that protobuf's JSON writer escapes (C1
// controls and invisible formatting characters), as \uXXXX.
inline bool EscapesCodePoint(uint32_t cp) {
  if (cp < 0xa0) return true;
  switch (cp) {
    case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb: case 0x00ad: case 0x06dd:
    case 0x070f: case 0x17b4: case 0x17b5:
      return true;
    default:
      break;
  }
  return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x206a && cp <= 0x206f) || cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) ||
         (cp >= 0xe0020 && cp <= 0xe007f);
}

// Length of the prefix of s[i..n) that needs no escaping.
inline size_t PlainRun(const unsigned char* s, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i lim = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i del = _mm_set1_epi8(0x7f);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // Signed compare: bytes >= 0x80 are negative, so this catches both
    // controls and non-ASCII.
    __m128i m = _mm_cmplt_epi8(v, lim);
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, quote));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, bslash));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, lt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, gt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, del));
    int mask = _mm_movemask_epi8(m);
    if (mask != 0) return i + __builtin_ctz(mask);
    i += 16;
  }
#endif
  while (i < n && !kEscape.special[s[i]]) ++i;
  return i;
}

}  // namespace

// Appends s as a quoted JSON string, escaping like protobuf's JSON writer.
// Invalid UTF-8 is replaced by U+FFFD.
void AppendEscaped(Sink* out, std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const size_t n = str.size();
  out->push_back('"');
  size_t i = 0;
  while (true) {
    size_t j = PlainRun(s, i, n);
    out->append(str.data() + i, j - i);
    i = j;
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendU16(out, c); break;  // controls, '<', '>', DEL
      }
      ++i;
      continue;
    }
    uint32_t cp;
    int len = DecodeUtf8(s, n, i, &cp);
    if (len == 0) {
      out->append("\xef\xbf\xbd");
      ++i;
      continue;
    }
    if (EscapesCodePoint(cp)) {
      if (cp >= 0x10000) {
        uint32_t v = cp - 0x10000;
        AppendU16(out, 0xd800 + (v >> 10));
        AppendU16(out, 0xdc00 + (v & 0x3ff));
      } else {
        AppendU16(out, cp);
      }
    } else {
      out->append(str.data() + i, len);
    }
    i += len;
  }
  out->push_back('"');
}

void AppendBase64(Sink* out, std::string_view in) {
  static constexpr char kB64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  char* o = out->Reserve(2 + (n + 2) / 3 * 4);
  *o++ = '"';
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = kB64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{s[i]} << 16;
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8);
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = '=';
  }
  *o++ = '"';
  out->Commit(o);
}

// Strict UTF-8 check with an ASCII fast path.
bool ValidUtf8(std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const size_t n = str.size();
  size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    while (i + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      if (_mm_movemask_epi8(v) != 0) break;
      i += 16;
    }
#endif
    while (i < n && s[i] < 0x80) ++i;
    if (i >= n) break;
    uint32_t cp;
    int len = DecodeUtf8(s, n, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Base64, standard or URL-safe alphabet (not mixed), padding optional.
bool DecodeBase64(std::string_view in, std::string* out) {
  static constexpr auto kTable = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 26; ++i) {
      t['A' + i] = static_cast<int8_t>(i);
      t['a' + i] = static_cast<int8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(52 + i);
    t['+'] = 62;
    t['/'] = 63;
    t['-'] = 62;
    t['_'] = 63;
    return t;
  }();
  size_t n = in.size();
  size_t pad = 0;
  while (pad < 2 && n > 0 && in[n - 1] == '=') {
    --n;
    ++pad;
  }
  if (n % 4 == 1) return false;
  if (pad > 0 && (n + pad) % 4 != 0) return false;
  bool std_alpha = false, url_alpha = false;
  out->clear();
  out->reserve(n * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    int8_t v = kTable[c];
    if (v < 0) return false;
    if (c == '+' || c == '/') std_alpha = true;
    if (c == '-' || c == '_') url_alpha = true;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return !(std_alpha && url_alpha);
}

// A quoted, escaped, length-capped rendering of untrusted text for messages.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 200;
  std::string out;
  bool cut = s.size() > kMax;
  if (cut) {
    s = s.substr(0, kMax);
    // Do not cut inside a UTF-8 sequence.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xc0) == 0x80) s.remove_suffix(1);
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xc0) s.remove_suffix(1);
  }
  {
    Sink sink(&out);
    AppendEscaped(&sink, s);
  }
  if (cut) out.insert(out.size() - 1, "...");
  return out;
}

}  // namespace parley::protojson::internal

namespace parley::protojson {

bool IsValidUtf8(std::string_view text) { return internal::ValidUtf8(text); }

}  // namespace parley::protojson
