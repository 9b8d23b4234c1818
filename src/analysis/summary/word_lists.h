// The English word lists the summarizer and the key-phrase extractor share.
// Words are given case-folded, as phrases::Tokenize produces them
// ("don't" arrives as "don" and "t").
#pragma once

#include <string_view>

namespace parley::analysis::summary {

// Function words, contraction pieces, fillers ("um", "yeah") and verbs too
// general to say what a conversation is about ("get", "want", "know").
bool IsStopword(std::string_view folded_token);

// Words of greeting, thanks, politeness and call handling ("hello",
// "thanks", "welcome", "calling", "moment"): they carry the small talk that a
// summary leaves out, and are never topics.
bool IsSocialWord(std::string_view folded_token);

}  // namespace parley::analysis::summary
