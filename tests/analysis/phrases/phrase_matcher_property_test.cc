// Property test: a compiled set of 1,000 phrases in 100 matchers finds
// exactly what a naive matcher, written independently from the spec, finds
// on random conversations.
#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "analysis/phrases/phrase_matcher.h"
#include "analysis/phrases/phrase_test_util.h"
#include "gtest/gtest.h"

namespace parley::analysis::phrases {
namespace {

using testing::Hit;

// ---- the reference ------------------------------------------------------------

struct RefToken {
  std::string folded;
  std::string raw;
  int word;
};

void CutWord(const std::string& word, int index, std::vector<RefToken>* out) {
  std::string raw;
  auto flush = [&] {
    if (raw.empty()) return;
    std::string folded = raw;
    for (char& ch : folded) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out->push_back(RefToken{folded, raw, index});
    raw.clear();
  };
  for (char ch : word) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      raw += ch;
    } else {
      flush();
    }
  }
  flush();
}

std::vector<RefToken> RefTokens(const core::Message& m) {
  std::vector<RefToken> tokens;
  if (m.words_size() > 0) {
    for (int i = 0; i < m.words_size(); ++i) CutWord(m.words(i).word(), i, &tokens);
    return tokens;
  }
  std::vector<std::string> words;
  std::string current;
  for (char ch : m.text()) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!current.empty()) words.push_back(current);
      current.clear();
    } else {
      current += ch;
    }
  }
  if (!current.empty()) words.push_back(current);
  for (size_t i = 0; i < words.size(); ++i) CutWord(words[i], static_cast<int>(i), &tokens);
  return tokens;
}

bool RefRoleAllowed(core::Role wanted, core::Role role) {
  if (wanted == core::ROLE_UNSPECIFIED) return true;
  if (wanted == core::ANY_AGENT) {
    return role == core::HUMAN_AGENT || role == core::AUTOMATED_AGENT || role == core::ANY_AGENT;
  }
  return role == wanted;
}

std::vector<Hit> ReferenceMatch(const std::vector<PhraseMatcherSpec>& specs, const core::Conversation& c) {
  std::vector<std::vector<RefToken>> tokens;
  std::vector<core::Role> roles;
  for (const core::Message& m : c.messages()) {
    tokens.push_back(m.state() == core::MESSAGE_DELETED ? std::vector<RefToken>{} : RefTokens(m));
    core::Role role = core::ROLE_UNSPECIFIED;
    for (const core::Participant& p : c.participants()) {
      if (p.id() == m.participant_id()) role = p.role();
    }
    roles.push_back(role);
  }
  std::vector<Hit> hits;
  for (const PhraseMatcherSpec& spec : specs) {
    if (!spec.active) continue;
    std::set<std::tuple<int, int, int>> places;
    bool any_group = false, all_groups = true;
    for (const RuleGroup& group : spec.groups) {
      std::set<std::tuple<int, int, int>> group_places;
      bool any_rule = false, all_rules = true;
      for (const PhraseRule& rule : group.rules) {
        std::vector<RefToken> query;
        CutWord(rule.query, 0, &query);
        bool found = false;
        for (size_t m = 0; m < tokens.size(); ++m) {
          if (!RefRoleAllowed(spec.role_match, roles[m])) continue;
          const std::vector<RefToken>& t = tokens[m];
          for (size_t start = 0; start + query.size() <= t.size(); ++start) {
            bool same = true;
            for (size_t k = 0; k < query.size() && same; ++k) {
              same = rule.case_sensitive ? t[start + k].raw == query[k].raw
                                         : t[start + k].folded == query[k].folded;
            }
            if (!same) continue;
            found = true;
            if (!rule.negated) {
              group_places.emplace(static_cast<int>(m), t[start].word, t[start + query.size() - 1].word);
            }
          }
        }
        const bool holds = found != rule.negated;
        any_rule |= holds;
        all_rules &= holds;
      }
      const bool group_holds = group.all_of ? all_rules : any_rule;
      if (group_holds) places.insert(group_places.begin(), group_places.end());
      any_group |= group_holds;
      all_groups &= group_holds;
    }
    if (!(spec.all_of ? all_groups : any_group)) continue;
    if (places.empty()) hits.emplace_back(spec.id, -1, -1, -1);
    for (const auto& [m, s, e] : places) hits.emplace_back(spec.id, m, s, e);
  }
  return hits;
}

// ---- random inputs ------------------------------------------------------------

const std::vector<std::string> kVocabulary = {
    "i",    "want", "to",     "cancel", "my",     "order", "refund", "the",  "account", "please",
    "card", "credit", "number", "help", "agent",  "manager", "thank", "you",  "no",     "yes",
    "bill", "pay",  "late",   "fee",    "plan",   "upgrade", "can",  "not",  "a",      "is"};

