// Segments per second of PII detection on one core, over ~80-character
// contact-center segments: 70% without personal data, 30% with it (every
// type appears). items_per_second is segments per second.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "analysis/pii/pii_detector.h"

namespace {

using parley::analysis::pii::PiiDetector;

const std::vector<std::string>& CleanSegments() {
  static const std::vector<std::string> kSegments = {
      "Thank you for calling, how can I help you today with your account or order?",
      "I understand, let me check that for you. It should only take a moment or two.",
      "Sure, I can help with that. Could you tell me a little more about the issue?",
      "The package was supposed to arrive on Tuesday but it still has not shown up.",
      "I have been waiting on hold for twenty minutes and nobody has answered yet.",
      "Okay, I see the problem now. The payment did not go through on our side.",
      "Is there anything else I can help you with today before we end this call?",
      "We are sorry for the inconvenience and will refund the shipping fee for you.",
      "My internet keeps dropping every evening, usually around eight or nine pm.",
      "Let me transfer you to our billing team, they will be able to sort this out.",
      "I would like to cancel my subscription because I am moving to another city.",
      "Great, that worked! The app is loading properly now, thanks for the help.",
      "Could you please restart the router and wait about two minutes for the lights?",
      "the customer said they were unhappy with the delivery time and the packaging",
  };
  return kSegments;
}

const std::vector<std::string>& PiiSegments() {
  static const std::vector<std::string> kSegments = {
      "Sure, my email is jane.doe@example.com and you can text me on (555) 123-4567.",
      "The card number is 4111 1111 1111 1111 and it expires next March, thanks.",
      "My SSN is 123-45-6789, and I was born on 12/06/1985 in a small town nearby.",
      "Please wire it to GB82 WEST 1234 5698 7654 32 before Friday if possible.",
      "Hi, this is Dr. Sarah Connor calling about the server at 192.168.10.45.",
      "Send the replacement to 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
  };
  return kSegments;
}

// 14 clean + 6 PII segments, interleaved: 70% / 30%.
std::vector<std::string> Mix() {
  std::vector<std::string> mix;
  const auto& clean = CleanSegments();
  const auto& pii = PiiSegments();
  size_t c = 0, p = 0;
  for (int i = 0; i < 20; ++i) {
    if (i % 10 == 2 || i % 10 == 5 || i % 10 == 8) {
      mix.push_back(pii[p++ % pii.size()]);
    } else {
      mix.push_back(clean[c++ % clean.size()]);
    }
  }
  return mix;
}

void Run(benchmark::State& state, const std::vector<std::string>& segments, bool redact) {
  static const PiiDetector detector;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& s = segments[i++ % segments.size()];
    bytes += s.size();
    if (redact) {
      benchmark::DoNotOptimize(detector.Redact(s));
    } else {
      benchmark::DoNotOptimize(detector.Find(s));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_FindMixed(benchmark::State& state) { Run(state, Mix(), false); }
void BM_FindClean(benchmark::State& state) { Run(state, CleanSegments(), false); }
void BM_FindPii(benchmark::State& state) { Run(state, PiiSegments(), false); }
void BM_RedactMixed(benchmark::State& state) { Run(state, Mix(), true); }

BENCHMARK(BM_FindMixed);
BENCHMARK(BM_FindClean);
BENCHMARK(BM_FindPii);
BENCHMARK(BM_RedactMixed);

}  // namespace

BENCHMARK_MAIN();
