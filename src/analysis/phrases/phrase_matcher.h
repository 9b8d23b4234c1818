// Phrase matchers: named sets of phrase rules that mark the conversations
// (and the places in them) where given phrases are, or are not, said.
//
// The model follows Contact Center AI Insights' PhraseMatcher: a matcher
// combines its rule groups with ALL_OF or ANY_OF; a group combines its rules
// with ALL_OF or ANY_OF; a rule is a phrase that must occur (or, negated,
// must not occur) in the messages of the matcher's role. It is dialect
// neutral: the Insights dialect maps its wire resource to PhraseMatcherSpec.
//
// Matching is on whole tokens, case-insensitive unless a rule asks otherwise
// (see tokenize.h for how text is cut into words and tokens): "cancel"
// matches "Cancel," but not "cancellation", and "cancel my order" matches
// "cancel -- my order". A phrase never spans two messages.
//
// PhraseMatcherSet compiles every phrase of every active matcher into one
// Aho-Corasick automaton over case-folded tokens, so matching costs one pass
// over each message however many matchers there are.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "parley/analysis.pb.h"
#include "parley/conversation.pb.h"

namespace parley::analysis::phrases {

// Limits enforced by Validate.
inline constexpr int kMaxQueryChars = 256;          // Unicode code points
inline constexpr int kMaxGroupsPerMatcher = 100;
inline constexpr int kMaxRulesPerMatcher = 1000;    // over all its groups

struct PhraseRule {
  std::string query;            // the phrase; at least one word
  bool negated = false;         // true: the rule holds when the phrase is absent
  bool case_sensitive = false;  // ExactMatchConfig.caseSensitive
};

struct RuleGroup {
  bool all_of = true;  // ALL_OF: every rule must hold; otherwise ANY_OF
  std::vector<PhraseRule> rules;
};

struct PhraseMatcherSpec {
  std::string id;  // unique within a PhraseMatcherSet
  std::string display_name;
  bool all_of = true;  // ALL_OF over `groups`; otherwise ANY_OF
  std::vector<RuleGroup> groups;
  // Only messages spoken in this role count; ROLE_UNSPECIFIED: every message.
  // ANY_AGENT covers human and automated agents.
  core::Role role_match = core::ROLE_UNSPECIFIED;
  bool active = true;  // an inactive matcher never matches

  // Bookkeeping the resource carries; matching ignores it.
  std::string revision_id;
  std::string version_tag;
  std::string language_code;
  int64_t revision_create_time_us = 0;
  int64_t activation_update_time_us = 0;
  int64_t update_time_us = 0;
};

// OK if `spec` can be compiled; INVALID_ARGUMENT naming the first problem
// otherwise: no groups, too many groups, a group without rules, too many
// rules, a query that is empty, longer than kMaxQueryChars, not UTF-8 or
// without any word, an unknown role. Dialects call it when a matcher is
// created or updated, so a matcher with an invalid rule is refused then.
// `id` is not checked (it may be assigned after validation).
absl::Status Validate(const PhraseMatcherSpec& spec);

// An immutable, compiled set of matchers. Thread-safe: Match may be called
// from any number of threads at once. Move-only; a moved-from set matches
// nothing.
class PhraseMatcherSet {
 public:
  // Validates every spec and compiles the active ones. INVALID_ARGUMENT if a
  // spec is invalid, has an empty id or repeats another's id;
  // RESOURCE_EXHAUSTED if the automaton would exceed kMaxAutomatonBytes.
  static absl::StatusOr<PhraseMatcherSet> Compile(std::vector<PhraseMatcherSpec> specs);

  static constexpr size_t kMaxAutomatonBytes = size_t{256} << 20;

  PhraseMatcherSet(PhraseMatcherSet&&) noexcept;
  PhraseMatcherSet& operator=(PhraseMatcherSet&&) noexcept;
  ~PhraseMatcherSet();

  // Appends to result->phrase_matches the matches of every active matcher
  // that matches `conversation`, in the order the specs were given:
  //  - one PhraseMatch per occurrence of a phrase of a non-negated rule, in
  //    the rule groups that hold, ordered by message_index, start_word,
  //    end_word and without duplicates. message_index indexes
  //    conversation.messages; start_word and end_word are the first and the
  //    last word of the occurrence (inclusive), indices into the message's
  //    words[] when it has them and into its white-space tokens otherwise;
  //  - a matcher that holds without any such occurrence (say, by a negated
  //    rule alone) gets one PhraseMatch with message_index, start_word and
  //    end_word set to -1.
  // So the matchers that match are the distinct matcher_ids appended.
  // Deleted messages (MESSAGE_DELETED) are not read; their indices are kept.
  void Match(const core::Conversation& conversation, core::AnalysisResult* result) const;

  // Number of compiled (active) matchers and of distinct case-folded phrases.
  size_t matcher_count() const;
  size_t phrase_count() const;
  // Memory held by the automaton, in bytes.
  size_t automaton_bytes() const;

 private:
  struct Compiled;
  explicit PhraseMatcherSet(std::unique_ptr<const Compiled> compiled);
  std::unique_ptr<const Compiled> compiled_;
};

}  // namespace parley::analysis::phrases
