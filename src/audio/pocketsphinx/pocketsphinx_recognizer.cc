#include "audio/pocketsphinx/pocketsphinx_recognizer.h"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "audio/audio_decoder.h"
#include "audio/pocketsphinx/huge_page_arena.h"

namespace parley::audio {

// Both chosen on pocketsphinx-testdata's cards/, goforward and something
// recordings at 16 kHz and decimated to 8 kHz (bench/asr/asr_quality.py
// --sets tune), never on the LibriVox, FSDD or call sets measured in
// docs/quality/speech.md.
// accurate (the default): the same or better words than pocketsphinx's own
// defaults there, 2 to 3 times faster.
const char* const kAccurateDecoderOptions = "-topn 2 -maxhmmpf 3000 -maxwpf 5 -pl_window 10 -fwdflat no";
// fast: at most 800 active HMMs a frame (the search, not the Gaussians, is
// most of the time), narrower word-exit beams, and a phone-loop lookahead of
// 5 frames with tighter beams. Twice the accurate mode's speed (17 to 20x real
// time on one core, 25x on a call with pauses), but on read speech nearly
// twice the word errors. Frame skipping (-ds 2) loses half the words of 8 kHz
// audio.
const char* const kFastDecoderOptions =
    "-topn 2 -maxhmmpf 800 -maxwpf 3 -wbeam 1e-20 -lponlybeam 1e-20 -pl_window 5 -pl_beam 1e-5 "
    "-pl_pbeam 1e-5 -fwdflat no";

const char* DecoderOptionsOfMode(std::string_view mode) {
  if (mode == "fast") return kFastDecoderOptions;
  if (mode == "accurate") return kAccurateDecoderOptions;
  return nullptr;
}

namespace {

constexpr int kFrameSamples = kRecognizerRate / 100;  // pocketsphinx frames are 10 ms
constexpr int kMaxUtteranceFrames = 2000;              // 20 s
constexpr int kMinPauseFrames = 30;                    // a pause of 0.3 s ends an utterance
constexpr int kPadFrames = 15;                         // context kept around speech

struct Utterance {
  size_t begin_frame;
  size_t end_frame;  // exclusive
};

// Speech regions of `pcm`: frames whose energy is well above the recording's
// noise floor, joined across pauses shorter than kMinPauseFrames, padded, and
// cut at the quietest frame when longer than kMaxUtteranceFrames.
std::vector<Utterance> FindUtterances(const std::vector<int16_t>& pcm) {
  size_t nframes = pcm.size() / kFrameSamples + (pcm.size() % kFrameSamples ? 1 : 0);
  std::vector<double> energy(nframes);
  for (size_t f = 0; f < nframes; ++f) {
    double e = 0;
    size_t end = std::min(pcm.size(), (f + 1) * kFrameSamples);
    for (size_t i = f * kFrameSamples; i < end; ++i) e += double(pcm[i]) * pcm[i];
    energy[f] = 10 * std::log10(e / kFrameSamples + 1);
  }
  std::vector<double> sorted = energy;
  std::sort(sorted.begin(), sorted.end());
  double floor = sorted.empty() ? 0 : sorted[sorted.size() / 10];
  double peak = sorted.empty() ? 0 : sorted[sorted.size() * 99 / 100];
  // Speech: above the floor by 10 dB, or halfway to the loud frames when the
  // recording has little silence; digital silence never counts.
  double threshold = std::max(std::min(floor + 10, (floor + peak) / 2), 20.0);
  std::vector<Utterance> out;
  size_t f = 0;
  while (f < nframes) {
    while (f < nframes && energy[f] < threshold) ++f;
    if (f == nframes) break;
    size_t begin = f, last_speech = f;
    while (f < nframes && f - last_speech < kMinPauseFrames) {
      if (energy[f] >= threshold) last_speech = f;
      ++f;
    }
    size_t b = begin > kPadFrames ? begin - kPadFrames : 0;
    size_t e = std::min(nframes, last_speech + 1 + kPadFrames);
    // Split long regions at their quietest frame in the last third.
    while (e - b > kMaxUtteranceFrames) {
      size_t lo = b + kMaxUtteranceFrames * 2 / 3, hi = b + kMaxUtteranceFrames;
      size_t cut = std::min_element(energy.begin() + lo, energy.begin() + hi) - energy.begin();
      out.push_back({b, cut});
      b = cut;
    }
    if (!out.empty() && b < out.back().end_frame) b = out.back().end_frame;
    if (e > b) out.push_back({b, e});
  }
  return out;
}

bool IsFiller(const char* w) {
  return w[0] == '<' || w[0] == '[' || (w[0] == '+' && w[1] == '+');
}

}  // namespace

absl::StatusOr<std::unique_ptr<PocketsphinxRecognizer>> PocketsphinxRecognizer::Create(
    PocketsphinxOptions options) {
  namespace fs = std::filesystem;
  std::string hmm = options.model_dir + "/en-us";
  std::string dict = options.model_dir + "/cmudict-en-us.dict";
  std::string lm = options.model_dir + "/en-us.lm.bin";
  for (const auto& p : {hmm, dict, lm}) {
    if (!fs::exists(p)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "speech model file ", p, " is missing (install pocketsphinx-en-us or set --asr-model-dir)"));
    }
  }
  const char* mode_options = DecoderOptionsOfMode(options.mode);
  if (mode_options == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown speech recognition mode \"", options.mode, "\" (fast or accurate)"));
  }
  // "-name value" pairs, the caller's replacing the mode's of the same name.
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"-hmm", hmm}, {"-dict", dict}, {"-lm", lm}, {"-logfn", "/dev/null"}};
  for (const std::string& given : {std::string(mode_options), options.decoder_options}) {
    std::vector<std::string> tokens = absl::StrSplit(given, ' ', absl::SkipEmpty());
    if (tokens.size() % 2 != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("decoder options must be \"-name value\" pairs: \"", given, "\""));
    }
    for (size_t i = 0; i < tokens.size(); i += 2) {
      auto it = std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == tokens[i]; });
      if (it != pairs.end()) it->second = tokens[i + 1];
      else pairs.emplace_back(tokens[i], tokens[i + 1]);
    }
  }
  std::vector<std::string> args = {"parley"};
  for (auto& [name, value] : pairs) {
    args.push_back(name);
    args.push_back(value);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  err_set_logfp(nullptr);
  cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), argv.size(), argv.data(), TRUE);
  if (config == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("pocketsphinx rejected the decoder options \"", options.decoder_options, "\""));
  }
  std::unique_ptr<PocketsphinxRecognizer> r(new PocketsphinxRecognizer(config, options.mode, options.huge_pages));
  if (options.preload) {
    HugePageScope huge_pages(r->huge_pages_);
    ps_decoder_t* ps = r->Borrow();
    if (ps == nullptr) return absl::FailedPreconditionError("pocketsphinx could not load the speech model");
    r->Return(ps);
  }
  return r;
}