class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(engine_); }
  bool Chance(int percent) { return Below(100) < percent; }
  std::string Word() {
    std::string w = kVocabulary[Below(static_cast<int>(kVocabulary.size()))];
    switch (Below(6)) {
      case 0:
        w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
        break;
      case 1:
        for (char& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        break;
      default:
        break;
    }
    return w;
  }
  // A white-space word: vocabulary words glued by punctuation, or punctuation alone.
  std::string SpokenWord() {
    static const std::vector<std::string> kGlue = {",", "-", "'", ".", "!?", "/"};
    if (Chance(5)) return kGlue[Below(static_cast<int>(kGlue.size()))];
    std::string w = Word();
    if (Chance(10)) w += kGlue[Below(static_cast<int>(kGlue.size()))] + Word();
    if (Chance(20)) w += kGlue[Below(static_cast<int>(kGlue.size()))];
    if (Chance(5)) w = "(" + w;
    return w;
  }
  std::string Query() {
    std::string q = Word();
    const int extra = Below(3);
    for (int i = 0; i < extra; ++i) q += (Chance(20) ? ", " : " ") + Word();
    return q;
  }

 private:
  std::mt19937 engine_;
};

std::vector<PhraseMatcherSpec> RandomMatchers(Random& random, int matchers, int rules_each) {
  std::vector<PhraseMatcherSpec> specs;
  for (int m = 0; m < matchers; ++m) {
    PhraseMatcherSpec spec;
    spec.id = "matcher-" + std::to_string(m);
    spec.display_name = "Matcher " + std::to_string(m);
    spec.all_of = random.Chance(50);
    spec.role_match = static_cast<core::Role>(random.Below(5));
    spec.active = !random.Chance(10);
    const int groups = std::min(1 + random.Below(4), rules_each);
    spec.groups.resize(groups);
    for (RuleGroup& g : spec.groups) g.all_of = random.Chance(40);
    for (int r = 0; r < rules_each; ++r) {
      // Every group gets a rule first; then rules land anywhere.
      RuleGroup& g = spec.groups[r < groups ? r : random.Below(groups)];
      g.rules.push_back(PhraseRule{random.Query(), random.Chance(15), random.Chance(15)});
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

core::Conversation RandomConversation(Random& random) {
  core::Conversation c = testing::TwoPartyConversation();
  static const std::vector<std::string> kSpeakers = {"agent", "customer", "bot", "", "stranger"};
  const int messages = random.Below(12);
  for (int i = 0; i < messages; ++i) {
    std::vector<std::string> words;
    const int n = random.Below(16);
    for (int w = 0; w < n; ++w) words.push_back(random.SpokenWord());
    const std::string& speaker = kSpeakers[random.Below(static_cast<int>(kSpeakers.size()))];
    core::Message* m;
    if (random.Chance(30)) {
      m = testing::SayWords(c, speaker, words);
      m->set_text(random.SpokenWord());  // ignored: the words are read
    } else {
      std::string text;
      for (const std::string& w : words) text += (text.empty() || random.Chance(80) ? " " : "  \t") + w;
      m = testing::Say(c, speaker, text);
    }
    if (random.Chance(5)) m->set_state(core::MESSAGE_DELETED);
  }
  return c;
}

TEST(PhraseMatcherProperty, ThousandPhrasesAgreeWithANaiveMatcher) {
  Random random(20240611);
  const std::vector<PhraseMatcherSpec> specs = RandomMatchers(random, 100, 10);
  absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(specs);
  ASSERT_TRUE(set.ok()) << set.status();
  size_t active = 0;
  for (const PhraseMatcherSpec& s : specs) active += s.active;
  EXPECT_EQ(set->matcher_count(), active);

  size_t conversations_with_matches = 0;
  size_t placed = 0, unplaced = 0;
  for (int i = 0; i < 400; ++i) {
    const core::Conversation c = RandomConversation(random);
    const std::vector<Hit> expected = ReferenceMatch(specs, c);
    const std::vector<Hit> actual = testing::MatchAll(*set, c);
    ASSERT_EQ(actual, expected) << "conversation " << i << ":\n" << c.DebugString();
    conversations_with_matches += !actual.empty();
    for (const Hit& h : actual) (std::get<1>(h) < 0 ? unplaced : placed)++;
  }
  // The inputs exercise both kinds of result, not just the empty one.
  EXPECT_GT(conversations_with_matches, 200u);
  EXPECT_GT(placed, 1000u);
  EXPECT_GT(unplaced, 10u);
}

TEST(PhraseMatcherProperty, ManySmallSetsAgreeWithANaiveMatcher) {
  // Small sets over the same vocabulary make rule interactions (ALL_OF over
  // a few rules, negations) decide matches often.
  Random random(7);
  for (int round = 0; round < 200; ++round) {
    const std::vector<PhraseMatcherSpec> specs = RandomMatchers(random, 1 + random.Below(4), 1 + random.Below(5));
    absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(specs);
    ASSERT_TRUE(set.ok()) << set.status();
    for (int i = 0; i < 10; ++i) {
      const core::Conversation c = RandomConversation(random);
      ASSERT_EQ(testing::MatchAll(*set, c), ReferenceMatch(specs, c)) << "round " << round << ", conversation " << i;
    }
  }
}

}  // namespace
}  // namespace parley::analysis::phrases
