// Phrase matching speed: a compiled PhraseMatcherSet over chat-like
// transcripts. The phrases (n-grams of a built-in word list), the matchers
// and the transcripts are generated from a fixed seed, so runs compare.
//
//   BM_Match/<phrases>          text-only segments of ~80 characters
//   BM_MatchWords/<phrases>     the same segments as words[] (ASR output)
//   BM_MatchAccented/<phrases>  text with accented letters (the non-ASCII path)
//   BM_Analyze                  PhraseAnalyzer::Analyze, 1,000 phrases
//   BM_Compile/<phrases>        PhraseMatcherSet::Compile
//
// Counters: segments/s (the figure the pipeline budget is in), bytes/s,
// hits/segment (phrase matches reported per segment).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "analysis/phrases/phrase_analyzer.h"
#include "analysis/phrases/phrase_matcher.h"
#include "benchmark/benchmark.h"
#include "core/splitmix.h"

namespace {

using parley::analysis::phrases::PhraseAnalyzer;
using parley::analysis::phrases::PhraseMatcherSet;
using parley::analysis::phrases::PhraseMatcherSpec;
using parley::analysis::phrases::PhraseRule;
using parley::analysis::phrases::RuleGroup;
namespace core = parley::core;

// SplitMix64: the same numbers on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    return core::SplitMix64(&s_);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }

 private:
  uint64_t s_;
};

// Words of contact-center chat, commonest first (texts draw from the head
// more often, as real text does).
const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "i", "the", "to", "you", "a", "and", "my", "is", "it", "for", "that", "can", "your", "of", "me", "this",
      "have", "on", "with", "be", "do", "we", "not", "will", "are", "please", "just", "so", "what", "if",
      "account", "order", "card", "help", "thank", "there", "was", "get", "would", "like", "know", "need",
      "payment", "refund", "cancel", "number", "check", "let", "see", "one", "now", "yes", "no", "time",
      "email", "phone", "address", "bill", "charge", "fee", "plan", "service", "subscription", "credit",
      "debit", "bank", "transfer", "balance", "statement", "month", "today", "tomorrow", "week", "day",
      "problem", "issue", "error", "working", "received", "sent", "delivery", "package", "tracking", "item",
      "return", "exchange", "price", "discount", "offer", "upgrade", "downgrade", "contract", "agent",
      "manager", "supervisor", "customer", "support", "team", "call", "chat", "message", "wait", "hold",
      "minute", "second", "sorry", "apologize", "understand", "frustrated", "unhappy", "happy", "great",
      "good", "bad", "wrong", "right", "correct", "update", "change", "close", "open", "new", "old",
      "password", "login", "username", "reset", "verify", "identity", "security", "code", "pin", "fraud",
      "dispute", "claim", "policy", "coverage", "insurance", "appointment", "schedule", "reschedule",
      "booking", "reservation", "flight", "ticket", "seat", "hotel", "room", "internet", "connection", "slow",
      "outage", "router", "modem", "technician", "visit", "install", "device", "app", "website", "online",
      "store", "location", "hours", "closed", "still", "again", "already", "never", "always", "before", "after",
      "because", "when", "where", "why", "how", "which", "who", "could", "should", "may", "might", "must",
      "want", "said", "told", "asked", "called", "paid", "charged", "billed", "ordered", "shipped", "arrived",
      "damaged", "missing", "late", "early", "twice", "double", "extra", "full", "partial", "amount",
      "dollars", "total", "tax", "shipping", "free", "trial", "renewal", "automatic", "auto", "pay", "method",
      "visa", "mastercard", "paypal", "receipt", "invoice", "confirmation", "reference", "case", "waiting",
      "escalate", "complaint", "feedback", "survey", "rating", "review", "resolve", "resolved", "fix",
      "fixed", "sure", "okay", "alright", "thanks", "bye", "hello", "hi", "morning", "afternoon", "evening",
      "name", "date", "birth", "last", "four", "digits", "social", "zip", "street", "city", "state"};
  return words;
}

// A word, the commonest words drawn far more often (roughly Zipfian).
const std::string& CommonWord(Rng& rng) {
  const auto& w = Words();
  const size_t a = rng.Below(w.size()), b = rng.Below(w.size());
  return w[a < b ? a : b];
}

std::string Accent(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == 'e') {
      out += "\xC3\xA9";  // é
    } else if (c == 'a') {
      out += "\xC3\xA0";  // à
    } else {
      out += c;
    }
  }
  return out;
}

// `count` distinct phrases: 10% one word (from the rarer half of the list),
// 50% two, 30% three, 10% four words, drawn evenly from the list (so a
// phrase is rarer in the texts than a run of their commonest words).
std::vector<std::string> Phrases(size_t count, bool accented) {
  Rng rng(42);
  const auto& w = Words();
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> phrases;
  while (phrases.size() < count) {
    const size_t r = rng.Below(10);
    const size_t n = r < 1 ? 1 : r < 6 ? 2 : r < 9 ? 3 : 4;
    std::string p = n == 1 ? w[w.size() / 2 + rng.Below(w.size() / 2)] : w[rng.Below(w.size())];
    for (size_t i = 1; i < n; ++i) p += " " + w[rng.Below(w.size())];
    if (accented) p = Accent(p);
    if (seen.insert(p).second) phrases.push_back(p);
  }
  return phrases;
}