PocketsphinxRecognizer::~PocketsphinxRecognizer() {
  for (ps_decoder_t* ps : idle_) ps_free(ps);
  cmd_ln_free_r(config_);
}

ps_decoder_s* PocketsphinxRecognizer::Borrow() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      ps_decoder_t* ps = idle_.back();
      idle_.pop_back();
      return ps;
    }
  }
  // ps_init takes a reference to the shared configuration (not atomically).
  static std::mutex init_mu;
  std::lock_guard<std::mutex> lock(init_mu);
  return ps_init(config_);
}

void PocketsphinxRecognizer::Return(ps_decoder_s* ps) const {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(ps);
}

absl::StatusOr<std::vector<RecognizedWord>> PocketsphinxRecognizer::Recognize(
    const std::vector<int16_t>& pcm) const {
  // The decoder's model (loaded by Borrow when the pool is empty) and its
  // search structures (allocated while decoding) both live in the arena.
  HugePageScope huge_pages(huge_pages_);
  ps_decoder_t* ps = Borrow();
  if (ps == nullptr) return absl::InternalError("pocketsphinx could not load the speech model");
  std::vector<RecognizedWord> words;
  absl::Status status;
  logmath_t* lmath = ps_get_logmath(ps);
  int frate = cmd_ln_int32_r(config_, "-frate");
  int64_t us_per_frame = 1'000'000 / (frate > 0 ? frate : 100);
  // A new stream: the front end's noise estimate (spectral subtraction,
  // -remove_noise) starts again instead of carrying over from whatever this
  // pooled decoder decoded before, so a recording always gives the same words.
  // (The cepstral mean needs no reset: the model's feat.params sets -cmn
  // batch, computed over each utterance on its own.)
  ps_start_stream(ps);
  for (const Utterance& u : FindUtterances(pcm)) {
    size_t b = u.begin_frame * kFrameSamples;
    size_t e = std::min(pcm.size(), u.end_frame * kFrameSamples);
    if (ps_start_utt(ps) < 0 || ps_process_raw(ps, pcm.data() + b, e - b, FALSE, TRUE) < 0 ||
        ps_end_utt(ps) < 0) {
      status = absl::InternalError("pocketsphinx failed to decode the audio");
      break;
    }
    int64_t offset_us = int64_t(u.begin_frame) * 10'000;
    for (ps_seg_t* seg = ps_seg_iter(ps); seg != nullptr; seg = ps_seg_next(seg)) {
      const char* w = ps_seg_word(seg);
      if (w == nullptr || IsFiller(w)) continue;
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      int32 ascr, lscr, lback;
      int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
      RecognizedWord rw;
      rw.text = w;
      if (auto paren = rw.text.find('('); paren != std::string::npos) rw.text.resize(paren);  // "read(2)"
      rw.start_us = offset_us + sf * us_per_frame;
      rw.end_us = offset_us + (ef + 1) * us_per_frame;
      rw.confidence = static_cast<float>(std::clamp(logmath_exp(lmath, post), 0.0, 1.0));
      words.push_back(std::move(rw));
    }
  }
  Return(ps);
  if (!status.ok()) return status;
  return words;
}

}  // namespace parley::audio
