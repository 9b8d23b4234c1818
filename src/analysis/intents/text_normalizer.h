// How an utterance becomes the tokens the intent classifier sees.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::analysis::intents {

enum class TextNormalization {
  // Split on whitespace only; text is otherwise left as it is.
  kNone = 0,
  // ASCII lower-case; curly apostrophes and quotes made straight; every ASCII
  // punctuation character its own token, except an apostrophe inside a word
  // ("hasn't" stays one token); each run of digits becomes the token "0"
  // followed by its length, capped at 9 ("£250.00" -> "£ 0 3 . 0 2"), so
  // amounts and dates generalise across their values. Other UTF-8 is kept.
  kDefault = 1,
};

// The stable name written into model files ("none", "default") and parsed
// back; nullopt for an unknown name.
std::string_view TextNormalizationName(TextNormalization normalization);
std::optional<TextNormalization> ParseTextNormalization(std::string_view name);

// Returns `text` as space-separated tokens, never with leading, trailing or
// repeated spaces, and never with a token that fastText would read as a
// label. Empty when `text` has no tokens. Pure and thread-safe.
std::string NormalizeText(std::string_view text, TextNormalization normalization);
// The same into *out (replacing its contents, reusing its capacity).
void NormalizeText(std::string_view text, TextNormalization normalization, std::string* out);

}  // namespace parley::analysis::intents
