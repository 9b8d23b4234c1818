// Facts derived from a conversation's messages.
#pragma once

#include <cstdint>
#include <optional>

#include "parley/conversation.pb.h"

namespace parley::core {

// Number of turns: maximal runs of consecutive messages from the same speaker
// (the same participant, or the same channel when messages name no
// participant). An empty transcript has 0 turns.
int32_t CountTurns(const Conversation& conversation);

// Length of the conversation as its messages show it: from the start time (or
// the first message time) to the last message time, or to the last spoken
// word's end offset for recordings. Empty when the messages carry no timing.
std::optional<int64_t> TranscriptDurationMicros(const Conversation& conversation);

}  // namespace parley::core
