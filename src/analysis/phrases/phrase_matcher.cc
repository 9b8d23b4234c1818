#include "analysis/phrases/phrase_matcher.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "analysis/phrases/tokenize.h"

namespace parley::analysis::phrases {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// A query cut into tokens like a transcript is.
struct QueryTokens {
  std::vector<std::string> folded;
  std::vector<std::string> raw;  // the same tokens as written
};

class QuerySink {
 public:
  explicit QuerySink(std::string_view text) : text_(text) {}
  void BeginWord() {}
  void BeginToken(size_t raw) {
    begin_ = raw;
    tokens.folded.emplace_back();
  }
  void Byte(uint8_t b) { tokens.folded.back().push_back(static_cast<char>(b)); }
  void AsciiRun(const char* begin, const char* end) {
    for (const char* p = begin; p < end; ++p) Byte(FoldAscii(*p));
  }
  void EndToken(size_t raw) { tokens.raw.emplace_back(text_.substr(begin_, raw - begin_)); }

  QueryTokens tokens;

 private:
  std::string_view text_;
  size_t begin_ = 0;
};

QueryTokens CutQuery(std::string_view query) {
  QuerySink sink(query);
  Tokenize(query, sink);
  return std::move(sink.tokens);
}

// Number of code points in `s`, or -1 if it is not well-formed UTF-8.
int64_t CountUtf8Chars(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto n = static_cast<int64_t>(s.size());
  int64_t i = 0;
  int64_t chars = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
    } else {
      UChar32 c;
      int32_t j = 0;
      const auto rest = static_cast<int32_t>(std::min<int64_t>(n - i, 4));
      U8_NEXT(p + i, j, rest, c);
      if (c < 0) return -1;
      i += j;
    }
    ++chars;
  }
  return chars;
}

// Whether a matcher that reads `wanted` messages reads one spoken as `role`.
bool RoleAllowed(core::Role wanted, core::Role role) {
  switch (wanted) {
    case core::ROLE_UNSPECIFIED:
      return true;
    case core::ANY_AGENT:
      return role == core::HUMAN_AGENT || role == core::AUTOMATED_AGENT || role == core::ANY_AGENT;
    default:
      return role == wanted;
  }
}

constexpr int kRoleCount = 5;  // ROLE_UNSPECIFIED .. ANY_AGENT

// A role this build does not know reads as ROLE_UNSPECIFIED: only matchers
// for every role see it either way.
core::Role KnownRole(core::Role role) {
  return role >= 0 && role < kRoleCount ? role : core::ROLE_UNSPECIFIED;
}

// The role a message is spoken in: its participant's, else the role of the
// participant (or Insights call channel) on its audio channel.
core::Role MessageRole(const core::Conversation& conversation, const core::Message& message) {
  if (!message.participant_id().empty()) {
    for (const core::Participant& p : conversation.participants()) {
      if (p.id() == message.participant_id()) return KnownRole(p.role());
    }
  }
  if (message.channel() != 0) {
    for (const core::Participant& p : conversation.participants()) {
      if (p.channel() == message.channel()) return KnownRole(p.role());
    }
    if (conversation.has_call_channels()) {
      if (message.channel() == conversation.call_channels().customer_channel()) return core::END_USER;
      if (message.channel() == conversation.call_channels().agent_channel()) return core::HUMAN_AGENT;
    }
  }
  return core::ROLE_UNSPECIFIED;
}

std::string RulePath(size_t group, size_t rule) {
  return absl::StrCat("phrase_match_rule_groups[", group, "].phrase_match_rules[", rule, "]");
}

}  // namespace

