// Page tokens: core::PageTokenCodec::Decode of arbitrary text (which must be
// refused unless it is a token this key made for this query), and the
// Encode -> Decode round trip of arbitrary cursors, whose token must be
// refused for another query and when any character is changed.
#include <cstring>

#include "core/page_token.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  static const parley::core::PageTokenCodec codec("0123456789abcdef-fuzz-key");
  const std::string_view text = parley::fuzz::AsText(data, size);
  auto decoded = codec.Decode(text, "tenant|filter|order");
  if (!decoded.ok()) FUZZ_CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);

  // The first 8 bytes (when there are) are the sort value, the rest the id.
  parley::core::ListCursor cursor;
  if (size >= 8) {
    std::memcpy(&cursor.sort_value, data, 8);
    cursor.id = std::string(text.substr(8));
  } else {
    cursor.id = std::string(text);
  }
  const std::string token = codec.Encode(cursor, "fp");
  auto back = codec.Decode(token, "fp");
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->sort_value == cursor.sort_value && back->id == cursor.id);
  FUZZ_CHECK(!codec.Decode(token, "fp2").ok());
  std::string altered = token;
  // Not the last character: some of its bits may be padding that decoding drops.
  size_t at = size == 0 ? 0 : data[0] % (altered.size() - 1);
  altered[at] = altered[at] == 'A' ? 'B' : 'A';
  FUZZ_CHECK(!codec.Decode(altered, "fp").ok());
  return 0;
}
