// Throughput of the analysis pipeline over ~80-character segments on one core:
// sentiment, timing, PII and 1,000 phrases in 100 matchers.
#include <random>
#include <string>
#include <vector>

#include "analysis/default_pipeline.h"
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

void BM_Pipeline(benchmark::State& state) {
  analysis::PipelineOptions options;
  options.explain_sentiment = false;
  options.phrase_matchers = Matchers();
  auto pipeline = *analysis::BuildPipeline(options);
  std::mt19937 rng(1);
  core::Conversation c;  // 120 segments, alternating speakers
  for (int i = 0; i < 120; ++i) {
    core::Message* m = c.add_messages();
    m->set_text(Segment(rng));
    m->set_channel(i % 2 + 1);
    m->set_time_us(i * 4'000'000);
  }
  for (auto _ : state) benchmark::DoNotOptimize(pipeline->Run(c));
  state.counters["segments/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * c.messages_size(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Pipeline)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
