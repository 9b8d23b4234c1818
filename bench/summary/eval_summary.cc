// eval_summary: ROUGE of Parley's extractive summaries and recall of its
// topics on DialogSum's dev set (../shared/data/dialogsum/dialogsum.dev.jsonl:
// 500 everyday dialogues, each with a human summary and a short topic).
// DialogSum is CC BY-NC-SA and used for evaluation only: nothing is trained
// on it. Records [0, 250) are the tuning half (the only half --show and
// --grid look at), records [250, 500) the held-out half, whose figures are
// the honest ones.
//
//   eval_summary [--data PATH]          the tables
//   eval_summary --show N               one tuning-half dialogue, its summaries and topics
//   eval_summary --grid                 the parameter grid, on the tuning half
//   eval_summary --budget-grid          the word budget and opener grid of issue 14, tuning half
//   eval_summary --tuning-only          the tables of the tuning half alone
//   eval_summary --no-speaker-labels    no speaker labels for any system (see below)
//
// ROUGE (our implementation, following Google's rouge-score package):
// lower-case, every run of characters other than [a-z0-9] separates tokens,
// tokens longer than 3 characters are Porter-stemmed; ROUGE-1 and ROUGE-2
// F1 from clipped n-gram overlap; ROUGE-L F1 from the longest common
// subsequence of the two whole token sequences (not the per-sentence
// "Lsum"). Scores are averaged over dialogues and printed x100.
//
// Summaries compared, all built from the same messages. Each dialogue keeps
// its speaker labels ("#Person1#" becomes participant "Person1" with that
// role_name) and every system's lines start with the speaker's label as
// Parley's summary lines do ("Person1: …"), so all get the same credit for
// naming speakers; --no-speaker-labels drops the labels for every system
// (the setup before issue 14).
//   parley     SummaryAnalyzer (roles unknown: DialogSum names no agent or customer)
//   lead-2     the first two messages
//   lead-3 sentences  the first three sentences (Parley's unit and count)
//   random-2   two messages drawn with a fixed seed, in conversation order
//   longest-2  the two longest messages, in conversation order
//   oracle-2   the two messages that maximise ROUGE-1 + ROUGE-2 against
//              the reference (greedy): a ceiling for picking two messages
// Topics: the reference topic's words (stemmed, minus a dozen function
// words) against the words of the top 5 topics: recall of the topic words
// (macro) and hit@5 (some topic word is found), for Parley and for the five
// most frequent content words; "present" is the share of topic words that
// occur in the dialogue at all, the ceiling for any extractive method.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "analysis/summary/conversation_text.h"
#include "analysis/summary/porter_stemmer.h"
#include "analysis/summary/summary_analyzer.h"
#include "analysis/summary/word_lists.h"

#ifndef PARLEY_DIALOGSUM_DATA
#define PARLEY_DIALOGSUM_DATA "../shared/data/dialogsum/dialogsum.dev.jsonl"
#endif

namespace {

using namespace parley;

constexpr size_t kTuningEnd = 250;

// Whether the dialogues keep their speaker labels ("Person1") as the
// participants' role_name, and the baselines' lines start with them as
// Parley's summary lines do ("Person1: …"). Off (--no-speaker-labels) gives
// the setup before issue 14: no system sees a speaker label.
bool g_speaker_labels = true;

// "Person1: " for a labelled message, "" otherwise.
std::string SpeakerPrefix(const core::Conversation& c, int message) {
  if (!g_speaker_labels || c.messages(message).participant_id().empty()) return "";
  return c.messages(message).participant_id() + ": ";
}

struct Record {
  std::string id;
  core::Conversation conversation;
  std::string reference;
  std::string topic;
};

bool Load(const std::string& path, std::vector<Record>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject()) {
      std::cerr << "unreadable line in " << path << "\n";
      return false;
    }
    Record r;
    r.id = d["fname"].GetString();
    r.reference = d["summary"].GetString();
    r.topic = d["topic"].GetString();
    std::string dialogue = d["dialogue"].GetString();
    size_t p = 0;
    while (p <= dialogue.size()) {
      size_t q = dialogue.find('\n', p);
      if (q == std::string::npos) q = dialogue.size();
      std::string_view turn(dialogue.data() + p, q - p);
      p = q + 1;
      std::string speaker;
      if (turn.size() > 2 && turn[0] == '#') {  // "#Person1#: text"
        size_t end = turn.find("#:", 1);
        if (end != std::string_view::npos) {
          speaker = std::string(turn.substr(1, end - 1));
          turn.remove_prefix(end + 2);
        }
      }
      while (!turn.empty() && turn.front() == ' ') turn.remove_prefix(1);
      if (turn.empty()) continue;
      core::Message* m = r.conversation.add_messages();
      m->set_participant_id(speaker);
      m->set_text(std::string(turn));
    }
    std::vector<std::string> ids;
    for (const core::Message& m : r.conversation.messages()) {
      if (std::find(ids.begin(), ids.end(), m.participant_id()) == ids.end()) ids.push_back(m.participant_id());
    }
    for (const std::string& id : ids) {  // roles unknown
      core::Participant* p = r.conversation.add_participants();
      p->set_id(id);
      if (g_speaker_labels) p->set_role_name(id);
    }
    out->push_back(std::move(r));
  }
  return true;
}