absl::Status Validate(const PhraseMatcherSpec& spec) {
  if (spec.groups.empty()) {
    return absl::InvalidArgumentError("a phrase matcher needs at least one phrase match rule group");
  }
  if (spec.groups.size() > static_cast<size_t>(kMaxGroupsPerMatcher)) {
    return absl::InvalidArgumentError(absl::StrCat("a phrase matcher has at most ", kMaxGroupsPerMatcher,
                                                   " phrase match rule groups; this one has ",
                                                   spec.groups.size()));
  }
  if (!core::Role_IsValid(spec.role_match)) {
    return absl::InvalidArgumentError(absl::StrCat("role_match ", static_cast<int>(spec.role_match),
                                                   " is not a participant role"));
  }
  size_t total = 0;
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    const RuleGroup& group = spec.groups[g];
    if (group.rules.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("phrase_match_rule_groups[", g, "] has no phrase match rules"));
    }
    total += group.rules.size();
    if (total > static_cast<size_t>(kMaxRulesPerMatcher)) {
      return absl::InvalidArgumentError(
          absl::StrCat("a phrase matcher has at most ", kMaxRulesPerMatcher, " phrase match rules"));
    }
    for (size_t r = 0; r < group.rules.size(); ++r) {
      const std::string& query = group.rules[r].query;
      if (query.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(RulePath(g, r), ".query must not be empty"));
      }
      const int64_t chars = CountUtf8Chars(query);
      if (chars < 0) {
        return absl::InvalidArgumentError(absl::StrCat(RulePath(g, r), ".query is not valid UTF-8"));
      }
      if (chars > kMaxQueryChars) {
        return absl::InvalidArgumentError(absl::StrCat(RulePath(g, r), ".query is ", chars,
                                                       " characters long; the limit is ", kMaxQueryChars));
      }
      if (CutQuery(query).folded.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(RulePath(g, r), ".query \"", query, "\" contains no words"));
      }
    }
  }
  return absl::OkStatus();
}

// ---- the compiled form ------------------------------------------------------

namespace {

struct Rule {
  uint32_t matcher;
  uint32_t group;  // index into Compiled::groups
  bool negated;
  bool case_sensitive;
  std::vector<std::string> raw_tokens;  // checked when case_sensitive
};

struct Group {
  bool all_of;
  uint32_t rule_begin, rule_end;
};

struct Matcher {
  std::string id;
  std::string display_name;
  bool all_of;
  core::Role role;
  uint32_t group_begin, group_end;
};

// A distinct case-folded phrase: a key of the automaton.
struct Pattern {
  uint32_t tokens;
  uint32_t rule_begin, rule_end;  // into Compiled::pattern_rules
};

// A token read from a message: where it is and which word holds it.
struct Token {
  const char* raw;
  uint32_t raw_length;
  int32_t word;
};

struct Occurrence {
  uint32_t matcher;
  uint32_t group;
  int32_t message;
  int32_t start_word;
  int32_t end_word;
};

// Per-thread working memory of Match; rule_hit, matcher_touched and
// bucket_end are all zero between calls.
struct Scratch {
  std::vector<uint8_t> rule_hit;
  std::vector<uint8_t> matcher_touched;
  std::vector<uint32_t> touched_rules;
  std::vector<uint32_t> touched_matchers;
  std::vector<Occurrence> occurrences;
  std::vector<Token> tokens;
  std::vector<uint8_t> group_holds;
  // Per matcher, a count and then where its occurrences start in
  // `by_matcher`, the occurrences grouped by matcher.
  std::vector<uint32_t> bucket_end;
  std::vector<Occurrence> by_matcher;

  // Back to all zero, keeping the memory.
  void Reset() {
    for (uint32_t r : touched_rules) rule_hit[r] = 0;
    for (uint32_t m : touched_matchers) matcher_touched[m] = 0;
    for (uint32_t m : touched_matchers) bucket_end[m] = 0;
    touched_rules.clear();
    touched_matchers.clear();
    occurrences.clear();
  }
};

}  // namespace

