// Segments per second of entity recognition on one core, over ~80-character
// contact-center segments: 60% with no entity-like content, 40% with names,
// places, brands, dates, prices, numbers, phone numbers or addresses.
// items_per_second is segments per second. BM_Analyze runs the "entities"
// analyzer (merging, salience, word indices) over a 120-segment conversation.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "analysis/entities/entity_analyzer.h"
#include "analysis/entities/entity_recognizer.h"

namespace {

using parley::analysis::entities::EntitiesAnalyzer;
using parley::analysis::entities::EntityRecognizer;

const std::vector<std::string>& PlainSegments() {
  static const std::vector<std::string> kSegments = {
      "Thank you for calling, how can I help you today with your account or order?",
      "I understand, let me check that for you. It should only take a moment or two.",
      "Sure, I can help with that. Could you tell me a little more about the issue?",
      "I have been waiting on hold for twenty minutes and nobody has answered yet.",
      "Okay, I see the problem now. The payment did not go through on our side.",
      "Is there anything else I can help you with today before we end this call?",
      "We are sorry for the inconvenience and will refund the shipping fee for you.",
      "Let me transfer you to our billing team, they will be able to sort this out.",
      "Great, that worked! The app is loading properly now, thanks for the help.",
      "the customer said they were unhappy with the delivery time and the packaging",
  };
  return kSegments;
}

const std::vector<std::string>& EntitySegments() {
  static const std::vector<std::string> kSegments = {
      "Hi, this is Sarah Connor from Wells Fargo, calling about your card ending 4421.",
      "I was charged $49.99 twice on March 3rd, 2024 for my Netflix subscription.",
      "Can you send the new iPhone 15 to 1600 Pennsylvania Avenue NW, Washington, DC?",
      "My flight to Paris was cancelled, so I need a refund of 320 euros by Friday.",
      "Please call me back on (555) 123-4567 after 5 pm, or email me tomorrow.",
      "We moved from Austin Texas to Seattle last week and the Comcast box is gone.",
      "I transferred 700 pounds to guy kephart on the 4th but he never got it.",
      "Is the Black Friday deal on the Samsung Galaxy S23 still valid until Monday?",
  };
  return kSegments;
}

// 6 plain + 4 entity segments of every 10.
std::vector<std::string> Mix() {
  std::vector<std::string> mix;
  size_t p = 0, e = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 10 == 1 || i % 10 == 4 || i % 10 == 6 || i % 10 == 8) {
      mix.push_back(EntitySegments()[e++ % EntitySegments().size()]);
    } else {
      mix.push_back(PlainSegments()[p++ % PlainSegments().size()]);
    }
  }
  return mix;
}

void Run(benchmark::State& state, const std::vector<std::string>& segments) {
  static const EntityRecognizer recognizer;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& s = segments[i++ % segments.size()];
    bytes += s.size();
    benchmark::DoNotOptimize(recognizer.Find(s));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_FindMixed(benchmark::State& state) { Run(state, Mix()); }
void BM_FindPlain(benchmark::State& state) { Run(state, PlainSegments()); }
void BM_FindEntities(benchmark::State& state) { Run(state, EntitySegments()); }

void BM_Analyze(benchmark::State& state) {
  static const EntityRecognizer recognizer;
  EntitiesAnalyzer analyzer(&recognizer);
  parley::core::Conversation c;
  std::vector<std::string> mix = Mix();
  for (int i = 0; i < 120; ++i) c.add_messages()->set_text(mix[i % mix.size()]);
  for (auto _ : state) {
    parley::core::AnalysisResult result;
    benchmark::DoNotOptimize(analyzer.Analyze(c, &result));
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * c.messages_size());
}

BENCHMARK(BM_FindMixed);
BENCHMARK(BM_FindPlain);
BENCHMARK(BM_FindEntities);
BENCHMARK(BM_Analyze);

}  // namespace

BENCHMARK_MAIN();
