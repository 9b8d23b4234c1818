// intents_eval: measures the intent classifier on real labelled data.
//
//   intents_eval banking77 DATA_DIR [--no-test] [--config SPEC]...
//   intents_eval clinc150  DATA_DIR [--config SPEC]
//
// DATA_DIR holds banking77/train.csv and clinc150/clinc150_train_val.json
// (../shared/data). Every split is a pure function of the text (a salted
// FNV-1a hash), so runs are reproducible; see docs/quality/intents.md for the
// protocol. banking77 compares configurations by 5-fold cross-validation
// inside its training part and scores only the winner on the held-out test
// part (--no-test: stop after the comparison, for development). A SPEC is
// comma-separated key=value pairs over TrainOptions (epochs, lr, l2, ngrams,
// minn, maxn, pairs, mincount, seed, dim, eepochs, elr, eloss=softmax|ova,
// ew, loss=softmax|ova, norm=default|none); unnamed keys keep the library's
// defaults. Given specs replace the built-in grid.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "absl/strings/str_format.h"

#include "analysis/intents/examples_csv.h"
#include "analysis/intents/intent_model.h"
#include "analysis/intents/small_talk.h"

namespace {

using parley::analysis::intents::Example;
using parley::analysis::intents::IntentModel;
using parley::analysis::intents::Prediction;
using parley::analysis::intents::IsSmallTalk;
using parley::analysis::intents::TextNormalization;
using parley::analysis::intents::TrainOptions;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "intents_eval: " << message << "\n";
  std::exit(1);
}

uint64_t Fnv1a(std::string_view salt, std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (std::string_view part : {salt, std::string_view("\x1f"), text}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
  return h;
}

// Splits `all` per label: for each label, its examples ordered by
// Fnv1a(salt, text) (then text), the first round(n * fraction) go to *held,
// the rest to *kept. Stratified and independent of input order.
void StratifiedSplit(const std::vector<Example>& all, std::string_view salt, double fraction,
                     std::vector<Example>* kept, std::vector<Example>* held) {
  std::map<std::string, std::vector<const Example*>> by_label;
  for (const Example& e : all) by_label[e.label].push_back(&e);
  for (auto& [label, members] : by_label) {
    std::sort(members.begin(), members.end(), [&](const Example* a, const Example* b) {
      uint64_t ha = Fnv1a(salt, a->text), hb = Fnv1a(salt, b->text);
      return ha != hb ? ha < hb : a->text < b->text;
    });
    size_t n_held = static_cast<size_t>(members.size() * fraction + 0.5);
    for (size_t i = 0; i < members.size(); ++i) (i < n_held ? held : kept)->push_back(*members[i]);
  }
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Describe(const TrainOptions& o) {
  std::ostringstream s;
  s << "epochs=" << o.epochs << ",lr=" << o.learning_rate << ",l2=" << o.l2
    << ",ngrams=" << o.word_ngrams << ",minn=" << o.min_char_ngram << ",maxn=" << o.max_char_ngram
    << ",pairs=" << o.word_pair_window << ",mincount=" << o.min_count << ",dim=" << o.dim;
  if (o.dim > 0) {
    s << ",eepochs=" << o.embedding_epochs << ",elr=" << o.embedding_learning_rate
      << ",eloss=" << (o.embedding_loss == TrainOptions::Loss::kOneVsAll ? "ova" : "softmax")
      << ",ew=" << o.embedding_weight;
  }
  s    << ",loss=" << (o.loss == TrainOptions::Loss::kOneVsAll ? "ova" : "softmax")
    << ",norm=" << parley::analysis::intents::TextNormalizationName(o.normalization);
  return s.str();
}

TrainOptions ParseSpec(const std::string& spec) {
  TrainOptions o;
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) Fail("bad --config item " + item);
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    try {
      if (key == "epochs") o.epochs = std::stoi(value);
      else if (key == "lr") o.learning_rate = std::stod(value);
      else if (key == "l2") o.l2 = std::stod(value);
      else if (key == "ngrams") o.word_ngrams = std::stoi(value);
      else if (key == "minn") o.min_char_ngram = std::stoi(value);
      else if (key == "maxn") o.max_char_ngram = std::stoi(value);
      else if (key == "mincount") o.min_count = std::stoi(value);
      else if (key == "seed") o.seed = std::stoi(value);
      else if (key == "pairs") o.word_pair_window = std::stoi(value);
      else if (key == "dim") o.dim = std::stoi(value);
      else if (key == "eepochs") o.embedding_epochs = std::stoi(value);
      else if (key == "elr") o.embedding_learning_rate = std::stod(value);
      else if (key == "ew") o.embedding_weight = std::stod(value);
      else if (key == "eloss" && (value == "softmax" || value == "ova"))
        o.embedding_loss = value == "ova" ? TrainOptions::Loss::kOneVsAll : TrainOptions::Loss::kSoftmax;
      else if (key == "loss" && (value == "softmax" || value == "ova"))
        o.loss = value == "ova" ? TrainOptions::Loss::kOneVsAll : TrainOptions::Loss::kSoftmax;
      else if (key == "norm" && parley::analysis::intents::ParseTextNormalization(value))
        o.normalization = *parley::analysis::intents::ParseTextNormalization(value);
      else Fail("unknown --config item " + item);
    } catch (const std::logic_error&) {
      Fail("bad number in --config item " + item);
    }
  }
  return o;
}