// ---- ROUGE ------------------------------------------------------------------

std::vector<std::string> RougeTokens(std::string_view text) {
  std::vector<std::string> out;
  std::string cur, stem;
  auto flush = [&] {
    if (cur.empty()) return;
    if (cur.size() > 3) {
      parley::analysis::summary::PorterStem(cur, &stem);
      out.push_back(stem);
    } else {
      out.push_back(cur);
    }
    cur.clear();
  };
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      cur.push_back(c);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

double F1(double overlap, double candidate, double reference) {
  if (overlap == 0 || candidate == 0 || reference == 0) return 0;
  const double p = overlap / candidate, r = overlap / reference;
  return 2 * p * r / (p + r);
}

double RougeN(const std::vector<std::string>& cand, const std::vector<std::string>& ref, size_t n) {
  if (cand.size() < n || ref.size() < n) return 0;
  std::map<std::vector<std::string>, int> counts;
  for (size_t i = 0; i + n <= ref.size(); ++i) ++counts[std::vector<std::string>(ref.begin() + i, ref.begin() + i + n)];
  double overlap = 0;
  for (size_t i = 0; i + n <= cand.size(); ++i) {
    auto it = counts.find(std::vector<std::string>(cand.begin() + i, cand.begin() + i + n));
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++overlap;
    }
  }
  return F1(overlap, static_cast<double>(cand.size() - n + 1), static_cast<double>(ref.size() - n + 1));
}

double RougeL(const std::vector<std::string>& cand, const std::vector<std::string>& ref) {
  if (cand.empty() || ref.empty()) return 0;
  std::vector<int> prev(ref.size() + 1, 0), cur(ref.size() + 1, 0);
  for (size_t i = 1; i <= cand.size(); ++i) {
    for (size_t j = 1; j <= ref.size(); ++j) {
      cur[j] = cand[i - 1] == ref[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    }
    std::swap(prev, cur);
  }
  return F1(prev[ref.size()], static_cast<double>(cand.size()), static_cast<double>(ref.size()));
}

struct Rouge {
  double r1 = 0, r2 = 0, rl = 0, words = 0;
  int n = 0;
  void Add(std::string_view candidate, const std::vector<std::string>& ref) {
    const auto cand = RougeTokens(candidate);
    r1 += RougeN(cand, ref, 1);
    r2 += RougeN(cand, ref, 2);
    rl += RougeL(cand, ref);
    words += static_cast<double>(cand.size());
    ++n;
  }
};

// ---- systems ----------------------------------------------------------------

std::string JoinMessages(const core::Conversation& c, std::vector<int> indices) {
  std::sort(indices.begin(), indices.end());
  std::string out;
  for (int i : indices) {
    if (!out.empty()) out += '\n';
    out += SpeakerPrefix(c, i) + c.messages(i).text();
  }
  return out;
}

std::string Lead2(const core::Conversation& c) {
  std::vector<int> idx;
  for (int i = 0; i < std::min(2, c.messages_size()); ++i) idx.push_back(i);
  return JoinMessages(c, idx);
}

// The first three sentences (the analyzer's sentence splitter), small talk
// included: the same unit and count as Parley's summaries.
std::string Lead3Sentences(const core::Conversation& c) {
  const analysis::summary::ConversationText text(c);
  std::string out;
  for (size_t i = 0; i < text.sentences().size() && i < 3; ++i) {
    if (!out.empty()) out += '\n';
    out += SpeakerPrefix(c, text.sentences()[i].message_index) + std::string(text.Text(text.sentences()[i]));
  }
  return out;
}

std::string Random2(const core::Conversation& c, std::mt19937* rng) {
  std::vector<int> idx(c.messages_size());
  for (int i = 0; i < c.messages_size(); ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), *rng);
  idx.resize(std::min<size_t>(2, idx.size()));
  return JoinMessages(c, idx);
}

