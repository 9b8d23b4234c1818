#include "analysis/deadline.h"
#include "analysis/sentiment/sentiment_analyzer.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace parley::analysis {
namespace {

// Running magnitude-weighted aggregate of message sentiments.
struct Aggregate {
  double weighted_score = 0;
  double magnitude = 0;

  void Add(const core::Sentiment& s) {
    weighted_score += static_cast<double>(s.score()) * s.magnitude();
    magnitude += s.magnitude();
  }
  void Fill(core::Sentiment* out) const {
    out->set_score(magnitude > 0 ? static_cast<float>(weighted_score / magnitude) : 0.0f);
    out->set_magnitude(static_cast<float>(magnitude));
  }
};

struct Speaker {
  int32_t channel = 0;
  std::string participant_id;
  Aggregate sentiment;
};

}  // namespace

SentimentAnalyzer::SentimentAnalyzer(bool explain, const Lexicon& lexicon) : scorer_(lexicon), explain_(explain) {}

absl::Status SentimentAnalyzer::Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const {
  result->clear_message_sentiments();
  result->clear_channel_sentiments();
  result->clear_overall_sentiment();

  absl::flat_hash_map<std::string, int32_t> participant_channel;
  absl::flat_hash_set<std::string> agents;  // their apologies are politeness
  for (const core::Participant& p : conversation.participants()) {
    if (p.channel() != 0) participant_channel[p.id()] = p.channel();
    if (p.role() == core::HUMAN_AGENT || p.role() == core::AUTOMATED_AGENT || p.role() == core::ANY_AGENT) {
      agents.insert(p.id());
    }
  }

  std::vector<Speaker> speakers;
  absl::flat_hash_map<std::string, size_t> speaker_index;  // "p:<id>" or "c:<channel>"
  Aggregate overall;
  std::vector<core::SentimentContribution> contributions;

  for (int i = 0; i < conversation.messages_size(); ++i) {
    if (absl::Status s = CheckDeadline(); !s.ok()) return s;  // analysis/deadline.h
    const core::Message& m = conversation.messages(i);
    if (m.state() == core::MESSAGE_DELETED || m.text().empty()) continue;

    core::MessageSentiment* ms = result->add_message_sentiments();
    ms->set_message_index(i);
    *ms->mutable_sentiment() =
        scorer_.Score(m.text(), explain_ ? &contributions : nullptr, agents.contains(m.participant_id()));
    if (explain_) {
      for (core::SentimentContribution& c : contributions) *ms->add_contributions() = std::move(c);
    }
    overall.Add(ms->sentiment());

    int32_t channel = m.channel();
    if (channel == 0 && !m.participant_id().empty()) {
      auto it = participant_channel.find(m.participant_id());
      if (it != participant_channel.end()) channel = it->second;
    }
    std::string key = m.participant_id().empty() ? "c:" + std::to_string(channel) : "p:" + m.participant_id();
    auto [it, inserted] = speaker_index.try_emplace(std::move(key), speakers.size());
    if (inserted) {
      Speaker& s = speakers.emplace_back();
      s.channel = channel;
      s.participant_id = m.participant_id();
    }
    speakers[it->second].sentiment.Add(ms->sentiment());
  }

  if (result->message_sentiments_size() == 0) return absl::OkStatus();
  for (const Speaker& s : speakers) {
    core::ChannelSentiment* cs = result->add_channel_sentiments();
    cs->set_channel(s.channel);
    cs->set_participant_id(s.participant_id);
    s.sentiment.Fill(cs->mutable_sentiment());
  }
  overall.Fill(result->mutable_overall_sentiment());
  return absl::OkStatus();
}

}  // namespace parley::analysis