struct PhraseMatcherSet::Compiled {
  std::vector<Matcher> matchers;
  std::vector<Group> groups;
  std::vector<Rule> rules;
  std::vector<Pattern> patterns;
  std::vector<uint32_t> pattern_rules;
  // Matchers that hold when no phrase occurs (negated rules), in order.
  std::vector<uint32_t> hold_without_hits;
  // Bit r set: some matcher reads messages spoken in role r.
  uint32_t role_mask = 0;

  // The automaton: a complete DFA over byte classes of the text
  // " token token ... token ", keys being " phrase tokens ". Both ends of a
  // key are spaces, so a key only matches whole tokens.
  std::array<uint8_t, 256> byte_class{};   // folded byte -> class
  std::array<uint8_t, 256> ascii_class{};  // ASCII letter or digit -> class of its folding
  uint32_t classes = 1;
  uint32_t space_class = 0;
  // States are numbered breadth first, so the shallow states, where a scan
  // spends most of its time, share cache lines; a state is named by its
  // row's offset in `delta` (index * classes), which spares a multiply per
  // byte. The transitions into a state where keys end (all on the space
  // class) carry kEndsKeys.
  static constexpr uint32_t kEndsKeys = 1u << 31;
  uint32_t start_state = 0;     // after the leading space
  std::vector<uint32_t> delta;  // [state + class] -> state | kEndsKeys?
  // With at most kMaxNarrowStates states the table is kept in 16 bits
  // instead, half the memory (a scan is bound by the latency of these
  // loads): [state + class] -> the state's index | kNarrowEndsKeys?, its
  // offset being index * classes. Exactly one of delta, delta16 is filled.
  static constexpr uint16_t kNarrowEndsKeys = 1u << 15;
  static constexpr size_t kMaxNarrowStates = kNarrowEndsKeys;
  std::vector<uint16_t> delta16;
  std::vector<uint32_t> out_begin;  // [state / classes] .. [+ 1]: into `out`
  std::vector<uint32_t> out;        // pattern ids ending at the state

  bool Holds(uint32_t m, const std::vector<uint8_t>& rule_hit, uint8_t* group_holds) const;
  absl::Status BuildAutomaton(const std::vector<std::string>& keys);
};

bool PhraseMatcherSet::Compiled::Holds(uint32_t m, const std::vector<uint8_t>& rule_hit,
                                       uint8_t* group_holds) const {
  const Matcher& matcher = matchers[m];
  bool any = false;
  bool all = true;
  for (uint32_t g = matcher.group_begin; g < matcher.group_end; ++g) {
    const Group& group = groups[g];
    bool g_any = false;
    bool g_all = true;
    for (uint32_t r = group.rule_begin; r < group.rule_end; ++r) {
      const bool holds = (rule_hit[r] != 0) != rules[r].negated;
      g_any |= holds;
      g_all &= holds;
    }
    const bool holds = group.all_of ? g_all : g_any;
    group_holds[g - matcher.group_begin] = holds;
    any |= holds;
    all &= holds;
  }
  return matcher.all_of ? all : any;
}

