// The embedded recogniser: CMU pocketsphinx with Debian's en-US model
// (pocketsphinx-en-us). Long recordings are cut at pauses into utterances of
// at most 20 s (energy-based: silence is not decoded at all), each decoded on
// its own; word confidences are the lattice posteriors.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audio/recognizer.h"

struct ps_decoder_s;
struct cmd_ln_s;

namespace parley::audio {

struct PocketsphinxOptions {
  // Holds en-us/ (acoustic model), cmudict-en-us.dict and en-us.lm.bin.
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  // Decoder arguments as "-name value" pairs, e.g. "-topn 4"; each replaces
  // the setting of that name in kDefaultDecoderOptions.
  std::string decoder_options;
};

// The settings measured in docs/QUALITY.md (speed against accuracy).
extern const char* const kDefaultDecoderOptions;

class PocketsphinxRecognizer final : public Recognizer {
 public:
  // FAILED_PRECONDITION when the model files are missing or rejected.
  static absl::StatusOr<std::unique_ptr<PocketsphinxRecognizer>> Create(PocketsphinxOptions options);
  ~PocketsphinxRecognizer() override;

  absl::StatusOr<std::vector<RecognizedWord>> Recognize(const std::vector<int16_t>& pcm) const override;
  std::string name() const override { return "pocketsphinx"; }

 private:
  explicit PocketsphinxRecognizer(cmd_ln_s* config) : config_(config) {}
  // A decoder is not thread-safe: each call borrows one from the pool (a new
  // one is made, sharing nothing, when all are busy).
  ps_decoder_s* Borrow() const;
  void Return(ps_decoder_s* ps) const;

  cmd_ln_s* config_;
  mutable std::mutex mu_;
  mutable std::vector<ps_decoder_s*> idle_;
};

}  // namespace parley::audio
