#include "analysis/deadline.h"
#include "analysis/sentiment/sentiment_analyzer.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/transcript.h"

namespace parley::analysis {
namespace {

// Running weighted aggregate of message sentiments: score is the weighted
// mean of the messages' scores, magnitude the plain sum of theirs.
struct Aggregate {
  double weighted_score = 0;
  double weight = 0;
  double magnitude = 0;

  void Add(const core::Sentiment& s, double weight_factor = 1) {
    const double w = static_cast<double>(s.magnitude()) * weight_factor;
    weighted_score += static_cast<double>(s.score()) * w;
    weight += w;
    magnitude += s.magnitude();
  }
  void Fill(core::Sentiment* out) const {
    out->set_score(weight > 0 ? static_cast<float>(weighted_score / weight) : 0.0f);
    out->set_magnitude(static_cast<float>(magnitude));
  }
};

struct Speaker {
  int32_t channel = 0;
  std::string participant_id;
  Aggregate call;  // end-weighted: the call-level score
};

// How much more the end of the conversation counts than its start in a
// speaker's call-level score: weight = magnitude x (1 + kClosingWeight x
// position), position in [0, 1].
constexpr double kClosingWeight = 2.0;

}  // namespace

SentimentAnalyzer::SentimentAnalyzer(bool explain, const Lexicon& lexicon) : scorer_(lexicon), explain_(explain) {}

absl::Status SentimentAnalyzer::Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const {
  result->clear_message_sentiments();
  result->clear_channel_sentiments();
  result->clear_overall_sentiment();

  absl::flat_hash_set<std::string> agents;  // their apologies are politeness
  for (const core::Participant& p : conversation.participants()) {
    if (p.role() == core::HUMAN_AGENT || p.role() == core::AUTOMATED_AGENT || p.role() == core::ANY_AGENT) {
      agents.insert(p.id());
    }
  }

  std::vector<Speaker> speakers;
  absl::flat_hash_map<std::string, size_t> speaker_index;  // "p:<id>" or "c:<channel>"
  Aggregate overall;
  std::vector<core::SentimentContribution> contributions;
  const int last = conversation.messages_size() - 1;

  for (int i = 0; i <= last; ++i) {
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
    const core::Sentiment& sentiment = ms->sentiment();
    overall.Add(sentiment);

    const int32_t channel = core::SpeakerChannel(conversation, m);
    std::string key = m.participant_id().empty() ? "c:" + std::to_string(channel) : "p:" + m.participant_id();
    auto [it, inserted] = speaker_index.try_emplace(std::move(key), speakers.size());
    if (inserted) {
      Speaker& s = speakers.emplace_back();
      s.channel = channel;
      s.participant_id = m.participant_id();
    }
    Speaker& speaker = speakers[it->second];
    const double position = last > 0 ? static_cast<double>(i) / last : 1.0;
    speaker.call.Add(sentiment, 1 + kClosingWeight * position);
  }

  if (result->message_sentiments_size() == 0) return absl::OkStatus();
  for (const Speaker& s : speakers) {
    core::ChannelSentiment* cs = result->add_channel_sentiments();
    cs->set_channel(s.channel);
    cs->set_participant_id(s.participant_id);
    s.call.Fill(cs->mutable_sentiment());
  }
  overall.Fill(result->mutable_overall_sentiment());
  return absl::OkStatus();
}

}  // namespace parley::analysis
