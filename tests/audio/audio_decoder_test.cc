// DecodeAudio over recordings libsndfile writes at test time in every
// accepted format (WAV PCM 8/16/24/32-bit, float, u-law, A-law; FLAC; OGG
// Vorbis and Opus; MP3), rates 8-48 kHz, mono and stereo; and its refusals.
#include "audio/audio_decoder.h"

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace parley::audio {
namespace {

namespace fs = std::filesystem;

// `seconds` of a 440 Hz tone at half scale on channel 0, silence on the others.
absl::StatusOr<std::string> Tone(int format, int rate, int channels, double seconds) {
  fs::path file = fs::temp_directory_path() / ("parley-decoder-test-" + std::to_string(::getpid()));
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  if (!sf_format_check(&info)) return absl::UnimplementedError("format not writable");
  SNDFILE* sf = sf_open(file.c_str(), SFM_WRITE, &info);
  if (sf == nullptr) return absl::UnimplementedError(sf_strerror(nullptr));
  int frames = static_cast<int>(rate * seconds);
  std::vector<float> buf(static_cast<size_t>(frames) * channels, 0.0f);
  for (int i = 0; i < frames; ++i) buf[static_cast<size_t>(i) * channels] = 0.5f * std::sin(2 * M_PI * 440 * i / rate);
  sf_writef_float(sf, buf.data(), frames);
  sf_close(sf);
  std::ifstream in(file, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  fs::remove(file);
  return bytes.str();
}

double Rms(const std::vector<int16_t>& s) {
  double e = 0;
  for (int16_t v : s) e += double(v) * v;
  return s.empty() ? 0 : std::sqrt(e / s.size());
}

struct Format {
  const char* name;
  int format;
  int rate;
  int channels;
  bool lossy;
};

class DecodeFormatTest : public ::testing::TestWithParam<Format> {};

TEST_P(DecodeFormatTest, DecodesToSixteenKilohertzPerChannel) {
  const Format& f = GetParam();
  auto bytes = Tone(f.format, f.rate, f.channels, 1.0);
  if (!bytes.ok()) GTEST_SKIP() << f.name << ": libsndfile cannot write it here: " << bytes.status();
  auto decoded = DecodeAudio(*bytes, DecodeLimits{}, /*mix_to_mono=*/false);
  ASSERT_TRUE(decoded.ok()) << f.name << ": " << decoded.status();
  EXPECT_EQ(decoded->source_rate, f.rate);
  EXPECT_EQ(decoded->source_channels, f.channels);
  ASSERT_EQ(decoded->channels.size(), static_cast<size_t>(f.channels));
  // Lossy codecs pad the start and end a little.
  double slack = f.lossy ? 0.1 : 0.002;
  EXPECT_NEAR(decoded->duration_us / 1e6, 1.0, slack) << f.name;
  EXPECT_NEAR(decoded->channels[0].size() / 16000.0, 1.0, slack) << f.name;
  // A half-scale sine: RMS 0.354 of full scale.
  EXPECT_NEAR(Rms(decoded->channels[0]) / 32767, 0.354, 0.06) << f.name;
  if (f.channels == 2) EXPECT_LT(Rms(decoded->channels[1]) / 32767, 0.02) << f.name;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, DecodeFormatTest,
    ::testing::Values(Format{"wav_pcm16_16k", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, false},
                      Format{"wav_pcm8_8k", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1, false},
                      Format{"wav_pcm24_44k_stereo", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 2, false},
                      Format{"wav_pcm32_48k", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 48000, 1, false},
                      Format{"wav_float_22k", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, false},
                      Format{"wav_ulaw_8k_stereo", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, 2, false},
                      Format{"wav_alaw_8k", SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000, 1, false},
                      Format{"flac_32k", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 32000, 1, false},
                      Format{"ogg_vorbis_44k_stereo", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, 2, true},
                      Format{"ogg_opus_48k", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, true},
                      Format{"mp3_44k", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, 1, true}),
    [](const ::testing::TestParamInfo<Format>& info) { return std::string(info.param.name); });

TEST(DecodeAudioTest, MixesToMonoWhenAsked) {
  auto bytes = Tone(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 2, 0.5);
  ASSERT_TRUE(bytes.ok());
  auto decoded = DecodeAudio(*bytes, DecodeLimits{}, /*mix_to_mono=*/true);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->channels.size(), 1u);
  EXPECT_EQ(decoded->source_channels, 2);
  EXPECT_NEAR(Rms(decoded->channels[0]) / 32767, 0.354 / 2, 0.03);
}

TEST(DecodeAudioTest, RefusesWhatItCannotDecode) {
  auto empty = DecodeAudio("", DecodeLimits{}, false);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "the audio is empty");
  auto text = DecodeAudio("this is not a recording at all, just some text", DecodeLimits{}, false);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("the audio cannot be decoded"), std::string::npos) << text.status();
  EXPECT_NE(text.status().message().find("accepted: WAV"), std::string::npos) << text.status();
  auto truncated = Tone(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 0.5);
  ASSERT_TRUE(truncated.ok());
  auto header_only = DecodeAudio(truncated->substr(0, 44), DecodeLimits{}, false);
  EXPECT_EQ(header_only.status().code(), absl::StatusCode::kInvalidArgument) << header_only.status();
}

TEST(DecodeAudioTest, RefusesRatesOutsideEightToFortyEightKilohertz) {
  auto bytes = Tone(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 96000, 1, 0.1);
  ASSERT_TRUE(bytes.ok());
  auto decoded = DecodeAudio(*bytes, DecodeLimits{}, false);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(), "the audio's sample rate is 96000 Hz; 8000 to 48000 Hz are accepted");
}

TEST(DecodeAudioTest, EnforcesItsLimits) {
  auto bytes = Tone(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 2, 2.0);
  ASSERT_TRUE(bytes.ok());
  DecodeLimits limits;
  limits.max_bytes = static_cast<int64_t>(bytes->size()) - 1;
  auto big = DecodeAudio(*bytes, limits, false);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("at most"), std::string::npos) << big.status();
  limits = DecodeLimits{};
  limits.max_duration_us = 1'000'000;
  auto long_audio = DecodeAudio(*bytes, limits, false);
  EXPECT_EQ(long_audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(long_audio.status().message(), "the audio is longer than the limit of 1 seconds");
  limits = DecodeLimits{};
  limits.max_channels = 1;
  auto stereo = DecodeAudio(*bytes, limits, false);
  EXPECT_EQ(stereo.status().message(), "the audio has 2 channels; 1 to 1 are accepted");
  // Exactly at the limits: accepted.
  limits = DecodeLimits{};
  limits.max_bytes = static_cast<int64_t>(bytes->size());
  limits.max_duration_us = 2'000'000;
  EXPECT_TRUE(DecodeAudio(*bytes, limits, false).ok());
}

TEST(EncodeWavTest, RoundTrips) {
  std::vector<int16_t> pcm = {0, 1000, -1000, 32767, -32768};
  auto decoded = DecodeAudio(EncodeWav(pcm), DecodeLimits{}, false);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->source_rate, kRecognizerRate);
  EXPECT_EQ(decoded->channels[0].size(), pcm.size());
  EXPECT_EQ(decoded->channels[0][1], 1000);
}

}  // namespace
}  // namespace parley::audio
