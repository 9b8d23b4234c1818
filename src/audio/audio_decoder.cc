#include "audio/audio_decoder.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace parley::audio {
namespace {

// libsndfile reads from memory through these callbacks.
struct MemoryFile {
  std::string_view bytes;
  sf_count_t pos = 0;
};

sf_count_t Length(void* user) { return static_cast<MemoryFile*>(user)->bytes.size(); }

sf_count_t Seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : static_cast<sf_count_t>(f->bytes.size());
  sf_count_t to = base + offset;
  if (to < 0 || to > static_cast<sf_count_t>(f->bytes.size())) return -1;
  f->pos = to;
  return f->pos;
}

sf_count_t Read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t n = std::min<sf_count_t>(count, static_cast<sf_count_t>(f->bytes.size()) - f->pos);
  if (n <= 0) return 0;
  std::memcpy(ptr, f->bytes.data() + f->pos, n);
  f->pos += n;
  return n;
}

sf_count_t Write(const void*, sf_count_t, void*) { return 0; }

sf_count_t Tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

std::vector<int16_t> ToPcm16(const std::vector<float>& in) {
  std::vector<int16_t> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    float v = std::clamp(in[i], -1.0f, 1.0f);
    out[i] = static_cast<int16_t>(std::lrint(v * 32767.0f));
  }
  return out;
}

absl::StatusOr<std::vector<float>> Resample(const std::vector<float>& in, int from_rate) {
  if (from_rate == kRecognizerRate) return in;
  size_t out_len = static_cast<size_t>(
      std::ceil(static_cast<double>(in.size()) * kRecognizerRate / from_rate)) + 16;
  std::vector<float> out(out_len);
  size_t done = 0;
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_MQ, 0);
  soxr_error_t err = soxr_oneshot(from_rate, kRecognizerRate, 1, in.data(), in.size(), nullptr,
                                  out.data(), out.size(), &done, nullptr, &q, nullptr);
  if (err) return absl::InternalError(absl::StrCat("resampling the audio failed: ", err));
  out.resize(done);
  return out;
}

}  // namespace

absl::StatusOr<DecodedAudio> DecodeAudio(std::string_view bytes, const DecodeLimits& limits,
                                         bool mix_to_mono) {
  if (bytes.empty()) return absl::InvalidArgumentError("the audio is empty");
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the audio is ", bytes.size(),
                                                   " bytes; at most ", limits.max_bytes, " are accepted"));
  }
  MemoryFile file{bytes};
  SF_VIRTUAL_IO io{Length, Seek, Read, Write, Tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> sf(sf_open_virtual(&io, SFM_READ, &info, &file));
  if (!sf) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the audio cannot be decoded (", sf_strerror(nullptr),
        "); accepted: WAV (PCM, float, u-law, A-law), FLAC, OGG Vorbis/Opus, MP3"));
  }
  if (info.samplerate < 8000 || info.samplerate > 48000) {
    return absl::InvalidArgumentError(absl::StrCat("the audio's sample rate is ", info.samplerate,
                                                   " Hz; 8000 to 48000 Hz are accepted"));
  }
  if (info.channels < 1 || info.channels > limits.max_channels) {
    return absl::InvalidArgumentError(absl::StrCat("the audio has ", info.channels,
                                                   " channels; 1 to ", limits.max_channels, " are accepted"));
  }
  // Frame counts of compressed formats may be estimates (MP3): check the
  // limit as frames arrive too.
  int64_t max_frames = limits.max_duration_us / 1'000'000 * info.samplerate +
                       limits.max_duration_us % 1'000'000 * info.samplerate / 1'000'000;
  auto too_long = [&] {
    return absl::InvalidArgumentError(absl::StrCat("the audio is longer than the limit of ",
                                                   limits.max_duration_us / 1'000'000, " seconds"));
  };
  if (info.frames > 0 && info.frames != SF_COUNT_MAX && info.frames > max_frames) return too_long();

  const int nch = info.channels;
  std::vector<std::vector<float>> chans(mix_to_mono ? 1 : nch);
  std::vector<float> buf(4096 * nch);
  int64_t frames = 0;
  for (;;) {
    sf_count_t got = sf_readf_float(sf.get(), buf.data(), 4096);
    if (got <= 0) break;
    frames += got;
    if (frames > max_frames) return too_long();
    for (sf_count_t i = 0; i < got; ++i) {
      if (mix_to_mono) {
        float s = 0;
        for (int c = 0; c < nch; ++c) s += buf[i * nch + c];
        chans[0].push_back(s / nch);
      } else {
        for (int c = 0; c < nch; ++c) chans[c].push_back(buf[i * nch + c]);
      }
    }
  }
  if (sf_error(sf.get()) != SF_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("the audio cannot be decoded: ", sf_strerror(sf.get())));
  }
  if (frames == 0) return absl::InvalidArgumentError("the audio contains no samples");

  DecodedAudio out;
  out.source_rate = info.samplerate;
  out.source_channels = nch;
  out.duration_us = frames * 1'000'000 / info.samplerate;
  for (auto& c : chans) {
    auto r = Resample(c, info.samplerate);
    if (!r.ok()) return r.status();
    out.channels.push_back(ToPcm16(*r));
  }
  return out;
}

namespace {

// A canonical 44-byte WAV header: one channel, `format` 1 (PCM), 6 (A-law)
// or 7 (u-law).
std::string WavHeader(uint16_t format, uint32_t rate, uint16_t bits, uint32_t data_bytes) {
  std::string out;
  auto put32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xff)); };
  auto put16 = [&](uint16_t v) { for (int i = 0; i < 2; ++i) out.push_back(char((v >> (8 * i)) & 0xff)); };
  const uint16_t block = bits / 8;
  out += "RIFF";
  put32(36 + data_bytes);
  out += "WAVEfmt ";
  put32(16);
  put16(format);
  put16(1);  // mono
  put32(rate);
  put32(rate * block);
  put16(block);
  put16(bits);
  out += "data";
  put32(data_bytes);
  return out;
}

}  // namespace

std::string EncodeWav(const std::vector<int16_t>& pcm) {
  std::string out = WavHeader(1, kRecognizerRate, 16, static_cast<uint32_t>(pcm.size() * 2));
  for (int16_t s : pcm) {
    out.push_back(char(static_cast<uint16_t>(s) & 0xff));
    out.push_back(char(static_cast<uint16_t>(s) >> 8));
  }
  return out;
}

bool HasContainerHeader(std::string_view bytes) {
  auto starts = [bytes](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  return starts("RIFF") || starts("fLaC") || starts("OggS") || starts("ID3") ||
         (bytes.size() > 1 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
          (static_cast<unsigned char>(bytes[1]) & 0xE0) == 0xE0);  // an MPEG frame sync
}

std::string WrapRawAudio(std::string_view samples, const RawFormat& format) {
  uint16_t code = 1, bits = 16;
  if (format.encoding == RawEncoding::kMulaw) code = 7, bits = 8;
  if (format.encoding == RawEncoding::kAlaw) code = 6, bits = 8;
  const size_t block = bits / 8;
  const auto data_bytes = static_cast<uint32_t>(samples.size() - samples.size() % block);
  std::string out = WavHeader(code, static_cast<uint32_t>(format.sample_rate), bits, data_bytes);
  out.append(samples.data(), data_bytes);
  return out;
}

}  // namespace parley::audio