// 10 rules per matcher in 2 groups; mostly ANY_OF, some ALL_OF groups,
// negated and case-sensitive rules, a third of the matchers per role.
std::vector<PhraseMatcherSpec> Matchers(const std::vector<std::string>& phrases) {
  Rng rng(7);
  std::vector<PhraseMatcherSpec> specs;
  for (size_t i = 0; i < phrases.size(); i += 10) {
    PhraseMatcherSpec spec;
    spec.id = "matcher-" + std::to_string(specs.size());
    spec.display_name = "Matcher " + std::to_string(specs.size());
    spec.all_of = rng.Chance(20);
    spec.role_match = specs.size() % 3 == 0 ? core::ROLE_UNSPECIFIED
                      : specs.size() % 3 == 1 ? core::END_USER
                                              : core::HUMAN_AGENT;
    for (int g = 0; g < 2; ++g) {
      RuleGroup group;
      group.all_of = rng.Chance(10);
      for (size_t r = i + g * 5; r < i + g * 5 + 5 && r < phrases.size(); ++r) {
        group.rules.push_back(PhraseRule{phrases[r], rng.Chance(5), rng.Chance(5)});
      }
      if (!group.rules.empty()) spec.groups.push_back(std::move(group));
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

// A segment of about 80 characters; one in five has a planted phrase.
std::string Segment(Rng& rng, const std::vector<std::string>& phrases, bool accented) {
  std::string s;
  const size_t plant_at = rng.Chance(20) ? rng.Below(8) : SIZE_MAX;
  for (size_t i = 0; s.size() < 78; ++i) {
    std::string w = i == plant_at ? phrases[rng.Below(phrases.size())] : CommonWord(rng);
    if (accented && i != plant_at) w = Accent(w);
    if (i == 0 && !w.empty()) w[0] = static_cast<char>(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]);
    if (!s.empty()) s += rng.Chance(8) ? ", " : " ";
    s += w;
  }
  s += rng.Chance(30) ? "?" : ".";
  return s;
}

struct Corpus {
  std::vector<core::Conversation> conversations;
  size_t segments = 0;
  size_t bytes = 0;
};

// 50 conversations of 20 segments, alternating customer and agent.
Corpus MakeCorpus(const std::vector<std::string>& phrases, bool as_words, bool accented) {
  Rng rng(2024);
  Corpus corpus;
  for (int c = 0; c < 50; ++c) {
    core::Conversation conversation;
    auto* customer = conversation.add_participants();
    customer->set_id("customer");
    customer->set_role(core::END_USER);
    auto* agent = conversation.add_participants();
    agent->set_id("agent");
    agent->set_role(core::HUMAN_AGENT);
    for (int m = 0; m < 20; ++m) {
      core::Message* message = conversation.add_messages();
      message->set_participant_id(m % 2 ? "agent" : "customer");
      const std::string text = Segment(rng, phrases, accented);
      corpus.bytes += text.size();
      if (as_words) {
        size_t start = 0;
        while (start < text.size()) {
          size_t space = text.find(' ', start);
          if (space == std::string::npos) space = text.size();
          message->add_words()->set_word(text.substr(start, space - start));
          start = space + 1;
        }
      } else {
        message->set_text(text);
      }
      ++corpus.segments;
    }
    corpus.conversations.push_back(std::move(conversation));
  }
  return corpus;
}

void RunMatch(benchmark::State& state, bool as_words, bool accented) {
  const std::vector<std::string> phrases = Phrases(static_cast<size_t>(state.range(0)), accented);
  absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(Matchers(phrases));
  if (!set.ok()) {
    state.SkipWithError(std::string(set.status().message()).c_str());
    return;
  }
  const Corpus corpus = MakeCorpus(phrases, as_words, accented);
  core::AnalysisResult result;
  size_t hits = 0;
  for (auto _ : state) {
    for (const core::Conversation& c : corpus.conversations) {
      result.Clear();
      set->Match(c, &result);
      hits += static_cast<size_t>(result.phrase_matches_size());
    }
    benchmark::ClobberMemory();
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["segments/s"] =
      benchmark::Counter(iterations * static_cast<double>(corpus.segments), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(iterations * static_cast<double>(corpus.bytes), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1024);
  state.counters["hits/segment"] = static_cast<double>(hits) / (iterations * static_cast<double>(corpus.segments));
  state.counters["automaton_KiB"] = static_cast<double>(set->automaton_bytes()) / 1024.0;
}

void BM_Match(benchmark::State& state) { RunMatch(state, false, false); }
void BM_MatchWords(benchmark::State& state) { RunMatch(state, true, false); }
void BM_MatchAccented(benchmark::State& state) { RunMatch(state, false, true); }
BENCHMARK(BM_Match)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_MatchWords)->Arg(1000);
BENCHMARK(BM_MatchAccented)->Arg(1000);

void BM_Analyze(benchmark::State& state) {
  const std::vector<std::string> phrases = Phrases(1000, false);
  absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(Matchers(phrases));
  if (!set.ok()) {
    state.SkipWithError(std::string(set.status().message()).c_str());
    return;
  }
  const PhraseAnalyzer analyzer(std::make_shared<const PhraseMatcherSet>(std::move(*set)));
  const Corpus corpus = MakeCorpus(phrases, false, false);
  core::AnalysisResult result;
  for (auto _ : state) {
    for (const core::Conversation& c : corpus.conversations) {
      result.Clear();
      benchmark::DoNotOptimize(analyzer.Analyze(c, &result));
    }
  }
  state.counters["segments/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(corpus.segments), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Analyze);

void BM_Compile(benchmark::State& state) {
  const std::vector<PhraseMatcherSpec> specs = Matchers(Phrases(static_cast<size_t>(state.range(0)), false));
  for (auto _ : state) {
    absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(specs);
    benchmark::DoNotOptimize(set);
  }
  state.counters["phrases"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_Compile)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
