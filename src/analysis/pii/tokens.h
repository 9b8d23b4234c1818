// A light tokenizer for the scanners that reason about words (street
// addresses, person names): words, numbers and single punctuation marks,
// with what separates each from the previous token.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace parley::analysis::pii {

enum class TokenKind : uint8_t {
  kWord,    // starts with a letter; letters, digits, inner ' ’ - joining letters
  kNumber,  // starts with a digit; digits then letters ("12", "12B", "5th")
  kPunct,   // one other non-space character
};

struct Token {
  uint32_t start;
  uint32_t end;
  TokenKind kind;
  bool upper_initial = false;   // a word whose first letter is upper case
  bool all_upper = false;       // a word of two or more letters, all upper case
  bool space_before = false;    // whitespace between this and the previous token
  bool newline_before = false;  // that whitespace holds a line break

  std::string_view text(std::string_view s) const { return s.substr(start, end - start); }
};

// Replaces `*out` with the tokens of `text`.
void Tokenize(std::string_view text, std::vector<Token>* out);

}  // namespace parley::analysis::pii
