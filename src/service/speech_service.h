// SpeechService: audio recordings to words, shared by every dialect. Decodes
// the recording (src/audio), hands each channel to the configured engine (the
// embedded pocketsphinx recogniser, or an OpenAI-compatible
// `/v1/audio/transcriptions` endpoint) and returns the words with their times,
// confidences and channel. TranscriptFromSpeech turns the result into the
// core transcript (messages per speaker turn, channel = speaker).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "audio/audio_decoder.h"
#include "parley/conversation.pb.h"

namespace parley::audio {
class Recognizer;
class TranscriptionClient;
}  // namespace parley::audio

namespace parley::service {

struct SpeechWord {
  std::string text;      // as recognised: lower case, no punctuation (embedded engine)
  int64_t start_us = 0;  // offsets from the start of the recording
  int64_t end_us = 0;
  float confidence = 0;  // 0..1
  int channel = 0;       // 1-based audio channel (1 = left/first); mono audio: 1
};

struct SpeechResult {
  std::vector<SpeechWord> words;  // ordered by start_us (all channels interleaved)
  int channels = 1;               // channels of the recording (1 when mixed to mono)
  int64_t duration_us = 0;        // length of the recording
  std::string engine;             // "pocketsphinx" or the endpoint's model name
};

struct SpeechOptions {
  std::string language = "en-US";  // BCP-47; the embedded engine knows en-US only
  // Stereo: one recognition per channel, channel = speaker. False: the
  // channels are mixed to mono first.
  bool separate_channels = true;
  // Set when a client may send headerless samples: bytes that do not start
  // like a recording file are read as mono samples of this format.
  std::optional<audio::RawFormat> raw_format;
  // Embedded engine: "fast" or "accurate" for this recording (a dialect's
  // own setting, e.g. a high-speed transcription mode); empty = the
  // server's SpeechConfig::asr_mode. Ignored by an endpoint.
  std::string asr_mode;
};

struct SpeechConfig {
  // Embedded engine: pocketsphinx model directory (acoustic model, dictionary
  // and language model as Debian's pocketsphinx-en-us lays them out).
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  // Embedded engine's speed against accuracy: "accurate" (the default) or
  // "fast" (docs/quality/speech.md); anything else fails Create.
  std::string asr_mode = "accurate";
  // Extra pocketsphinx arguments ("-topn 4"), over the mode's settings.
  std::string decoder_options;
  // Load the embedded model in Create (about 2 s) rather than on first use.
  bool preload_model = true;
  // Non-empty: the OpenAI-compatible endpoint base or full URL
  // (`http://host:port` or `.../v1/audio/transcriptions`) used instead.
  std::string endpoint;
  std::string endpoint_model = "whisper-1";
  int64_t endpoint_timeout_ms = 120'000;
  // Limits: larger or longer audio is refused with INVALID_ARGUMENT.
  int64_t max_audio_bytes = int64_t{100} << 20;
  int64_t max_duration_us = int64_t{4} * 3600 * 1'000'000;
};

class SpeechService {
 public:
  // Fails (FAILED_PRECONDITION) when the embedded model's files are missing,
  // the mode or decoder options are not valid (or, with preload_model, the
  // model cannot be loaded). Transcribe may be called from
  // several threads; each concurrent call uses a decoder of its own.
  static absl::StatusOr<std::unique_ptr<SpeechService>> Create(SpeechConfig config);
  ~SpeechService();
  SpeechService(const SpeechService&) = delete;
  SpeechService& operator=(const SpeechService&) = delete;

  // Blocking (with the embedded engine about 1/7 to 1/12 of the audio's
  // length on one core, 1/17 to 1/25 in the fast mode, less the more of it is
  // silence; or up to the endpoint timeout): call it on the job queue or a
  // blocking pool, never on a network thread. Thread-safe.
  // Errors: INVALID_ARGUMENT for audio that cannot be decoded or exceeds the
  // limits (the message says which) and, with the embedded engine, for a
  // language other than English; UNAVAILABLE / DEADLINE_EXCEEDED when the
  // endpoint cannot be reached or does not answer in time, INTERNAL for an
  // endpoint answer that cannot be read.
  absl::StatusOr<SpeechResult> Transcribe(std::string_view audio_bytes,
                                          const SpeechOptions& options) const;

  const SpeechConfig& config() const { return config_; }

 private:
  explicit SpeechService(SpeechConfig config);

  // The embedded recogniser of `mode` (the configured one, or the other one
  // made on first use); INVALID_ARGUMENT for an unknown mode.
  absl::StatusOr<const audio::Recognizer*> RecognizerFor(const std::string& mode) const;

  SpeechConfig config_;
  std::unique_ptr<audio::Recognizer> recognizer_;      // embedded engine, config_.asr_mode
  mutable std::mutex other_mode_mu_;
  mutable std::unique_ptr<audio::Recognizer> other_mode_;  // the other mode, made on first use
  std::unique_ptr<audio::TranscriptionClient> client_;  // endpoint, when configured
};

// Writes `result` as the transcript of `out`: replaces its messages and
// participants with one message per speaker turn (a turn ends at a change of
// channel or a pause of 1.5 s or more), channel = speaker, one participant per
// channel with the role `out->call_channels()` gives it (agent_channel /
// customer_channel; otherwise unspecified), per-word times and confidences,
// the message text with sentence casing and final punctuation restored (an
// endpoint's own casing and punctuation are kept), and sets duration_us (the
// recording's length; ConversationService keeps it rather than the last
// word's end only when data_source.audio_uri is set).
void TranscriptFromSpeech(const SpeechResult& result, core::Conversation* out);

}  // namespace parley::service
