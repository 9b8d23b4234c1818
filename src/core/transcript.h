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
// The turns messages [from, end) add after the ones before them: CountTurns
// of the whole is CountTurns of messages [0, from) plus this.
int32_t CountTurnsFrom(const Conversation& conversation, int from);

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

// What TranscriptDurationMicros reads of the messages, so that it can be
// extended by appended messages instead of walking them all again.
struct TranscriptExtent {
  std::optional<int64_t> first_time, last_time, last_offset;
  // Adds message `m`.
  void Add(const Message& m);
  // TranscriptDurationMicros of `conversation` when its messages are the ones
  // added.
  std::optional<int64_t> Duration(const Conversation& conversation) const;
};

}  // namespace parley::core
