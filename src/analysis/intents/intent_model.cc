#include "analysis/intents/intent_model.h"

#include <fasttext/fasttext.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <streambuf>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"

namespace parley::analysis::intents {
namespace {

constexpr std::string_view kLabelPrefix = "__label__";
constexpr std::string_view kMagic = "parley-intent-model 1";

// fastText keeps its writer (signModel + the parts) protected; this exposes
// saving to a stream and loading from one with the signature check that
// FastText::loadModel(std::istream&) skips.
class FastTextClassifier : public fasttext::FastText {
 public:
  void WriteTo(std::ostream& out) {
    signModel(out);
    args_->save(out);
    dict_->save(out);
    out.write(reinterpret_cast<const char*>(&quant_), sizeof(bool));
    input_->save(out);
    out.write(reinterpret_cast<const char*>(&args_->qout), sizeof(bool));
    output_->save(out);
  }
  bool ReadFrom(std::istream& in) {
    if (!checkModel(in)) return false;
    loadModel(in);
    return true;
  }
};

// An istream over bytes it does not own, so a prediction copies no text.
class ViewBuf : public std::streambuf {
 public:
  ViewBuf(char* begin, char* end) { setg(begin, begin, end); }
};

bool HasWhitespace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

// A training file in the temporary directory ($TMPDIR), removed on destruction.
class TempFile {
 public:
  TempFile() {
    std::error_code error;
    std::filesystem::path dir = std::filesystem::temp_directory_path(error);
    if (error) dir = "/tmp";
    std::string pattern = (dir / "parley-intents-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    if (fd >= 0) {
      close(fd);
      path_ = pattern;
    }
  }
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// splitmix64: a tiny generator whose sequence is fixed by its definition, so
// the training order (and so the model) is the same on every platform.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

absl::Status CheckOptions(const TrainOptions& o) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("invalid training option: ", Sv(what)));
  };
  if (o.epochs < 1 || o.epochs > 10000) return bad("epochs must be in [1, 10000]");
  if (!(o.learning_rate > 0) || o.learning_rate > 100) return bad("learning rate must be in (0, 100]");
  if (o.dim < 1 || o.dim > 1000) return bad("dim must be in [1, 1000]");
  if (o.word_ngrams < 1 || o.word_ngrams > 5) return bad("word n-grams must be in [1, 5]");
  if (o.min_char_ngram < 0 || o.max_char_ngram < 0 || o.max_char_ngram > 12)
    return bad("character n-gram lengths must be in [0, 12]");
  if (o.min_char_ngram > 0 && o.max_char_ngram < o.min_char_ngram)
    return bad("the largest character n-gram must be at least the smallest");
  if (o.buckets < 0 || o.buckets > 10000000) return bad("buckets must be in [0, 10000000]");
  if (o.buckets == 0 && (o.word_ngrams > 1 || o.min_char_ngram > 0))
    return bad("word or character n-grams need buckets > 0");
  if (o.threads < 1 || o.threads > 256) return bad("threads must be in [1, 256]");
  return absl::OkStatus();
}

}  // namespace

struct IntentModel::Impl {
  FastTextClassifier fasttext;
  TextNormalization normalization = TextNormalization::kDefault;
  // Cached after training or loading; fastText's dictionary is immutable
  // from then on, so readers share it without locks.
  std::shared_ptr<const fasttext::Dictionary> dict;
  std::vector<std::string> labels;

  void Index() {
    dict = fasttext.getDictionary();
    labels.clear();
    for (int32_t i = 0; i < dict->nlabels(); ++i) {
      std::string label = dict->getLabel(i);
      if (label.compare(0, kLabelPrefix.size(), kLabelPrefix) == 0) label.erase(0, kLabelPrefix.size());
      labels.push_back(std::move(label));
    }
  }
};

IntentModel::IntentModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IntentModel::IntentModel(IntentModel&&) noexcept = default;
IntentModel& IntentModel::operator=(IntentModel&&) noexcept = default;
IntentModel::~IntentModel() = default;

