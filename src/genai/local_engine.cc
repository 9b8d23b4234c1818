#include "genai/local_engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analysis/default_pipeline.h"
#include "analysis/summary/porter_stemmer.h"
#include "analysis/summary/sentences.h"
#include "analysis/summary/word_lists.h"
#include "core/absl_compat.h"

namespace parley::genai {
namespace {

using core::Conversation;
using core::Message;

struct Sentence {
  int message = 0;
  bool agent = false;
  std::string text;
  std::string lower;
};

std::vector<Sentence> Sentences(const Conversation& c) {
  std::vector<Sentence> out;
  for (int i = 0; i < c.messages_size(); ++i) {
    const Message& m = c.messages(i);
    const bool agent = IsAgentMessage(c, m);
    for (const auto& span : analysis::summary::SplitSentences(m.text())) {
      Sentence s{i, agent, m.text().substr(span.begin, span.end - span.begin), ""};
      s.lower = absl::AsciiStrToLower(Sv(s.text));
      out.push_back(std::move(s));
    }
  }
  return out;
}

bool HasAny(std::string_view lower, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (absl::StrContains(Sv(lower), Sv(n))) return true;
  }
  return false;
}

bool StartsWithAny(std::string_view lower, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (absl::StartsWith(Sv(lower), Sv(p))) return true;
  }
  return false;
}

// "I have refunded ...", "I've sent ...", "I went ahead and ...": done.
bool IsPastAction(const Sentence& s) {
  return HasAny(s.lower, {"i have ", "i've ", "i went ahead and", "i just ", "i already ", "we have ",
                          "we've ", "i've gone ahead", "has been ", "have been "}) &&
         !HasAny(s.lower, {"have you", "have a great", "have a nice", "have a good", "i have a question",
                           "i have no ", "i've got a question", "?", "unfortunately", "cannot", "can't",
                           "more than", "has been more", "has been a "});
}

// "I will send ...", "I'll ...", "I am going to ...", "let me ...": to do.
bool IsCommitment(const Sentence& s) {
  return HasAny(s.lower, {"i will ", "i'll ", "i am going to ", "i'm going to ", "we will ", "we'll ",
                          "you will receive", "you'll receive", "you will get", "you'll get",
                          "i can send", "i'll be sending", "will be sent", "will be refunded",
                          "will be processed", "follow up", "call you back", "will give you a call",
                          "will call you", "will contact you", "will get back to you", "will reach out"}) &&
         !HasAny(s.lower, {"?"});
}

// The customer's request or problem.
bool IsReason(const Sentence& s) {
  return HasAny(s.lower, {"i want", "i'd like", "i would like", "i need", "can you", "could you",
                          "i'm calling", "i am calling", "i'm contacting", "i was charged", "charged",
                          "problem", "issue", "not working", "doesn't work", "does not work", "can't",
                          "cannot", "won't", "broken", "cancel", "refund", "return", "change my",
                          "update my", "help me", "trying to", "wrong", "haven't received",
                          "didn't receive", "did not receive", "never arrived", "question about"});
}

// "I want a supervisor", "this is unacceptable": how the customer reacts, not why they came.
bool IsEscalation(const Sentence& s) {
  return HasAny(s.lower, {"supervisor", "manager", "unacceptable", "escalate", "complaint about you"});
}

std::string Clean(std::string_view text) {
  std::string s(absl::StripAsciiWhitespace(Sv(text)));
  while (!s.empty() && (s.back() == ',' || s.back() == ';')) s.pop_back();
  return s;
}

std::string EntityTypeName(core::EntityType t) {
  std::string name = core::EntityType_Name(t);
  return absl::AsciiStrToLower(Sv(name));
}

void Stems(std::string_view lower, std::set<std::string>* out) {
  std::string word, stem;
  auto flush = [&] {
    if (word.size() > 1 && !analysis::summary::IsStopword(word)) {
      analysis::summary::PorterStem(word, &stem);
      out->insert(stem);
    }
    word.clear();
  };
  for (char ch : lower) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '\'') {
      word.push_back(ch);
    } else {
      flush();
    }
  }
  flush();
}

