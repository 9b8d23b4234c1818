// Throughput of the analysis pipeline over ~80-character segments on one core:
// sentiment, timing, PII, entities, 1,000 phrases in 100 matchers, summary and
// topics; BM_PipelineWithIntents adds an intent model trained on banking77
// (../shared/data/banking77/train.csv, 77 intents) when that file is there.
#include <random>
#include <string>
#include <vector>

#include "analysis/default_pipeline.h"
#include "analysis/entities/entity_analyzer.h"
#include "analysis/entities/entity_recognizer.h"
#include "analysis/intents/examples_csv.h"
#include "analysis/phrases/phrase_analyzer.h"
#include "analysis/pii/pii_analyzer.h"
#include "analysis/pii/pii_detector.h"
#include "analysis/sentiment/sentiment_analyzer.h"
#include "analysis/summary/summary_analyzer.h"
#include "analysis/timing/timing_analyzer.h"
#include "benchmark/benchmark.h"

namespace {

using namespace parley;

const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "account", "balance", "card",   "charged", "twice",  "refund",  "please", "help",
      "thank",   "you",     "very",   "angry",   "great",  "service", "cancel", "order",
      "payment", "late",    "fee",    "waiting", "hold",   "agent",   "manager", "transfer",
      "problem", "fixed",   "happy",  "not",     "working", "today",  "online", "app"};
  return words;
}

std::string Segment(std::mt19937& rng) {
  std::string s;
  while (s.size() < 80) {
    if (!s.empty()) s += ' ';
    s += Words()[rng() % Words().size()];
  }
  if (rng() % 10 == 0) s += " my email is jane.doe@example.com";
  return s;
}

std::shared_ptr<const analysis::phrases::PhraseMatcherSet> Matchers() {
  std::mt19937 rng(7);
  std::vector<analysis::phrases::PhraseMatcherSpec> specs;
  for (int m = 0; m < 100; ++m) {
    analysis::phrases::PhraseMatcherSpec spec;
    spec.id = "m" + std::to_string(m);
    spec.display_name = spec.id;
    spec.active = true;
    analysis::phrases::RuleGroup group;
    group.all_of = false;
    for (int r = 0; r < 10; ++r) {
      analysis::phrases::PhraseRule rule;
      rule.query = Words()[rng() % Words().size()] + " " + Words()[rng() % Words().size()];
      group.rules.push_back(rule);
    }
    spec.groups.push_back(group);
    specs.push_back(spec);
  }
  auto set = analysis::phrases::PhraseMatcherSet::Compile(std::move(specs));
  return std::make_shared<const analysis::phrases::PhraseMatcherSet>(std::move(*set));
}

// Trained once: banking77's 10,003 examples (takes a few seconds).
std::shared_ptr<const analysis::intents::IntentModel> Banking77Model() {
  static std::shared_ptr<const analysis::intents::IntentModel> model = [] {
    std::shared_ptr<const analysis::intents::IntentModel> m;
    auto examples = analysis::intents::ReadExamplesCsv("../shared/data/banking77/train.csv");
    if (!examples.ok()) return m;
    auto trained = analysis::intents::IntentModel::Train(*examples, analysis::intents::TrainOptions());
    if (trained.ok()) m = std::make_shared<const analysis::intents::IntentModel>(std::move(*trained));
    return m;
  }();
  return model;
}

core::Conversation BenchConversation() {
  std::mt19937 rng(1);
  core::Conversation c;  // 120 segments, alternating speakers
  for (int i = 0; i < 120; ++i) {
    core::Message* m = c.add_messages();
    m->set_text(Segment(rng));
    m->set_channel(i % 2 + 1);
    m->set_time_us(i * 4'000'000);
  }
  return c;
}

void RunPipeline(benchmark::State& state, const analysis::PipelineOptions& options) {
  auto pipeline = *analysis::BuildPipeline(options);
  const core::Conversation c = BenchConversation();
  for (auto _ : state) benchmark::DoNotOptimize(pipeline->Run(c));
  state.counters["segments/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * c.messages_size(), benchmark::Counter::kIsRate);
}

void BM_Pipeline(benchmark::State& state) {
  analysis::PipelineOptions options;
  options.explain_sentiment = false;
  options.phrase_matchers = Matchers();
  RunPipeline(state, options);
}
BENCHMARK(BM_Pipeline)->MeasureProcessCPUTime()->UseRealTime();

void BM_PipelineWithIntents(benchmark::State& state) {
  analysis::PipelineOptions options;
  options.explain_sentiment = false;
  options.phrase_matchers = Matchers();
  options.intent_model = Banking77Model();
  if (!options.intent_model) {
    state.SkipWithError("../shared/data/banking77/train.csv not found: run from the repository root");
    return;
  }
  RunPipeline(state, options);
}
BENCHMARK(BM_PipelineWithIntents)->MeasureProcessCPUTime()->UseRealTime();

// One analyzer of BM_Pipeline alone over the same conversation (each writes
// only its own fields of the result), to see where the pipeline's time goes.
void RunStage(benchmark::State& state, const analysis::Analyzer& analyzer) {
  const core::Conversation c = BenchConversation();
  for (auto _ : state) {
    core::AnalysisResult result;
    benchmark::DoNotOptimize(analyzer.Analyze(c, &result));
  }
}

void BM_StageSentiment(benchmark::State& state) { RunStage(state, analysis::SentimentAnalyzer(false)); }
BENCHMARK(BM_StageSentiment)->MeasureProcessCPUTime()->UseRealTime();
void BM_StageTiming(benchmark::State& state) { RunStage(state, analysis::TimingAnalyzer()); }
BENCHMARK(BM_StageTiming)->MeasureProcessCPUTime()->UseRealTime();
void BM_StagePii(benchmark::State& state) {
  static const analysis::pii::PiiDetector detector;
  RunStage(state, analysis::pii::PiiAnalyzer(&detector));
}
BENCHMARK(BM_StagePii)->MeasureProcessCPUTime()->UseRealTime();
void BM_StageEntities(benchmark::State& state) {
  static const analysis::entities::EntityRecognizer recognizer;
  RunStage(state, analysis::entities::EntitiesAnalyzer(&recognizer));
}
BENCHMARK(BM_StageEntities)->MeasureProcessCPUTime()->UseRealTime();
void BM_StagePhrases(benchmark::State& state) { RunStage(state, analysis::phrases::PhraseAnalyzer(Matchers())); }
BENCHMARK(BM_StagePhrases)->MeasureProcessCPUTime()->UseRealTime();
void BM_StageSummary(benchmark::State& state) { RunStage(state, analysis::SummaryAnalyzer()); }
BENCHMARK(BM_StageSummary)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
