// ExtractKeyPhrases: the key phrases (topics) of a conversation.
//
// Candidates are runs of one to three content words (no stopword, courtesy
// word or number, no punctuation inside) in sentences that are not small
// talk. A word weighs log2(1 + its count) times 1.25 when more than one
// speaker uses it; a phrase scores its count^0.8 times the mean weight of its
// words, times 1.3 for two words and 1.4 for three, halved for a phrase of
// several words seen only once. Phrases are taken best first; one whose
// words are a subset or superset of a chosen phrase's is skipped, except
// that a longer phrase seen at least twice replaces a chosen shorter one when
// it covers at least half of the shorter one's uses ("credit card" over "card"). Each phrase is
// shown in its most frequent written form, lower-cased unless it was
// capitalised mid-sentence (names, acronyms).
#pragma once

#include <vector>

#include "analysis/summary/conversation_text.h"
#include "parley/analysis.pb.h"

namespace parley::analysis::summary {

struct KeyPhraseOptions {
  int max_phrases = 8;
  // Phrases scoring below this share of the best one are left out.
  double min_relative_score = 0.1;
};

// At most max_phrases phrases, best first, scores relative to the best
// (which scores 1). Deterministic; thread-safe.
std::vector<core::KeyPhrase> ExtractKeyPhrases(const ConversationText& text, const KeyPhraseOptions& options = {});

}  // namespace parley::analysis::summary