IntentModel TrainOrDie(const std::vector<Example>& examples, const TrainOptions& options,
                       double* seconds) {
  auto start = Clock::now();
  absl::StatusOr<IntentModel> model = IntentModel::Train(examples, options);
  if (!model.ok()) Fail(std::string(model.status().message()));
  if (seconds) *seconds = Seconds(start);
  return std::move(*model);
}

double Accuracy(const IntentModel& model, const std::vector<Example>& examples) {
  size_t correct = 0;
  for (const Example& e : examples) correct += model.Top(e.text).label == e.label;
  return examples.empty() ? 0 : static_cast<double>(correct) / examples.size();
}

double MacroF1(const IntentModel& model, const std::vector<Example>& examples) {
  std::map<std::string, std::array<int, 3>> counts;  // tp, fp, fn
  for (const Example& e : examples) {
    std::string got = model.Top(e.text).label;
    if (got == e.label) {
      counts[e.label][0]++;
    } else {
      counts[got][1]++;
      counts[e.label][2]++;
    }
  }
  double sum = 0;
  int n = 0;
  for (const auto& [label, c] : counts) {
    if (c[0] + c[2] == 0) continue;  // not a gold label
    double p = c[0] + c[1] ? static_cast<double>(c[0]) / (c[0] + c[1]) : 0;
    double r = static_cast<double>(c[0]) / (c[0] + c[2]);
    sum += p + r > 0 ? 2 * p * r / (p + r) : 0;
    ++n;
  }
  return n ? sum / n : 0;
}

double PredictionsPerSecond(const IntentModel& model, const std::vector<Example>& examples) {
  auto start = Clock::now();
  size_t n = 0;
  float sink = 0;
  do {
    for (const Example& e : examples) sink += model.Top(e.text).confidence;
    n += examples.size();
  } while (Seconds(start) < 1.0);
  if (sink < 0) std::cerr << sink;
  return n / Seconds(start);
}

