// Behaviour of phrase matchers: rule logic, word boundaries, case, roles,
// positions, Unicode, validation, and the analyzer wrapper.
#include "analysis/phrases/phrase_matcher.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "analysis/phrases/phrase_analyzer.h"
#include "analysis/phrases/phrase_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::analysis::phrases {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace ::parley::analysis::phrases::testing;  // NOLINT: test builders

// ---- word boundaries and positions --------------------------------------

TEST(PhraseMatcher, MatchesWholeWordsOnly) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("cancel")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "what is the cancellation fee");  // 0: no
  Say(c, "customer", "I want to cancel.");             // 1: word 3
  Say(c, "customer", "precancel uncancel cancels");    // 2: no
  Say(c, "customer", "CANCEL!");                       // 3: word 0
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 1, 3, 3}, Hit{"m", 3, 0, 0}));
}

TEST(PhraseMatcher, MultiWordPhraseSpansPunctuationAndSpaces) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("cancel my order")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "Please cancel -- my   ORDER, now");  // Please(0) cancel(1) --(2) my(3) ORDER,(4)
  Say(c, "customer", "cancel,my\torder");                 // cancel,my(0) order(1)
  Say(c, "customer", "cancel my orders");                 // no: "orders"
  Say(c, "customer", "cancel, not my order");             // no: a word between
  Say(c, "customer", "cancel my");                        // no: the phrase continues in the next
  Say(c, "customer", "order");                            //   message, which does not count
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 1, 4}, Hit{"m", 1, 0, 1}));
}

TEST(PhraseMatcher, ApostrophesAndHyphensSplitTokensAlikeInQueryAndText) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AnyOf({Says("don't"), Says("e-mail")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "I don't have an E-Mail");  // don't(1), E-Mail(4)
  Say(c, "customer", "dont email");               // no
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 1, 1}, Hit{"m", 0, 4, 4}));
}

TEST(PhraseMatcher, ReportsEveryOccurrenceIncludingOverlappingOnes) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AnyOf({Says("no no"), Says("no")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "agent", "hello");
  Say(c, "customer", "no no no");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 1, 0, 0}, Hit{"m", 1, 0, 1}, Hit{"m", 1, 1, 1},
                                            Hit{"m", 1, 1, 2}, Hit{"m", 1, 2, 2}));
}

TEST(PhraseMatcher, PhrasesSharingPrefixesAndSuffixesAreAllFound) {
  PhraseMatcherSet set = CompileOrDie({
      Matcher("a", true, {AllOf({Says("credit card number")})}),
      Matcher("b", true, {AllOf({Says("card number")})}),
      Matcher("c", true, {AllOf({Says("credit card")})}),
      Matcher("d", true, {AllOf({Says("card")})}),
  });
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "my credit card number is");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"a", 0, 1, 3}, Hit{"b", 0, 2, 3}, Hit{"c", 0, 1, 2},
                                            Hit{"d", 0, 2, 2}));
  EXPECT_EQ(set.phrase_count(), 4u);
}

TEST(PhraseMatcher, UsesWordsWhenTheMessageHasThem) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("cancel my order")})})});
  core::Conversation c = TwoPartyConversation();
  // The words disagree with the text on purpose: the words are read.
  core::Message* m = SayWords(c, "customer", {"uh", "I", "want", "to", "Cancel.", "my", "order"});
  m->set_text("nothing to see here");
  // A word may hold several tokens, and a phrase may end inside one.
  SayWords(c, "customer", {"cancel-my", "order,please"});
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 4, 6}, Hit{"m", 1, 0, 1}));
}

TEST(PhraseMatcher, WordIndicesCountPunctuationOnlyWords) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "well - ... ok , refund");  // well(0) -(1) ...(2) ok(3) ,(4) refund(5)
  SayWords(c, "customer", {"-", "refund"});
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 5, 5}, Hit{"m", 1, 1, 1}));
}

TEST(PhraseMatcher, SkipsDeletedMessagesButKeepsTheirIndices) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund")->set_state(core::MESSAGE_DELETED);
  Say(c, "customer", "refund")->set_state(core::MESSAGE_REDACTED);
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 1, 0, 0}));
}

