#include "analysis/deadline.h"
#include "analysis/entities/entity_analyzer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "analysis/pii/word_spans.h"

namespace parley::analysis::entities {
namespace {

static_assert(static_cast<int>(EntityType::kPerson) == core::PERSON);
static_assert(static_cast<int>(EntityType::kLocation) == core::LOCATION);
static_assert(static_cast<int>(EntityType::kOrganization) == core::ORGANIZATION);
static_assert(static_cast<int>(EntityType::kEvent) == core::EVENT);
static_assert(static_cast<int>(EntityType::kWorkOfArt) == core::WORK_OF_ART);
static_assert(static_cast<int>(EntityType::kConsumerGood) == core::CONSUMER_GOOD);
static_assert(static_cast<int>(EntityType::kOther) == core::OTHER);
static_assert(static_cast<int>(EntityType::kPhoneNumber) == core::PHONE_NUMBER);
static_assert(static_cast<int>(EntityType::kAddress) == core::ADDRESS);
static_assert(static_cast<int>(EntityType::kDate) == core::DATE);
static_assert(static_cast<int>(EntityType::kNumber) == core::NUMBER);
static_assert(static_cast<int>(EntityType::kPrice) == core::PRICE);

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// How much one mention of a type weighs in salience: names of things over
// values, which every conversation has many of.
float TypeWeight(EntityType t) {
  switch (t) {
    case EntityType::kPerson:
    case EntityType::kOrganization:
    case EntityType::kLocation:
    case EntityType::kConsumerGood:
    case EntityType::kEvent:
    case EntityType::kWorkOfArt: return 1.0f;
    case EntityType::kOther: return 0.6f;
    case EntityType::kAddress:
    case EntityType::kPhoneNumber: return 0.8f;
    case EntityType::kPrice: return 0.7f;
    case EntityType::kDate: return 0.5f;
    case EntityType::kNumber: return 0.3f;
  }
  return 0.5f;
}

// Lower-cased ASCII, single-spaced, without a leading "the ".
std::string NormalName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  if (out.rfind("the ", 0) == 0) out.erase(0, 4);
  return out;
}

std::string MergeKey(const EntityFinding& f, std::string_view text) {
  std::string key(1, static_cast<char>('A' + static_cast<int>(f.type)));
  switch (f.type) {
    case EntityType::kPrice:
      return key + f.currency + "|" + f.value;
    case EntityType::kNumber:
    case EntityType::kPhoneNumber:
      return key + f.value;
    case EntityType::kDate:
      if (f.year || f.month || f.day) {
        return key + std::to_string(f.year) + "-" + std::to_string(f.month) + "-" +
               std::to_string(f.day);
      }
      [[fallthrough]];
    default:
      return key + NormalName(text);
  }
}

// Maps byte offsets of one message to word indices.
class WordIndex {
 public:
  explicit WordIndex(const core::Message& message) {
    if (message.words_size() > 0) {
      if (auto spans = pii::WordSpans(message.text(), message.words())) {
        for (const auto& [start, end] : *spans) ends_.push_back(end);
        return;
      }
    }
    std::string_view text = message.text();
    bool in_token = false;
    for (size_t i = 0; i < text.size(); ++i) {
      bool space = IsSpace(text[i]);
      if (space && in_token) ends_.push_back(i);
      in_token = !space;
    }
    if (in_token) ends_.push_back(text.size());
  }
  // The word holding byte `offset`, or the first after it; -1 if none.
  int At(size_t offset) const {
    auto it = std::upper_bound(ends_.begin(), ends_.end(), offset);
    return it == ends_.end() ? -1 : static_cast<int>(it - ends_.begin());
  }

 private:
  std::vector<size_t> ends_;  // exclusive ends, ascending
};

// What a group keeps of each finding after the first.
struct MentionAt {
  int message;
  uint32_t start, end;
  float confidence;
};

struct Group {
  EntityType type;
  EntityFinding first;  // for metadata
  std::vector<MentionAt> mentions;
  int first_message = 0;
  size_t display_len = 0;
  std::string display;
  int merged_into = -1;
};

}  // namespace

EntitiesAnalyzer::EntitiesAnalyzer(const EntityRecognizer* recognizer) : recognizer_(recognizer) {}

