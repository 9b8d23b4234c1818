#include "core/transcript.h"

#include <algorithm>
#include <string>

namespace parley::core {

int32_t CountTurnsFrom(const Conversation& conversation, int from) {
  int32_t turns = 0;
  const auto& messages = conversation.messages();
  const Message* previous = from > 0 && from <= messages.size() ? &messages[from - 1] : nullptr;
  for (int i = std::max(from, 0); i < messages.size(); ++i) {
    const Message& m = messages[i];
    bool same_speaker = previous != nullptr &&
                        previous->participant_id() == m.participant_id() &&
                        (!m.participant_id().empty() || previous->channel() == m.channel());
    if (!same_speaker) ++turns;
    previous = &m;
  }
  return turns;
}

int32_t CountTurns(const Conversation& conversation) { return CountTurnsFrom(conversation, 0); }

int32_t SpeakerChannel(const Conversation& conversation, const Message& message) {
  if (message.channel() != 0) return message.channel();
  if (message.participant_id().empty()) return 0;
  const Participant* participant = nullptr;
  for (const Participant& p : conversation.participants()) {  // a handful: a scan beats a map
    if (p.id() == message.participant_id()) {
      participant = &p;
      break;
    }
  }
  if (participant == nullptr) return 0;
  if (participant->channel() != 0) return participant->channel();
  const CallChannels& channels = conversation.call_channels();
  switch (participant->role()) {
    case HUMAN_AGENT:
    case AUTOMATED_AGENT:
    case ANY_AGENT:
      return channels.agent_channel() != 0 ? channels.agent_channel() : 1;
    case END_USER:
      return channels.customer_channel() != 0 ? channels.customer_channel() : 2;
    default:
      return 0;
  }
}

void TranscriptExtent::Add(const Message& m) {
  if (m.has_time_us()) {
    first_time = first_time ? std::min(*first_time, m.time_us()) : m.time_us();
    last_time = last_time ? std::max(*last_time, m.time_us()) : m.time_us();
  }
  if (m.has_audio_end_us()) last_offset = std::max(last_offset.value_or(0), m.audio_end_us());
  for (const WordInfo& w : m.words()) {
    if (w.has_end_offset_us()) last_offset = std::max(last_offset.value_or(0), w.end_offset_us());
  }
}

std::optional<int64_t> TranscriptExtent::Duration(const Conversation& conversation) const {
  if (last_offset) return *last_offset;
  if (last_time) {
    int64_t start = conversation.has_start_time_us() ? conversation.start_time_us() : *first_time;
    return std::max<int64_t>(0, *last_time - start);
  }
  return std::nullopt;
}

std::optional<int64_t> TranscriptDurationMicros(const Conversation& conversation) {
  TranscriptExtent extent;
  for (const Message& m : conversation.messages()) extent.Add(m);
  return extent.Duration(conversation);
}

}  // namespace parley::core