std::string Longest2(const core::Conversation& c) {
  std::vector<int> idx(c.messages_size());
  for (int i = 0; i < c.messages_size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(),
                   [&](int a, int b) { return c.messages(a).text().size() > c.messages(b).text().size(); });
  idx.resize(std::min<size_t>(2, idx.size()));
  return JoinMessages(c, idx);
}

std::string Oracle2(const core::Conversation& c, const std::vector<std::string>& ref) {
  std::vector<int> chosen;
  for (int round = 0; round < 2; ++round) {
    int best = -1;
    double best_score = -1;
    for (int i = 0; i < c.messages_size(); ++i) {
      if (std::find(chosen.begin(), chosen.end(), i) != chosen.end()) continue;
      std::vector<int> trial = chosen;
      trial.push_back(i);
      const auto cand = RougeTokens(JoinMessages(c, trial));
      const double s = RougeN(cand, ref, 1) + RougeN(cand, ref, 2);
      if (s > best_score) best_score = s, best = i;
    }
    if (best >= 0) chosen.push_back(best);
  }
  return JoinMessages(c, chosen);
}

// ---- topics -----------------------------------------------------------------

bool IsTopicFunctionWord(const std::string& w) {
  static const char* const kWords[] = {"a", "an", "the", "of", "to", "for", "in", "on", "at", "and",
                                       "or", "with", "about", "from", "by", "s", "is", "be", "one"};
  for (const char* k : kWords) {
    if (w == k) return true;
  }
  return false;
}

struct TopicScore {
  double recall = 0, hits = 0;
  int n = 0;
  void Add(const std::vector<std::string>& topic_words, const std::vector<std::string>& found) {
    if (topic_words.empty()) return;
    int k = 0;
    for (const std::string& w : topic_words) k += std::find(found.begin(), found.end(), w) != found.end();
    recall += static_cast<double>(k) / static_cast<double>(topic_words.size());
    hits += k > 0;
    ++n;
  }
};

std::vector<std::string> TopicWords(std::string_view topic) {
  std::vector<std::string> out;
  for (std::string& w : RougeTokens(topic)) {
    if (!IsTopicFunctionWord(w) && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

// The five most frequent words of the dialogue that are not stopwords or
// courtesy words (the analyzer's lists), ties by first use.
std::vector<std::string> FrequentWords(const core::Conversation& c) {
  std::vector<std::pair<std::string, int>> counts;
  for (const core::Message& m : c.messages()) {
    std::string cur;
    std::string lowered;
    for (char ch : m.text() + " ") {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
        cur.push_back(ch);
        continue;
      }
      if (!cur.empty() && cur.size() > 1 && !(cur[0] >= '0' && cur[0] <= '9') &&
          !analysis::summary::IsStopword(cur) && !analysis::summary::IsSocialWord(cur)) {
        auto toks = RougeTokens(cur);
        auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& p) { return p.first == toks[0]; });
        if (it == counts.end()) {
          counts.emplace_back(toks[0], 1);
        } else {
          ++it->second;
        }
      }
      cur.clear();
    }
  }
  std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (size_t i = 0; i < counts.size() && i < 5; ++i) out.push_back(counts[i].first);
  return out;
}

// ---- report -----------------------------------------------------------------

struct Part {
  const char* name;
  size_t begin, end;
};

struct Results {
  std::map<std::string, Rouge> rouge;
  TopicScore parley_topics, frequent_words, present;
};

