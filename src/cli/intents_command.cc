// `parley intents train | predict`: train an intent model from labelled
// examples and classify utterances with it.
//
//   parley intents train --examples train.csv --model intents.model [--epochs N ...]
//       (trains in about 10 s for 10,000 examples on one core)
//   parley intents predict --model intents.model [--threshold T] < utterances.txt
//
// predict reads one utterance per line from stdin and writes, for each line
// in order, `label<TAB>confidence`; the label is empty when the confidence is
// below --threshold (out of scope) or the line has no words.
//
// Exit codes: 0 success; 2 bad input (a missing or malformed CSV, an unusable
// option, a missing file or one that is not an intent model); 1 any other
// failure (cannot write the model, stdout closed).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "analysis/intents/examples_csv.h"
#include "analysis/intents/intent_model.h"
#include "cli/command.h"
#include "cli/progress.h"

namespace {

using parley::analysis::intents::IntentModel;
using parley::analysis::intents::TrainOptions;

[[noreturn]] void Fail(const absl::Status& status) {
  std::cerr << "parley intents: " << status.message() << "\n";
  bool bad_input = status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kNotFound;
  throw CLI::RuntimeError(bad_input ? 2 : 1);
}

struct TrainFlags {
  std::string examples;
  std::string model;
  std::string loss = TrainOptions{}.loss == TrainOptions::Loss::kOneVsAll ? "ova" : "softmax";
  std::string normalization =
      std::string(parley::analysis::intents::TextNormalizationName(TrainOptions{}.normalization));
  TrainOptions options;
};

void Train(const TrainFlags& flags) {
  TrainOptions options = flags.options;
  options.loss = flags.loss == "ova" ? TrainOptions::Loss::kOneVsAll : TrainOptions::Loss::kSoftmax;
  options.normalization = *parley::analysis::intents::ParseTextNormalization(flags.normalization);

  absl::StatusOr<std::vector<parley::analysis::intents::Example>> examples =
      parley::analysis::intents::ReadExamplesCsv(flags.examples);
  if (!examples.ok()) Fail(examples.status());
  auto start = std::chrono::steady_clock::now();
  const int passes = options.epochs + (options.dim > 0 ? options.embedding_epochs : 0);
  parley::cli::Progress progress("intents train", "passes", passes);
  options.on_epoch = [&progress](int done, int) { progress.Update(done, done); };
  absl::StatusOr<IntentModel> model = IntentModel::Train(*examples, options);
  progress.Update(passes, passes);
  progress.Finish();
  if (!model.ok()) Fail(model.status());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (absl::Status s = model->Save(flags.model); !s.ok()) Fail(s);
  std::fprintf(stderr, "parley intents: trained on %zu examples of %zu intents in %.1f s; wrote %s\n",
               examples->size(), model->labels().size(), seconds, flags.model.c_str());
}

void Predict(const std::string& model_path, float threshold) {
  absl::StatusOr<IntentModel> model = IntentModel::Load(model_path);
  if (!model.ok()) Fail(model.status());
  std::string line;
  char confidence[32];
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    parley::analysis::intents::Prediction p = model->Top(line, threshold);
    std::snprintf(confidence, sizeof confidence, "%.4f", p.confidence);
    std::cout << p.label << '\t' << confidence << '\n';
  }
  std::cout.flush();
  if (!std::cout) Fail(absl::UnavailableError("cannot write to stdout"));
}

void AddIntents(CLI::App& app) {
  CLI::App* intents = app.add_subcommand("intents", "Train and run intent classifiers");
  intents->require_subcommand(1);

  auto train_flags = std::make_shared<TrainFlags>();
  CLI::App* train = intents->add_subcommand(
      "train", "Train an intent model from a CSV of examples (header: text,label)");
  train->add_option("--examples", train_flags->examples, "CSV file with a text and a label column")
      ->required();
  train->add_option("--model", train_flags->model, "Where to write the model")->required();
  TrainOptions& o = train_flags->options;
  train->add_option("--epochs", o.epochs, "Passes over the examples (linear model)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  train->add_option("--lr", o.learning_rate, "Learning rate (linear model)")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 100.0));
  train->add_option("--l2", o.l2, "L2 weight decay (linear model)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--loss", train_flags->loss, "softmax or ova (one sigmoid per intent)")
      ->capture_default_str()
      ->check(CLI::IsMember({"softmax", "ova"}));
  train->add_option("--word-ngrams", o.word_ngrams, "Longest word n-gram (1 = words only)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3));
  train->add_option("--minn", o.min_char_ngram, "Shortest character n-gram (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 12));
  train->add_option("--maxn", o.max_char_ngram, "Longest character n-gram")
      ->capture_default_str()
      ->check(CLI::Range(0, 12));
  train->add_option("--word-pairs", o.word_pair_window,
                    "Pair words up to this many positions apart (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  train->add_option("--min-count", o.min_count, "Drop features seen fewer times")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  train->add_option("--dim", o.dim, "Embedding size, a multiple of 8 (0 = linear model only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  train->add_option("--embedding-epochs", o.embedding_epochs, "Passes over the examples (embeddings)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  train->add_option("--embedding-lr", o.embedding_learning_rate, "Learning rate (embeddings)")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 100.0));
  train->add_option("--embedding-weight", o.embedding_weight,
                    "Weight of the embedding model's confidences in the mix")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--normalization", train_flags->normalization, "Text normalisation")
      ->capture_default_str()
      ->check(CLI::IsMember({"default", "none"}));
  train->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  train->callback([train_flags] { Train(*train_flags); });

  auto model_path = std::make_shared<std::string>();
  auto threshold = std::make_shared<float>(0.0f);
  CLI::App* predict = intents->add_subcommand(
      "predict", "Classify one utterance per stdin line; writes label<TAB>confidence lines");
  predict->add_option("--model", *model_path, "A model written by `parley intents train`")
      ->required();
  predict->add_option("--threshold", *threshold,
                      "Below this confidence the label is empty (out of scope)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  predict->callback([model_path, threshold] { Predict(*model_path, *threshold); });
}

const bool kRegistered = parley::cli::RegisterCommand(&AddIntents);

}  // namespace
