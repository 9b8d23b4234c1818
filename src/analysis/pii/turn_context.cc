#include "analysis/pii/turn_context.h"

#include <array>
#include <string>

#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

// Phrases of a request for the other speaker's name or phone number.
constexpr std::string_view kNamePhrases[] = {
    " your name ",      " your full name ",   " your first name ", " your last name ",
    " your surname ",   " the name on ",      " name on the account ", " name on file ",
    " who am i speaking ", " who i am speaking ", " who i'm speaking ", " who am i talking ",
    " who's calling ",  " who is calling ",   " who is this ",     " spell your ",
    " spell that ",     " spell it ",         " spell the name ",  " spelling of ",
    " name please ",    " get your name ",    " have your name "};
constexpr std::string_view kPhonePhrases[] = {
    " phone number ",   " your number ",      " best number ",     " contact number ",
    " callback number ", " call back number ", " number to reach ", " reach you at ",
    " reach you on ",   " cell number ",      " mobile number ",   " telephone number ",
    " number we can reach ", " number on file ", " number on the account "};

// The speaker of a message: its participant, else its role and audio
// channel.
bool SameSpeaker(const core::Message& a, const core::Message& b) {
  if (!a.participant_id().empty() || !b.participant_id().empty()) {
    return a.participant_id() == b.participant_id();
  }
  return a.role() == b.role() && a.role_name() == b.role_name() && a.channel() == b.channel();
}

bool KnownSpeaker(const core::Message& m) {
  return !m.participant_id().empty() || m.role() != core::ROLE_UNSPECIFIED ||
         !m.role_name().empty() || m.channel() != 0;
}

// A stem every phrase above holds ("who am i", "spell", "your name",
// "best number", "reach you", "who's calling", "phone"): most turns hold
// none.
constexpr std::string_view kTriggers[] = {"ame", "pell", "umber", "who", "Who", "each", "alling",
                                          "hone"};

// One pass over the turn: the last three bytes, five bits each (the low
// bits: a letter of either case, and some other bytes, share a code), index
// a 32,768-bit table of the stems' first three bytes, so that most
// positions cost a shift, an or and one predictable branch (a search per
// stem costs a memchr and a memcmp per 'a', 'e', 'h' ... of the turn). A
// hit is checked against the stems themselves.
constexpr uint32_t kTrigramMask = (1u << 15) - 1;
inline uint32_t TrigramStep(uint32_t trigram, char c) {
  return ((trigram << 5) | (static_cast<uint8_t>(c) & 31)) & kTrigramMask;
}

bool HasTrigger(std::string_view turn) {
  static const auto* table = [] {
    auto* t = new std::array<uint64_t, (kTrigramMask + 1) / 64>{};
    for (std::string_view s : kTriggers) {
      const uint32_t slot = TrigramStep(TrigramStep(TrigramStep(0, s[0]), s[1]), s[2]);
      (*t)[slot / 64] |= uint64_t{1} << (slot % 64);
    }
    return t;
  }();
  uint32_t trigram = 0;
  for (size_t i = 0; i < turn.size(); ++i) {
    trigram = TrigramStep(trigram, turn[i]);
    if (i < 2 || !((*table)[trigram / 64] >> (trigram % 64) & 1)) continue;
    const std::string_view rest = turn.substr(i - 2);
    for (std::string_view s : kTriggers) {
      if (rest.starts_with(s)) return true;
    }
  }
  return false;
}

}  // namespace

Asked AskedIn(std::string_view turn) {
  if (turn.size() > 4096) turn = turn.substr(turn.size() - 4096);  // the question ends a turn
  if (!HasTrigger(turn)) return Asked::kNothing;
  // Lower case, every run of non-letters one space, framed by spaces.
  std::string t = " ";
  for (char c : turn) {
    if (IsAsciiAlpha(c) || c == '\'') {
      t.push_back(ToLowerAscii(c));
    } else if (t.back() != ' ') {
      t.push_back(' ');
    }
  }
  if (t.back() != ' ') t.push_back(' ');
  size_t name_at = std::string::npos, phone_at = std::string::npos;
  auto last = [&](const auto& phrases, size_t* at) {
    for (std::string_view p : phrases) {
      size_t pos = t.rfind(p);
      if (pos != std::string::npos && (*at == std::string::npos || pos > *at)) *at = pos;
    }
  };
  last(kNamePhrases, &name_at);
  last(kPhonePhrases, &phone_at);
  if (name_at == std::string::npos && phone_at == std::string::npos) return Asked::kNothing;
  if (phone_at == std::string::npos) return Asked::kName;
  if (name_at == std::string::npos) return Asked::kPhone;
  return phone_at > name_at ? Asked::kPhone : Asked::kName;
}

Asked AskedBefore(const core::Conversation& conversation, int index) {
  if (index <= 0 || index >= conversation.messages_size()) return Asked::kNothing;
  const core::Message& reply = conversation.messages(index);
  if (!KnownSpeaker(reply)) return Asked::kNothing;
  int same = 0;
  for (int i = index - 1; i >= 0; --i) {
    const core::Message& m = conversation.messages(i);
    if (SameSpeaker(m, reply)) {
      if (++same > 2) return Asked::kNothing;
      continue;
    }
    return AskedIn(m.text());
  }
  return Asked::kNothing;
}

}  // namespace parley::analysis::pii
