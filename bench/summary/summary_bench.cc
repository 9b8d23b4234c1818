// Cost of the summary step per conversation: SummaryAnalyzer::Analyze over a
// 120-turn support call (alternating customer and agent, 1-3 sentences per
// turn drawn with a fixed seed from contact-center sentences), on one core;
// the same call with roles unknown for the role-free path.
#include <random>
#include <string>
#include <vector>

#include "analysis/summary/conversation_text.h"
#include "analysis/summary/summary_analyzer.h"
#include "benchmark/benchmark.h"

namespace {

using namespace parley;

const std::vector<std::string>& CustomerLines() {
  static const std::vector<std::string> lines = {
      "Hi, I was charged twice for my internet bill this month.",
      "My account number is 4471 2209, the bill was for $89.99.",
      "I already paid it on the fifth and then the same amount came out again on the seventh.",
      "Can you refund the second payment?",
      "I also noticed my internet speed has been really slow in the evenings.",
      "Okay, thank you.",
      "Yes, that's correct.",
      "The router is the one you sent me last year, the white one.",
      "I restarted it twice yesterday but the connection keeps dropping.",
      "How long will the refund take to show up on my card?",
      "Could you also check whether my plan includes the speed upgrade?",
      "Sure, go ahead.",
  };
  return lines;
}

const std::vector<std::string>& AgentLines() {
  static const std::vector<std::string> lines = {
      "Thank you for calling Northwind Broadband, my name is Dana, how can I help you today?",
      "I'm sorry to hear about the double charge, let me pull up your account.",
      "I can see two payments of $89.99 on the fifth and the seventh.",
      "I have refunded the duplicate payment, you will see it on your card in three to five business days.",
      "Please bear with me for a moment while I check the line.",
      "Your line shows drops in the evening, so I will schedule a technician visit for Thursday.",
      "Your plan does include the speed upgrade at no extra cost.",
      "I've also sent you a confirmation email with the refund reference.",
      "Is there anything else I can help you with today?",
      "Thank you for your patience, have a great day!",
      "Can you confirm the address on the account?",
      "Let me check that for you.",
  };
  return lines;
}

core::Conversation SupportCall(int turns) {
  std::mt19937 rng(42);
  core::Conversation c;
  core::Participant* customer = c.add_participants();
  customer->set_id("customer");
  customer->set_role(core::END_USER);
  core::Participant* agent = c.add_participants();
  agent->set_id("agent");
  agent->set_role(core::HUMAN_AGENT);
  for (int i = 0; i < turns; ++i) {
    const bool is_agent = i % 2 == 0;
    const auto& pool = is_agent ? AgentLines() : CustomerLines();
    std::string text;
    const int sentences = 1 + static_cast<int>(rng() % 3);
    for (int s = 0; s < sentences; ++s) {
      if (!text.empty()) text += ' ';
      text += pool[rng() % pool.size()];
    }
    core::Message* m = c.add_messages();
    m->set_participant_id(is_agent ? "agent" : "customer");
    m->set_text(text);
  }
  return c;
}

void BM_SummaryAnalyzer(benchmark::State& state) {
  const core::Conversation c = SupportCall(static_cast<int>(state.range(0)));
  const analysis::SummaryAnalyzer analyzer;
  for (auto _ : state) {
    core::AnalysisResult result;
    benchmark::DoNotOptimize(analyzer.Analyze(c, &result));
    benchmark::DoNotOptimize(result);
  }
  state.counters["conversations/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
  int words = 0;
  for (const core::Message& m : c.messages()) {
    bool in_word = false;
    for (char ch : m.text()) {
      words += ch != ' ' && !in_word;
      in_word = ch != ' ';
    }
  }
  state.counters["words"] = words;
}
BENCHMARK(BM_SummaryAnalyzer)->Arg(120)->Arg(20);

// The same call with the roles unknown (as DialogSum and unlabelled imports):
// the role-free path, whose length follows a word budget (issue 14).
void BM_SummaryAnalyzerNoRoles(benchmark::State& state) {
  core::Conversation c = SupportCall(static_cast<int>(state.range(0)));
  for (core::Participant& p : *c.mutable_participants()) p.clear_role();
  const analysis::SummaryAnalyzer analyzer;
  for (auto _ : state) {
    core::AnalysisResult result;
    benchmark::DoNotOptimize(analyzer.Analyze(c, &result));
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_SummaryAnalyzerNoRoles)->Arg(120)->Arg(20);

// The share of the cost that is cutting the text into sentences and tokens.
void BM_ConversationText(benchmark::State& state) {
  const core::Conversation c = SupportCall(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    analysis::summary::ConversationText text(c);
    benchmark::DoNotOptimize(text.tokens().data());
  }
}
BENCHMARK(BM_ConversationText)->Arg(120);

}  // namespace

BENCHMARK_MAIN();
