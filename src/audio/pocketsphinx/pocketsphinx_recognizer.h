// The embedded recogniser: CMU pocketsphinx with Debian's en-US model
// (pocketsphinx-en-us). Long recordings are cut at pauses into utterances of
// at most 20 s (energy-based: silence is not decoded at all), each decoded on
// its own; word confidences are the lattice posteriors.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "audio/recognizer.h"

struct ps_decoder_s;
struct cmd_ln_s;

namespace parley::audio {

struct PocketsphinxOptions {
  // Holds en-us/ (acoustic model), cmudict-en-us.dict and en-us.lm.bin.
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  // "fast" or "accurate": the decoder settings to start from
  // (DecoderOptionsOfMode).
  std::string mode = "accurate";
  // Decoder arguments as "-name value" pairs, e.g. "-topn 4"; each replaces
  // the mode's setting of that name.
  std::string decoder_options;
  // Load the model (about 2 s) in Create rather than on the first Recognize.
  bool preload = true;
  // Decoders' memory in transparent huge pages (HugePageScope): the same
  // words for ~0.8 of the CPU time. Off only to compare.
  bool huge_pages = true;
};

// The pocketsphinx settings of a mode, measured in docs/quality/speech.md:
// "accurate" (the default) or "fast" (twice the speed, up to twice the word
// errors); nullptr for any other name.
const char* DecoderOptionsOfMode(std::string_view mode);

class PocketsphinxRecognizer final : public Recognizer {
 public:
  // FAILED_PRECONDITION when the model files are missing or the options
  // rejected (or, with preload, the model cannot be loaded).
  static absl::StatusOr<std::unique_ptr<PocketsphinxRecognizer>> Create(PocketsphinxOptions options);
  ~PocketsphinxRecognizer() override;

  absl::StatusOr<std::vector<RecognizedWord>> Recognize(const std::vector<int16_t>& pcm) const override;
  // "pocketsphinx/MODE", the mode its settings started from.
  std::string name() const override { return "pocketsphinx/" + mode_; }

 private:
  PocketsphinxRecognizer(cmd_ln_s* config, std::string mode, bool huge_pages)
      : config_(config), mode_(std::move(mode)), huge_pages_(huge_pages) {}
  // A decoder is not thread-safe: each call borrows one from the pool (a new
  // one is made, sharing nothing, when all are busy).
  ps_decoder_s* Borrow() const;
  void Return(ps_decoder_s* ps) const;

  cmd_ln_s* config_;
  std::string mode_;
  bool huge_pages_;
  mutable std::mutex mu_;
  mutable std::vector<ps_decoder_s*> idle_;
};

}  // namespace parley::audio