// ---- rule logic -----------------------------------------------------------

TEST(PhraseMatcher, AllOfAndAnyOfWithinAGroup) {
  PhraseMatcherSet set = CompileOrDie({
      Matcher("all", true, {AllOf({Says("refund"), Says("manager")})}),
      Matcher("any", true, {AnyOf({Says("refund"), Says("manager")})}),
  });
  core::Conversation only_refund = TwoPartyConversation();
  Say(only_refund, "customer", "I want a refund");
  EXPECT_THAT(MatchAll(set, only_refund), ElementsAre(Hit{"any", 0, 3, 3}));

  core::Conversation both = TwoPartyConversation();
  Say(both, "customer", "refund");
  Say(both, "customer", "get me a manager");
  EXPECT_THAT(MatchAll(set, both), ElementsAre(Hit{"all", 0, 0, 0}, Hit{"all", 1, 3, 3},
                                               Hit{"any", 0, 0, 0}, Hit{"any", 1, 3, 3}));

  core::Conversation neither = TwoPartyConversation();
  Say(neither, "customer", "hello");
  EXPECT_THAT(MatchAll(set, neither), IsEmpty());
}

TEST(PhraseMatcher, AllOfAndAnyOfAcrossGroups) {
  const std::vector<RuleGroup> groups = {AnyOf({Says("refund"), Says("money back")}),
                                         AnyOf({Says("manager"), Says("supervisor")})};
  PhraseMatcherSet set = CompileOrDie({Matcher("all", true, groups), Matcher("any", false, groups)});

  core::Conversation first_group_only = TwoPartyConversation();
  Say(first_group_only, "customer", "I want my money back");
  EXPECT_THAT(MatchAll(set, first_group_only), ElementsAre(Hit{"any", 0, 3, 4}));

  core::Conversation both_groups = TwoPartyConversation();
  Say(both_groups, "customer", "money back or a supervisor");
  EXPECT_THAT(MatchAll(set, both_groups), ElementsAre(Hit{"all", 0, 0, 1}, Hit{"all", 0, 4, 4},
                                                      Hit{"any", 0, 0, 1}, Hit{"any", 0, 4, 4}));
}

