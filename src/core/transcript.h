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

// The channel a message was said on, as Insights' `channelTag` names it: the
// message's own channel; else its participant's; else, for chats (which
// have no audio channels), the channel of the participant's role — the
// conversation's `call_channels` agent or customer channel, or by default 1
// for agents (human, automated or any) and 2 for end users, the convention
// of ElevateAI's two-channel calls (docs/adr/0029). 0 when none of these
// is known.
int32_t SpeakerChannel(const Conversation& conversation, const Message& message);

// Length of the conversation as its messages show it: from the start time (or
// the first message time) to the last message time, or to the last spoken
// word's end offset for recordings. Empty when the messages carry no timing.
std::optional<int64_t> TranscriptDurationMicros(const Conversation& conversation);

}  // namespace parley::core
