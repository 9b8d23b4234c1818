// Speed of the intent classifier on banking77 (77 intents, 10,003 examples).
//
//   intents_bench [--benchmark_filter=...]
//
// Reads $PARLEY_DATA_DIR/banking77/train.csv (default: ../shared/data beside
// the source tree) and exits with an error if it is missing. The model is
// trained once with the default TrainOptions on every example; predictions
// cycle through the same texts.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "analysis/intents/examples_csv.h"
#include "analysis/intents/intent_model.h"
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

const IntentModel& Model() {
  static const IntentModel model = [] {
    auto trained = IntentModel::Train(Examples(), TrainOptions{});
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

}  // namespace

BENCHMARK_MAIN();