TEST(PhraseMatcher, ReportsOccurrencesOnlyFromGroupsThatHold) {
  // ANY_OF over {ALL_OF(refund, manager), ANY_OF(cancel)}: "refund" occurs
  // but its group fails, so only "cancel" is reported.
  PhraseMatcherSet set = CompileOrDie(
      {Matcher("m", false, {AllOf({Says("refund"), Says("manager")}), AnyOf({Says("cancel")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund then cancel");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 2, 2}));
}

TEST(PhraseMatcher, NegatedRuleHoldsWhenThePhraseIsAbsent) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund"), NotSays("thank you")})})});
  core::Conversation rude = TwoPartyConversation();
  Say(rude, "customer", "refund now");
  EXPECT_THAT(MatchAll(set, rude), ElementsAre(Hit{"m", 0, 0, 0}));

  core::Conversation polite = TwoPartyConversation();
  Say(polite, "customer", "refund now");
  Say(polite, "customer", "Thank you!");
  EXPECT_THAT(MatchAll(set, polite), IsEmpty());
}

TEST(PhraseMatcher, MatcherHoldingOnlyByNegationReportsOneUnplacedMatch) {
  PhraseMatcherSet set = CompileOrDie({Matcher("no-greeting", true, {AllOf({NotSays("hello")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "agent", "what do you want");
  core::AnalysisResult result;
  set.Match(c, &result);
  ASSERT_EQ(result.phrase_matches_size(), 1);
  EXPECT_EQ(result.phrase_matches(0).matcher_id(), "no-greeting");
  EXPECT_EQ(result.phrase_matches(0).display_name(), "Matcher no-greeting");
  EXPECT_EQ(result.phrase_matches(0).message_index(), -1);
  EXPECT_EQ(result.phrase_matches(0).start_word(), -1);
  EXPECT_EQ(result.phrase_matches(0).end_word(), -1);

  // An empty conversation says nothing, so the negation holds there too.
  EXPECT_THAT(MatchAll(set, core::Conversation()), ElementsAre(Hit{"no-greeting", -1, -1, -1}));

  Say(c, "agent", "oh, hello");
  EXPECT_THAT(MatchAll(set, c), IsEmpty());
}

TEST(PhraseMatcher, NegationLooksOnlyAtTheMatchersRole) {
  // The agent never apologises: the customer's "sorry" does not count.
  PhraseMatcherSet set =
      CompileOrDie({Matcher("no-apology", true, {AllOf({NotSays("sorry")})}, core::HUMAN_AGENT)});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "sorry, I am late");
  Say(c, "agent", "no problem");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"no-apology", -1, -1, -1}));
  Say(c, "agent", "I'm so sorry");
  EXPECT_THAT(MatchAll(set, c), IsEmpty());
}

TEST(PhraseMatcher, SamePhraseInSeveralRulesIsReportedOnce) {
  PhraseMatcherSet set =
      CompileOrDie({Matcher("m", true, {AnyOf({Says("refund"), Says("REFUND")}), AnyOf({Says("refund")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 0, 0}));
  EXPECT_EQ(set.phrase_count(), 1u);
}

// ---- case -----------------------------------------------------------------

TEST(PhraseMatcher, CaseInsensitiveByDefaultAndExactWhenAsked) {
  PhraseMatcherSet set = CompileOrDie({
      Matcher("exact", true, {AllOf({SaysExactly("Acme Plus")})}),
      Matcher("loose", true, {AllOf({Says("Acme Plus")})}),
  });
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "I have acme plus");  // 0
  Say(c, "customer", "I have ACME PLUS");  // 1
  Say(c, "customer", "I have Acme, Plus");  // 2: punctuation still does not matter
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"exact", 2, 2, 3}, Hit{"loose", 0, 2, 3},
                                            Hit{"loose", 1, 2, 3}, Hit{"loose", 2, 2, 3}));
}

TEST(PhraseMatcher, CaseSensitiveNegatedRuleIgnoresOtherCasings) {
  PhraseRule not_acme{"ACME", true, true};
  PhraseMatcherSet exact = CompileOrDie({Matcher("m", true, {AllOf({Says("plan"), not_acme})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "the acme plan");
  EXPECT_THAT(MatchAll(exact, c), ElementsAre(Hit{"m", 0, 2, 2}));
  Say(c, "customer", "ACME");
  EXPECT_THAT(MatchAll(exact, c), IsEmpty());
}

// ---- roles and activity ------------------------------------------------------

TEST(PhraseMatcher, RoleMatchFiltersMessagesByRole) {
  PhraseMatcherSet set = CompileOrDie({
      Matcher("customer", true, {AllOf({Says("help")})}, core::END_USER),
      Matcher("human", true, {AllOf({Says("help")})}, core::HUMAN_AGENT),
      Matcher("agent", true, {AllOf({Says("help")})}, core::ANY_AGENT),
      Matcher("anyone", true, {AllOf({Says("help")})}),
  });
  core::Conversation c = TwoPartyConversation();
  Say(c, "bot", "how can I help");         // 0: AUTOMATED_AGENT, word 3
  Say(c, "customer", "help me");           // 1: END_USER, word 0
  Say(c, "agent", "happy to help");        // 2: HUMAN_AGENT, word 2
  Say(c, "", "help");                      // 3: no participant
  EXPECT_THAT(MatchAll(set, c),
              ElementsAre(Hit{"customer", 1, 0, 0}, Hit{"human", 2, 2, 2}, Hit{"agent", 0, 3, 3},
                          Hit{"agent", 2, 2, 2}, Hit{"anyone", 0, 3, 3}, Hit{"anyone", 1, 0, 0},
                          Hit{"anyone", 2, 2, 2}, Hit{"anyone", 3, 0, 0}));
}

TEST(PhraseMatcher, RoleComesFromTheAudioChannelWhenNoParticipantIsNamed) {
  PhraseMatcherSet set = CompileOrDie({Matcher("customer", true, {AllOf({Says("help")})}, core::END_USER)});
  core::Conversation c;
  c.mutable_call_channels()->set_customer_channel(2);
  c.mutable_call_channels()->set_agent_channel(1);
  Say(c, "", "can I help")->set_channel(1);
  Say(c, "", "help")->set_channel(2);
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"customer", 1, 0, 0}));
}

TEST(PhraseMatcher, InactiveMatchersNeverMatch) {
  PhraseMatcherSpec off = Matcher("off", true, {AllOf({Says("refund")})});
  off.active = false;
  PhraseMatcherSpec off_negated = Matcher("off-negated", true, {AllOf({NotSays("hello")})});
  off_negated.active = false;
  PhraseMatcherSet set = CompileOrDie({off, Matcher("on", true, {AllOf({Says("refund")})}), off_negated});
  EXPECT_EQ(set.matcher_count(), 1u);
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"on", 0, 0, 0}));
}

TEST(PhraseMatcher, EmptySetAndEmptyConversationFindNothing) {
  PhraseMatcherSet empty = CompileOrDie({});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund");
  EXPECT_THAT(MatchAll(empty, c), IsEmpty());
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})});
  EXPECT_THAT(MatchAll(set, core::Conversation()), IsEmpty());
  core::Conversation blank = TwoPartyConversation();
  Say(blank, "customer", "");
  Say(blank, "customer", "  ... !!");
  EXPECT_THAT(MatchAll(set, blank), IsEmpty());
}