absl::Status PhraseMatcherSet::Compiled::BuildAutomaton(const std::vector<std::string>& keys) {
  // Byte classes: one per byte that occurs in a key, class 0 for the rest
  // (such a byte can only lead back to the root).
  size_t key_bytes = 0;
  for (const std::string& key : keys) {
    key_bytes += key.size();
    for (unsigned char b : key) {
      if (byte_class[b] == 0) byte_class[b] = static_cast<uint8_t>(classes++);
    }
  }
  if (byte_class[' '] == 0) byte_class[' '] = static_cast<uint8_t>(classes++);
  space_class = byte_class[' '];
  for (int b = 0; b < 128; ++b) ascii_class[b] = byte_class[internal::kByteTable[b]];
  const size_t max_states = key_bytes + 1;
  if (max_states * classes * sizeof(uint32_t) > kMaxAutomatonBytes || max_states * classes >= kEndsKeys) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the phrase matchers hold too many phrases to compile (", keys.size(), " phrases, ", key_bytes,
        " bytes)"));
  }

  // The trie.
  std::vector<uint32_t> trie(classes, kNone);  // goto, then complete, by old number
  std::vector<uint32_t> own{kNone};
  for (uint32_t p = 0; p < keys.size(); ++p) {
    uint32_t s = 0;
    for (unsigned char b : keys[p]) {
      const size_t at = size_t{s} * classes + byte_class[b];
      if (trie[at] == kNone) {
        trie[at] = static_cast<uint32_t>(own.size());
        own.push_back(kNone);
        trie.resize(own.size() * classes, kNone);
      }
      s = trie[at];
    }
    own[s] = p;
  }
  const size_t states = own.size();

  // Failure links, breadth first, completing the transition table.
  std::vector<uint32_t> fail(states, 0);
  std::vector<uint32_t> order{0};
  order.reserve(states);
  for (uint32_t c = 0; c < classes; ++c) {
    uint32_t& t = trie[c];
    if (t == kNone) {
      t = 0;
    } else {
      fail[t] = 0;
      order.push_back(t);
    }
  }
  for (size_t i = 1; i < order.size(); ++i) {
    const uint32_t s = order[i];
    const uint32_t* f = &trie[size_t{fail[s]} * classes];
    uint32_t* row = &trie[size_t{s} * classes];
    for (uint32_t c = 0; c < classes; ++c) {
      if (row[c] == kNone) {
        row[c] = f[c];
      } else {
        fail[row[c]] = f[c];
        order.push_back(row[c]);
      }
    }
  }

  // Outputs: a state's own key and those of its failure chain (its
  // suffixes); a state's failure target comes before it in `order`.
  std::vector<std::vector<uint32_t>> outs(states);
  for (size_t i = 1; i < order.size(); ++i) {
    const uint32_t s = order[i];
    if (own[s] != kNone) outs[s].push_back(own[s]);
    const std::vector<uint32_t>& inherited = outs[fail[s]];
    outs[s].insert(outs[s].end(), inherited.begin(), inherited.end());
  }

  // Renumber the states in breadth-first order, as row offsets.
  std::vector<uint32_t> renumbered(states);
  for (size_t i = 0; i < order.size(); ++i) renumbered[order[i]] = static_cast<uint32_t>(i * classes);
  std::vector<uint32_t> table(states * classes);
  out_begin.assign(states + 1, 0);
  for (size_t i = 0; i < states; ++i) {
    const uint32_t s = order[i];
    for (uint32_t c = 0; c < classes; ++c) {
      const uint32_t t = trie[size_t{s} * classes + c];
      table[i * classes + c] = renumbered[t] | (outs[t].empty() ? 0 : kEndsKeys);
    }
    out_begin[i] = static_cast<uint32_t>(out.size());
    out.insert(out.end(), outs[s].begin(), outs[s].end());
  }
  out_begin[states] = static_cast<uint32_t>(out.size());
  start_state = renumbered[trie[space_class]];
  if (states <= kMaxNarrowStates) {
    delta16.resize(table.size());
    for (size_t i = 0; i < table.size(); ++i) {
      delta16[i] = static_cast<uint16_t>((table[i] & ~kEndsKeys) / classes) |
                   ((table[i] & kEndsKeys) ? kNarrowEndsKeys : 0);
    }
  } else {
    delta = std::move(table);
  }
  return absl::OkStatus();
}

