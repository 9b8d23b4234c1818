// SentimentScorer: lexicon-and-rules sentiment of a piece of text, in the
// manner of VADER (Hutto & Gilbert, 2014) and Google Natural Language's
// score/magnitude.
//
// Each word or emoji/emoticon the lexicon knows gets a valence on [-4, 4],
// then the rules around it adjust that valence:
//   - negation by a negator up to four words before it ("not good", "didn't
//     work", "never", "without", "no longer") whose scope has not ended: a
//     clause boundary, "but", a clause cue ("and", "because", "thanks") or a
//     subject pronoun ("i", "it's") ends it, so unpunctuated speech is scoped
//     too; after a raising verb ("I don't think it's great") it runs on six
//     words; a negated negative word is weak praise ("not bad": x -0.3, a
//     positive one x -0.74); "at all" strengthens the negation; a sentence
//     that only disowns the one before it ("I do not feel that way.")
//     negates that sentence;
//   - degree adverbs before it: intensifiers ("very", "extremely") raise
//     |valence|, dampeners ("slightly", "kind of") lower it;
//   - "least" negates ("the least helpful"), "at least" does not;
//   - a word in ALL CAPS, when the text also has words that are not,
//     is emphasised, and so is a degree adverb in ALL CAPS;
//   - "but"/"however" inside a sentence halves what comes before and
//     raises what comes after by half;
//   - idioms and fixed phrases have valences of their own ("waste of money",
//     "couldn't be happier", "the bomb");
//   - "!" (up to four) and "??" emphasise the sentence they end.
//
// Output: `score` in [-1, 1] = S / sqrt(S^2 + 15), S the sum of the final
// valences; `magnitude` >= 0 = sum of |final valences| / 4, the amount of
// emotion in units of one strongly emotional word — it grows with length.
// The explanation lists every token that contributed and its final valence,
// in text order; the sum of the valences is S.
#pragma once

#include <string_view>
#include <vector>

#include "analysis/sentiment/lexicon.h"
#include "parley/analysis.pb.h"

namespace parley::analysis {

// S / sqrt(S^2 + alpha): VADER's normalisation of a valence sum to [-1, 1].
inline constexpr float kScoreAlpha = 15.0f;
// Magnitude is the sum of |valence| divided by this (the lexicon's extreme).
inline constexpr float kMagnitudeUnit = 4.0f;

class SentimentScorer {
 public:
  // Uses `lexicon`, which must outlive the scorer.
  explicit SentimentScorer(const Lexicon& lexicon = Lexicon::Default());

  SentimentScorer(const SentimentScorer&) = delete;
  SentimentScorer& operator=(const SentimentScorer&) = delete;

  // Scores UTF-8 `text`. Empty or neutral text scores 0 with magnitude 0.
  // When `explain` is not null it is cleared and receives one entry per
  // contributing token (its text as written, its final valence) plus one per
  // sentence whose "!"/"?" emphasis counted (token "!", "!!", "??", ...).
  //
  // Sarcasm — praise that opens a sentence and stands alone or introduces a
  // complaint ("Great, another hour on hold. Just great.", "Oh wonderful!")
  // — turns the text's positive valences negative. With `agent`, apologies
  // are politeness: "sorry", "apologise", "inconvenience", "afraid" carry
  // no negative valence ("I'm sorry to hear that").
  //
  // Thread-safe: any number of threads may call Score on one scorer. Does no
  // allocation in steady state unless `explain` is given (each thread reuses
  // its own scratch buffers).
  core::Sentiment Score(std::string_view text,
                        std::vector<core::SentimentContribution>* explain = nullptr,
                        bool agent = false) const;

  // The raw valence sum S behind Score(text).score, for evaluations that
  // want an unbounded value.
  float RawSum(std::string_view text) const;

 private:
  struct Result {
    float sum = 0;
    float abs_sum = 0;
  };
  Result Compute(std::string_view text, std::vector<core::SentimentContribution>* explain, bool agent) const;

  const Lexicon& lexicon_;
};

}  // namespace parley::analysis
