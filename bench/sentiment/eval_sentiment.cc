// eval_sentiment: measures Parley's sentiment scorer on human-labelled data
// in ../shared/data/sentiment, side by side with the npm vader-sentiment
// reference (run through bench/sentiment/vader_reference.mjs on the same
// texts), and prints the figures recorded in docs/quality/sentiment.md.
//
//   eval_sentiment [--data DIR] [--vader SCRIPT] [--node NODE] [--no-vader] [--tuning-only]
//                  [--form speech] [--dump-dev]
//
// Sets and what is measured:
//   amazon   vader_amazon_reviews_groundtruth.txt, mean human rating in [-4, 4]:
//            Pearson r of the score against the rating.
//   custrev  custrev.all minus every sentence that also appears in the amazon
//            file (the two share reviews): the TUNING set. Binary accuracy at
//            the best threshold (that threshold is then used on SST-2) and AUC.
//   sst2     sst2_dev.txt, binary: accuracy at the custrev threshold.
//   meld     meld_dev_sent_emo.csv, positive/neutral/negative: accuracy and
//            macro-F1 (a) with VADER's conventional neutral band
//            (-0.05, 0.05), untuned, and (b) with a neutral band chosen on the
//            amazon file, its ratings read as positive > 0.5, negative < -0.5,
//            neutral otherwise (choosing a band cannot change a Pearson r).
//            MELD here is its dev file only, halved by dialogue: even
//            Dialogue_IDs are the development half, odd ones held out.
//   call     each MELD speaker with >= 2 turns in a dialogue: Parley's
//            call-level score (SentimentAnalyzer's channel sentiment) and
//            simple baselines against the mean of the speaker's turn labels
//            and against the label of their last turn (Pearson r, on each
//            half).
// --tuning-only prints the custrev figures and MELD's development half alone:
// the only ones to look at while changing the scorer. --dump-dev prints the
// development half's labels, Parley's scores and texts, for error analysis.
// --form speech scores every set (both systems) as a speech recogniser would
// give it: lower case, every character other than a letter, digit, apostrophe
// or space removed (emoticons go too; emoji stay), spaces collapsed.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <unistd.h>

#include "analysis/sentiment/sentiment_analyzer.h"
#include "analysis/sentiment/sentiment_scorer.h"

#ifndef PARLEY_SOURCE_DIR
#define PARLEY_SOURCE_DIR "."
#endif

namespace {

namespace core = parley::core;
using parley::analysis::SentimentAnalyzer;
using parley::analysis::SentimentScorer;

struct Example {
  std::string text;
  double gold = 0;  // rating (amazon), 0/1 (binary), -1/0/1 (meld)
  int dialogue = -1;  // meld: Dialogue_ID
  int turn = -1;      // meld: Utterance_ID
  std::string speaker;  // meld
};

bool ReadLines(const std::string& path, std::vector<std::string>* lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines->push_back(line);
  }
  return true;
}

