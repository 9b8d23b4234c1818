// Summarize: picks the sentences of an extractive summary.
//
// Each sentence that is not small talk gets a centrality score: the weights
// of its distinct content words, where a word used in several sentences
// weighs 1 + ln(sentences) and more when several speakers use it, and a word
// used once weighs little; the sum is divided by a power of the sentence's
// length; agents' questions are discounted.
//
// When the conversation has both customer and agent sentences, the summary
// tells the call by role and dialogue act: the customer sentence that best
// states the issue (centrality, favouring early sentences and problem or
// request wording: "charged twice", "I want to cancel") is the situation;
// the agent statement after it that best answers it (centrality times the
// content words it shares with the situation) is the action; the agent
// statement with outcome wording ("I have refunded", "they will give you a
// call", "codes expire after 7 days"), favouring late ones, is the
// resolution. Agents' identity checks and requests for details ("may I have
// your name, email and order ID?") and agents' questions are never the
// action or the resolution; identity checks are never picked at all. Longer
// calls get more sentences by centrality. Otherwise the most central
// sentences are taken, favouring early ones, until a word budget that grows
// with the conversation is spent. Near-duplicates of a chosen sentence are
// skipped.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/summary/conversation_text.h"
#include "parley/analysis.pb.h"

namespace parley::analysis::summary {

// The defaults of min_sentences, length_exponent, early_bias,
// question_factor and singleton_weight were chosen by a grid search on the
// tuning half of DialogSum's dev set (docs/quality/summary.md); the others
// are set by hand.
struct SummaryOptions {
  // Sentences to pick: `min_sentences`, one more for every
  // `sentences_per_extra` content sentences beyond that, at most
  // `max_sentences`.
  int min_sentences = 3;
  int sentences_per_extra = 30;
  int max_sentences = 5;

  double length_exponent = 0.7;        // score / max(tokens, 6)^length_exponent
  double singleton_weight = 0.5;       // weight of a word used in one sentence
  double shared_word_boost = 1.25;     // a word used by more than one speaker
  double question_factor = 1.0;        // any question
  double agent_question_factor = 0.5;  // an agent's question ("Can you confirm the address?")
  double issue_boost = 0.5;            // customer: problem or request wording
  double resolution_boost = 0.5;       // agent: "I have …", "you will …" with an action
  double early_bias = 2.0;             // score * (1 + early_bias * (1 - position))
  double max_similarity = 0.6;         // cosine over content words; above it a sentence is a duplicate
  double answer_relevance = 1.0;       // agent answer: score * (1 + this * words shared with the situation)

  // Without roles, the summary's length follows the conversation's instead
  // of a sentence count: sentences are taken best first while one fits in
  // `word_budget` x the conversation's words (clamped to [min_budget_words,
  // max_budget_words]); a sentence fits when `used + budget_fit x its
  // words` is within the budget, the first always does. At most
  // `max_sentences`. 0 turns this off (the sentence count above).
  double word_budget = 0.2;
  double min_budget_words = 14;
  double max_budget_words = 40;
  double budget_fit = 0.5;
  // Leading interjections and words of address ("Well, …", "Oh, …",
  // "Honey, …") are left out of a chosen sentence's span.
  bool trim_openers = true;
};

struct SummaryPick {
  int sentence;  // index into ConversationText::sentences()
  core::SummarySection section;
  // The span to show, bytes in the message text: the sentence's, without a
  // leading interjection when trim_openers is set.
  uint32_t begin = 0, end = 0;
};

// The chosen sentences in conversation order; empty when every sentence is
// small talk. Deterministic; thread-safe.
std::vector<SummaryPick> Summarize(const ConversationText& text, const SummaryOptions& options = {});

}  // namespace parley::analysis::summary
