// TimingAnalyzer: silence, overtalk (interruptions) and hold, from message
// times and word offsets.
#pragma once

#include <cstdint>

#include "analysis/analyzer.h"

namespace parley::analysis {

struct TimingOptions {
  int64_t min_silence_us = 5'000'000;  // gaps longer than this are silence
  int64_t min_hold_us = 30'000'000;    // a silence this long after an agent mentions holding is a hold
};

class TimingAnalyzer final : public Analyzer {
 public:
  explicit TimingAnalyzer(TimingOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "timing"; }

  // Silence: a gap of more than min_silence_us between the end of one
  // message and the start of the next (word offsets when the messages have
  // them, else message times). Its total and share of the conversation go to
  // silence_duration_us / silence_percentage.
  // Interruption: a message by another speaker that starts before the
  // previous message ends (word offsets only).
  // Hold: a silence of at least min_hold_us right after an agent message
  // that mentions holding ("hold", "on hold", "bear with me").
  // Chats (medium CHAT) get none of the three: the time between chat
  // messages is typing and reading, not silence.
  absl::Status Analyze(const core::Conversation& conversation,
                       core::AnalysisResult* result) const override;

 private:
  TimingOptions options_;
};

}  // namespace parley::analysis
