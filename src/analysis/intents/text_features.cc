#include "analysis/intents/text_features.h"

#include <algorithm>
#include <cstring>

namespace parley::analysis::intents {
namespace {

// Seeds that keep the kinds of feature apart (random 64-bit constants).
constexpr uint64_t kWordSeed = 0x243F6A8885A308D3ull;
constexpr uint64_t kCharSeed = 0x13198A2E03707344ull;
constexpr uint64_t kLongCharSeed = 0xA4093822299F31D0ull;
constexpr uint64_t kNgramSeed = 0x082EFA98EC4E6C89ull;  // + n
constexpr uint64_t kNgramNext = 0x452821E638D01377ull;
constexpr uint64_t kPairFirst = 0xBE5466CF34E90C6Cull;
constexpr uint64_t kPairSecond = 0xC0AC29B7C97C50DDull;

// One 64 x 64 -> 128-bit multiply, both halves folded together: every
// output bit depends on every input bit. (a, b) and (b, a) differ once the
// two are xored with different seeds.
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

inline uint64_t Hash(uint64_t x, uint64_t seed) { return Mum(x ^ seed, 0xD6E8FEB86659FD93ull); }

inline uint64_t NonZero(uint64_t h) { return h != 0 ? h : 1; }

// The first `n` <= 8 bytes at p (which has 8 readable bytes), little-endian,
// zero above: tokens never contain a 0 byte (it is whitespace), so the value
// also says how long the bytes are.
inline uint64_t Load(const char* p, int n) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if (n < 8) w &= (uint64_t{1} << (8 * n)) - 1;
  return w;
}

// Any byte string: 8 bytes at a time.
uint64_t HashBytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed ^ bytes.size();
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, bytes.data() + i, std::min<size_t>(8, bytes.size() - i));
    h = Hash(w, h);
  }
  return h;
}

// The character n-grams of minn..maxn bytes of framed[0..len), into *o.
// framed has 16 readable bytes past len; maxn <= 12.
template <int kMin, int kMax>
inline uint64_t* CharGrams(const char* framed, int len, int minn, int maxn, uint64_t* o) {
  constexpr bool kFixed = kMin > 0;
  if constexpr (kFixed) {
    minn = kMin;
    maxn = kMax;
  }
  int start = 0;
  if (maxn <= 8) {
    // Every start with room for all lengths: one 8-byte load, one multiply each.
    for (; start + maxn <= len; ++start) {
      uint64_t w;
      std::memcpy(&w, framed + start, 8);
      for (int n = minn; n <= maxn; ++n) {
        *o++ = NonZero(Hash(w & ((uint64_t{1} << (8 * n)) - 1), kCharSeed));
      }
    }
  }
  for (; start + minn <= len; ++start) {
    const char* p = framed + start;
    const int stop = std::min(len - start, maxn);
    for (int n = minn; n <= stop; ++n) {
      *o++ = NonZero(n <= 8 ? Hash(Load(p, n), kCharSeed)
                            : Hash(Load(p, 8), Hash(Load(p + 8, n - 8), kLongCharSeed)));
    }
  }
  return o;
}

}  // namespace

size_t ExtractFeatures(std::string_view tokens, const FeatureOptions& options, uint64_t* out) {
  // Word hashes of the sentence with its start and end markers, for n-grams
  // and pairs (which cover the first 254 tokens; unigrams and character
  // n-grams cover every token).
  uint64_t words[256];
  size_t n_words = 0;
  words[n_words++] = HashBytes("<s>", kWordSeed);
  const int minn = options.min_char_ngram, maxn = options.max_char_ngram;
  const bool default_grams = minn == 3 && maxn == 5;
  // "<token>", then 16 zero bytes so that 8-byte loads may run past the end.
  char framed[66 + 16];
  uint64_t* o = out;
  for (size_t i = 0; i < tokens.size();) {
    size_t end = tokens.find(' ', i);
    if (end == std::string_view::npos) end = tokens.size();
    std::string_view token = tokens.substr(i, end - i);
    i = end + 1;
    if (token.empty()) continue;

    const bool fits = token.size() + 2 <= 66;
    const int len = static_cast<int>(token.size()) + 2;
    uint64_t h;
    if (fits) {
      framed[0] = '<';
      std::memcpy(framed + 1, token.data(), token.size());
      framed[token.size() + 1] = '>';
      std::memset(framed + len, 0, 16);
      // HashBytes(token), its 8-byte words read from the frame.
      h = kWordSeed ^ token.size();
      for (int k = 0; k < len - 2; k += 8) h = Hash(Load(framed + 1 + k, std::min(8, len - 2 - k)), h);
    } else {
      h = HashBytes(token, kWordSeed);
    }
    if (n_words < std::size(words) - 1) words[n_words++] = h;
    *o++ = NonZero(h);
    if (fits && minn > 0) {
      o = default_grams ? CharGrams<3, 5>(framed, len, minn, maxn, o)
                        : CharGrams<0, 0>(framed, len, minn, maxn, o);
    }
  }
  if (n_words > 1) {
    words[n_words++] = HashBytes("</s>", kWordSeed);
    for (int n = 2; n <= options.word_ngrams; ++n) {
      for (size_t i = 0; i + n <= n_words; ++i) {
        uint64_t h = words[i] ^ (kNgramSeed + n);
        for (int j = 1; j < n; ++j) h = Mum(h, words[i + j] ^ kNgramNext);
        *o++ = NonZero(h);
      }
    }
    // Skip pairs between real words only (not the sentence markers).
    for (size_t i = 1; i + 1 < n_words; ++i) {
      const uint64_t first_word = words[i] ^ kPairFirst;
      for (size_t j = i + 2; j < n_words - 1 && j <= i + options.word_pair_window; ++j) {
        *o++ = NonZero(Mum(first_word, words[j] ^ kPairSecond));
      }
    }
  }
  return static_cast<size_t>(o - out);
}

size_t MaxFeatures(size_t token_bytes, const FeatureOptions& options) {
  // Per token byte, one word and (maxn - minn + 1) character n-grams, and
  // as many for the 2 frame bytes of a token of one byte; per word,
  // word_ngrams - 1 n-grams and word_pair_window pairs, plus the markers'.
  const size_t grams = options.max_char_ngram > 0
                           ? static_cast<size_t>(options.max_char_ngram - options.min_char_ngram + 1)
                           : 0;
  return token_bytes * (1 + 3 * grams) +
         static_cast<size_t>(options.word_ngrams + options.word_pair_window) * (token_bytes / 2 + 3);
}

void ExtractFeatures(std::string_view tokens, const FeatureOptions& options,
                     std::vector<uint64_t>* out) {
  const size_t first = out->size();
  out->resize(first + MaxFeatures(tokens.size(), options));
  out->resize(first + ExtractFeatures(tokens, options, out->data() + first));
}

}  // namespace parley::analysis::intents