Results Evaluate(const std::vector<Record>& records, size_t begin, size_t end, const analysis::SummaryAnalyzer& analyzer,
                 bool baselines) {
  Results res;
  for (size_t i = begin; i < end && i < records.size(); ++i) {
    const Record& r = records[i];
    const auto ref = RougeTokens(r.reference);
    core::AnalysisResult result;
    (void)analyzer.Analyze(r.conversation, &result);
    res.rouge["parley"].Add(result.summary(), ref);
    const auto topic_words = TopicWords(r.topic);
    std::vector<std::string> found;
    for (int k = 0; k < std::min(5, result.topics_size()); ++k) {
      for (std::string& w : RougeTokens(result.topics(k).text())) found.push_back(w);
    }
    res.parley_topics.Add(topic_words, found);
    if (!baselines) continue;
    std::mt19937 rng(static_cast<uint32_t>(i) * 2654435761u + 17);
    res.rouge["lead-2"].Add(Lead2(r.conversation), ref);
    res.rouge["lead-3 sentences"].Add(Lead3Sentences(r.conversation), ref);
    res.rouge["random-2"].Add(Random2(r.conversation, &rng), ref);
    res.rouge["longest-2"].Add(Longest2(r.conversation), ref);
    res.rouge["oracle-2"].Add(Oracle2(r.conversation, ref), ref);
    res.frequent_words.Add(topic_words, FrequentWords(r.conversation));
    std::string all;
    for (const core::Message& m : r.conversation.messages()) all += m.text() + " ";
    res.present.Add(topic_words, RougeTokens(all));
  }
  return res;
}

void PrintRouge(const Results& res) {
  std::printf("| system | ROUGE-1 F1 | ROUGE-2 F1 | ROUGE-L F1 | words |\n|---|---:|---:|---:|---:|\n");
  for (const char* name : {"parley", "lead-2", "lead-3 sentences", "random-2", "longest-2", "oracle-2"}) {
    auto it = res.rouge.find(name);
    if (it == res.rouge.end() || it->second.n == 0) continue;
    const Rouge& r = it->second;
    std::printf("| %s | %.2f | %.2f | %.2f | %.1f |\n", name, 100 * r.r1 / r.n, 100 * r.r2 / r.n, 100 * r.rl / r.n,
                r.words / r.n);
  }
  auto line = [](const char* name, const TopicScore& t) {
    if (t.n == 0) return;
    std::printf("| %s | %.3f | %.3f |\n", name, t.recall / t.n, t.hits / t.n);
  };
  std::printf("\n| topics (top 5) | topic-word recall | hit@5 |\n|---|---:|---:|\n");
  line("parley topics", res.parley_topics);
  line("5 most frequent content words", res.frequent_words);
  line("present anywhere in the dialogue (ceiling)", res.present);
}

}  // namespace

// ---- ABCD chats, labelled by hand ------------------------------------------------
//
// For each chat of ../shared/data/abcd/abcd_sample.json (by convo_id), a few
// words of the sentence that should be the situation, the agent's answer or
// action, and the outcome ("" when the chat has none), and words of
// sentences that must not be in the summary (greetings, identity checks,
// small talk). Labelled by reading the chats, before the summarizer was
// changed for them; the two customer-detail entries ("@email.com", "Order
// ID:") were added after seeing the first output.
struct AbcdLabel {
  int convo_id;
  const char* situation;
  const char* action;
  const char* resolution;
  std::vector<const char*> not_summary;
};

const std::vector<AbcdLabel>& AbcdLabels() {
  static const std::vector<AbcdLabel> labels = {
      {3592, "return an item", "more than 90 days we cannot accept", "let my manager know",
       {"How can I help", "may I have your name", "username, email address", "membership level",
        "@email.com", "Order ID:"}},
      {9489, "status of a refund", "currently in progress", "less than a week",
       {"how can I help", "full name or account ID", "order ID and email", "a pleasure", "@email.com"}},
      {3695, "when they expire", "expire after 7 days", "",
       {"HEY HO", "how can I help", "cats deserve", "just to verify", "funny to put hats"}},
  };
  return labels;
}

