// IntentModel: a text classifier that names what an utterance asks for
// ("card_arrival", "transfer_fee"...), trained from labelled examples in
// seconds on one CPU core. Built on fastText's supervised classifier (word
// uni- and bigrams plus character n-grams, one-vs-all output by default) over
// normalised text (see text_normalizer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "analysis/intents/text_normalizer.h"

namespace parley::analysis::intents {

struct Example {
  std::string text;
  std::string label;  // non-empty, no whitespace
};

// Training knobs. The defaults were chosen on a validation split of
// banking77 (see docs/quality/intents.md); they suit tens to hundreds of
// intents with tens to hundreds of examples each.
struct TrainOptions {
  enum class Loss {
    // An independent sigmoid per intent: each confidence says how sure the
    // model is of that intent alone, so a low best confidence means "none of
    // these" (out of scope). More accurate than softmax on banking77.
    kOneVsAll,
    // Confidences over all intents sum to 1.
    kSoftmax,
  };
  int epochs = 25;
  double learning_rate = 1.0;
  int dim = 100;
  int word_ngrams = 2;      // 1 = words only, 2 = words and bigrams
  int min_char_ngram = 3;   // 0 = no character n-grams
  int max_char_ngram = 5;
  // Hash buckets shared by word bigrams and character n-grams; the model
  // holds buckets x dim floats (50,000 x 100: 20 MB).
  int buckets = 50000;
  Loss loss = Loss::kOneVsAll;
  TextNormalization normalization = TextNormalization::kDefault;
  // Training with one thread and a fixed seed gives bit-identical models for
  // the same examples. More threads train faster (fastText's lock-free SGD)
  // but their models differ from run to run.
  int threads = 1;
  int seed = 1;
};

struct Prediction {
  std::string label;  // "" when no intent clears the threshold
  float confidence = 0;  // in [0, 1]
};

class IntentModel {
 public:
  // Trains a model on `examples`: at least two distinct labels, each text
  // with at least one token after normalisation. InvalidArgument (naming the
  // example by its 0-based index) for bad examples or options; Internal if
  // fastText fails. Deterministic when options.threads == 1.
  static absl::StatusOr<IntentModel> Train(const std::vector<Example>& examples,
                                           const TrainOptions& options);

  // Reads a model written by Save. NotFound if the file cannot be opened,
  // InvalidArgument if it is not an intent model. Model files are trusted
  // input: fastText does not defend against a crafted file.
  static absl::StatusOr<IntentModel> Load(const std::string& path);

  // Writes the model to `path` (replacing it atomically). The format is a
  // short text header (format version, normalisation) then fastText's binary.
  absl::Status Save(const std::string& path) const;

  // The `k` most likely intents for `text`, most likely first, leaving out
  // those with confidence below `threshold`. Empty when k <= 0 or `text` has
  // no tokens. Thread-safe: any number of threads may predict at once.
  std::vector<Prediction> Predict(std::string_view text, int k, float threshold = 0) const;

  // The most likely intent, or label "" (with the best confidence still
  // reported) when its confidence is below `threshold` — the out-of-scope
  // rejection. Confidence 0 and label "" for text with no tokens.
  Prediction Top(std::string_view text, float threshold = 0) const;

  // Every intent the model knows, in fastText's order (most frequent first).
  const std::vector<std::string>& labels() const;
  TextNormalization normalization() const;

  // Move-only; a moved-from model may only be destroyed or assigned to.
  IntentModel(IntentModel&&) noexcept;
  IntentModel& operator=(IntentModel&&) noexcept;
  ~IntentModel();

 private:
  struct Impl;
  explicit IntentModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::analysis::intents