absl::StatusOr<IntentModel> IntentModel::Train(const std::vector<Example>& examples,
                                               const TrainOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (examples.empty()) return absl::InvalidArgumentError("no training examples");

  // fastText sees the examples in file order and does not shuffle between
  // epochs; examples grouped by label (as data sets often are) would train
  // badly, so the file holds them in a seeded random order.
  std::vector<std::string> lines;
  lines.reserve(examples.size());
  std::unordered_set<std::string_view> distinct;
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (e.label.empty() || HasWhitespace(e.label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "example ", i, ": label \"", e.label, "\" must be non-empty and contain no whitespace"));
    }
    std::string tokens = NormalizeText(e.text, options.normalization);
    if (tokens.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("example ", i, ": text has no words"));
    }
    distinct.insert(e.label);
    lines.push_back(absl::StrCat(Sv(kLabelPrefix), e.label, " ", tokens, "\n"));
  }
  if (distinct.size() < 2) {
    return absl::InvalidArgumentError("training needs examples of at least two labels");
  }
  uint64_t rng = static_cast<uint64_t>(options.seed);
  for (size_t i = lines.size(); i > 1; --i) {
    std::swap(lines[i - 1], lines[NextRandom(&rng) % i]);
  }

  TempFile file;
  if (file.path().empty()) {
    return absl::InternalError("cannot create a temporary training file");
  }
  {
    std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
    for (const std::string& line : lines) out << line;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", file.path()));
  }

  fasttext::Args args;
  args.input = file.path();
  args.model = fasttext::model_name::sup;
  args.loss = options.loss == TrainOptions::Loss::kOneVsAll ? fasttext::loss_name::ova
                                                            : fasttext::loss_name::softmax;
  args.epoch = options.epochs;
  args.lr = options.learning_rate;
  args.dim = options.dim;
  args.wordNgrams = options.word_ngrams;
  args.minn = options.min_char_ngram;
  args.maxn = options.min_char_ngram > 0 ? options.max_char_ngram : 0;
  args.bucket = (options.word_ngrams > 1 || options.min_char_ngram > 0) ? options.buckets : 0;
  args.minCount = 1;
  args.minCountLabel = 1;
  args.thread = options.threads;
  args.seed = options.seed;
  args.verbose = 0;

  auto impl = std::make_unique<Impl>();
  impl->normalization = options.normalization;
  try {
    impl->fasttext.train(args);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("fastText training failed: ", e.what()));
  }
  impl->Index();
  return IntentModel(std::move(impl));
}

absl::StatusOr<IntentModel> IntentModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open intent model ", path));
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a Parley intent model: ", Sv(why)));
  };
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return bad("missing header");
  auto impl = std::make_unique<Impl>();
  bool have_normalization = false;
  for (int n = 0;; ++n) {
    if (n > 64 || !std::getline(in, line)) return bad("unterminated header");
    if (line.empty()) break;
    size_t space = line.find(' ');
    std::string_view key = std::string_view(line).substr(0, space);
    std::string_view value =
        space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
    if (key == "normalization") {
      auto parsed = ParseTextNormalization(value);
      if (!parsed) return bad(absl::StrCat("unknown normalization \"", Sv(value), "\""));
      impl->normalization = *parsed;
      have_normalization = true;
    }
    // Unknown keys are ignored so newer writers can add hints.
  }
  if (!have_normalization) return bad("header names no normalization");
  try {
    if (!impl->fasttext.ReadFrom(in)) return bad("wrong fastText signature or version");
  } catch (const std::exception& e) {
    return bad(absl::StrCat("fastText: ", e.what()));
  }
  if (!in) return bad("truncated");
  if (impl->fasttext.getArgs().model != fasttext::model_name::sup) {
    return bad("not a supervised fastText model");
  }
  impl->Index();
  if (impl->labels.empty()) return bad("no labels");
  return IntentModel(std::move(impl));
}

absl::Status IntentModel::Save(const std::string& path) const {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.is_open()) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    out << kMagic << "\n"
        << "normalization " << TextNormalizationName(impl_->normalization) << "\n"
        << "\n";
    try {
      impl_->fasttext.WriteTo(out);
    } catch (const std::exception& e) {
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat("writing ", tmp, ": ", e.what()));
    }
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

std::vector<Prediction> IntentModel::Predict(std::string_view text, int k, float threshold) const {
  std::vector<Prediction> out;
  if (k <= 0) return out;
  std::string tokens = NormalizeText(text, impl_->normalization);
  if (tokens.empty()) return out;
  // The newline makes fastText append its end-of-sentence token, as it did
  // for every training line.
  tokens.push_back('\n');
  ViewBuf buf(tokens.data(), tokens.data() + tokens.size());
  std::istream in(&buf);
  std::vector<int32_t> words, unused_labels;
  impl_->dict->getLine(in, words, unused_labels);
  if (words.empty()) return out;

  // FastText::predict is const and keeps its scratch state on the stack.
  fasttext::Predictions predictions;
  k = std::min<int>(k, static_cast<int>(impl_->labels.size()));
  impl_->fasttext.predict(k, words, predictions, threshold);
  out.reserve(predictions.size());
  for (const auto& [log_probability, id] : predictions) {
    float confidence = std::clamp(std::exp(log_probability), 0.0f, 1.0f);
    if (confidence < threshold) continue;
    out.push_back(Prediction{impl_->labels[id], confidence});
  }
  return out;
}

Prediction IntentModel::Top(std::string_view text, float threshold) const {
  std::vector<Prediction> best = Predict(text, 1);
  if (best.empty()) return Prediction{};
  if (best[0].confidence < threshold) best[0].label.clear();
  return std::move(best[0]);
}

const std::vector<std::string>& IntentModel::labels() const { return impl_->labels; }

TextNormalization IntentModel::normalization() const { return impl_->normalization; }

}  // namespace parley::analysis::intents