absl::StatusOr<PhraseMatcherSet> PhraseMatcherSet::Compile(std::vector<PhraseMatcherSpec> specs) {
  absl::flat_hash_set<std::string> ids;
  for (const PhraseMatcherSpec& spec : specs) {
    if (spec.id.empty()) return absl::InvalidArgumentError("a phrase matcher needs an id");
    if (absl::Status s = Validate(spec); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("phrase matcher ", spec.id, ": ", s.message()));
    }
    if (!ids.insert(spec.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("phrase matcher id ", spec.id, " is repeated"));
    }
  }

  auto c = std::make_unique<Compiled>();
  absl::flat_hash_map<std::string, uint32_t> pattern_of_key;
  std::vector<std::string> keys;
  std::vector<std::pair<uint32_t, uint32_t>> pattern_rule;  // (pattern, rule)
  for (PhraseMatcherSpec& spec : specs) {
    if (!spec.active) continue;
    const auto m = static_cast<uint32_t>(c->matchers.size());
    Matcher matcher{std::move(spec.id), std::move(spec.display_name), spec.all_of, spec.role_match,
                    static_cast<uint32_t>(c->groups.size()), 0};
    for (RuleGroup& group : spec.groups) {
      const auto g = static_cast<uint32_t>(c->groups.size());
      Group compiled_group{group.all_of, static_cast<uint32_t>(c->rules.size()), 0};
      for (PhraseRule& rule : group.rules) {
        QueryTokens q = CutQuery(rule.query);
        std::string key = " ";
        for (const std::string& t : q.folded) absl::StrAppend(&key, t, " ");
        auto [it, inserted] = pattern_of_key.try_emplace(key, static_cast<uint32_t>(keys.size()));
        if (inserted) {
          keys.push_back(key);
          c->patterns.push_back(Pattern{static_cast<uint32_t>(q.folded.size()), 0, 0});
        }
        pattern_rule.emplace_back(it->second, static_cast<uint32_t>(c->rules.size()));
        c->rules.push_back(Rule{m, g, rule.negated, rule.case_sensitive,
                                rule.case_sensitive ? std::move(q.raw) : std::vector<std::string>{}});
      }
      compiled_group.rule_end = static_cast<uint32_t>(c->rules.size());
      c->groups.push_back(compiled_group);
    }
    matcher.group_end = static_cast<uint32_t>(c->groups.size());
    for (int r = 0; r < kRoleCount; ++r) {
      if (RoleAllowed(matcher.role, static_cast<core::Role>(r))) c->role_mask |= 1u << r;
    }
    c->matchers.push_back(std::move(matcher));
  }

  std::sort(pattern_rule.begin(), pattern_rule.end());
  for (size_t i = 0; i < pattern_rule.size();) {
    Pattern& p = c->patterns[pattern_rule[i].first];
    p.rule_begin = static_cast<uint32_t>(c->pattern_rules.size());
    const uint32_t id = pattern_rule[i].first;
    for (; i < pattern_rule.size() && pattern_rule[i].first == id; ++i) {
      c->pattern_rules.push_back(pattern_rule[i].second);
    }
    p.rule_end = static_cast<uint32_t>(c->pattern_rules.size());
  }

  const std::vector<uint8_t> no_hits(c->rules.size(), 0);
  std::vector<uint8_t> group_holds(kMaxGroupsPerMatcher);
  for (uint32_t m = 0; m < c->matchers.size(); ++m) {
    if (c->Holds(m, no_hits, group_holds.data())) c->hold_without_hits.push_back(m);
  }

  if (absl::Status s = c->BuildAutomaton(keys); !s.ok()) return s;
  return PhraseMatcherSet(std::move(c));
}

