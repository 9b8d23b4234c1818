#include "analysis/intents/text_features.h"

#include <algorithm>

namespace parley::analysis::intents {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

// Seeds that keep the kinds of feature apart.
enum Kind : uint64_t { kWord = 1, kNgram = 2, kChar = 3, kPair = 11 };

uint64_t Fnv(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return h;
}

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z ? z : 1;
}

}  // namespace

void ExtractFeatures(std::string_view tokens, const FeatureOptions& options,
                     std::vector<uint64_t>* out) {
  // Word hashes of the sentence with its start and end markers, for n-grams
  // and pairs (which cover the first 254 tokens; unigrams and character
  // n-grams cover every token).
  uint64_t words[256];
  size_t n_words = 0;
  words[n_words++] = Fnv(kFnvOffset, "<s>");
  const int minn = options.min_char_ngram, maxn = options.max_char_ngram;
  char framed[66];
  for (size_t i = 0; i < tokens.size();) {
    size_t end = tokens.find(' ', i);
    if (end == std::string_view::npos) end = tokens.size();
    std::string_view token = tokens.substr(i, end - i);
    i = end + 1;
    if (token.empty()) continue;

    uint64_t h = Fnv(kFnvOffset, token);
    if (n_words < std::size(words) - 1) words[n_words++] = h;
    out->push_back(Mix(h ^ kWord));

    if (minn > 0 && token.size() + 2 <= sizeof framed) {
      framed[0] = '<';
      std::copy(token.begin(), token.end(), framed + 1);
      framed[token.size() + 1] = '>';
      const int len = static_cast<int>(token.size()) + 2;
      for (int start = 0; start < len; ++start) {
        uint64_t g = kFnvOffset ^ kChar;
        const int stop = std::min(len, start + maxn);
        for (int j = start; j < stop; ++j) {
          g = (g ^ static_cast<unsigned char>(framed[j])) * kFnvPrime;
          if (j - start + 1 >= minn) out->push_back(Mix(g));
        }
      }
    }
  }
  if (n_words == 1) return;  // no tokens, no features
  words[n_words++] = Fnv(kFnvOffset, "</s>");
  for (int n = 2; n <= options.word_ngrams; ++n) {
    for (size_t i = 0; i + n <= n_words; ++i) {
      uint64_t h = kNgram + n;
      for (int j = 0; j < n; ++j) h = Mix(h ^ words[i + j]);
      out->push_back(h);
    }
  }
  // Skip pairs between real words only (not the sentence markers).
  for (size_t i = 1; i + 1 < n_words; ++i) {
    for (size_t j = i + 2; j < n_words - 1 && j <= i + options.word_pair_window; ++j) {
      out->push_back(Mix(Mix(kPair ^ words[i]) ^ words[j]));
    }
  }
}

}  // namespace parley::analysis::intents
