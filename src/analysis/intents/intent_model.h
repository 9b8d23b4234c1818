// IntentModel: a text classifier that names what an utterance asks for
// ("card_arrival", "transfer_fee"...), trained from labelled examples in
// seconds on one CPU core. Two components over the same hashed features (word
// uni- and bigrams, word pairs, character n-grams of normalised text; see
// text_normalizer.h, text_features.h) whose confidences are averaged: a
// linear model (multinomial logistic regression by default) and a
// fastText-style mean-embedding model. Stored as int8 rows for prediction.
#pragma once

#include <cstdint>
#include <memory>
#include <functional>
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

// Training knobs. The defaults were chosen by cross-validation inside
// banking77's training part (see docs/quality/intents.md); they suit tens to
// hundreds of intents with tens to hundreds of examples each.
struct TrainOptions {
  enum class Loss {
    // Confidences over all intents sum to 1 (multinomial logistic
    // regression). A low best confidence means "none of these" (out of scope).
    kSoftmax,
    // An independent sigmoid per intent: each confidence says how sure the
    // model is of that intent alone.
    kOneVsAll,
  };
  // Passes of stochastic gradient descent over the examples (shuffled before
  // each pass), with a learning rate decaying linearly to 0.
  int epochs = 20;
  double learning_rate = 2.0;
  // L2 weight decay, applied to the weights of the features of each example
  // as it is seen.
  double l2 = 1e-4;
  int word_ngrams = 2;     // 1 = words only, 2 = and bigrams, 3 = and trigrams
  int min_char_ngram = 3;  // 0 = no character n-grams
  int max_char_ngram = 5;
  int word_pair_window = 4;  // see FeatureOptions
  // Features seen fewer times in the training examples are dropped.
  int min_count = 2;
  Loss loss = Loss::kSoftmax;
  // A second, fastText-style component: each feature gets a learned vector
  // of `dim` floats; their mean goes through a linear layer to the intents.
  // Its confidences are mixed with the linear model's with weight
  // `embedding_weight`. dim (a multiple of 8) = 0 leaves it out.
  int dim = 48;
  int embedding_epochs = 25;
  double embedding_learning_rate = 1.0;
  Loss embedding_loss = Loss::kOneVsAll;
  double embedding_weight = 0.5;
  TextNormalization normalization = TextNormalization::kDefault;
  // The same examples, options and seed give a bit-identical model.
  int seed = 1;
  // Called after each training pass with the passes done and the passes in
  // all (epochs, plus embedding_epochs when dim > 0): a progress bar.
  std::function<void(int done, int total)> on_epoch;
};

struct Prediction {
  std::string label;  // "" when no intent clears the threshold
  float confidence = 0;  // in [0, 1]
};

class IntentModel {
 public:
  // Trains a model on `examples`: at least two distinct labels, each text
  // with at least one token after normalisation. InvalidArgument (naming the
  // example by its 0-based index) for bad examples or options. Deterministic:
  // the same examples (in the same order) and options give the same model.
  static absl::StatusOr<IntentModel> Train(const std::vector<Example>& examples,
                                           const TrainOptions& options);

  // Reads a model written by Save. NotFound if the file cannot be opened,
  // InvalidArgument ("... is not a Parley intent model: why") if it is not
  // one, is of another format version, or is truncated or corrupt (the file
  // carries a checksum).
  static absl::StatusOr<IntentModel> Load(const std::string& path);

  // Writes the model to `path` (replacing it atomically). The format is a
  // short text header (format version, normalisation, features) then a
  // little-endian binary body ending in a checksum.
  absl::Status Save(const std::string& path) const;

  // The `k` most likely intents for `text`, most likely first, leaving out
  // those with confidence below `threshold`. Empty when k <= 0 or `text` has
  // no tokens. Thread-safe: any number of threads may predict at once.
  std::vector<Prediction> Predict(std::string_view text, int k, float threshold = 0) const;

  // The most likely intent, or label "" (with the best confidence still
  // reported) when its confidence is below `threshold` — the out-of-scope
  // rejection. Confidence 0 and label "" for text with no tokens.
  Prediction Top(std::string_view text, float threshold = 0) const;

  // Every intent the model knows, in byte order of the label.
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