TEST(PhraseMatcher, AppendsToExistingResults) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund");
  core::AnalysisResult result;
  result.add_phrase_matches()->set_matcher_id("earlier");
  result.set_summary("kept");
  set.Match(c, &result);
  EXPECT_THAT(Hits(result), ElementsAre(Hit{"earlier", 0, 0, 0}, Hit{"m", 0, 0, 0}));
  EXPECT_EQ(result.summary(), "kept");
}

// ---- Unicode -------------------------------------------------------------------

TEST(PhraseMatcher, FoldsUnicodeCase) {
  PhraseMatcherSet set = CompileOrDie({
      Matcher("fr", true, {AllOf({Says("ÉCOLE publique")})}),
      Matcher("el", true, {AllOf({Says("σοφός")})}),
      Matcher("de", true, {AllOf({Says("straße")})}),
      Matcher("ru", true, {AllOf({Says("Отмена заказа")})}),
  });
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "l'école Publique");     // 0: l(0)... "l'école" is word 0
  Say(c, "customer", "ΣΟΦΌΣ άνθρωπος");       // 1: final sigma folds like sigma
  Say(c, "customer", "STRAßE");               // 2
  Say(c, "customer", "отмена   ЗАКАЗА.");     // 3
  Say(c, "customer", "écoles publiques");     // 4: no
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"fr", 0, 0, 1}, Hit{"el", 1, 0, 0}, Hit{"de", 2, 0, 0},
                                            Hit{"ru", 3, 0, 1}));
}

TEST(PhraseMatcher, CaseSensitiveRulesCompareUnicodeExactly) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({SaysExactly("Éclair")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "éclair Éclair ÉCLAIR");
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 1, 1}));
}

TEST(PhraseMatcher, UnicodeSpacesAndPunctuationSeparate) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("cancel order")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "cancel\u00A0order");       // no-break space: two words
  Say(c, "customer", "«cancel» — order…");        // guillemets, em dash, ellipsis
  Say(c, "customer", "can\u00ADcel order");       // a soft hyphen does not split a word
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 0, 1}, Hit{"m", 1, 0, 2}, Hit{"m", 2, 0, 1}));
}

TEST(PhraseMatcher, IdeographsAreTokensOfTheirOwn) {
  PhraseMatcherSet set = CompileOrDie({Matcher("zh", true, {AllOf({Says("取消")})}),
                                       Matcher("ja", true, {AllOf({Says("キャンセル")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "我要取消订单");                  // one white-space word
  Say(c, "customer", "注文を キャンセル したい");     // 注文を(0) キャンセル(1) したい(2)
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"zh", 0, 0, 0}, Hit{"ja", 1, 1, 1}));
}

TEST(PhraseMatcher, InvalidUtf8InTextSeparatesTokens) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})});
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", std::string("re\xff" "fund refund\xc3"));  // re|fund(0), refund(1) then a cut sequence
  EXPECT_THAT(MatchAll(set, c), ElementsAre(Hit{"m", 0, 1, 1}));
}

