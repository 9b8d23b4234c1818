// Speed of the intent classifier on banking77 (77 intents, 10,003 examples).
//
//   intents_bench [--benchmark_filter=...]
//
// Reads $PARLEY_DATA_DIR/banking77/train.csv (default: ../shared/data beside
// the source tree) and exits with an error if it is missing. The model is
// trained once with the default TrainOptions on every example; predictions
// cycle through the same texts (BM_PredictTop80: only those of 70 to 90
// bytes, mean ~79, the size the pipeline's budget is stated for).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "analysis/intents/examples_csv.h"
#include "analysis/intents/intent_model.h"
#include "analysis/intents/text_features.h"
#include "analysis/intents/text_normalizer.h"

namespace {

using parley::analysis::intents::Example;
using parley::analysis::intents::IntentModel;
using parley::analysis::intents::TrainOptions;

const std::vector<Example>& Examples() {
  static const std::vector<Example> examples = [] {
    const char* dir = std::getenv("PARLEY_DATA_DIR");
    std::string path = std::string(dir ? dir : PARLEY_DEFAULT_DATA_DIR) + "/banking77/train.csv";
    auto parsed = parley::analysis::intents::ReadExamplesCsv(path);
    if (!parsed.ok()) {
      std::fprintf(stderr, "intents_bench: %s (set PARLEY_DATA_DIR to the shared data folder)\n",
                   std::string(parsed.status().message()).c_str());
      std::exit(1);
    }
    return *parsed;
  }();
  return examples;
}

// $PARLEY_INTENT_MODEL: a model file saved from the same examples and
// defaults (`parley intents train`), loaded instead of training (~4 s) when
// comparing builds with many short runs.
const IntentModel& Model() {
  static const IntentModel model = [] {
    const char* saved = std::getenv("PARLEY_INTENT_MODEL");
    auto trained = saved != nullptr ? IntentModel::Load(saved) : IntentModel::Train(Examples(), TrainOptions{});
    if (!trained.ok()) {
      std::fprintf(stderr, "intents_bench: %s\n", std::string(trained.status().message()).c_str());
      std::exit(1);
    }
    return std::move(*trained);
  }();
  return model;
}

void BM_Train(benchmark::State& state) {
  const std::vector<Example>& examples = Examples();
  for (auto _ : state) {
    auto model = IntentModel::Train(examples, TrainOptions{});
    benchmark::DoNotOptimize(model);
  }
  state.counters["examples"] = static_cast<double>(examples.size());
}
BENCHMARK(BM_Train)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_PredictTop(benchmark::State& state) {
  const IntentModel& model = Model();
  const std::vector<Example>& examples = Examples();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.Top(examples[i].text, 0.5f));
    if (++i == examples.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictTop);

void BM_PredictTop80(benchmark::State& state) {
  const IntentModel& model = Model();
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (const Example& e : Examples()) {
      if (e.text.size() >= 70 && e.text.size() <= 90) out.push_back(e.text);
    }
    return out;
  }();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.Top(texts[i], 0.5f));
    bytes += texts[i].size();
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["mean_bytes"] = static_cast<double>(bytes) / state.iterations();
}
BENCHMARK(BM_PredictTop80);

// One 80-byte utterance over and over: the model rows it needs stay in
// cache, so this is the compute cost alone; the gap to BM_PredictTop80 is
// waiting for memory.
void BM_PredictHot(benchmark::State& state) {
  const IntentModel& model = Model();
  const std::string text = "I made a transfer to my friend yesterday but it still has not arrived, why?";
  for (auto _ : state) benchmark::DoNotOptimize(model.Top(text, 0.5f));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictHot);

void BM_PredictTop5(benchmark::State& state) {
  const IntentModel& model = Model();
  const std::vector<Example>& examples = Examples();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.Predict(examples[i].text, 5));
    if (++i == examples.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictTop5);

void BM_Normalize(benchmark::State& state) {
  const std::vector<Example>& examples = Examples();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parley::analysis::intents::NormalizeText(
        examples[i].text, parley::analysis::intents::TextNormalization::kDefault));
    if (++i == examples.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Normalize);

void BM_Features(benchmark::State& state) {
  const std::vector<Example>& examples = Examples();
  std::vector<std::string> normalized;
  for (const Example& e : examples) {
    normalized.push_back(parley::analysis::intents::NormalizeText(
        e.text, parley::analysis::intents::TextNormalization::kDefault));
  }
  const TrainOptions defaults;
  const parley::analysis::intents::FeatureOptions options{
      defaults.word_ngrams, defaults.min_char_ngram, defaults.max_char_ngram,
      defaults.word_pair_window};
  std::vector<uint64_t> hashes;
  size_t i = 0, count = 0;
  for (auto _ : state) {
    hashes.clear();
    parley::analysis::intents::ExtractFeatures(normalized[i], options, &hashes);
    count += hashes.size();
    benchmark::DoNotOptimize(hashes.data());
    if (++i == normalized.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["features"] = static_cast<double>(count) / state.iterations();
}
BENCHMARK(BM_Features);

}  // namespace

BENCHMARK_MAIN();