int Abcd(const std::string& path) {
  std::ifstream in(path);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsArray()) {
    std::cerr << "eval_summary: cannot read ABCD chats at " << path << "\n";
    return 2;
  }
  int labelled = 0, hit = 0, bad = 0, picked = 0;
  for (const auto& chat : doc.GetArray()) {
    const int id = chat["convo_id"].GetInt();
    const AbcdLabel* label = nullptr;
    for (const AbcdLabel& l : AbcdLabels()) label = l.convo_id == id ? &l : label;
    if (label == nullptr) continue;
    core::Conversation c;
    auto* agent = c.add_participants();
    agent->set_id("agent");
    agent->set_role(core::HUMAN_AGENT);
    auto* customer = c.add_participants();
    customer->set_id("customer");
    customer->set_role(core::END_USER);
    for (const auto& turn : chat["original"].GetArray()) {
      std::string role = turn[0].GetString();
      if (role != "agent" && role != "customer") continue;
      auto* m = c.add_messages();
      m->set_participant_id(role);
      m->set_text(turn[1].GetString());
    }
    core::AnalysisResult result;
    (void)analysis::SummaryAnalyzer().Analyze(c, &result);
    std::printf("\n### chat %d\n\n", id);
    std::string in_section[4];
    for (const core::SummarySentence& ss : result.summary_sentences()) {
      const std::string& text = c.messages(ss.message_index()).text();
      std::string sentence = text.substr(ss.start_byte(), ss.end_byte() - ss.start_byte());
      std::printf("- %s: %s\n", core::SummarySection_Name(ss.section()).c_str(), sentence.c_str());
      if (ss.section() >= 1 && ss.section() <= 3) in_section[ss.section()] += sentence + " | ";
      ++picked;
      for (const char* no : label->not_summary) {
        if (sentence.find(no) != std::string::npos) {
          ++bad;
          std::printf("  (should not be in the summary)\n");
        }
      }
    }
    const std::pair<const char*, int> wants[] = {{label->situation, core::SUMMARY_SITUATION},
                                                 {label->action, core::SUMMARY_ACTION},
                                                 {label->resolution, core::SUMMARY_RESOLUTION}};
    for (const auto& [want, section] : wants) {
      if (*want == '\0') continue;
      ++labelled;
      // The answer may be labelled action or resolution: either section counts for both.
      bool ok = in_section[section].find(want) != std::string::npos;
      if (section != core::SUMMARY_SITUATION) {
        ok = ok || in_section[core::SUMMARY_ACTION].find(want) != std::string::npos ||
             in_section[core::SUMMARY_RESOLUTION].find(want) != std::string::npos;
      }
      hit += ok;
      std::printf("  %s \"%s\": %s\n", core::SummarySection_Name(section).c_str(), want, ok ? "found" : "MISSED");
    }
  }
  std::printf("\nlabelled sections found: %d of %d; summary sentences that should not be there: %d of %d\n",
              hit, labelled, bad, picked);
  return 0;
}

