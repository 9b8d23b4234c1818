// Where a message's words (ASR word timings) sit in its text.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "parley/conversation.pb.h"

namespace parley::analysis::pii {

using ByteSpan = std::pair<size_t, size_t>;  // [first, second)

// The byte span of each of `words` in `text`, found in order, each word
// after the previous one with only whitespace and punctuation between. An
// empty word gets an empty span at the current position. nullopt when a word
// cannot be placed so (the words were normalised differently from the text).
std::optional<std::vector<ByteSpan>> WordSpans(
    std::string_view text, const google::protobuf::RepeatedPtrField<core::WordInfo>& words);

// The index of the word holding byte `offset` of the message's text (or the
// first word after it): over `words` when they align with the text, else
// over the text's whitespace-separated tokens. -1 when there is none.
int WordIndexAt(const core::Message& message, size_t offset);

}  // namespace parley::analysis::pii
