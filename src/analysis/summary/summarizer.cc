#include "analysis/summary/summarizer.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "analysis/summary/porter_stemmer.h"

namespace parley::analysis::summary {
namespace {

using StemSet = absl::flat_hash_set<std::string>;

StemSet Stems(std::initializer_list<std::string_view> words) {
  StemSet out;
  std::string stem;
  for (std::string_view w : words) {
    PorterStem(w, &stem);
    out.insert(stem);
  }
  return out;
}

// Words that state a problem or a request.
const StemSet& IssueStems() {
  static const StemSet* const stems = new StemSet(Stems({
      "problem", "issue", "trouble", "broken", "wrong", "error", "charged", "overcharged",
      "refund", "cancel", "unable", "failed", "fails", "missing", "lost", "stolen", "late",
      "delayed", "complaint", "complain", "damaged", "declined", "locked", "blocked", "dispute",
      "stopped", "crashed", "disconnected", "outage", "slow", "expired", "twice", "incorrect",
      "fraud", "unauthorized", "never", "return", "replace", "change", "upgrade", "close",
  }));
  return *stems;
}

// Verbs of an outcome an agent reports.
const StemSet& ActionStems() {
  static const StemSet* const stems = new StemSet(Stems({
      "refund", "refunded", "credit", "credited", "process", "processed", "update", "updated",
      "cancel", "cancelled", "canceled", "schedule", "scheduled", "sent", "send", "resolve",
      "resolved", "fix", "fixed", "replace", "replaced", "reset", "issue", "issued", "waive",
      "waived", "apply", "applied", "activate", "activated", "unlock", "unlocked", "ship",
      "shipped", "email", "emailed", "escalate", "escalated", "book", "booked", "reserve",
      "reserved", "arrange", "arranged", "change", "changed", "remove", "removed", "add", "added",
      "reverse", "reversed", "deliver", "delivered", "receive", "expect", "approve", "approved",
      "transfer", "submit", "submitted", "file", "filed", "open", "opened", "create", "created",
      "call", "notify", "notified", "inform", "informed", "expire", "expires",
  }));
  return *stems;
}

// Words of an identity check or a request for details ("may I have your
// name, email and order ID?"): an agent sentence with one of them and a
// request form is no answer and no outcome.
const StemSet& DetailStems() {
  static const StemSet* const stems = new StemSet(Stems({
      "name", "username", "email", "address", "id", "account", "phone", "number", "verify",
      "confirm", "membership", "level", "zip", "code", "password", "pin", "birth", "security",
  }));
  return *stems;
}

// Interjections and words of address that open a sentence before a comma
// ("Well, …", "Oh, …", "Honey, …"): they say nothing a summary needs.
const absl::flat_hash_set<std::string_view>& Openers() {
  static const absl::flat_hash_set<std::string_view>* const words = new absl::flat_hash_set<std::string_view>({
      "well", "oh", "ah", "yes", "yeah", "yep", "no", "nope", "ok", "okay", "sure", "hi", "hello", "hey",
      "um", "uh", "er", "hmm", "so", "alright", "right", "wow", "gee", "great", "fine", "good", "now",
      "anyway", "listen", "look", "see", "honey", "dear", "darling", "sweetheart", "sir", "madam", "mom",
      "dad", "mum", "buddy", "man", "boy", "thanks", "really", "indeed", "certainly", "exactly", "oops",
  });
  return *words;
}

struct Scored {
  int sentence;
  double score;     // centrality
  bool issue;       // problem or request wording
  bool resolution;  // outcome wording
  bool request;     // an agent asks for details or checks identity
  bool action;      // an outcome verb
  double position;  // [0, 1] over the conversation's sentences
};

bool Has(const ConversationText& text, const Sentence& s, int32_t word) {
  if (word < 0) return false;
  for (uint32_t i = s.token_begin; i < s.token_end; ++i) {
    if (text.tokens()[i].word == word) return true;
  }
  return false;
}

// Appends the sorted distinct content terms of a sentence to *out.
void ContentTerms(const ConversationText& text, const Sentence& s, std::vector<int32_t>* out) {
  const size_t begin = out->size();
  for (uint32_t i = s.token_begin; i < s.token_end; ++i) {
    const Token& t = text.tokens()[i];
    if (t.content() || t.numeric) out->push_back(t.term);
  }
  std::sort(out->begin() + begin, out->end());
  out->erase(std::unique(out->begin() + begin, out->end()), out->end());
}

double Cosine(std::span<const int32_t> a, std::span<const int32_t> b) {
  if (a.empty() || b.empty()) return 0;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  return static_cast<double>(common) / std::sqrt(static_cast<double>(a.size() * b.size()));
}

}  // namespace

std::vector<SummaryPick> Summarize(const ConversationText& text, const SummaryOptions& o) {
  const std::vector<Sentence>& sentences = text.sentences();
  const std::vector<Token>& tokens = text.tokens();
  const int n = static_cast<int>(sentences.size());

  // Per sentence, its distinct content terms; per term, in how many content
  // sentences it appears and whether more than one speaker uses it.
  // terms(i): sentence i's, all in one array.
  std::vector<int32_t> term_data;
  term_data.reserve(tokens.size());
  std::vector<uint32_t> term_begin(n + 1, 0);
  auto terms = [&](int i) {
    return std::span<const int32_t>(term_data.data() + term_begin[i], term_begin[i + 1] - term_begin[i]);
  };
  std::vector<int32_t> df(text.terms().size(), 0);
  std::vector<int32_t> first_speaker(text.terms().size(), -2);
  std::vector<uint8_t> shared(text.terms().size(), 0);
  for (int i = 0; i < n; ++i) {
    term_begin[i] = static_cast<uint32_t>(term_data.size());
    if (sentences[i].small_talk) continue;
    ContentTerms(text, sentences[i], &term_data);
  }
  term_begin[n] = static_cast<uint32_t>(term_data.size());
  for (int i = 0; i < n; ++i) {
    for (int32_t t : terms(i)) {
      ++df[t];
      if (first_speaker[t] == -2) {
        first_speaker[t] = sentences[i].speaker;
      } else if (first_speaker[t] != sentences[i].speaker) {
        shared[t] = 1;
      }
    }
  }

  const int32_t w_to = text.FindWord("to");
  const int32_t w_i = text.FindWord("i");
  const int32_t w_my = text.FindWord("my");
  const int32_t w_not = text.FindWord("not");
  const int32_t w_t = text.FindWord("t");
  const int32_t markers[] = {text.FindWord("will"), text.FindWord("ll"), text.FindWord("ve"),
                             text.FindWord("been"), text.FindWord("have"), text.FindWord("has")};
  absl::flat_hash_set<int32_t> desire;  // "want to", "need to", "like to", ...
  for (std::string_view w : {"want", "need", "like", "trying", "try", "hoping", "looking", "wanted", "needed"}) {
    if (int32_t id = text.FindWord(w); id >= 0) desire.insert(id);
  }
  // Per term: 1 = problem or request wording, 2 = an outcome verb.
  std::vector<uint8_t> cue(text.terms().size(), 0);
  for (size_t t = 0; t < cue.size(); ++t) {
    if (IssueStems().contains(text.terms()[t])) cue[t] |= 1;
    if (ActionStems().contains(text.terms()[t])) cue[t] |= 2;
    if (DetailStems().contains(text.terms()[t])) cue[t] |= 4;
  }
  const int32_t w_your = text.FindWord("your");
  const int32_t w_you = text.FindWord("you");

  std::vector<Scored> scored;
  bool asked_details = false;  // the last agent sentence asked for details
  for (int i = 0; i < n; ++i) {
    const Sentence& s = sentences[i];
    if (s.small_talk || terms(i).empty()) continue;
    double sum = 0;
    for (int32_t t : terms(i)) {
      double w = df[t] >= 2 ? 1.0 + std::log(static_cast<double>(df[t])) : o.singleton_weight;
      if (shared[t]) w *= o.shared_word_boost;
      sum += w;
    }
    const double length = std::max<double>(6, s.token_end - s.token_begin);
    Scored x{};
    x.sentence = i;
    x.score = sum / std::pow(length, o.length_exponent);
    if (s.question) {
      x.score *= o.question_factor;
      if (s.role == SpeakerRole::kAgent || s.role == SpeakerRole::kVirtualAgent) x.score *= o.agent_question_factor;
    }
    x.position = n > 1 ? static_cast<double>(i) / (n - 1) : 0;

    bool first_person = Has(text, s, w_i) || Has(text, s, w_my);
    bool negated = Has(text, s, w_not) || Has(text, s, w_t);
    bool marker = false;
    for (int32_t m : markers) marker = marker || Has(text, s, m);
    bool issue_word = false, action_word = false, wish = false;
    for (uint32_t k = s.token_begin; k < s.token_end; ++k) {
      const Token& t = tokens[k];
      issue_word = issue_word || (cue[t.term] & 1);
      action_word = action_word || (cue[t.term] & 2);
      if (k + 1 < s.token_end && tokens[k + 1].word == w_to && desire.contains(t.word)) wish = true;
    }
    x.issue = issue_word || (first_person && (wish || negated));
    x.resolution = marker && action_word;
    x.action = action_word;
    if (s.role == SpeakerRole::kAgent || s.role == SpeakerRole::kVirtualAgent) {
      bool detail = false, you = false;
      for (uint32_t k = s.token_begin; k < s.token_end; ++k) {
        detail = detail || (cue[tokens[k].term] & 4);
        you = you || tokens[k].word == w_your || tokens[k].word == w_you;
      }
      // "may I have your username, email address and order ID?", "you would
      // give me the order ID and email", "just to verify …?"
      x.request = detail && (s.question || (you && !x.resolution));
      if (x.request) x.resolution = false;
      asked_details = x.request;
    } else if (s.role == SpeakerRole::kCustomer) {
      // The customer's short replies to such a request ("Order ID: 3348917502",
      // an email address, a name) are details, not the issue.
      x.request = asked_details && !x.issue && s.token_end - s.token_begin <= 8;
    }
    scored.push_back(x);
  }
  if (scored.empty()) return {};

  const int content_sentences = static_cast<int>(scored.size());
  int k = o.min_sentences;
  if (o.sentences_per_extra > 0 && content_sentences > o.min_sentences) {
    k += (content_sentences - o.min_sentences) / o.sentences_per_extra;
  }
  k = std::min({k, o.max_sentences, content_sentences});

  // The first token a chosen sentence shows: past leading interjections
  // followed by punctuation ("Well, …"), keeping at least two tokens. Most
  // sentences fail the cheap punctuation test before any word is looked up.
  auto lead = [&](int sentence) {
    const Sentence& s = sentences[sentence];
    uint32_t b = s.token_begin;
    while (o.trim_openers && b + 2 < s.token_end && tokens[b + 1].phrase_break &&
           Openers().contains(text.words()[tokens[b].word])) {
      ++b;
    }
    return b;
  };

  std::vector<SummaryPick> picks;
  auto duplicate = [&](int sentence) {
    for (const SummaryPick& p : picks) {
      if (p.sentence == sentence) return true;
      // An answer repeats the question's words: only the same speaker role
      // can repeat a chosen sentence.
      if (text.has_roles() && sentences[p.sentence].role != sentences[sentence].role) continue;
      if (Cosine(terms(p.sentence), terms(sentence)) > o.max_similarity) return true;
    }
    return false;
  };
  // The best-scoring candidate under `value`, -1 if none; ties go to the
  // earlier sentence.
  auto best = [&](auto&& value) {
    int best_index = -1;
    double best_value = 0;
    for (size_t c = 0; c < scored.size(); ++c) {
      const double v = value(scored[c]);
      if (v > best_value && !duplicate(scored[c].sentence)) {
        best_value = v;
        best_index = static_cast<int>(c);
      }
    }
    return best_index;
  };

  // Content terms the situation states: the agent's answer shares them.
  std::span<const int32_t> issue_terms;
  auto overlap = [&](const Scored& x) {
    std::span<const int32_t> t = terms(x.sentence);
    size_t i = 0, j = 0, common = 0;
    while (i < t.size() && j < issue_terms.size()) {
      if (t[i] < issue_terms[j]) {
        ++i;
      } else if (issue_terms[j] < t[i]) {
        ++j;
      } else {
        ++common, ++i, ++j;
      }
    }
    return static_cast<double>(common);
  };
  if (text.has_roles()) {
    const int situation = best([&](const Scored& x) {
      if (sentences[x.sentence].role != SpeakerRole::kCustomer || x.request) return 0.0;
      return x.score * (x.issue ? 1 + o.issue_boost : 1.0) / (1 + 3 * x.position);
    });
    if (situation >= 0) picks.push_back({scored[situation].sentence, core::SUMMARY_SITUATION});
    const int after = situation >= 0 ? scored[situation].sentence : -1;
    if (situation >= 0) issue_terms = terms(scored[situation].sentence);
    auto agent_statement = [&](const Scored& x) {
      const Sentence& s = sentences[x.sentence];
      return (s.role == SpeakerRole::kAgent || s.role == SpeakerRole::kVirtualAgent) &&
             x.sentence > after && !x.request && !(s.question && !x.resolution);
    };
    // The outcome: an agent's statement with outcome wording, late.
    const int outcome = best([&](const Scored& x) {
      if (!agent_statement(x) || !x.resolution) return 0.0;
      return x.score * (1 + o.answer_relevance * overlap(x)) * (0.25 + x.position);
    });
    // The answer or action: the agent's statement that best answers the
    // situation (shares its words), not an identity check or small talk.
    const int answer = best([&](const Scored& x) {
      if (!agent_statement(x) || (outcome >= 0 && x.sentence == scored[outcome].sentence)) return 0.0;
      return x.score * (1 + o.answer_relevance * overlap(x)) * (x.resolution ? 1 + o.resolution_boost : 1.0);
    });
    if (answer >= 0 && static_cast<int>(picks.size()) < k) {
      picks.push_back({scored[answer].sentence, core::SUMMARY_ACTION});
    }
    if (outcome >= 0 && static_cast<int>(picks.size()) < k && !duplicate(scored[outcome].sentence)) {
      picks.push_back({scored[outcome].sentence, core::SUMMARY_RESOLUTION});
    }
  }
  // Without roles and with a word budget, the summary's length follows the
  // conversation's.
  const bool budgeted = o.word_budget > 0 && !text.has_roles();
  double budget = 0, used = 0;
  if (budgeted) {
    k = std::min(o.max_sentences, content_sentences);
    budget = std::clamp(o.word_budget * static_cast<double>(tokens.size()), o.min_budget_words, o.max_budget_words);
  }
  auto words = [&](int sentence) { return static_cast<double>(sentences[sentence].token_end - lead(sentence)); };
  while (static_cast<int>(picks.size()) < k && (!budgeted || used < budget)) {
    const int c = best([&](const Scored& x) {
      if (x.request) return 0.0;  // identity checks are never summary
      if (budgeted && !picks.empty() && used + o.budget_fit * words(x.sentence) > budget) return 0.0;
      // An agent's remark that neither acts nor touches the issue is small
      // talk ("cats deserve to look good too").
      const SpeakerRole r = sentences[x.sentence].role;
      if (text.has_roles() && (r == SpeakerRole::kAgent || r == SpeakerRole::kVirtualAgent) && !x.action &&
          !x.resolution && overlap(x) == 0) {
        return 0.0;
      }
      return x.score * (1 + o.early_bias * (1 - x.position));
    });
    if (c < 0) break;
    core::SummarySection section = core::SUMMARY_SECTION_UNSPECIFIED;
    if (text.has_roles()) {
      const SpeakerRole r = sentences[scored[c].sentence].role;
      if (r == SpeakerRole::kCustomer) section = core::SUMMARY_SITUATION;
      if (r == SpeakerRole::kAgent || r == SpeakerRole::kVirtualAgent) {
        section = scored[c].resolution ? core::SUMMARY_RESOLUTION : core::SUMMARY_ACTION;
      }
    }
    picks.push_back({scored[c].sentence, section});
    used += words(scored[c].sentence);
  }
  for (SummaryPick& p : picks) {
    const Sentence& s = sentences[p.sentence];
    const uint32_t first = lead(p.sentence);
    p.begin = first == s.token_begin ? s.begin : tokens[first].begin;
    p.end = s.end;
  }
  std::sort(picks.begin(), picks.end(),
            [](const SummaryPick& a, const SummaryPick& b) { return a.sentence < b.sentence; });
  return picks;
}

}  // namespace parley::analysis::summary
