#include "analysis/phrases/tokenize.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <vector>

namespace parley::analysis::phrases {
namespace {

DecodedChar Classify(UChar32 c, uint8_t length) {
  DecodedChar d{};
  d.length = length;
  if (u_isUWhiteSpace(c)) {
    d.kind = CharKind::kSpace;
    return d;
  }
  const uint32_t gc = U_GET_GC_MASK(c);
  if (gc & U_GC_CF_MASK) {
    d.kind = CharKind::kIgnore;
    return d;
  }
  if (!(gc & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK))) {
    d.kind = CharKind::kSeparator;
    return d;
  }
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &status);
  const bool single = u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
                      (U_SUCCESS(status) && (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA));
  d.kind = single ? CharKind::kSingle : CharKind::kWord;
  const UChar32 folded = u_foldCase(c, U_FOLD_CASE_DEFAULT);
  int32_t n = 0;
  U8_APPEND_UNSAFE(d.folded, n, folded);
  d.folded_length = static_cast<uint8_t>(n);
  return d;
}

// Two-byte sequences (U+0080..U+07FF: Latin, Greek, Cyrillic, Hebrew,
// Arabic, ...) are common in transcripts; classify them once.
const std::vector<DecodedChar>& TwoByteTable() {
  static const std::vector<DecodedChar>* table = [] {
    auto* t = new std::vector<DecodedChar>(0x800);
    for (UChar32 c = 0x80; c < 0x800; ++c) (*t)[c] = Classify(c, 2);
    return t;
  }();
  return *table;
}

}  // namespace

DecodedChar DecodeNonAscii(const char* p, const char* end) {
  const auto* s = reinterpret_cast<const uint8_t*>(p);
  const auto available = static_cast<int32_t>(std::min<ptrdiff_t>(end - p, 4));
  if (available >= 2 && s[0] >= 0xC2 && s[0] <= 0xDF && (s[1] & 0xC0) == 0x80) {
    return TwoByteTable()[((s[0] & 0x1F) << 6) | (s[1] & 0x3F)];
  }
  int32_t i = 0;
  UChar32 c;
  U8_NEXT(s, i, available, c);
  if (c < 0) {
    DecodedChar d{};
    d.kind = CharKind::kSeparator;
    d.length = 1;
    return d;
  }
  return Classify(c, static_cast<uint8_t>(i));
}

}  // namespace parley::analysis::phrases