// ---- validation ----------------------------------------------------------------

PhraseMatcherSpec WithQuery(std::string query) { return Matcher("m", true, {AllOf({Says(std::move(query))})}); }

TEST(PhraseMatcherValidate, AcceptsAWellFormedMatcher) {
  EXPECT_TRUE(Validate(Matcher("m", false, {AllOf({Says("a"), NotSays("b")}), AnyOf({Says("c d")})},
                               core::ANY_AGENT))
                  .ok());
  EXPECT_TRUE(Validate(WithQuery(std::string(kMaxQueryChars, 'x'))).ok());
  std::string accented;
  for (int i = 0; i < kMaxQueryChars; ++i) accented += "é";  // 512 bytes, 256 characters
  EXPECT_TRUE(Validate(WithQuery(accented)).ok());
}

TEST(PhraseMatcherValidate, RefusesInvalidRules) {
  struct Case {
    PhraseMatcherSpec spec;
    std::string message;
  };
  PhraseMatcherSpec no_groups = Matcher("m", true, {});
  PhraseMatcherSpec empty_group = Matcher("m", true, {AllOf({Says("a")}), AnyOf({})});
  PhraseMatcherSpec bad_role = WithQuery("a");
  bad_role.role_match = static_cast<core::Role>(42);
  PhraseMatcherSpec too_many_groups = WithQuery("a");
  too_many_groups.groups.assign(kMaxGroupsPerMatcher + 1, AllOf({Says("a")}));
  PhraseMatcherSpec too_many_rules = Matcher("m", true, {AllOf({}), AllOf({})});
  too_many_rules.groups[0].rules.assign(kMaxRulesPerMatcher / 2 + 1, Says("a"));
  too_many_rules.groups[1].rules.assign(kMaxRulesPerMatcher / 2, Says("b"));
  PhraseMatcherSpec second_rule_empty = Matcher("m", true, {AllOf({Says("a")}), AnyOf({Says("b"), Says("")})});
  const std::vector<Case> cases = {
      {no_groups, "at least one phrase match rule group"},
      {empty_group, "phrase_match_rule_groups[1] has no phrase match rules"},
      {bad_role, "role_match 42"},
      {too_many_groups, "at most 100 phrase match rule groups"},
      {too_many_rules, "at most 1000 phrase match rules"},
      {second_rule_empty, "phrase_match_rule_groups[1].phrase_match_rules[1].query must not be empty"},
      {WithQuery(std::string(kMaxQueryChars + 1, 'x')), "257 characters long; the limit is 256"},
      {WithQuery("caf\xc3"), "not valid UTF-8"},
      {WithQuery("?!  ..."), "contains no words"},
  };
  for (const Case& c : cases) {
    absl::Status status = Validate(c.spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

TEST(PhraseMatcherSet, CompileRefusesInvalidSpecsAndRepeatedIds) {
  absl::StatusOr<PhraseMatcherSet> invalid = PhraseMatcherSet::Compile({WithQuery("ok"), [] {
                                                                           PhraseMatcherSpec s = WithQuery("");
                                                                           s.id = "broken";
                                                                           s.active = false;  // still checked
                                                                           return s;
                                                                         }()});
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.status().message()), HasSubstr("phrase matcher broken: "));

  absl::StatusOr<PhraseMatcherSet> repeated = PhraseMatcherSet::Compile({WithQuery("a"), WithQuery("b")});
  EXPECT_EQ(repeated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(repeated.status().message()), HasSubstr("repeated"));

  PhraseMatcherSpec anonymous = WithQuery("a");
  anonymous.id.clear();
  EXPECT_EQ(PhraseMatcherSet::Compile({anonymous}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PhraseMatcherSet, CompileRefusesAnAutomatonOverTheMemoryLimit) {
  // 8 matchers x 1,000 distinct 250-character phrases: 2 MB of keys over 37
  // byte classes would need more than kMaxAutomatonBytes.
  std::vector<PhraseMatcherSpec> specs;
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t n = 0;
  for (int m = 0; m < 8; ++m) {
    PhraseMatcherSpec spec = Matcher("m" + std::to_string(m), false, {AnyOf({})});
    for (int r = 0; r < kMaxRulesPerMatcher; ++r, ++n) {
      std::string query;
      for (uint64_t x = n * 2654435761u; query.size() < 250; x = x * 6364136223846793005u + 1442695040888963407u) {
        query += alphabet[(x >> 33) % alphabet.size()];
      }
      spec.groups[0].rules.push_back(Says(query));
    }
    specs.push_back(std::move(spec));
  }
  absl::StatusOr<PhraseMatcherSet> set = PhraseMatcherSet::Compile(std::move(specs));
  EXPECT_EQ(set.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(set.status().message()), HasSubstr("too many phrases"));
}

TEST(PhraseMatcherSet, MatchesFromManyThreadsAtOnce) {
  PhraseMatcherSet set = CompileOrDie({Matcher("refund", true, {AllOf({Says("refund")})}),
                                       Matcher("quiet", true, {AllOf({NotSays("hello")})})});
  core::Conversation loud = TwoPartyConversation();
  Say(loud, "customer", "hello, refund refund");
  core::Conversation quiet = TwoPartyConversation();
  Say(quiet, "customer", "a refund");
  const std::vector<Hit> loud_hits = MatchAll(set, loud);
  const std::vector<Hit> quiet_hits = MatchAll(set, quiet);
  ASSERT_THAT(loud_hits, ElementsAre(Hit{"refund", 0, 1, 1}, Hit{"refund", 0, 2, 2}));
  ASSERT_THAT(quiet_hits, ElementsAre(Hit{"refund", 0, 1, 1}, Hit{"quiet", -1, -1, -1}));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const bool use_loud = (i + t) % 2 == 0;
        if (MatchAll(set, use_loud ? loud : quiet) != (use_loud ? loud_hits : quiet_hits)) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(PhraseMatcherSet, AMovedFromSetMatchesNothing) {
  PhraseMatcherSet set = CompileOrDie({Matcher("m", true, {AllOf({NotSays("hello")})})});
  PhraseMatcherSet moved = std::move(set);
  EXPECT_THAT(MatchAll(moved, core::Conversation()), ElementsAre(Hit{"m", -1, -1, -1}));
  EXPECT_THAT(MatchAll(set, core::Conversation()), IsEmpty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(set.matcher_count(), 0u);                            // NOLINT(bugprone-use-after-move)
}

// ---- the analyzer ------------------------------------------------------------------

TEST(PhraseAnalyzer, AddsTheSetsMatches) {
  auto set = std::make_shared<const PhraseMatcherSet>(
      CompileOrDie({Matcher("m", true, {AllOf({Says("refund")})})}));
  PhraseAnalyzer analyzer(set);
  EXPECT_EQ(analyzer.name(), "phrases");
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "a refund please");
  core::AnalysisResult result;
  ASSERT_TRUE(analyzer.Analyze(c, &result).ok());
  EXPECT_THAT(Hits(result), ElementsAre(Hit{"m", 0, 1, 1}));

  core::AnalysisResult none;
  ASSERT_TRUE(analyzer.Analyze(core::Conversation(), &none).ok());
  EXPECT_EQ(none.phrase_matches_size(), 0);
}

TEST(PhraseAnalyzer, AsksTheProviderForEachConversationsSet) {
  auto acme = std::make_shared<const PhraseMatcherSet>(
      CompileOrDie({Matcher("acme", true, {AllOf({Says("refund")})})}));
  PhraseAnalyzer analyzer([acme](const core::Conversation& c) -> std::shared_ptr<const PhraseMatcherSet> {
    return c.tenant() == "acme" ? acme : nullptr;
  });
  core::Conversation c = TwoPartyConversation();
  Say(c, "customer", "refund");
  core::AnalysisResult other;
  c.set_tenant("other");
  ASSERT_TRUE(analyzer.Analyze(c, &other).ok());
  EXPECT_EQ(other.phrase_matches_size(), 0);
  core::AnalysisResult mine;
  c.set_tenant("acme");
  ASSERT_TRUE(analyzer.Analyze(c, &mine).ok());
  EXPECT_THAT(Hits(mine), ElementsAre(Hit{"acme", 0, 0, 0}));
}

}  // namespace
}  // namespace parley::analysis::phrases
