// The pluggable recogniser: an OpenAI-compatible speech-to-text server
// (`POST /v1/audio/transcriptions`, as whisper.cpp's server, faster-whisper
// servers and OpenAI speak it). The recording is sent as it is (multipart
// `file`), with `response_format=verbose_json` and
// `timestamp_granularities[]=word`; the answer's `words` (or, failing that,
// its `segments`) give the times.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "audio/recognizer.h"

namespace parley::audio {

struct TranscriptionClientOptions {
  // `http://host:port`, `http://host:port/v1` or the full transcriptions URL.
  std::string endpoint;
  std::string model = "whisper-1";
  std::string api_key;  // sent as a bearer token when set
  int64_t timeout_ms = 120'000;
};

struct Transcription {
  std::vector<RecognizedWord> words;
  double duration_s = 0;  // the server's `duration`, 0 when absent
};

class TranscriptionClient {
 public:
  explicit TranscriptionClient(TranscriptionClientOptions options);

  // The full URL requests go to.
  const std::string& url() const { return url_; }
  const std::string& model() const { return options_.model; }

  // Blocking; thread-safe. UNAVAILABLE when the server cannot be reached or
  // answers with an error status (its message included), DEADLINE_EXCEEDED
  // after the timeout, INTERNAL when the answer is not the expected JSON.
  absl::StatusOr<Transcription> Transcribe(std::string_view audio_bytes, std::string_view filename,
                                           std::string_view language) const;

 private:
  TranscriptionClientOptions options_;
  std::string url_;
};

}  // namespace parley::audio
