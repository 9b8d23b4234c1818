#include "analysis/timing/timing_analyzer.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace parley::analysis {
namespace {

struct Span {
  std::optional<int64_t> start, end;  // offsets or times, microseconds
  bool word_precise = false;
};

// When a message starts and ends: its first and last word offsets, else its
// time (a point).
Span SpanOf(const core::Message& m) {
  Span s;
  for (const core::WordInfo& w : m.words()) {
    if (w.has_start_offset_us() && !s.start) s.start = w.start_offset_us();
    if (w.has_end_offset_us()) s.end = std::max(s.end.value_or(w.end_offset_us()), w.end_offset_us());
  }
  if (s.start && s.end) {
    s.word_precise = true;
    return s;
  }
  if (m.has_audio_start_us() && m.has_audio_end_us()) return {m.audio_start_us(), m.audio_end_us(), false};
  if (m.has_time_us()) return {m.time_us(), m.time_us(), false};
  return {};
}

std::string Speaker(const core::Message& m) {
  return m.participant_id().empty() ? "ch" + std::to_string(m.channel()) : m.participant_id();
}

bool IsAgent(const core::Conversation& c, const core::Message& m) {
  for (const core::Participant& p : c.participants()) {
    if (p.id() == m.participant_id()) {
      return p.role() == core::HUMAN_AGENT || p.role() == core::AUTOMATED_AGENT ||
             p.role() == core::ANY_AGENT;
    }
  }
  if (c.has_call_channels() && c.call_channels().agent_channel() != 0) {
    return m.channel() == c.call_channels().agent_channel();
  }
  return false;
}

bool MentionsHold(const std::string& text) {
  std::string lower = absl::AsciiStrToLower(text);
  return absl::StrContains(lower, "hold") || absl::StrContains(lower, "bear with me") ||
         absl::StrContains(lower, "one moment") || absl::StrContains(lower, "one sec");
}

}  // namespace

absl::Status TimingAnalyzer::Analyze(const core::Conversation& c, core::AnalysisResult* result) const {
  // A chat's gaps are typing and reading time, not dead air, and its messages
  // cannot overlap as speech does: no silence, overtalk or hold for chats.
  if (c.medium() == core::CHAT) {
    result->set_silence_duration_us(0);
    result->set_silence_percentage(0.0f);
    return absl::OkStatus();
  }
  const int n = c.messages_size();
  int64_t silence_total = 0;
  std::optional<int64_t> first, last;
  std::optional<int64_t> prev_end;
  int prev_index = -1;
  for (int i = 0; i < n; ++i) {
    const core::Message& m = c.messages(i);
    Span s = SpanOf(m);
    if (!s.start) continue;
    first = first ? std::min(*first, *s.start) : *s.start;
    last = last ? std::max(*last, *s.end) : *s.end;
    if (prev_end && prev_index >= 0) {
      const core::Message& prev = c.messages(prev_index);
      int64_t gap = *s.start - *prev_end;
      if (gap > options_.min_silence_us) {
        core::TimeSpan* silence = result->add_silences();
        silence->set_start_message(prev_index);
        silence->set_end_message(i);
        silence->set_start_word(prev.words_size() > 0 ? prev.words_size() - 1 : -1);
        silence->set_end_word(m.words_size() > 0 ? 0 : -1);
        silence->set_start_offset_us(*prev_end);
        silence->set_duration_us(gap);
        silence->set_channel(m.channel());
        silence_total += gap;
        if (gap >= options_.min_hold_us && IsAgent(c, prev) && MentionsHold(prev.text())) {
          *result->add_holds() = *silence;
        }
      } else if (gap < 0 && s.word_precise && Speaker(m) != Speaker(prev)) {
        core::TimeSpan* overtalk = result->add_interruptions();
        overtalk->set_start_message(i);
        overtalk->set_end_message(i);
        overtalk->set_start_word(0);
        overtalk->set_end_word(0);
        overtalk->set_start_offset_us(*s.start);
        overtalk->set_duration_us(-gap);
        overtalk->set_channel(m.channel());
      }
    }
    if (!prev_end || *s.end >= *prev_end) {
      prev_end = *s.end;
      prev_index = i;
    }
  }
  result->set_silence_duration_us(silence_total);
  int64_t length = c.has_duration_us() && c.duration_us() > 0 ? c.duration_us()
                   : (first && last)                            ? *last - *first
                                                                : 0;
  result->set_silence_percentage(length > 0 ? static_cast<float>(100.0 * silence_total / length) : 0.0f);
  return absl::OkStatus();
}

}  // namespace parley::analysis
