// Decoding recordings to 16 kHz 16-bit PCM for the recognisers: WAV (PCM
// 8/16/24/32-bit, float, u-law, A-law), FLAC, OGG (Vorbis, Opus) and MP3 via
// libsndfile, 8 to 48 kHz, resampled with libsoxr. Channels stay apart (a
// stereo call is one speaker per channel) unless mixing is asked for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::audio {

inline constexpr int kRecognizerRate = 16000;

struct DecodeLimits {
  int64_t max_bytes = int64_t{100} << 20;
  int64_t max_duration_us = int64_t{4} * 3600 * 1'000'000;
  int max_channels = 8;
};

struct DecodedAudio {
  int source_rate = 0;     // the recording's sample rate
  int source_channels = 0; // the recording's channel count
  int64_t duration_us = 0; // the recording's length
  // One entry per channel (a single one when mixed), kRecognizerRate samples
  // per second.
  std::vector<std::vector<int16_t>> channels;
};

// INVALID_ARGUMENT with a message a client can act on when the bytes are not
// a recording libsndfile reads, the rate is outside 8-48 kHz, or a limit is
// exceeded.
absl::StatusOr<DecodedAudio> DecodeAudio(std::string_view bytes, const DecodeLimits& limits,
                                         bool mix_to_mono);

// A mono 16-bit PCM WAV file of `pcm` at kRecognizerRate (what a channel is
// sent to a speech endpoint as).
std::string EncodeWav(const std::vector<int16_t>& pcm);

// Headerless mono samples, as a client that streams raw audio sends them
// (CES inputAudioConfig): their encoding and rate.
enum class RawEncoding { kLinear16, kMulaw, kAlaw };
struct RawFormat {
  RawEncoding encoding = RawEncoding::kLinear16;
  int sample_rate = kRecognizerRate;
};

// Whether `bytes` start like a file DecodeAudio reads (RIFF/WAV, FLAC, Ogg,
// MP3 with or without an ID3 tag) rather than headerless samples.
bool HasContainerHeader(std::string_view bytes);

// A WAV file around headerless samples (cut to whole samples), for
// DecodeAudio.
std::string WrapRawAudio(std::string_view samples, const RawFormat& format);

}  // namespace parley::audio