absl::Status EntitiesAnalyzer::Analyze(const core::Conversation& conversation,
                                       core::AnalysisResult* result) const {
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, int> by_key;
  for (int i = 0; i < conversation.messages_size(); ++i) {
    if (absl::Status s = CheckDeadline(); !s.ok()) return s;  // analysis/deadline.h
    const std::string& text = conversation.messages(i).text();
    for (EntityFinding& f : recognizer_->Find(text)) {
      std::string_view span = std::string_view(text).substr(f.start, f.end - f.start);
      auto [it, inserted] = by_key.try_emplace(MergeKey(f, span), static_cast<int>(groups.size()));
      if (inserted) {
        groups.push_back(Group{f.type, f, {}, i, 0, "", -1});
      }
      Group& g = groups[it->second];
      if (span.size() > g.display_len) {
        g.display_len = span.size();
        g.display = std::string(span);
      }
      g.mentions.push_back(MentionAt{i, f.start, f.end, f.confidence});
    }
  }
  if (groups.empty()) return absl::OkStatus();

  // A lone first or last name joins the single full name that holds it.
  // Full names are indexed by their first and last word, so this is linear
  // in the number of groups (comparing every pair was quadratic).
  struct Holders {
    int count = 0;
    int target = -1;
  };
  absl::flat_hash_map<std::string, Holders> holders;
  for (size_t o = 0; o < groups.size(); ++o) {
    const Group& h = groups[o];
    if (h.type != EntityType::kPerson) continue;
    std::string full = NormalName(h.display);
    size_t sp = full.find(' ');
    if (sp == std::string::npos) continue;
    std::string first = full.substr(0, sp), last = full.substr(full.rfind(' ') + 1);
    for (const std::string* part : {&first, &last}) {
      if (part == &last && last == first) break;  // one holder counts once
      Holders& e = holders[*part];
      ++e.count;
      e.target = static_cast<int>(o);
    }
  }
  for (size_t s = 0; s < groups.size(); ++s) {
    Group& g = groups[s];
    if (g.type != EntityType::kPerson || g.display.find(' ') != std::string::npos) continue;
    auto found = holders.find(NormalName(g.display));
    if (found == holders.end()) continue;
    const int target = found->second.target, matches = found->second.count;
    if (matches != 1) continue;
    Group& h = groups[target];
    for (auto& m : g.mentions) h.mentions.push_back(std::move(m));
    g.mentions.clear();
    h.first_message = std::min(h.first_message, g.first_message);
    g.merged_into = target;
  }

  // Salience: weighted mentions, earlier entities a little more.
  const int n_messages = std::max(1, conversation.messages_size());
  std::vector<double> score(groups.size(), 0.0);
  double total = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    const Group& g = groups[k];
    if (g.merged_into >= 0) continue;
    double s = 0;
    for (const MentionAt& m : g.mentions) s += TypeWeight(g.type) * (0.5 + 0.5 * m.confidence);
    s *= 1.0 + 0.25 * (1.0 - static_cast<double>(g.first_message) / n_messages);
    score[k] = s;
    total += s;
  }

  std::vector<size_t> order;
  for (size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].merged_into < 0) order.push_back(k);
  }
  // Ids by first mention; groups are created in that order.
  std::vector<int> id(groups.size(), 0);
  for (size_t k = 0; k < order.size(); ++k) id[order[k]] = static_cast<int>(k) + 1;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });

  std::vector<WordIndex> word_index;  // built lazily, per message
  std::vector<int> built(conversation.messages_size(), -1);
  auto words_of = [&](int msg) -> const WordIndex& {
    if (built[msg] < 0) {
      built[msg] = static_cast<int>(word_index.size());
      word_index.emplace_back(conversation.messages(msg));
    }
    return word_index[built[msg]];
  };

  float salience_sum = 0;
  for (size_t k : order) {
    Group& g = groups[k];
    core::Entity* e = result->add_entities();
    e->set_id(std::to_string(id[k]));
    e->set_display_name(g.display);
    e->set_type(static_cast<core::EntityType>(g.type));
    // Divided by a hair more than the total so that float rounding never
    // makes the sum exceed 1.
    float salience = static_cast<float>(score[k] / (total * (1 + 1e-5)));
    salience = std::clamp(salience, 0.0f, std::max(0.0f, 1.0f - salience_sum));
    salience_sum += salience;
    e->set_salience(salience);
    auto& meta = *e->mutable_metadata();
    const EntityFinding& f = g.first;
    switch (g.type) {
      case EntityType::kDate:
        if (f.year) meta["year"] = std::to_string(f.year);
        if (f.month) meta["month"] = std::to_string(f.month);
        if (f.day) meta["day"] = std::to_string(f.day);
        break;
      case EntityType::kPrice:
        meta["value"] = f.value;
        if (!f.currency.empty()) meta["currency"] = f.currency;
        break;
      case EntityType::kNumber:
        meta["value"] = f.value;
        break;
      case EntityType::kPhoneNumber: {
        meta["number"] = f.value;
        std::string_view text = conversation.messages(g.mentions[0].message).text();
        std::string_view span = text.substr(f.start, f.end - f.start);
        size_t x = span.find_last_of("xX");
        if (x == std::string_view::npos) x = span.find("ext");
        if (x != std::string_view::npos) {
          std::string ext;
          for (char c : span.substr(x)) {
            if (c >= '0' && c <= '9') ext.push_back(c);
          }
          if (!ext.empty()) meta["extension"] = ext;
        }
        break;
      }
      default:
        break;
    }
    std::stable_sort(g.mentions.begin(), g.mentions.end(), [](const MentionAt& a, const MentionAt& b) {
      return a.message != b.message ? a.message < b.message : a.start < b.start;
    });
    if (g.mentions.size() > kMaxMentionsPerEntity) g.mentions.resize(kMaxMentionsPerEntity);
    e->mutable_mentions()->Reserve(static_cast<int>(g.mentions.size()));
    for (const MentionAt& m : g.mentions) {
      core::Mention* out = e->add_mentions();
      out->set_message_index(m.message);
      out->set_start_byte(static_cast<int32_t>(m.start));
      out->set_end_byte(static_cast<int32_t>(m.end));
      out->set_text(conversation.messages(m.message).text().data() + m.start, m.end - m.start);
      out->set_word_index(words_of(m.message).At(m.start));
    }
  }
  return absl::OkStatus();
}

}  // namespace parley::analysis::entities
