// Byte-level helpers shared by the PII scanners. Text is UTF-8; every offset
// is a byte offset. Non-ASCII code points are classified coarsely: letters
// of any script count as word characters, common Unicode spaces and
// punctuation (U+00A0..U+00BF, U+2000..U+206F, U+3000..U+303F) do not.
#pragma once

#include <cstddef>
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace parley::analysis::pii {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsAsciiAlpha(char c) { return IsAsciiUpper(c) || IsAsciiLower(c); }
inline bool IsAsciiAlnum(char c) { return IsDigit(c) || IsAsciiAlpha(c); }
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline char ToLowerAscii(char c) { return IsAsciiUpper(c) ? static_cast<char>(c + 32) : c; }
inline char ToUpperAscii(char c) { return IsAsciiLower(c) ? static_cast<char>(c - 32) : c; }
inline bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

// Eight bytes at a time: the eight bytes at `p`, in memory order.
inline uint64_t LoadBytes8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
// Bytes [from, end) of `text`, at most eight, zero-padded, first byte
// lowest: a key part for a word. Read as one word where the text allows (no
// store to reload: a word assembled in memory byte by byte and read back as
// one stalls).
inline uint64_t KeyPart(std::string_view text, size_t from, size_t end) {
  if (from >= end) return 0;
  const size_t len = end - from;
  if (len >= 8) return LoadBytes8(text.data() + from);
  if (std::endian::native == std::endian::little && from + 8 <= text.size()) {
    return LoadBytes8(text.data() + from) & ((uint64_t{1} << (8 * len)) - 1);
  }
  uint64_t x = 0;
  for (size_t k = 0; k < len; ++k) x |= uint64_t{static_cast<uint8_t>(text[from + k])} << (8 * k);
  return x;
}
inline constexpr uint64_t kHighBits8 = 0x8080808080808080ull;
// The high bit of each byte of `x` that lies in [lo, hi] (ASCII bounds, lo
// >= 1; a byte >= 0x80 never does), every other bit clear.
inline uint64_t BytesInRange8(uint64_t x, unsigned char lo, unsigned char hi) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  const uint64_t low7 = x & ~kHighBits8;
  const uint64_t at_least_lo = low7 + kOnes * (0x80u - lo);  // no carry between bytes
  const uint64_t above_hi = low7 + kOnes * (0x7Fu - hi);
  return at_least_lo & ~above_hi & ~x & kHighBits8;
}
inline uint64_t BytesEqual8(uint64_t x, unsigned char c) { return BytesInRange8(x, c, c); }

// Decodes the code point starting at `i` (which must be a lead byte); sets
// `*len` to its length in bytes. Malformed input decodes as U+FFFD, length 1.
uint32_t DecodeUtf8(std::string_view text, size_t i, size_t* len);

// Start of the code point that ends just before byte `i` (i > 0).
size_t PrevCodePointStart(std::string_view text, size_t i);

// Whether a non-ASCII code point reads as part of a word (a letter or mark).
bool IsWordCodePoint(uint32_t cp);

// Whether the character starting at byte `i` is a word character (ASCII
// letter or digit, '_', or a non-ASCII letter). False at the end of text.
bool IsWordCharAt(std::string_view text, size_t i);

// Whether the character ending just before byte `i` is a word character.
// False at the start of text.
bool IsWordCharBefore(std::string_view text, size_t i);

// Whether the code point at `i` is an upper-case letter (ASCII, Latin-1,
// Latin Extended-A/B, Greek or Cyrillic).
bool IsUpperAt(std::string_view text, size_t i);

// Cue words near a span, for context-dependent detectors ("call me at",
// "SSN:", "born on"). Looks at up to `max_words` ASCII words, lower-cased,
// within `max_bytes` before `start` (BeforeHasCue) or after `end`
// (AfterHasCue); a word matches a cue when equal to it.
// Digit groups joined by single separator characters: "4111 1111 1111",
// "12/06/1990". Parsing stops at the first character that is neither a digit
// nor a separator followed by a digit, or after kMaxGroups groups.
struct DigitGroups {
  static constexpr int kMaxGroups = 12;
  int count = 0;
  int digits = 0;
  bool more = false;  // stopped at kMaxGroups with another group following
  uint32_t start[kMaxGroups];
  uint32_t end[kMaxGroups];
  char sep[kMaxGroups];  // the separator before group k; sep[0] = 0
};
// `text[i]` must be a digit. Returns the end of the last group.
size_t ParseDigitGroups(std::string_view text, size_t i, std::string_view separators,
                        DigitGroups* groups);

// The value of up to 9 digits.
int DigitsValue(std::string_view digits);

// A fixed set of lower-case words, looked up ignoring the case of ASCII and
// Latin-1 letters, without allocating.
class WordSet {
 public:
  template <size_t N>
  explicit WordSet(const std::string_view (&words)[N]) {
    for (std::string_view w : words) {
      set_.insert(absl::string_view(w.data(), w.size()));
      if (w.size() > max_) max_ = w.size();
      const char c = w.empty() ? 0 : w[0];
      if (c >= 'a' && c <= 'z') {
        lengths_[c - 'a'] |= 1u << std::min<size_t>(w.size(), 31);
      } else {
        lengths_all_ = true;  // a word not starting with a-z: no prefilter
      }
    }
  }
  WordSet(const WordSet&) = delete;
  WordSet& operator=(const WordSet&) = delete;

  bool Contains(std::string_view word) const;

 private:
  absl::flat_hash_set<absl::string_view> set_;
  size_t max_ = 0;
  // By first letter, the lengths (bit n; 31: 31 or more) of the words:
  // most words are out before any hashing.
  uint32_t lengths_[26] = {};
  bool lengths_all_ = false;
};

// Lower-cases ASCII and Latin-1 capitals of `word` into `buf` (which must
// hold word.size() bytes).
std::string_view LowerInto(std::string_view word, char* buf);

using CueList = std::span<const std::string_view>;
bool BeforeHasCue(std::string_view text, size_t start, int max_words, size_t max_bytes,
                  CueList cues);
bool AfterHasCue(std::string_view text, size_t end, int max_words, size_t max_bytes, CueList cues);

}  // namespace parley::analysis::pii
