#include "analysis/summary/keyphrases.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace parley::analysis::summary {
namespace {

constexpr int kMaxWords = 3;

struct PhraseKey {
  std::array<int32_t, kMaxWords> terms{-1, -1, -1};
  template <typename H>
  friend H AbslHashValue(H h, const PhraseKey& k) {
    return H::combine(std::move(h), k.terms[0], k.terms[1], k.terms[2]);
  }
  friend bool operator==(const PhraseKey& a, const PhraseKey& b) { return a.terms == b.terms; }
};

struct Occurrence {
  int32_t sentence;
  uint32_t first_token;  // index into ConversationText::tokens()
  int32_t next = -1;     // the candidate's next occurrence, -1 after the last
};

struct Candidate {
  PhraseKey key;
  int words = 0;
  int count = 0;
  double score = 0;
  int32_t first_occurrence = -1, last_occurrence = -1;  // into the occurrences, in order
};

// count^0.8, from a table for the common small counts (the same values).
double CountFactor(int count) {
  static const std::array<double, 64> table = [] {
    std::array<double, 64> t{};
    for (int n = 0; n < 64; ++n) t[n] = std::pow(static_cast<double>(n), 0.8);
    return t;
  }();
  return count >= 0 && count < 64 ? table[count] : std::pow(static_cast<double>(count), 0.8);
}

bool Contains(const Candidate& big, const Candidate& small) {
  for (int i = 0; i < small.words; ++i) {
    bool found = false;
    for (int j = 0; j < big.words; ++j) found = found || big.key.terms[j] == small.key.terms[i];
    if (!found) return false;
  }
  return true;
}

// The written form of one occurrence: its bytes with white space runs made
// single spaces, ASCII-lower-cased unless a word of it was capitalised
// mid-sentence.
std::string Surface(const ConversationText& text, const Candidate& c, const Occurrence& o) {
  const Sentence& s = text.sentences()[o.sentence];
  const Token& first = text.tokens()[o.first_token];
  const Token& last = text.tokens()[o.first_token + c.words - 1];
  bool keep_case = false;
  for (int i = 0; i < c.words; ++i) keep_case = keep_case || text.tokens()[o.first_token + i].capitalized;
  const std::string_view message = text.MessageText(s);
  std::string out;
  bool space = false;
  for (size_t i = first.begin; i < last.end; ++i) {
    char ch = message[i];
    if (ch == ' ' || (ch >= '\t' && ch <= '\r')) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    if (!keep_case && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    out.push_back(ch);
  }
  return out;
}

std::string BestSurface(const ConversationText& text, const Candidate& c,
                        const std::vector<Occurrence>& occurrences) {
  std::vector<std::pair<std::string, int>> forms;  // in order of first use
  for (int32_t i = c.first_occurrence; i >= 0; i = occurrences[i].next) {
    std::string s = Surface(text, c, occurrences[i]);
    auto it = std::find_if(forms.begin(), forms.end(), [&](const auto& f) { return f.first == s; });
    if (it == forms.end()) {
      forms.emplace_back(std::move(s), 1);
    } else {
      ++it->second;
    }
  }
  auto best = forms.begin();
  for (auto it = forms.begin(); it != forms.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best->first;
}

}  // namespace

std::vector<core::KeyPhrase> ExtractKeyPhrases(const ConversationText& text, const KeyPhraseOptions& options) {
  const std::vector<Sentence>& sentences = text.sentences();
  const std::vector<Token>& tokens = text.tokens();
  auto usable = [&](const Token& t) { return t.content() && text.words()[t.word].size() >= 2; };

  // Word weights.
  std::vector<int32_t> count(text.terms().size(), 0);
  std::vector<int32_t> first_speaker(text.terms().size(), -2);
  std::vector<uint8_t> shared(text.terms().size(), 0);
  size_t usable_tokens = 0;
  for (const Sentence& s : sentences) {
    if (s.small_talk) continue;
    for (uint32_t i = s.token_begin; i < s.token_end; ++i) {
      const Token& t = tokens[i];
      if (!usable(t)) continue;
      ++usable_tokens;
      ++count[t.term];
      if (first_speaker[t.term] == -2) {
        first_speaker[t.term] = s.speaker;
      } else if (first_speaker[t.term] != s.speaker) {
        shared[t.term] = 1;
      }
    }
  }
  // Each term's weight once (a phrase's words repeat across candidates).
  std::vector<double> term_weight(text.terms().size());
  for (size_t term = 0; term < term_weight.size(); ++term) {
    term_weight[term] = std::log2(1.0 + count[term]) * (shared[term] ? 1.25 : 1.0);
  }
  auto weight = [&](int32_t term) { return term_weight[term]; };

  // Candidates, in order of first use. One-word candidates are found by
  // term, longer ones by hash.
  std::vector<Candidate> candidates;
  std::vector<Occurrence> occurrences;  // each in its candidate's chain
  std::vector<int32_t> single(text.terms().size(), -1);  // term -> its one-word candidate
  absl::flat_hash_map<PhraseKey, size_t> index;
  // Sized up front: a usable token starts at most one phrase of each length
  // (the index and candidates hold the distinct ones; calls repeat phrases).
  occurrences.reserve(kMaxWords * usable_tokens);
  candidates.reserve(usable_tokens);
  index.reserve(usable_tokens);
  for (size_t si = 0; si < sentences.size(); ++si) {
    const Sentence& s = sentences[si];
    if (s.small_talk) continue;
    uint32_t run_begin = s.token_begin;
    for (uint32_t i = s.token_begin; i <= s.token_end; ++i) {
      const bool ends_run = i == s.token_end || !usable(tokens[i]) || (i > run_begin && tokens[i].phrase_break);
      if (!ends_run) continue;
      for (uint32_t b = run_begin; b < i; ++b) {
        PhraseKey key;
        for (int n = 1; n <= kMaxWords && b + n <= i; ++n) {
          key.terms[n - 1] = tokens[b + n - 1].term;
          size_t ci;
          bool added;
          if (n == 1) {
            int32_t& slot = single[key.terms[0]];
            added = slot < 0;
            if (added) slot = static_cast<int32_t>(candidates.size());
            ci = static_cast<size_t>(slot);
          } else {
            auto [it, inserted] = index.try_emplace(key, candidates.size());
            added = inserted;
            ci = it->second;
          }
          if (added) {
            candidates.emplace_back();
            candidates.back().key = key;
            candidates.back().words = n;
          }
          Candidate& c = candidates[ci];
          ++c.count;
          const auto o = static_cast<int32_t>(occurrences.size());
          occurrences.push_back({static_cast<int32_t>(si), b});
          if (c.last_occurrence < 0) {
            c.first_occurrence = o;
          } else {
            occurrences[c.last_occurrence].next = o;
          }
          c.last_occurrence = o;
        }
      }
      run_begin = i < s.token_end && !usable(tokens[i]) ? i + 1 : i;
    }
  }
  if (candidates.empty()) return {};

  for (Candidate& c : candidates) {
    double mean = 0;
    bool repeated_words = true;
    for (int i = 0; i < c.words; ++i) {
      mean += weight(c.key.terms[i]);
      for (int j = 0; j < i; ++j) repeated_words = repeated_words && c.key.terms[j] != c.key.terms[i];
    }
    mean /= c.words;
    static constexpr double kLengthBonus[] = {0, 1.0, 1.3, 1.4};
    c.score = CountFactor(c.count) * mean * kLengthBonus[c.words];
    if (c.words > 1 && c.count == 1) c.score *= 0.5;
    if (!repeated_words) c.score = 0;  // "card card"
  }
  // Only the candidates the loop below can reach are ordered: it stops at
  // the first that scores too low, and each after that one scores strictly
  // lower than each before it, so it reaches the same ones in the same order.
  double top = candidates[0].score;
  for (const Candidate& c : candidates) top = std::max(top, c.score);
  auto too_low = [&](const Candidate& c) {
    return c.score <= 0 || c.score < options.min_relative_score * top;
  };
  std::vector<size_t> order;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!too_low(candidates[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return candidates[a].score > candidates[b].score; });

  struct Chosen {
    size_t candidate;
    double score;
  };
  std::vector<Chosen> chosen;
  for (size_t idx : order) {
    const Candidate& c = candidates[idx];
    bool skip = false;
    for (Chosen& ch : chosen) {
      const Candidate& d = candidates[ch.candidate];
      if (c.words > d.words && Contains(c, d)) {
        if (c.count >= 2 && 2 * c.count >= d.count) ch.candidate = idx;  // the longer phrase stands for the topic
        skip = true;
        break;
      }
      if (Contains(d, c)) {
        skip = true;
        break;
      }
    }
    if (skip) continue;
    if (static_cast<int>(chosen.size()) == options.max_phrases) break;
    chosen.push_back({idx, c.score});
  }
  // A replacement may have made two entries the same phrase.
  std::vector<core::KeyPhrase> out;
  std::vector<size_t> seen;
  for (const Chosen& ch : chosen) {
    if (std::find(seen.begin(), seen.end(), ch.candidate) != seen.end()) continue;
    seen.push_back(ch.candidate);
    core::KeyPhrase k;
    k.set_text(BestSurface(text, candidates[ch.candidate], occurrences));
    k.set_score(static_cast<float>(ch.score / top));
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace parley::analysis::summary