void AddUnique(std::vector<std::string>* v, std::string s, size_t max) {
  if (s.empty() || v->size() >= max) return;
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(std::move(s));
}

std::string Seconds(int64_t us) { return absl::StrCat((us + 500'000) / 1'000'000, " s"); }

}  // namespace

bool IsAgentMessage(const Conversation& c, const Message& m) {
  core::Role role = m.role();
  for (const auto& p : c.participants()) {
    if (!m.participant_id().empty() && p.id() == m.participant_id()) role = p.role();
  }
  return role == core::HUMAN_AGENT || role == core::AUTOMATED_AGENT || role == core::ANY_AGENT;
}

std::string TranscriptText(const Conversation& c) {
  std::string out;
  for (const Message& m : c.messages()) {
    absl::StrAppend(&out, IsAgentMessage(c, m) ? "Agent: " : "Customer: ", m.text(), "\n");
  }
  return out;
}

absl::StatusOr<core::AnalysisResult> AnalyzeForGenAi(const Conversation& conversation) {
  static const analysis::Pipeline* pipeline = [] {
    analysis::PipelineOptions options;
    options.explain_sentiment = false;
    auto built = analysis::BuildPipeline(options);
    return built.ok() ? built->release() : nullptr;
  }();
  if (pipeline == nullptr) return absl::InternalError("the analysis pipeline could not be built");
  return pipeline->Run(conversation);
}

Insights LocalInsights(const Conversation& c, const core::AnalysisResult& a) {
  Insights out;
  const std::vector<Sentence> sentences = Sentences(c);
  out.summary = a.summary();
  if (out.summary.empty() && !sentences.empty()) out.summary = sentences.front().text;

  // Reasons: the customer's first requests or problems.
  int first_reason_message = -1;
  for (const Sentence& s : sentences) {
    if (!s.agent && IsReason(s) && !IsEscalation(s)) {
      if (first_reason_message < 0) first_reason_message = s.message;
      AddUnique(&out.reasons, Clean(s.text), 3);
    }
  }
  if (out.reasons.empty()) {
    for (const Sentence& s : sentences) {
      if (!s.agent && s.lower.size() > 12) {
        AddUnique(&out.reasons, Clean(s.text), 1);
        break;
      }
    }
  }
  // Agent actions and commitments.
  for (const Sentence& s : sentences) {
    if (!s.agent) continue;
    if (IsPastAction(s)) AddUnique(&out.actions_taken, Clean(s.text), 8);
    if (IsCommitment(s)) AddUnique(&out.action_items, Clean(s.text), 8);
  }
  for (const auto& e : a.entities()) {
    out.entities.push_back({EntityTypeName(e.type()), e.display_name()});
    if (out.entities.size() == 20) break;
  }

  // Resolution: how the customer's last words read, and what the agent did.
  int last_customer = -1;
  for (int i = c.messages_size() - 1; i >= 0; --i) {
    if (!IsAgentMessage(c, c.messages(i))) {
      last_customer = i;
      break;
    }
  }
  bool positive_close = false, negative_close = false;
  for (const Sentence& s : sentences) {
    if (s.agent || s.message < last_customer - 3) continue;
    if (HasAny(s.lower, {"thank", "thanks", "perfect", "great", "that works", "that's all", "that is all",
                         "awesome", "appreciate", "resolved", "sounds good", "got it", "that helps",
                         "that fixed", "it works"})) {
      positive_close = true;
    }
    if (HasAny(s.lower, {"still not", "still doesn't", "still isn't", "not resolved", "unresolved",
                         "supervisor", "manager", "escalate", "not happy", "unacceptable", "useless",
                         "waste of time", "doesn't help", "didn't help", "call back later", "no thanks"})) {
      negative_close = true;
    }
  }
  bool agent_open = false;  // the agent says it cannot be done now
  for (const Sentence& s : sentences) {
    if (s.agent && HasAny(s.lower, {"unable to", "i can't", "i cannot", "not able to", "escalat",
                                    "open a ticket", "opened a ticket", "within 24", "within 48",
                                    "business days"})) {
      agent_open = true;
    }
  }
  bool agent_refused = false;  // the agent says the request cannot be met
  for (const Sentence& s : sentences) {
    if (s.agent && HasAny(s.lower, {"unfortunately", "we cannot", "we can't", "i couldn't", "i could not",
                                    "we are unable", "we're unable", "not eligible", "cannot accept"})) {
      agent_refused = true;
    }
  }
  out.is_resolved = !negative_close && !agent_refused && (positive_close || !out.actions_taken.empty()) &&
                    !(agent_open && out.actions_taken.empty());

  // Topics: key phrases, then entity names.
  for (const auto& t : a.topics()) AddUnique(&out.topics, t.text(), 8);
  for (const auto& e : a.entities()) {
    if (out.topics.size() >= 3) break;
    AddUnique(&out.topics, e.display_name(), 8);
  }

  // Concerns: each reason with the agent's actions after it.
  {
    std::vector<std::pair<int, std::string>> raised;  // message, concern
    std::set<int> seen;
    for (const Sentence& s : sentences) {
      if (!s.agent && IsReason(s) && !IsEscalation(s) && seen.insert(s.message).second && raised.size() < 5) {
        raised.emplace_back(s.message, Clean(s.text));
      }
    }
    if (raised.empty() && !out.reasons.empty()) raised.emplace_back(0, out.reasons.front());
    for (size_t k = 0; k < raised.size(); ++k) {
      Concern concern{raised[k].second, {}, false};
      const int from = raised[k].first;
      const int to = k + 1 < raised.size() ? raised[k + 1].first : c.messages_size();
      for (const Sentence& s : sentences) {
        if (s.agent && s.message > from && s.message <= to && (IsPastAction(s) || IsCommitment(s))) {
          AddUnique(&concern.actions, Clean(s.text), 5);
        }
      }
      concern.resolved = k + 1 < raised.size() ? !concern.actions.empty() : out.is_resolved;
      out.concerns.push_back(std::move(concern));
    }
  }

  // Coaching from measurable behaviours.
  {
    int empathy = 0, customer_negative = 0, agent_messages = 0;
    for (const Sentence& s : sentences) {
      if (s.agent && HasAny(s.lower, {"sorry", "apolog", "i understand", "i can imagine", "frustrat",
                                      "i hear you", "that must be", "i know how"})) {
        ++empathy;
      }
    }
    for (const auto& ms : a.message_sentiments()) {
      if (ms.message_index() < c.messages_size() && !IsAgentMessage(c, c.messages(ms.message_index())) &&
          ms.sentiment().score() < -0.25f) {
        ++customer_negative;
      }
    }
    for (const Message& m : c.messages()) agent_messages += IsAgentMessage(c, m) ? 1 : 0;
    if (empathy > 0) {
      out.coaching.push_back({"empathy", true, absl::StrCat(empathy, " empathy statement(s) by the agent"), ""});
    } else if (customer_negative > 0) {
      out.coaching.push_back({"empathy", false,
                              absl::StrCat("the customer expressed negative sentiment in ", customer_negative,
                                           " message(s) and the agent made no empathy statement"),
                              "Acknowledge the customer's frustration and apologise for the inconvenience."});
    }
    if (a.holds_size() > 0) {
      int64_t total = 0;
      for (const auto& h : a.holds()) total += h.duration_us();
      out.coaching.push_back({"hold", false, absl::StrCat(a.holds_size(), " hold(s), ", Seconds(total), " in total"),
                              "Limit holds; tell the customer why and for how long before placing them on hold."});
    }
    if (a.silence_percentage() > 0.2f) {
      out.coaching.push_back({"silence", false,
                              absl::StrCat(static_cast<int>(a.silence_percentage() * 100 + 0.5f),
                                           "% of the interaction was silence"),
                              "Fill long pauses: explain what you are doing while you look things up."});
    }
    int agent_interruptions = 0;
    for (const auto& t : a.interruptions()) {
      if (t.start_message() < c.messages_size() && IsAgentMessage(c, c.messages(t.start_message()))) {
        ++agent_interruptions;
      }
    }
    if (agent_interruptions > 0) {
      out.coaching.push_back({"interruptions", false,
                              absl::StrCat("the agent interrupted the customer ", agent_interruptions, " time(s)"),
                              "Let the customer finish before answering."});
    }
    // Customer questions the agent's next message did not answer.
    int unanswered = 0;
    for (int i = 0; i < c.messages_size(); ++i) {
      const Message& m = c.messages(i);
      if (IsAgentMessage(c, m) || !absl::StrContains(Sv(m.text()), "?")) continue;
      int j = i + 1;
      while (j < c.messages_size() && !IsAgentMessage(c, c.messages(j))) ++j;
      if (j == c.messages_size()) ++unanswered;
    }
    if (unanswered > 0) {
      out.coaching.push_back({"unansweredQuestions", false,
                              absl::StrCat(unanswered, " customer question(s) had no answer from the agent"),
                              "Answer every question the customer asks before closing."});
    }
    if (agent_messages > 0) {
      bool offered_more = false;
      for (const Sentence& s : sentences) {
        if (s.agent && HasAny(s.lower, {"anything else", "something else", "any other"})) offered_more = true;
      }
      if (offered_more) {
        out.coaching.push_back({"closing", true, "the agent offered further help before closing", ""});
      } else {
        out.coaching.push_back({"closing", false, "the agent did not ask whether the customer needed anything else",
                                "Before closing, ask whether there is anything else you can help with."});
      }
    }
    if (!out.is_resolved) {
      out.coaching.push_back({"resolution", false, "the customer's issue does not read as resolved",
                              "Confirm the resolution with the customer, or state the next steps and when they will happen."});
    }
  }
  return out;
}

std::string LocalAnswer(const Conversation& c, std::string_view question) {
  std::set<std::string> q;
  Stems(absl::AsciiStrToLower(Sv(question)), &q);
  const std::vector<Sentence> sentences = Sentences(c);
  // What kind of answer the question wants: an amount or a number, a time.
  const std::string lq = absl::AsciiStrToLower(Sv(question));
  const bool wants_number = HasAny(lq, {"how much", "how many", "amount", "price", "cost", "number", "total"});
  const bool wants_time = HasAny(lq, {"when", "how long", "what time", "what day", "date"});
  // Whose words the question asks about.
  const bool about_customer = HasAny(lq, {"customer", "caller", "client"});
  const bool about_agent = HasAny(lq, {"agent", "representative"});
  int best = -1;
  size_t best_score = 0;
  for (size_t i = 0; i < sentences.size(); ++i) {
    std::set<std::string> s;
    Stems(sentences[i].lower, &s);
    size_t overlap = 0;
    for (const std::string& w : q) overlap += s.count(w);
    if (overlap == 0) continue;
    size_t score = overlap * 4;
    const bool has_digit = std::any_of(sentences[i].lower.begin(), sentences[i].lower.end(),
                                       [](char ch) { return ch >= '0' && ch <= '9'; });
    if (wants_number && has_digit) score += 3;
    if (wants_time && (has_digit || HasAny(sentences[i].lower, {"today", "tomorrow", "day", "week", "hour",
                                                                  "minute", "monday", "tuesday", "wednesday",
                                                                  "thursday", "friday", "saturday", "sunday"}))) {
      score += 3;
    }
    if (about_customer && !sentences[i].agent) score += 2;
    if (about_agent && sentences[i].agent) score += 2;
    if (sentences[i].agent) score += 1;  // answers are mostly the agent's statements
    if (score > best_score) {
      best_score = score;
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return "The interaction does not say.";
  const Sentence& s = sentences[best];
  return absl::StrCat(s.agent ? "The agent said: \"" : "The customer said: \"", s.text, "\"");
}

}  // namespace parley::genai
