// The sparse features the intent classifier sees: hashed word n-grams and
// character n-grams of normalised text (see text_normalizer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace parley::analysis::intents {

struct FeatureOptions {
  // 1 = words only, 2 = words and bigrams, 3 = and trigrams. N-grams beyond
  // unigrams include sentence-start and sentence-end markers.
  int word_ngrams = 2;
  // Character n-grams of each token framed as "<token>", of these lengths in
  // bytes; min_char_ngram = 0 turns them off. Tokens longer than 64 bytes
  // (not words) get none.
  int min_char_ngram = 2;
  int max_char_ngram = 5;
  // Pairs of words (in order) that are 2 to `word_pair_window` positions
  // apart, for cues that are not adjacent ("card ... arrive"); 0 = none.
  int word_pair_window = 0;
};

// Appends to *out one 64-bit hash per feature occurrence of `tokens` (the
// space-separated output of NormalizeText); a feature occurring twice is
// appended twice. Hashes are never 0, are the same on every platform, and
// differ between kinds (a word, a bigram and a character n-gram with the
// same bytes hash differently). Nothing for text without tokens. Pure and
// thread-safe.
void ExtractFeatures(std::string_view tokens, const FeatureOptions& options,
                     std::vector<uint64_t>* out);

// The same into out[0..), which has room for MaxFeatures(tokens.size(),
// options) hashes (for callers that keep a buffer); returns how many.
size_t ExtractFeatures(std::string_view tokens, const FeatureOptions& options, uint64_t* out);
size_t MaxFeatures(size_t token_bytes, const FeatureOptions& options);

}  // namespace parley::analysis::intents
