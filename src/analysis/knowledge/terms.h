// The terms a knowledge base is indexed and searched by: the phrase
// matcher's Unicode tokens (case-folded, punctuation splits), English function
// words dropped, and each remaining token reduced to its Porter stem (the
// summarizer's libstemmer stemmer), so that "refunds", "refunded" and
// "refund" are one term.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::analysis::knowledge {

// Appends the terms of `text`, in order, to `*out`. Thread-safe.
void AppendTerms(std::string_view text, std::vector<std::string>* out);

// True if `folded_token` (as phrases::Tokenize folds it) is a function word
// or courtesy word that is never indexed ("the", "to", "please", "hi").
bool IsKnowledgeStopword(std::string_view folded_token);

}  // namespace parley::analysis::knowledge
