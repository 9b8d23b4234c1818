// Word normalisation shared by phrase queries and transcripts, so that a
// phrase and the text it is matched against are cut and case-folded by the
// same rules.
//
// A text is split twice:
//  - into *words* at white space. Word indices are what a phrase match
//    reports; they agree with Message.words when a message has them (each
//    WordInfo is one word) and with the message's white-space tokens when it
//    has none (see proto/parley/analysis.proto).
//  - each word into *tokens*: maximal runs of letters, marks and digits.
//    Punctuation separates tokens ("cancel," -> "cancel"; "don't" -> "don",
//    "t"), and so does each Han, Hiragana or Katakana character (those
//    scripts put no spaces between words, so each character is a token).
//    Format characters (soft hyphen, zero-width joiner, ...) are dropped.
//
// Token bytes are case-folded: ASCII by table, other code points by
// Unicode simple case folding (ICU u_foldCase), so "ÉCOLE" and "école", or
// "ΣΟΦΌΣ" and "σοφός", fold alike. Invalid UTF-8 bytes separate tokens.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace parley::analysis::phrases {

// How a code point takes part in tokenisation.
enum class CharKind : uint8_t {
  kSpace,      // ends a word (and a token)
  kSeparator,  // ends a token
  kWord,       // part of a token
  kSingle,     // a token by itself (ideographs, kana)
  kIgnore,     // dropped without ending a token (format characters)
};

// One decoded non-ASCII code point.
struct DecodedChar {
  CharKind kind;
  uint8_t length;         // bytes consumed, >= 1
  uint8_t folded_length;  // bytes in `folded` (kWord, kSingle)
  char folded[4];         // UTF-8 of the simple case folding
};

// Decodes and classifies the code point starting at `p` (*p >= 0x80).
// An invalid or truncated sequence is a one-byte kSeparator.
DecodedChar DecodeNonAscii(const char* p, const char* end);

namespace internal {
// ASCII byte classes: kAsciiSpace, kAsciiSeparator, kNonAscii, or the folded
// byte itself for letters and digits (all >= '0').
inline constexpr uint8_t kAsciiSpace = 1;
inline constexpr uint8_t kAsciiSeparator = 0;
inline constexpr uint8_t kNonAscii = 2;
constexpr std::array<uint8_t, 256> MakeByteTable() {
  std::array<uint8_t, 256> t{};
  for (int b = 0; b < 256; ++b) {
    if (b >= 0x80) {
      t[b] = kNonAscii;
    } else if (b >= 'a' && b <= 'z') {
      t[b] = static_cast<uint8_t>(b);
    } else if (b >= 'A' && b <= 'Z') {
      t[b] = static_cast<uint8_t>(b - 'A' + 'a');
    } else if (b >= '0' && b <= '9') {
      t[b] = static_cast<uint8_t>(b);
    } else if (b == ' ' || (b >= '\t' && b <= '\r')) {
      t[b] = kAsciiSpace;
    } else {
      t[b] = kAsciiSeparator;
    }
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kByteTable = MakeByteTable();
}  // namespace internal

// The folded form of an ASCII letter or digit.
inline uint8_t FoldAscii(char c) { return internal::kByteTable[static_cast<uint8_t>(c)]; }

// Splits `text` into words and tokens, reporting to `sink`:
//   sink.BeginWord()            a new white-space word starts
//   sink.BeginToken(size_t raw) a token starts at byte `raw` of `text`
//   sink.Byte(uint8_t folded)   the next byte of the token's folded form
//   sink.AsciiRun(const char* begin, const char* end)
//                               the next bytes of the token are ASCII
//                               letters and digits; their folded form is
//                               FoldAscii of each
//   sink.EndToken(size_t raw)   the token ends before byte `raw`
// Every BeginToken is followed by at least one byte (Byte or AsciiRun) and
// then EndToken. AsciiRun lets a sink keep its state in registers over the
// common case.
template <typename Sink>
void Tokenize(std::string_view text, Sink& sink) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  bool in_word = false;
  bool in_token = false;
  while (p < end) {
    const uint8_t c = internal::kByteTable[static_cast<uint8_t>(*p)];
    if (c >= '0') {  // ASCII letters and digits: the fast path
      if (!in_word) {
        sink.BeginWord();
        in_word = true;
      }
      if (!in_token) {
        sink.BeginToken(static_cast<size_t>(p - begin));
        in_token = true;
      }
      const char* q = p + 1;
      while (q < end && internal::kByteTable[static_cast<uint8_t>(*q)] >= '0') ++q;
      sink.AsciiRun(p, q);
      p = q;
      continue;
    }
    CharKind kind;
    DecodedChar d;
    if (c == internal::kNonAscii) {
      d = DecodeNonAscii(p, end);
      kind = d.kind;
    } else {
      kind = c == internal::kAsciiSpace ? CharKind::kSpace : CharKind::kSeparator;
      d.length = 1;
    }
    const size_t at = static_cast<size_t>(p - begin);
    switch (kind) {
      case CharKind::kSpace:
        if (in_token) sink.EndToken(at);
        in_token = false;
        in_word = false;
        break;
      case CharKind::kSeparator:
        if (!in_word) {
          sink.BeginWord();
          in_word = true;
        }
        if (in_token) sink.EndToken(at);
        in_token = false;
        break;
      case CharKind::kIgnore:
        if (!in_word) {
          sink.BeginWord();
          in_word = true;
        }
        break;
      case CharKind::kWord:
      case CharKind::kSingle:
        if (!in_word) {
          sink.BeginWord();
          in_word = true;
        }
        if (in_token && kind == CharKind::kSingle) {
          sink.EndToken(at);
          in_token = false;
        }
        if (!in_token) {
          sink.BeginToken(at);
          in_token = true;
        }
        for (int i = 0; i < d.folded_length; ++i) sink.Byte(static_cast<uint8_t>(d.folded[i]));
        if (kind == CharKind::kSingle) {
          sink.EndToken(at + d.length);
          in_token = false;
        }
        break;
    }
    p += d.length;
  }
  if (in_token) sink.EndToken(text.size());
}

}  // namespace parley::analysis::phrases
