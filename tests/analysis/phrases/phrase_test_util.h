// Builders shared by the phrase-matcher tests.
#pragma once

#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/phrases/phrase_matcher.h"
#include "gtest/gtest.h"

namespace parley::analysis::phrases::testing {

inline PhraseRule Says(std::string query) { return PhraseRule{std::move(query), false, false}; }
inline PhraseRule NotSays(std::string query) { return PhraseRule{std::move(query), true, false}; }
inline PhraseRule SaysExactly(std::string query) { return PhraseRule{std::move(query), false, true}; }

inline RuleGroup AllOf(std::vector<PhraseRule> rules) { return RuleGroup{true, std::move(rules)}; }
inline RuleGroup AnyOf(std::vector<PhraseRule> rules) { return RuleGroup{false, std::move(rules)}; }

inline PhraseMatcherSpec Matcher(std::string id, bool all_of, std::vector<RuleGroup> groups,
                                 core::Role role = core::ROLE_UNSPECIFIED) {
  PhraseMatcherSpec spec;
  spec.display_name = "Matcher " + id;
  spec.id = std::move(id);
  spec.all_of = all_of;
  spec.groups = std::move(groups);
  spec.role_match = role;
  return spec;
}

// A conversation between an agent ("agent", HUMAN_AGENT), a customer
// ("customer", END_USER) and a bot ("bot", AUTOMATED_AGENT).
inline core::Conversation TwoPartyConversation() {
  core::Conversation c;
  auto* agent = c.add_participants();
  agent->set_id("agent");
  agent->set_role(core::HUMAN_AGENT);
  auto* customer = c.add_participants();
  customer->set_id("customer");
  customer->set_role(core::END_USER);
  auto* bot = c.add_participants();
  bot->set_id("bot");
  bot->set_role(core::AUTOMATED_AGENT);
  return c;
}

inline core::Message* Say(core::Conversation& c, const std::string& participant, const std::string& text) {
  core::Message* m = c.add_messages();
  m->set_participant_id(participant);
  m->set_text(text);
  return m;
}

inline core::Message* SayWords(core::Conversation& c, const std::string& participant,
                               const std::vector<std::string>& words) {
  core::Message* m = c.add_messages();
  m->set_participant_id(participant);
  std::string text;
  for (const std::string& w : words) {
    m->add_words()->set_word(w);
    text += (text.empty() ? "" : " ") + w;
  }
  m->set_text(text);
  return m;
}

// (matcher id, message index, start word, end word)
using Hit = std::tuple<std::string, int, int, int>;

inline std::vector<Hit> Hits(const core::AnalysisResult& result) {
  std::vector<Hit> hits;
  for (const core::PhraseMatch& m : result.phrase_matches()) {
    hits.emplace_back(m.matcher_id(), m.message_index(), m.start_word(), m.end_word());
  }
  return hits;
}

inline std::vector<Hit> MatchAll(const PhraseMatcherSet& set, const core::Conversation& c) {
  core::AnalysisResult result;
  set.Match(c, &result);
  return Hits(result);
}

inline PhraseMatcherSet CompileOrDie(std::vector<PhraseMatcherSpec> specs) {
  absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(std::move(specs));
  if (!set.ok()) {
    ADD_FAILURE() << set.status();
    std::abort();
  }
  return std::move(*set);
}

}  // namespace parley::analysis::phrases::testing
