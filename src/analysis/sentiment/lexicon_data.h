// The lexicons embedded at build time (see lexicon_gen.cc). Only lexicon.cc
// reads these tables; everything else goes through Lexicon.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley::analysis::sentiment_data {

struct LexiconEntry {
  std::string_view token;  // lower-case UTF-8
  float valence;
};

// VADER's lexicon: valence in [-4, 4] (mean of ten human ratings).
extern const LexiconEntry kVaderLexicon[];
extern const size_t kVaderLexiconSize;

// emoji-emotion: polarity in [-5, 5], emoji without variation selectors.
extern const LexiconEntry kEmojiPolarity[];
extern const size_t kEmojiPolaritySize;

}  // namespace parley::analysis::sentiment_data