std::string Normalize(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// `id<TAB>rating<TAB>text`
bool LoadAmazon(const std::string& path, std::vector<Example>* out) {
  std::vector<std::string> lines;
  if (!ReadLines(path, &lines)) return false;
  for (const std::string& l : lines) {
    size_t t1 = l.find('\t');
    size_t t2 = t1 == std::string::npos ? t1 : l.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    out->push_back({l.substr(t2 + 1), std::atof(l.substr(t1 + 1, t2 - t1 - 1).c_str()), -1, -1, {}});
  }
  return true;
}

// `label sentence`
bool LoadBinary(const std::string& path, std::vector<Example>* out) {
  std::vector<std::string> lines;
  if (!ReadLines(path, &lines)) return false;
  for (const std::string& l : lines) {
    if (l.size() < 3 || (l[0] != '0' && l[0] != '1') || l[1] != ' ') continue;
    out->push_back({l.substr(2), l[0] == '1' ? 1.0 : 0.0, -1, -1, {}});
  }
  return true;
}

// RFC 4180 CSV; returns rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool LoadMeld(const std::string& path, std::vector<Example>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  auto rows = ParseCsv(ss.str());
  if (rows.empty()) return false;
  int text_col = -1, label_col = -1, dialogue_col = -1, turn_col = -1, speaker_col = -1;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "Utterance") text_col = static_cast<int>(i);
    if (rows[0][i] == "Sentiment") label_col = static_cast<int>(i);
    if (rows[0][i] == "Dialogue_ID") dialogue_col = static_cast<int>(i);
    if (rows[0][i] == "Utterance_ID") turn_col = static_cast<int>(i);
    if (rows[0][i] == "Speaker") speaker_col = static_cast<int>(i);
  }
  if (text_col < 0 || label_col < 0 || dialogue_col < 0 || turn_col < 0 || speaker_col < 0) return false;
  const int last_col = std::max({text_col, label_col, dialogue_col, turn_col, speaker_col});
  for (size_t r = 1; r < rows.size(); ++r) {
    if (static_cast<int>(rows[r].size()) <= last_col) continue;
    const std::string& label = rows[r][label_col];
    double gold = label == "positive" ? 1 : label == "negative" ? -1 : 0;
    out->push_back({rows[r][text_col], gold, std::atoi(rows[r][dialogue_col].c_str()),
                    std::atoi(rows[r][turn_col].c_str()), rows[r][speaker_col]});
  }
  // Dialogue order, turns in order within each.
  std::stable_sort(out->begin(), out->end(), [](const Example& a, const Example& b) {
    return a.dialogue != b.dialogue ? a.dialogue < b.dialogue : a.turn < b.turn;
  });
  return true;
}

// ---- metrics ------------------------------------------------------------------

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double n = static_cast<double>(x.size()), mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

// Accuracy of "positive when score > t".
double BinaryAccuracy(const std::vector<double>& score, const std::vector<Example>& ex, double t) {
  size_t ok = 0;
  for (size_t i = 0; i < ex.size(); ++i) ok += (score[i] > t) == (ex[i].gold > 0.5);
  return static_cast<double>(ok) / ex.size();
}

// The threshold (between distinct scores) with the best accuracy; ties go to
// the one closest to 0.
double BestBinaryThreshold(const std::vector<double>& score, const std::vector<Example>& ex) {
  std::vector<double> s = score;
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  double best_t = 0, best = BinaryAccuracy(score, ex, 0);
  for (size_t i = 0; i + 1 <= s.size(); ++i) {
    double t = i + 1 < s.size() ? (s[i] + s[i + 1]) / 2 : s[i];
    double a = BinaryAccuracy(score, ex, t);
    if (a > best + 1e-12 || (std::fabs(a - best) <= 1e-12 && std::fabs(t) < std::fabs(best_t))) {
      best = a;
      best_t = t;
    }
  }
  return best_t;
}

double Auc(const std::vector<double>& score, const std::vector<Example>& ex) {
  std::vector<std::pair<double, int>> v;
  for (size_t i = 0; i < ex.size(); ++i) v.push_back({score[i], ex[i].gold > 0.5});
  std::sort(v.begin(), v.end());
  double rank_sum = 0, pos = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    double avg_rank = (i + j + 1) / 2.0;  // 1-based ranks i+1..j
    for (size_t k = i; k < j; ++k) {
      if (v[k].second) {
        rank_sum += avg_rank;
        ++pos;
      }
    }
    i = j;
  }
  double neg = v.size() - pos;
  return pos > 0 && neg > 0 ? (rank_sum - pos * (pos + 1) / 2) / (pos * neg) : 0.5;
}

struct ThreeClass {
  double accuracy = 0;
  double macro_f1 = 0;
};