PhraseMatcherSet::PhraseMatcherSet(std::unique_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
PhraseMatcherSet::PhraseMatcherSet(PhraseMatcherSet&&) noexcept = default;
PhraseMatcherSet& PhraseMatcherSet::operator=(PhraseMatcherSet&&) noexcept = default;
PhraseMatcherSet::~PhraseMatcherSet() = default;

size_t PhraseMatcherSet::matcher_count() const { return compiled_ ? compiled_->matchers.size() : 0; }
size_t PhraseMatcherSet::phrase_count() const { return compiled_ ? compiled_->patterns.size() : 0; }
size_t PhraseMatcherSet::automaton_bytes() const {
  if (!compiled_) return 0;
  const Compiled& c = *compiled_;
  return (c.delta.size() + c.out_begin.size() + c.out.size()) * sizeof(uint32_t) +
         c.delta16.size() * sizeof(uint16_t);
}

// ---- matching ---------------------------------------------------------------

namespace {

// Runs the automaton over the tokens of one message and records, for every
// phrase that ends at a token, the rules it satisfies. `Entry` is uint32_t
// for Compiled::delta, uint16_t for Compiled::delta16.
template <typename Compiled, typename Entry>
class MessageScanner {
 public:
  MessageScanner(const Compiled& c, Scratch& scratch, int32_t message, core::Role role)
      : c_(c),
        s_(scratch),
        delta_(Table(c)),
        classes_(c.classes),
        state_(c.start_state),
        message_(message),
        role_(role) {}

  // Reads `text`: its white-space words are words 0, 1, ... when
  // `count_words`; otherwise all of it is word `word` (a WordInfo).
  void Read(std::string_view text, int32_t word, bool count_words) {
    base_ = text.data();
    word_ = count_words ? -1 : word;
    count_words_ = count_words;
    // A token holds at least one byte, so this many slots suffice.
    if (s_.tokens.size() < count_ + text.size()) s_.tokens.resize(count_ + text.size() + 64);
    tokens_ = s_.tokens.data();
    Tokenize(text, *this);
  }

  // Tokenize's sink.
  [[gnu::always_inline]] void BeginWord() { word_ += count_words_; }
  [[gnu::always_inline]] void BeginToken(size_t raw) { raw_begin_ = raw; }
  // Only transitions on the space class end keys, so Byte and AsciiRun
  // need not clear the flag.
  [[gnu::always_inline]] void Byte(uint8_t b) { state_ = Step(state_ + c_.byte_class[b]); }
  [[gnu::always_inline]] void AsciiRun(const char* p, const char* end) {
    // Inside a token the root (state 0) is a dead end until the next space:
    // every key starts with a space. So a token that is no phrase word's
    // prefix is skipped once it has diverged.
    uint32_t state = state_;
    const uint8_t* ascii_class = c_.ascii_class.data();
    for (; p < end && state != 0; ++p) state = Step(state + ascii_class[static_cast<uint8_t>(*p)]);
    state_ = state;
  }
  [[gnu::always_inline]] void EndToken(size_t raw) {
    const uint32_t next = Next(state_ + c_.space_class);
    state_ = next & ~Compiled::kEndsKeys;
    tokens_[count_++] = Token{base_ + raw_begin_, static_cast<uint32_t>(raw - raw_begin_), word_};
    if (next & Compiled::kEndsKeys) [[unlikely]] OnPhrasesEnd();
  }

 private:
  // Out of line: most tokens end no phrase, and the scan loop stays small.
  __attribute__((noinline)) void OnPhrasesEnd() {
    const uint32_t last = count_ - 1;
    const uint32_t index = state_ / classes_;
    for (uint32_t o = c_.out_begin[index]; o < c_.out_begin[index + 1]; ++o) {
      const Pattern& p = c_.patterns[c_.out[o]];
      const uint32_t first = last + 1 - p.tokens;
      for (uint32_t i = p.rule_begin; i < p.rule_end; ++i) {
        const uint32_t r = c_.pattern_rules[i];
        const Rule& rule = c_.rules[r];
        if (!RoleAllowed(c_.matchers[rule.matcher].role, role_)) continue;
        if (rule.case_sensitive && !SameRaw(first, rule.raw_tokens)) continue;
        if (!s_.rule_hit[r]) {
          s_.rule_hit[r] = 1;
          s_.touched_rules.push_back(r);
        }
        if (!s_.matcher_touched[rule.matcher]) {
          s_.matcher_touched[rule.matcher] = 1;
          s_.touched_matchers.push_back(rule.matcher);
        }
        if (!rule.negated) {
          s_.occurrences.push_back(Occurrence{rule.matcher, rule.group, message_, tokens_[first].word,
                                              tokens_[last].word});
        }
      }
    }
  }

  bool SameRaw(uint32_t first, const std::vector<std::string>& raw) const {
    for (size_t i = 0; i < raw.size(); ++i) {
      const Token& t = tokens_[first + i];
      if (t.raw_length != raw[i].size() || std::memcmp(t.raw, raw[i].data(), t.raw_length) != 0) return false;
    }
    return true;
  }

  static constexpr bool kNarrow = sizeof(Entry) == 2;
  static constexpr Entry kEnds = kNarrow ? Compiled::kNarrowEndsKeys : Compiled::kEndsKeys;
  static const Entry* Table(const Compiled& c) {
    if constexpr (kNarrow) {
      return c.delta16.data();
    } else {
      return c.delta.data();
    }
  }
  // The state (row offset) after a transition on a class other than the
  // space class: one that never ends keys.
  [[gnu::always_inline]] uint32_t Step(uint32_t at) const {
    if constexpr (kNarrow) {
      return static_cast<uint32_t>(delta_[at]) * classes_;
    } else {
      return delta_[at];
    }
  }
  // The state after the transition at `at`, with kEndsKeys when keys end
  // there.
  [[gnu::always_inline]] uint32_t Next(uint32_t at) const {
    const Entry e = delta_[at];
    if constexpr (kNarrow) {
      return static_cast<uint32_t>(e & ~kEnds) * classes_ | ((e & kEnds) ? Compiled::kEndsKeys : 0);
    } else {
      return e;
    }
  }

  const Compiled& c_;
  Scratch& s_;
  const Entry* delta_;
  const uint32_t classes_;
  uint32_t state_;
  const int32_t message_;
  const core::Role role_;
  const char* base_ = nullptr;
  Token* tokens_ = nullptr;  // s_.tokens, the message's tokens so far
  uint32_t count_ = 0;
  size_t raw_begin_ = 0;
  int32_t word_ = 0;
  int32_t count_words_ = 0;
};

// Scans every message `c` reads, recording rule hits and occurrences in `s`.
template <typename Compiled, typename Entry>
void ScanConversation(const Compiled& c, const core::Conversation& conversation, Scratch& s) {
  const int messages = conversation.messages_size();
  for (int i = 0; i < messages; ++i) {
    const core::Message& message = conversation.messages(i);
    if (message.state() == core::MESSAGE_DELETED) continue;
    const core::Role role = MessageRole(conversation, message);
    if (!(c.role_mask & (1u << static_cast<int>(role)))) continue;
    MessageScanner<Compiled, Entry> scanner(c, s, i, role);
    if (message.words_size() > 0) {
      for (int w = 0; w < message.words_size(); ++w) scanner.Read(message.words(w).word(), w, false);
    } else {
      scanner.Read(message.text(), 0, true);
    }
  }
}

}  // namespace

void PhraseMatcherSet::Match(const core::Conversation& conversation, core::AnalysisResult* result) const {
  if (!compiled_ || compiled_->matchers.empty()) return;
  const Compiled& c = *compiled_;
  thread_local Scratch s;
  if (s.rule_hit.size() < c.rules.size()) s.rule_hit.resize(c.rules.size(), 0);
  if (s.matcher_touched.size() < c.matchers.size()) s.matcher_touched.resize(c.matchers.size(), 0);
  if (s.bucket_end.size() < c.matchers.size()) s.bucket_end.resize(c.matchers.size(), 0);
  if (s.group_holds.size() < static_cast<size_t>(kMaxGroupsPerMatcher)) s.group_holds.resize(kMaxGroupsPerMatcher);
  struct ResetOnExit {
    Scratch& s;
    ~ResetOnExit() { s.Reset(); }
  } reset_on_exit{s};

  if (!c.delta16.empty()) {
    ScanConversation<Compiled, uint16_t>(c, conversation, s);
  } else {
    ScanConversation<Compiled, uint32_t>(c, conversation, s);
  }

  // Candidates: matchers a phrase touched, and those that hold untouched.
  std::vector<uint32_t>& candidates = s.touched_matchers;
  candidates.insert(candidates.end(), c.hold_without_hits.begin(), c.hold_without_hits.end());
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  // Occurrences by matcher, then message, start_word, end_word and group.
  // They were recorded by message and by the token a phrase ends at, so a
  // stable bucketing by matcher leaves each bucket almost sorted (a longer
  // phrase can start before a shorter one that ended earlier), which an
  // insertion sort finishes in about one pass.
  for (const Occurrence& o : s.occurrences) ++s.bucket_end[o.matcher];
  uint32_t total = 0;
  for (uint32_t m : candidates) {  // ascending: a prefix sum over touched matchers
    total += s.bucket_end[m];
    s.bucket_end[m] = total;
  }
  s.by_matcher.resize(s.occurrences.size());
  for (auto it = s.occurrences.rbegin(); it != s.occurrences.rend(); ++it) {
    s.by_matcher[--s.bucket_end[it->matcher]] = *it;
  }
  // bucket_end[m] is now the start of m's bucket; its end is the next start.
  auto before = [](const Occurrence& a, const Occurrence& b) {
    return std::tie(a.message, a.start_word, a.end_word, a.group) <
           std::tie(b.message, b.start_word, b.end_word, b.group);
  };
  for (size_t i = 0; i < candidates.size(); ++i) {
    const uint32_t m = candidates[i];
    const uint32_t begin = s.bucket_end[m];
    const uint32_t end = i + 1 < candidates.size() ? s.bucket_end[candidates[i + 1]]
                                                   : static_cast<uint32_t>(s.by_matcher.size());
    Occurrence* o = s.by_matcher.data();
    for (uint32_t k = begin + 1; k < end; ++k) {
      if (!before(o[k], o[k - 1])) continue;
      const Occurrence x = o[k];
      uint32_t j = k;
      for (; j > begin && before(x, o[j - 1]); --j) o[j] = o[j - 1];
      o[j] = x;
    }
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const uint32_t m = candidates[i];
    const Matcher& matcher = c.matchers[m];
    const bool holds = c.Holds(m, s.rule_hit, s.group_holds.data());
    if (!holds) continue;
    const Occurrence* occurrence = s.by_matcher.data() + s.bucket_end[m];
    const Occurrence* const end = s.by_matcher.data() + (i + 1 < candidates.size()
                                                              ? s.bucket_end[candidates[i + 1]]
                                                              : s.by_matcher.size());
    bool emitted = false;
    int32_t last_message = -1, last_start = -1, last_end = -1;
    for (; occurrence != end; ++occurrence) {
      if (!s.group_holds[occurrence->group - matcher.group_begin]) continue;
      if (emitted && occurrence->message == last_message && occurrence->start_word == last_start &&
          occurrence->end_word == last_end) {
        continue;
      }
      core::PhraseMatch* match = result->add_phrase_matches();
      match->set_matcher_id(matcher.id);
      match->set_display_name(matcher.display_name);
      match->set_message_index(occurrence->message);
      match->set_start_word(occurrence->start_word);
      match->set_end_word(occurrence->end_word);
      last_message = occurrence->message;
      last_start = occurrence->start_word;
      last_end = occurrence->end_word;
      emitted = true;
    }
    if (!emitted) {
      core::PhraseMatch* match = result->add_phrase_matches();
      match->set_matcher_id(matcher.id);
      match->set_display_name(matcher.display_name);
      match->set_message_index(-1);
      match->set_start_word(-1);
      match->set_end_word(-1);
    }
  }
}

}  // namespace parley::analysis::phrases