int main(int argc, char** argv) {
  std::string path = PARLEY_DIALOGSUM_DATA;
  int show = -1;
  bool grid = false;
  bool budget_grid = false;  // the length and trimming options of issue 14, on the tuning half
  bool tuning_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "--show" && i + 1 < argc) {
      show = std::atoi(argv[++i]);
    } else if (a == "--grid") {
      grid = true;
    } else if (a == "--budget-grid") {
      budget_grid = true;
    } else if (a == "--no-speaker-labels") {
      g_speaker_labels = false;
    } else if (a == "--tuning-only") {
      tuning_only = true;
    } else if (a == "--abcd" && i + 1 < argc) {
      return Abcd(argv[++i]);
    } else {
      std::cerr << "usage: eval_summary [--data PATH] [--no-speaker-labels] [--tuning-only] "
                   "[--show N | --grid | --budget-grid | --abcd ABCD_SAMPLE_JSON]\n";
      return 2;
    }
  }
  std::vector<Record> records;
  if (!Load(path, &records) || records.empty()) {
    std::cerr << "eval_summary: DialogSum data not found or empty at " << path
              << "\n(expected ../shared/data/dialogsum/dialogsum.dev.jsonl beside the repository; "
                 "--data PATH points elsewhere)\n";
    return 2;
  }

  if (show >= 0) {
    if (static_cast<size_t>(show) >= std::min(kTuningEnd, records.size())) {
      std::cerr << "--show looks at the tuning half only: 0.." << kTuningEnd - 1 << "\n";
      return 2;
    }
    const Record& r = records[show];
    core::AnalysisResult result;
    (void)analysis::SummaryAnalyzer().Analyze(r.conversation, &result);
    for (int i = 0; i < r.conversation.messages_size(); ++i) {
      std::printf("[%d] %s: %s\n", i, r.conversation.messages(i).participant_id().c_str(),
                  r.conversation.messages(i).text().c_str());
    }
    std::printf("\nparley:    %s\nreference: %s\ntopic:     %s\ntopics:   ", result.summary().c_str(),
                r.reference.c_str(), r.topic.c_str());
    for (const core::KeyPhrase& k : result.topics()) std::printf(" %s (%.2f);", k.text().c_str(), k.score());
    std::printf("\n");
    return 0;
  }

  if (grid) {
    std::printf("| min_sentences | length_exponent | early_bias | question_factor | singleton_weight | R-1 | R-2 | R-L |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int k : {2, 3, 4}) {
      for (double le : {0.3, 0.5, 0.7, 0.9}) {
        for (double eb : {0.5, 1.0, 2.0, 3.0}) {
          for (double qf : {0.6, 1.0}) {
            for (double sw : {0.25, 0.5, 1.0}) {
              analysis::summary::SummaryOptions o;
              o.word_budget = 0;  // the grid of issue 8: a sentence count, no trimming
              o.trim_openers = false;
              o.min_sentences = k;
              o.length_exponent = le;
              o.early_bias = eb;
              o.question_factor = qf;
              o.singleton_weight = sw;
              const Results res = Evaluate(records, 0, kTuningEnd, analysis::SummaryAnalyzer(o), false);
              const Rouge& r = res.rouge.at("parley");
              std::printf("| %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f |\n", k, le, eb, qf, sw,
                          100 * r.r1 / r.n, 100 * r.r2 / r.n, 100 * r.rl / r.n);
            }
          }
        }
      }
    }
    return 0;
  }

  if (budget_grid) {
    // Issue 14, on the tuning half: first the word budget and the trimming
    // of openers (the defaults were chosen from this table), then the
    // earlier parameters again under the chosen budget.
    auto print = [&](const analysis::summary::SummaryOptions& o) {
      const Results res = Evaluate(records, 0, kTuningEnd, analysis::SummaryAnalyzer(o), false);
      const Rouge& r = res.rouge.at("parley");
      std::printf("| %.2f | %.1f | %.0f | %.0f | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f |\n", o.word_budget,
                  o.budget_fit, o.min_budget_words, o.max_budget_words, o.trim_openers, o.length_exponent,
                  o.early_bias, o.singleton_weight, 100 * r.r1 / r.n, 100 * r.r2 / r.n, 100 * r.rl / r.n,
                  r.words / r.n);
    };
    std::printf("| word_budget | budget_fit | min words | max words | trim openers | length_exponent | early_bias | "
                "singleton_weight | R-1 | R-2 | R-L | words |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (double wb : {0.0, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.24}) {
      for (double fit : {0.3, 0.5, 0.7, 1.0}) {
        for (double lo : {8.0, 14.0}) {
          for (double hi : {40.0, 60.0}) {
            for (bool trim : {false, true}) {
              if (wb == 0 && (fit != 0.5 || lo != 8 || hi != 40)) continue;
              analysis::summary::SummaryOptions o;
              o.word_budget = wb;
              o.budget_fit = fit;
              o.min_budget_words = lo;
              o.max_budget_words = hi;
              o.trim_openers = trim;
              print(o);
            }
          }
        }
      }
    }
    for (double ms : {0.3, 0.45, 0.6, 0.8}) {
      analysis::summary::SummaryOptions o;
      o.max_similarity = ms;
      std::printf("max_similarity %.2f ", ms);
      print(o);
    }
    return 0;
  }

  const analysis::SummaryAnalyzer analyzer;
  const Part parts[] = {{"Held-out half (records 250-499): the honest figures", kTuningEnd, records.size()},
                        {"Tuning half (records 0-249)", 0, kTuningEnd},
                        {"Whole file", 0, records.size()}};
  std::printf("DialogSum dev: %zu dialogues from %s\n", records.size(), path.c_str());
  if (!g_speaker_labels) std::printf("(--no-speaker-labels: no system sees the speakers' labels)\n");
  for (const Part& p : parts) {
    if (tuning_only && p.begin != 0) continue;
    if (tuning_only && p.end != kTuningEnd) continue;
    std::printf("\n## %s\n\n", p.name);
    PrintRouge(Evaluate(records, p.begin, p.end, analyzer, true));
  }
  return 0;
}
