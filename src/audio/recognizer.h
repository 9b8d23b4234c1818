// A speech recogniser for one channel of 16 kHz 16-bit PCM (the embedded
// engines; an endpoint takes the recording itself, see TranscriptionClient).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::audio {

struct RecognizedWord {
  std::string text;
  int64_t start_us = 0;
  int64_t end_us = 0;
  float confidence = 0;  // 0..1
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  // Words of `pcm` (kRecognizerRate samples per second) in time order, without
  // silences and fillers. Thread-safe.
  virtual absl::StatusOr<std::vector<RecognizedWord>> Recognize(const std::vector<int16_t>& pcm) const = 0;
  virtual std::string name() const = 0;
};

}  // namespace parley::audio