// negative when score < lo, positive when score > hi, neutral otherwise;
// gold in {-1, 0, 1}.
ThreeClass Evaluate3(const std::vector<double>& score, const std::vector<double>& gold, double lo, double hi) {
  int confusion[3][3] = {};
  for (size_t i = 0; i < score.size(); ++i) {
    int p = score[i] < lo ? 0 : score[i] > hi ? 2 : 1;
    int g = gold[i] < 0 ? 0 : gold[i] > 0 ? 2 : 1;
    ++confusion[g][p];
  }
  ThreeClass r;
  int ok = 0;
  double f1 = 0;
  for (int c = 0; c < 3; ++c) {
    ok += confusion[c][c];
    int predicted = confusion[0][c] + confusion[1][c] + confusion[2][c];
    int actual = confusion[c][0] + confusion[c][1] + confusion[c][2];
    double p = predicted ? static_cast<double>(confusion[c][c]) / predicted : 0;
    double rc = actual ? static_cast<double>(confusion[c][c]) / actual : 0;
    f1 += p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
  }
  r.accuracy = static_cast<double>(ok) / score.size();
  r.macro_f1 = f1 / 3;
  return r;
}

// A symmetric neutral band (-t, t) with the best macro-F1 on (score, gold).
double BestBand(const std::vector<double>& score, const std::vector<double>& gold) {
  double best_t = 0.05, best = -1;
  for (double t = 0.0; t <= 0.8001; t += 0.005) {
    double f1 = Evaluate3(score, gold, -t, t).macro_f1;
    if (f1 > best + 1e-12) {
      best = f1;
      best_t = t;
    }
  }
  return best_t;
}

// ---- the reference ---------------------------------------------------------------

// Runs `node script score FILE` over the texts; nullopt (with a reason on
// stderr) when it cannot.
std::optional<std::vector<double>> VaderScores(const std::string& node, const std::string& script,
                                               const std::vector<Example>& ex) {
  char path[] = "/tmp/parley_eval_sentiment_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  {
    std::string all;
    for (const Example& e : ex) {
      std::string t = e.text;
      std::replace(t.begin(), t.end(), '\n', ' ');
      all += t;
      all += '\n';
    }
    if (write(fd, all.data(), all.size()) != static_cast<ssize_t>(all.size())) {
      close(fd);
      unlink(path);
      return std::nullopt;
    }
    close(fd);
  }
  std::string cmd = "'" + node + "' '" + script + "' score '" + path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::vector<double> out;
  if (p != nullptr) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out.push_back(std::atof(buf));
    int rc = pclose(p);
    if (rc != 0) out.clear();
  }
  unlink(path);
  if (out.size() != ex.size()) {
    std::cerr << "eval_sentiment: " << cmd << " gave " << out.size() << " scores for " << ex.size()
              << " texts; VADER column skipped\n";
    return std::nullopt;
  }
  return out;
}