std::vector<TrainOptions> Grid(const std::vector<std::string>& specs) {
  std::vector<TrainOptions> grid;
  for (const std::string& spec : specs) grid.push_back(ParseSpec(spec));
  if (!grid.empty()) return grid;
  // The built-in search: the library defaults and one change at a time.
  grid.push_back(TrainOptions{});
  auto with = [&](auto change) {
    TrainOptions o;
    change(o);
    grid.push_back(o);
  };
  with([](TrainOptions& o) { o.dim = 0; });                // linear model alone
  with([](TrainOptions& o) { o.embedding_weight = 1; });   // embedding model alone
  with([](TrainOptions& o) { o.min_count = 1; });          // keep every feature
  with([](TrainOptions& o) { o.min_char_ngram = 2; });     // character 2-5-grams
  with([](TrainOptions& o) { o.word_pair_window = 0; });   // no skip pairs
  with([](TrainOptions& o) { o.dim = 96; });               // bigger embeddings
  return grid;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) Fail("cannot open " + path + " (is ../shared/data there?)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Cross-validation inside `train`: each label's examples, ordered by
// Fnv1a(salt, text), go to folds 0, 1, ..., k-1 in turn; every fold is
// scored once by a model trained on the others. Returns the mean accuracy.
double CrossValidate(const std::vector<Example>& train, const TrainOptions& options, int k,
                     double* seconds, double* predict_us) {
  std::map<std::string, std::vector<const Example*>> by_label;
  for (const Example& e : train) by_label[e.label].push_back(&e);
  std::vector<std::vector<Example>> folds(k);
  for (auto& [label, members] : by_label) {
    std::sort(members.begin(), members.end(), [&](const Example* a, const Example* b) {
      uint64_t ha = Fnv1a("banking77-cv", a->text), hb = Fnv1a("banking77-cv", b->text);
      return ha != hb ? ha < hb : a->text < b->text;
    });
    for (size_t i = 0; i < members.size(); ++i) folds[i % k].push_back(*members[i]);
  }
  size_t correct = 0, total = 0;
  *seconds = 0;
  for (int f = 0; f < k; ++f) {
    std::vector<Example> fit;
    for (int g = 0; g < k; ++g) {
      if (g != f) fit.insert(fit.end(), folds[g].begin(), folds[g].end());
    }
    double s = 0;
    IntentModel model = TrainOrDie(fit, options, &s);
    *seconds += s / k;
    auto start = Clock::now();
    for (const Example& e : folds[f]) correct += model.Top(e.text).label == e.label;
    *predict_us += Seconds(start) * 1e6 / folds[f].size() / k;
    total += folds[f].size();
  }
  return static_cast<double>(correct) / total;
}

void Banking77(const std::string& data_dir, const std::vector<std::string>& specs, bool test) {
  std::string path = data_dir + "/banking77/train.csv";
  ReadFileOrDie(path);  // a clear message when the data is missing
  absl::StatusOr<std::vector<Example>> all = parley::analysis::intents::ReadExamplesCsv(path);
  if (!all.ok()) Fail(std::string(all.status().message()));

  std::vector<Example> train, test_part;
  StratifiedSplit(*all, "banking77-test", 0.2, &train, &test_part);
  constexpr int kFolds = 5;
  std::printf("banking77: %zu examples -> train %zu, test %zu; configs compared by %d-fold "
              "cross-validation inside train\n\n",
              all->size(), train.size(), test_part.size(), kFolds);

  // 1. Choose hyperparameters by cross-validation (the test part is not touched).
  std::printf("| config | cross-validation accuracy | train s (6,404 examples) | µs per prediction |\n|---|---|---|---|\n");
  TrainOptions best;
  double best_accuracy = -1;
  for (const TrainOptions& o : Grid(specs)) {
    double seconds = 0, predict_us = 0;
    double accuracy = CrossValidate(train, o, kFolds, &seconds, &predict_us);
    std::printf("| %s | %.4f | %.1f | %.1f |\n", Describe(o).c_str(), accuracy, seconds, predict_us);
    std::fflush(stdout);
    if (accuracy > best_accuracy) {
      best_accuracy = accuracy;
      best = o;
    }
  }
  std::printf("\nchosen: %s (cross-validation accuracy %.4f)\n", Describe(best).c_str(),
              best_accuracy);
  if (!test) return;

  // 2. Retrain on all of train with the chosen config; report on test once.
  double seconds = 0;
  IntentModel model = TrainOrDie(train, best, &seconds);
  std::printf("test: accuracy %.4f, macro-F1 %.4f (%zu examples, %zu labels)\n",
              Accuracy(model, test_part), MacroF1(model, test_part), test_part.size(),
              model.labels().size());
  std::printf("training on %zu examples: %.1f s (1 thread)\n", train.size(), seconds);
  std::printf("prediction: %.0f predictions/s (1 thread)\n", PredictionsPerSecond(model, test_part));
}

std::vector<Example> JsonExamples(const rapidjson::Document& doc, const char* key) {
  if (!doc.HasMember(key) || !doc[key].IsArray()) Fail(std::string("clinc150: no array ") + key);
  std::vector<Example> out;
  for (const auto& item : doc[key].GetArray()) {
    if (!item.IsArray() || item.Size() != 2 || !item[0].IsString() || !item[1].IsString())
      Fail(std::string("clinc150: bad item in ") + key);
    out.push_back(Example{item[0].GetString(), item[1].GetString()});
  }
  return out;
}

struct OosScores {
  double in_scope_accuracy = 0;  // right intent and not rejected
  double oos_recall = 0;         // out-of-scope utterances rejected
  double oos_precision = 0;      // rejections that were out of scope
};

// A prediction is a rejection when its confidence is below `threshold` or
// its label is `oos_label`.
OosScores Score(const std::vector<Prediction>& in_scope_predictions,
                const std::vector<Example>& in_scope,
                const std::vector<Prediction>& oos_predictions, float threshold,
                const std::string& oos_label) {
  auto rejected = [&](const Prediction& p) {
    return p.confidence < threshold || p.label == oos_label;
  };
  size_t correct = 0, false_rejections = 0, true_rejections = 0;
  for (size_t i = 0; i < in_scope.size(); ++i) {
    const Prediction& p = in_scope_predictions[i];
    if (rejected(p)) {
      ++false_rejections;
    } else if (p.label == in_scope[i].label) {
      ++correct;
    }
  }
  for (const Prediction& p : oos_predictions) true_rejections += rejected(p);
  OosScores s;
  s.in_scope_accuracy = static_cast<double>(correct) / in_scope.size();
  s.oos_recall = static_cast<double>(true_rejections) / oos_predictions.size();
  size_t rejections = true_rejections + false_rejections;
  s.oos_precision = rejections ? static_cast<double>(true_rejections) / rejections : 0;
  return s;
}

std::vector<Prediction> TopAll(const IntentModel& model, const std::vector<Example>& examples) {
  std::vector<Prediction> out;
  for (const Example& e : examples) out.push_back(model.Top(e.text));
  return out;
}

// The small-talk rule (IsSmallTalk: no intent for greetings, thanks,
// goodbyes) on CLINC150 val, whose social intents are greeting, goodbye and
// thank_you: how many of those it catches, how many other in-scope and
// out-of-scope utterances it takes, and what it adds to the threshold.
void SmallTalkTable(const std::vector<Example>& val, const std::vector<Example>& oos_val,
                    const std::vector<Prediction>& val_in, const std::vector<Prediction>& val_oos,
                    float threshold) {
  auto social = [](const std::string& label) {
    return label == "greeting" || label == "goodbye" || label == "thank_you";
  };
  size_t social_n = 0, social_hit = 0, other_n = 0, other_hit = 0, oos_hit = 0;
  size_t other_right = 0, other_right_filtered = 0, oos_rejected = 0, oos_rejected_filtered = 0,
         social_no_intent = 0, social_no_intent_filtered = 0;
  for (size_t i = 0; i < val.size(); ++i) {
    const bool small = IsSmallTalk(val[i].text);
    const bool kept = val_in[i].confidence >= threshold;
    if (social(val[i].label)) {
      ++social_n;
      social_hit += small;
      social_no_intent += !kept;
      social_no_intent_filtered += !kept || small;
    } else {
      ++other_n;
      other_hit += small;
      const bool right = kept && val_in[i].label == val[i].label;
      other_right += right;
      other_right_filtered += right && !small;
    }
  }
  for (size_t i = 0; i < oos_val.size(); ++i) {
    const bool small = IsSmallTalk(oos_val[i].text);
    oos_hit += small;
    oos_rejected += val_oos[i].confidence < threshold;
    oos_rejected_filtered += val_oos[i].confidence < threshold || small;
  }
  auto share = [](size_t a, size_t b) { return b ? static_cast<double>(a) / b : 0.0; };
  std::printf("\nsmall talk (IsSmallTalk) on val / oos_val; social = greeting, goodbye, thank_you:\n\n"
              "| measure | threshold %.2f alone | threshold + small-talk rule |\n|---|---|---|\n"
              "| social utterances given no intent (%zu) | %.4f | %.4f |\n"
              "| other in-scope utterances given their right intent (%zu) | %.4f | %.4f |\n"
              "| out-of-scope utterances given no intent (%zu) | %.4f | %.4f |\n"
              "\nthe rule alone: social %zu/%zu = %.4f, other in-scope %zu/%zu = %.4f, oos %zu/%zu\n",
              threshold, social_n, share(social_no_intent, social_n),
              share(social_no_intent_filtered, social_n), other_n, share(other_right, other_n),
              share(other_right_filtered, other_n), oos_val.size(), share(oos_rejected, oos_val.size()),
              share(oos_rejected_filtered, oos_val.size()), social_hit, social_n,
              share(social_hit, social_n), other_hit, other_n, share(other_hit, other_n), oos_hit,
              oos_val.size());
}

void Clinc150(const std::string& data_dir, const std::vector<std::string>& specs) {
  std::string text = ReadFileOrDie(data_dir + "/clinc150/clinc150_train_val.json");
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) Fail("clinc150: not a JSON object");
  std::vector<Example> train = JsonExamples(doc, "train"), val = JsonExamples(doc, "val"),
                       oos_train = JsonExamples(doc, "oos_train"),
                       oos_val = JsonExamples(doc, "oos_val");
  const std::string kOos = "oos";

  // Held out from the training data only: 20% of each intent's train
  // examples and half of oos_train choose the rejection threshold.
  std::vector<Example> fit, held, oos_fit, oos_held;
  StratifiedSplit(train, "clinc150-threshold", 0.2, &fit, &held);
  StratifiedSplit(oos_train, "clinc150-threshold", 0.5, &oos_fit, &oos_held);
  std::printf("clinc150: train %zu (fit %zu + held %zu), oos_train %zu (fit %zu + held %zu); "
              "reported on val %zu + oos_val %zu\n\n",
              train.size(), fit.size(), held.size(), oos_train.size(), oos_fit.size(),
              oos_held.size(), val.size(), oos_val.size());
  std::printf("| method | config | threshold (chosen on held) | in-scope accuracy, no threshold | "
              "in-scope accuracy | OOS recall | OOS precision | train s |\n"
              "|---|---|---|---|---|---|---|---|\n");

  std::vector<TrainOptions> configs;
  for (const std::string& spec : specs) configs.push_back(ParseSpec(spec));
  if (configs.empty()) {
    TrainOptions defaults, ova;  // the defaults; the linear model one-vs-all
    ova.loss = TrainOptions::Loss::kOneVsAll;
    configs = {defaults, ova};
  }
  std::vector<Prediction> first_val_in, first_val_oos;  // the first config, threshold method
  float first_threshold = 0;
  std::string curve;
  for (const TrainOptions& options : configs) {
    for (bool oos_class : {false, true}) {
      // Choose the threshold: train on fit (+ oos_fit), score on held.
      std::vector<Example> first = fit;
      if (oos_class) first.insert(first.end(), oos_fit.begin(), oos_fit.end());
      IntentModel probe = TrainOrDie(first, options, nullptr);
      std::vector<Prediction> held_in = TopAll(probe, held), held_oos = TopAll(probe, oos_held);
      float threshold = 0;
      double best = -1;
      for (int t = 0; t <= 100; ++t) {
        OosScores s = Score(held_in, held, held_oos, t / 100.0f, kOos);
        // Equal weight to both errors; ties keep the lowest threshold.
        double objective = (s.in_scope_accuracy + s.oos_recall) / 2;
        if (objective > best) {
          best = objective;
          threshold = t / 100.0f;
        }
      }

      // Final model on all the training data, measured on val / oos_val.
      std::vector<Example> all = train;
      if (oos_class) all.insert(all.end(), oos_train.begin(), oos_train.end());
      double seconds = 0;
      IntentModel model = TrainOrDie(all, options, &seconds);
      std::vector<Prediction> val_in = TopAll(model, val), val_oos = TopAll(model, oos_val);
      OosScores plain = Score(val_in, val, val_oos, 0, "");
      OosScores s = Score(val_in, val, val_oos, threshold, kOos);
      std::printf("| %s | %s | %.2f | %.4f | %.4f | %.4f | %.4f | %.1f |\n",
                  oos_class ? "oos class + threshold" : "threshold", Describe(options).c_str(),
                  threshold, plain.in_scope_accuracy, s.in_scope_accuracy, s.oos_recall,
                  s.oos_precision, seconds);
      std::fflush(stdout);
      if (&options == &configs.front() && !oos_class) {
        first_val_in = val_in;
        first_val_oos = val_oos;
        first_threshold = threshold;
        // For choosing --threshold by hand: the whole trade-off of this first
        // model (informational; the row above used the held-out choice).
        for (int t = 0; t <= 9; ++t) {
          OosScores at = Score(val_in, val, val_oos, t / 10.0f, kOos);
          curve += absl::StrFormat("| %.1f | %.4f | %.4f | %.4f |\n", t / 10.0, at.in_scope_accuracy,
                                   at.oos_recall, at.oos_precision);
        }
      }
    }
  }
  std::printf("\nthreshold trade-off on val / oos_val, %s, threshold method:\n\n"
              "| threshold | in-scope accuracy | OOS recall | OOS precision |\n|---|---|---|---|\n%s",
              Describe(configs.front()).c_str(), curve.c_str());
  SmallTalkTable(val, oos_val, first_val_in, first_val_oos, first_threshold);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: intents_eval banking77|clinc150 DATA_DIR [--no-test] [--config SPEC]...\n";
    return 2;
  }
  std::string task = argv[1], data_dir = argv[2];
  std::vector<std::string> specs;
  bool test = true;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--no-test") {
      test = false;
    } else if (arg == "--config" && i + 1 < argc) {
      specs.push_back(argv[++i]);
    } else {
      std::cerr << "intents_eval: unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (task == "banking77") {
    Banking77(data_dir, specs, test);
  } else if (task == "clinc150") {
    Clinc150(data_dir, specs);
  } else {
    std::cerr << "intents_eval: unknown task " << task << "\n";
    return 2;
  }
  return 0;
}
