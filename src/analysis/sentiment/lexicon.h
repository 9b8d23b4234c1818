// Lexicon: what the sentiment scorer knows about single words and short
// phrases — valence, whether a word negates, intensifies or contrasts — in
// one hash lookup per token.
//
// Built once from VADER's lexicon and emoji-emotion's emoji list (both
// embedded at build time, see lexicon_gen.cc) plus Parley's own tables in
// lexicon.cc (negators, degree adverbs, idioms, and words that customer
// conversations use but VADER lacks). Immutable after construction, so one
// instance is shared by every thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace parley::analysis {

// Scalar added to a following word's |valence| by an intensifier ("very"),
// subtracted by a dampener ("slightly"); VADER's empirically derived 0.293.
inline constexpr float kBoosterStep = 0.293f;

// What a word does. A word can carry several flags ("no" has a valence and
// negates the next word).
enum WordFlag : uint32_t {
  kNegator = 1 << 0,           // not, never, without, n't, ...
  kContrast = 1 << 1,          // but, however: the clause after it weighs more
  kLeast = 1 << 2,             // "least good" is negative; "at least" is not
  kNever = 1 << 3,             // "never so good" intensifies instead of negating
  kSoThis = 1 << 4,            // the "so"/"this" of "never so good"
  kDropBeforeSentiment = 1 << 5,  // own valence ignored when it modifies a sentiment
                                  // word ("no good", "pretty bad", "super easy")
  kLikeVerb = 1 << 6,          // "like": sentiment only as a verb (after a subject)
  kLikeSubject = 1 << 7,       // words after which "like" is a verb (I, you, would, ...)
  kIrrealis = 1 << 8,          // what follows in the clause is hypothetical ("if",
                               // "would have been", "wish")
  kToo = 1 << 9,               // "too" before a word: excess, a complaint ("too small")
  kClauseCue = 1 << 10,        // starts a new clause even without punctuation ("and",
                               // "because", "thanks", "okay"): ends a negation's scope
  kSubject = 1 << 11,          // a subject pronoun ("i", "it's", "they"): in unpunctuated
                               // speech the start of a new clause, so it ends a negation's
                               // scope unless a raising verb came first
  kRaising = 1 << 12,          // "think", "believe", "feel": "I don't think it's great"
                               // negates the clause that follows
  kAtAll = 1 << 13,            // "at all": emphasises the negation around it
  kAnaphor = 1 << 14,          // "so", "way", "same" ending "I don't think so", "I do not
                               // feel that way": the sentence negates the one before it
  kDiscourse = 1 << 15,        // "okay", "yeah", "yes", "sure", "alright": an answer or a
                               // backchannel in conversation, sentiment only as a predicate
                               // ("it's okay", "not okay", "that's alright")
  kLinking = 1 << 16,          // "is", "it's", "seems", "sounds": makes a discourse word
                               // after it a predicate
  kOpener = 1 << 17,           // "well": a discourse marker (no sentiment) when it opens a
                               // sentence or follows an interjection ("oh well", "well I ...")
  kInterjection = 1 << 18,     // "oh", "uh", "um", "so", "look": before an opener, it is
                               // still the opening of the turn
};

// A multi-word unit recognised before scoring: an idiom with a valence of its
// own ("waste of money"), a multi-word degree adverb ("kind of"), or a
// multi-word negator ("no longer").
struct Phrase {
  std::vector<std::string_view> words;  // lower case; words[0] is the key it is found by
  float valence = 0;   // idiom valence, 0 if none
  float booster = 0;   // degree-adverb scalar, 0 if none
  uint32_t flags = 0;  // WordFlag bits the phrase as a whole carries
};

struct WordInfo {
  float valence = 0;          // [-4, 4]; 0 = no sentiment of its own
  float negated_valence = 0;  // valence when negated, for words that carry sentiment
                              // only then ("doesn't work"); 0 if none
  float booster = 0;          // +kBoosterStep intensifier, -kBoosterStep dampener, 0 none
  uint32_t flags = 0;         // WordFlag bits
  uint16_t phrase_begin = 0;  // phrases starting with this word: phrases()[begin, begin+count)
  uint16_t phrase_count = 0;  // longest first
};

class Lexicon {
 public:
  // The lexicon every scorer uses by default. Thread-safe; built on first use.
  static const Lexicon& Default();

  Lexicon();
  Lexicon(const Lexicon&) = delete;
  Lexicon& operator=(const Lexicon&) = delete;

  // What the lexicon knows about `lower_word` (lower case, as the tokenizer
  // produces it), or nullptr when it knows nothing.
  const WordInfo* Find(std::string_view lower_word) const {
    auto it = words_.find(absl::string_view(lower_word.data(), lower_word.size()));
    return it == words_.end() ? nullptr : &it->second;
  }

  const std::vector<Phrase>& phrases() const { return phrases_; }
  size_t size() const { return words_.size(); }

 private:
  WordInfo& Entry(std::string_view word);
  void AddPhrase(std::string_view text, float valence, float booster, uint32_t flags);

  absl::flat_hash_map<absl::string_view, WordInfo> words_;
  std::vector<Phrase> phrases_;
};

}  // namespace parley::analysis