// Speech-recognition form of `text`: see --form above.
std::string SpeechForm(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    char k = 0;
    if (c >= 0x80 || std::isalnum(c) || c == '\'') {
      k = static_cast<char>(c < 0x80 ? std::tolower(c) : c);
    } else {
      k = ' ';
    }
    if (k == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(k);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct System {
  std::string name;
  std::vector<double> amazon, custrev, sst2, meld;
};


// ---- MELD halves and the call-level score ------------------------------------

// MELD's dev file is the only MELD split here, so it is halved by dialogue:
// even Dialogue_IDs are the development half (looked at while changing the
// scorer), odd ones the held-out half (reported, never looked into).
bool MeldDevHalf(const Example& e) { return e.dialogue % 2 == 0; }

std::vector<double> Select(const std::vector<double>& v, const std::vector<Example>& ex, bool dev_half) {
  std::vector<double> out;
  for (size_t i = 0; i < ex.size(); ++i) {
    if (MeldDevHalf(ex[i]) == dev_half) out.push_back(v[i]);
  }
  return out;
}

// One speaker of one MELD dialogue with at least two turns: the reference
// labels and what each system says about the speaker as a whole.
struct CallSpeaker {
  int dialogue = 0;
  double ref_mean = 0;  // mean of the speaker's turn labels (-1/0/1)
  double ref_last = 0;  // the speaker's last turn's label
  std::vector<double> predicted;  // one per CallPredictor
};

const char* const kCallPredictors[] = {
    "parley call-level score (end x3)",   "parley magnitude-weighted mean",
    "parley mean of turns",               "parley last turn",
    "parley worst turn",                  "vader mean of turns",
    "vader last turn"};
constexpr size_t kNumCallPredictors = sizeof(kCallPredictors) / sizeof(kCallPredictors[0]);

// Each MELD dialogue becomes a conversation (one participant per speaker)
// analysed by SentimentAnalyzer, whose channel sentiment is the call-level
// score; the baselines come from the per-turn scores. `vader` may be empty.
std::vector<CallSpeaker> CallLevel(const std::vector<Example>& meld, const std::vector<double>& vader) {
  SentimentAnalyzer analyzer(false);
  SentimentScorer scorer;
  std::vector<CallSpeaker> out;
  for (size_t begin = 0; begin < meld.size();) {
    size_t end = begin;
    while (end < meld.size() && meld[end].dialogue == meld[begin].dialogue) ++end;
    core::Conversation conversation;
    std::vector<std::string> speakers;
    for (size_t i = begin; i < end; ++i) {
      core::Message* m = conversation.add_messages();
      m->set_participant_id(meld[i].speaker);
      m->set_text(meld[i].text);
      if (std::find(speakers.begin(), speakers.end(), meld[i].speaker) == speakers.end()) {
        speakers.push_back(meld[i].speaker);
        core::Participant* p = conversation.add_participants();
        p->set_id(meld[i].speaker);
        p->set_role(core::END_USER);
      }
    }
    core::AnalysisResult result;
    (void)analyzer.Analyze(conversation, &result);
    for (const std::string& who : speakers) {
      std::vector<size_t> turns;
      for (size_t i = begin; i < end; ++i) {
        if (meld[i].speaker == who) turns.push_back(i);
      }
      if (turns.size() < 2) continue;
      CallSpeaker cs;
      cs.dialogue = meld[begin].dialogue;
      double sum = 0, weighted = 0, weight = 0, worst = 1, vsum = 0;
      for (size_t i : turns) {
        cs.ref_mean += meld[i].gold / turns.size();
        core::Sentiment s = scorer.Score(meld[i].text);
        sum += s.score();
        weighted += s.score() * s.magnitude();
        weight += s.magnitude();
        worst = std::min(worst, static_cast<double>(s.score()));
        if (!vader.empty()) vsum += vader[i];
      }
      cs.ref_last = meld[turns.back()].gold;
      double call = 0;
      for (const core::ChannelSentiment& c : result.channel_sentiments()) {
        if (c.participant_id() == who) call = c.sentiment().score();
      }
      cs.predicted = {call,
                      weight > 0 ? weighted / weight : 0,
                      sum / turns.size(),
                      scorer.Score(meld[turns.back()].text).score(),
                      worst,
                      vader.empty() ? 0 : vsum / turns.size(),
                      vader.empty() ? 0 : vader[turns.back()]};
      out.push_back(std::move(cs));
    }
    begin = end;
  }
  return out;
}

// Pearson r of predictor k against a reference, over one MELD half.
double CallR(const std::vector<CallSpeaker>& calls, size_t k, bool dev_half, bool last_turn) {
  std::vector<double> p, ref;
  for (const CallSpeaker& c : calls) {
    if ((c.dialogue % 2 == 0) != dev_half) continue;
    p.push_back(c.predicted[k]);
    ref.push_back(last_turn ? c.ref_last : c.ref_mean);
  }
  return Pearson(p, ref);
}

void PrintCallLevel(const std::vector<CallSpeaker>& calls, bool with_vader) {
  const size_t dev = static_cast<size_t>(
      std::count_if(calls.begin(), calls.end(), [](const CallSpeaker& c) { return c.dialogue % 2 == 0; }));
  std::printf("\ncall level: MELD speakers with >= 2 turns in a dialogue (dev half n=%zu, held-out half n=%zu)\n",
              dev, calls.size() - dev);
  std::printf("  Pearson r against reference A (mean of the speaker's turn labels) and B (their last turn's label)\n");
  std::printf("  %-34s %9s %9s %9s %9s\n", "predictor", "A dev", "A held", "B dev", "B held");
  for (size_t k = 0; k < kNumCallPredictors; ++k) {
    if (!with_vader && std::string(kCallPredictors[k]).rfind("vader", 0) == 0) continue;
    std::printf("  %-34s %9.4f %9.4f %9.4f %9.4f\n", kCallPredictors[k], CallR(calls, k, true, false),
                CallR(calls, k, false, false), CallR(calls, k, true, true), CallR(calls, k, false, true));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = std::string(PARLEY_SOURCE_DIR) + "/../shared/data";
  std::string vader_script = std::string(PARLEY_SOURCE_DIR) + "/bench/sentiment/vader_reference.mjs";
  std::string node = "node";
  bool run_vader = true;
  bool tuning_only = false;
  bool dump_dev = false;  // MELD development half: gold<TAB>score<TAB>text, nothing else
  bool speech = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--vader" && i + 1 < argc) {
      vader_script = argv[++i];
    } else if (a == "--node" && i + 1 < argc) {
      node = argv[++i];
    } else if (a == "--no-vader") {
      run_vader = false;
    } else if (a == "--dump-dev") {
      dump_dev = true;
    } else if (a == "--tuning-only") {
      tuning_only = true;
    } else if (a == "--form" && i + 1 < argc && std::string(argv[i + 1]) == "speech") {
      speech = true;
      ++i;
    } else {
      std::cerr << "usage: eval_sentiment [--data DIR] [--vader SCRIPT] [--node NODE] [--no-vader] [--tuning-only] "
                   "[--form speech] [--dump-dev]\n";
      return 2;
    }
  }

  const std::string dir = data + "/sentiment";
  std::vector<Example> amazon, custrev_all, sst2, meld;
  if (!LoadAmazon(dir + "/vader_amazon_reviews_groundtruth.txt", &amazon) ||
      !LoadBinary(dir + "/custrev.all", &custrev_all) || !LoadBinary(dir + "/sst2_dev.txt", &sst2) ||
      !LoadMeld(dir + "/meld_dev_sent_emo.csv", &meld) || amazon.empty() || sst2.empty() || meld.empty()) {
    std::cerr << "eval_sentiment: the labelled data is missing: expected "
                 "vader_amazon_reviews_groundtruth.txt, custrev.all, sst2_dev.txt and meld_dev_sent_emo.csv in "
              << dir << " (the shared data folder beside the repository; pass --data DIR to point elsewhere)\n";
    return 2;
  }
  // The tuning set must not contain test sentences.
  std::unordered_set<std::string> amazon_norm;
  for (const Example& e : amazon) amazon_norm.insert(Normalize(e.text));
  std::vector<Example> custrev;
  for (const Example& e : custrev_all) {
    if (!amazon_norm.count(Normalize(e.text))) custrev.push_back(e);
  }
  if (speech) {
    for (std::vector<Example>* set : {&amazon, &custrev, &sst2, &meld}) {
      for (Example& e : *set) e.text = SpeechForm(e.text);
    }
  }

  SentimentScorer scorer;
  if (dump_dev) {
    for (const Example& e : meld) {
      if (MeldDevHalf(e)) std::printf("%+.0f\t%+.4f\t%s\n", e.gold, scorer.Score(e.text).score(), e.text.c_str());
    }
    return 0;
  }
  auto score_all = [&](const std::vector<Example>& ex) {
    std::vector<double> s;
    s.reserve(ex.size());
    for (const Example& e : ex) s.push_back(scorer.Score(e.text).score());
    return s;
  };
  std::vector<System> systems;
  systems.push_back({"parley", score_all(amazon), score_all(custrev), score_all(sst2), score_all(meld)});

  if (run_vader) {
    if (access(vader_script.c_str(), R_OK) != 0) {
      std::cerr << "eval_sentiment: " << vader_script << " not found; VADER column skipped\n";
    } else {
      auto a = VaderScores(node, vader_script, amazon);
      auto c = a ? VaderScores(node, vader_script, custrev) : std::nullopt;
      auto s = c ? VaderScores(node, vader_script, sst2) : std::nullopt;
      auto m = s ? VaderScores(node, vader_script, meld) : std::nullopt;
      if (m) systems.push_back({"vader-sentiment (npm)", *a, *c, *s, *m});
    }
  }

  std::vector<double> amazon_gold, amazon_3, meld_gold;
  for (const Example& e : amazon) {
    amazon_gold.push_back(e.gold);
    amazon_3.push_back(e.gold > 0.5 ? 1 : e.gold < -0.5 ? -1 : 0);
  }
  for (const Example& e : meld) meld_gold.push_back(e.gold);

  std::printf("data: %s%s\n", dir.c_str(), speech ? " (speech form: lower case, no punctuation)" : "");
  std::printf("tuning set: custrev.all minus %zu sentences shared with the amazon file = %zu sentences\n",
              custrev_all.size() - custrev.size(), custrev.size());
  std::printf("binary: positive when score > threshold; 3-class: neutral inside the band\n\n");
  for (const System& sys : systems) {
    double t = BestBinaryThreshold(sys.custrev, custrev);
    std::printf("%s\n", sys.name.c_str());
    std::printf("  custrev (tuning, n=%zu)   accuracy %.4f at threshold %+.5f, AUC %.4f\n", custrev.size(),
                BinaryAccuracy(sys.custrev, custrev, t), t, Auc(sys.custrev, custrev));
    std::vector<double> dev_score = Select(sys.meld, meld, true), dev_gold = Select(meld_gold, meld, true);
    ThreeClass dev = Evaluate3(dev_score, dev_gold, -0.05, 0.05);
    std::printf("  meld dev half (tuning, n=%zu) accuracy %.4f, macro-F1 %.4f with band (-0.05, 0.05)\n",
                dev_score.size(), dev.accuracy, dev.macro_f1);
    if (tuning_only) continue;
    std::printf("  amazon  (n=%zu)          Pearson r %.4f\n", amazon.size(), Pearson(sys.amazon, amazon_gold));
    std::printf("  sst2    (n=%zu)           accuracy %.4f (threshold %+.5f from custrev), AUC %.4f\n", sst2.size(),
                BinaryAccuracy(sys.sst2, sst2, t), t, Auc(sys.sst2, sst2));
    ThreeClass conv = Evaluate3(sys.meld, meld_gold, -0.05, 0.05);
    double band = BestBand(sys.amazon, amazon_3);
    ThreeClass tuned = Evaluate3(sys.meld, meld_gold, -band, band);
    std::printf("  meld    (n=%zu)          accuracy %.4f, macro-F1 %.4f with band (-0.05, 0.05)\n", meld.size(),
                conv.accuracy, conv.macro_f1);
    std::printf("                            accuracy %.4f, macro-F1 %.4f with band (-%.3f, %.3f) from amazon\n",
                tuned.accuracy, tuned.macro_f1, band, band);
    std::vector<double> held_score = Select(sys.meld, meld, false), held_gold = Select(meld_gold, meld, false);
    ThreeClass held = Evaluate3(held_score, held_gold, -0.05, 0.05);
    ThreeClass held_tuned = Evaluate3(held_score, held_gold, -band, band);
    std::printf("  meld held-out half (n=%zu) accuracy %.4f, macro-F1 %.4f with band (-0.05, 0.05)\n",
                held_score.size(), held.accuracy, held.macro_f1);
    std::printf("                            accuracy %.4f, macro-F1 %.4f with the amazon band\n",
                held_tuned.accuracy, held_tuned.macro_f1);
  }
  if (!tuning_only) {
    PrintCallLevel(CallLevel(meld, systems.size() > 1 ? systems[1].meld : std::vector<double>{}), systems.size() > 1);
  }
  return 0;
}
