// The turn before: what the other speaker asked for. In a conversation the
// answer to "may I have your name please?" is often the bare name ("crystal
// minh", "Crystal Minh", "c r y s t a l"), and the answer to "what's the best
// number to reach you?" bare digits: no cue in the reply itself. PiiDetector
// reads such a reply as if the cue were in it (PiiDetector::Find with an
// Asked).
#pragma once

#include <cstdint>
#include <string_view>

#include "parley/conversation.pb.h"

namespace parley::analysis::pii {

enum class Asked : uint8_t {
  kNothing,
  kName,   // "your name", "who am I speaking with", "can you spell that"
  kPhone,  // "your phone number", "the best number to reach you"
};

// What `turn` asks for (ASCII case ignored, punctuation as space); of two,
// the one asked last.
Asked AskedIn(std::string_view turn);

// What message `index` of `conversation` answers: AskedIn of the latest
// earlier message by another speaker, looking back over at most two
// messages of the same speaker ("sure" / "crystal minh"). A speaker is a
// participant, else a role and audio channel. kNothing for the first
// message, or when no speaker is known.
Asked AskedBefore(const core::Conversation& conversation, int index);

}  // namespace parley::analysis::pii
