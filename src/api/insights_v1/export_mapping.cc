#include "api/insights_v1/export_mapping.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "api/insights_v1/mapping.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace parley::insights_v1 {
namespace {

using exporter::Field;
using exporter::Schema;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

Field Col(std::string name, std::string type, std::string mode = "NULLABLE",
          std::vector<Field> fields = {}) {
  return Field{std::move(name), std::move(type), std::move(mode), std::move(fields)};
}

Schema BuildSchema() {
  Schema s = {
      Col("conversationName", "STRING"),
      Col("audioFileUri", "STRING"),
      Col("agentId", "STRING"),
      Col("startTimestampUtc", "INTEGER"),
      Col("loadTimestampUtc", "INTEGER"),
      Col("analysisTimestampUtc", "INTEGER"),
      Col("conversationUpdateTimestampUtc", "INTEGER"),
      Col("year", "INTEGER"),
      Col("month", "INTEGER"),
      Col("day", "INTEGER"),
      Col("durationNanos", "INTEGER"),
      Col("silenceNanos", "INTEGER"),
      Col("silencePercentage", "FLOAT"),
      Col("agentSpeakingPercentage", "FLOAT"),
      Col("clientSpeakingPercentage", "FLOAT"),
      Col("agentSentimentScore", "FLOAT"),
      Col("agentSentimentMagnitude", "FLOAT"),
      Col("clientSentimentScore", "FLOAT"),
      Col("clientSentimentMagnitude", "FLOAT"),
      Col("transcript", "STRING"),
      Col("turnCount", "INTEGER"),
      Col("languageCode", "STRING"),
      Col("medium", "STRING"),
      Col("latestAnalysis", "STRING"),
      Col("latestSummary", "RECORD", "NULLABLE", {Col("text", "STRING")}),
      Col("issues", "RECORD", "REPEATED", {Col("name", "STRING"), Col("score", "FLOAT")}),
      Col("entities", "RECORD", "REPEATED",
          {Col("name", "STRING"), Col("type", "STRING"), Col("sentimentScore", "FLOAT"),
           Col("sentimentMagnitude", "FLOAT"), Col("salience", "FLOAT"),
           Col("speakerTag", "INTEGER")}),
      Col("labels", "RECORD", "REPEATED", {Col("key", "STRING"), Col("value", "STRING")}),
      Col("words", "RECORD", "REPEATED",
          {Col("word", "STRING"), Col("languageCode", "STRING"), Col("speakerTag", "INTEGER"),
           Col("startOffsetNanos", "INTEGER"), Col("endOffsetNanos", "INTEGER")}),
      Col("sentences", "RECORD", "REPEATED",
          {Col("sentence", "STRING"), Col("languageCode", "STRING"),
           Col("participantId", "STRING"), Col("participantRole", "STRING"),
           Col("obfuscatedExternalUserId", "STRING"), Col("speakerTag", "INTEGER"),
           Col("createTimeNanos", "INTEGER"), Col("startOffsetNanos", "INTEGER"),
           Col("endOffsetNanos", "INTEGER"), Col("sentimentScore", "FLOAT"),
           Col("sentimentMagnitude", "FLOAT"), Col("isCoveredBySmartReplyAllowlist", "BOOLEAN"),
           Col("intentMatchData", "RECORD", "REPEATED",
               {Col("intentId", "STRING"), Col("displayName", "STRING")}),
           Col("phraseMatchData", "RECORD", "REPEATED",
               {Col("phraseMatcherId", "STRING"), Col("revisionId", "STRING"),
                Col("displayName", "STRING")})}),
      Col("phraseMatchers", "RECORD", "REPEATED",
          {Col("phraseMatcherId", "STRING"), Col("revisionId", "STRING"),
           Col("displayName", "STRING"), Col("matchCount", "INTEGER")}),
  };
  return s;
}

// A float as the shortest decimal that reads back as that float (so 0.1f is
// written 0.1, not 0.10000000149011612).
double Shortest(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

void Str(Writer& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void Int(Writer& w, const char* key, int64_t v) {
  w.Key(key);
  w.Int64(v);
}
void Num(Writer& w, const char* key, float v) {
  w.Key(key);
  w.Double(Shortest(v));
}

const char* RoleName(core::Role r) {
  switch (r) {
    case core::HUMAN_AGENT: return "HUMAN_AGENT";
    case core::AUTOMATED_AGENT: return "AUTOMATED_AGENT";
    case core::END_USER: return "END_USER";
    case core::ANY_AGENT: return "ANY_AGENT";
    default: return nullptr;
  }
}

const char* MediumName(core::Medium m) {
  switch (m) {
    case core::PHONE_CALL: return "PHONE_CALL";
    case core::CHAT: return "CHAT";
    default: return "MEDIUM_UNSPECIFIED";
  }
}

const char* EntityTypeName(core::EntityType t) {
  const std::string& name = core::EntityType_Name(t);
  return name.empty() ? "TYPE_UNSPECIFIED" : name.c_str();
}

const core::Participant* ParticipantOf(const core::Conversation& c, const core::Message& m) {
  if (m.participant_id().empty()) return nullptr;
  for (const core::Participant& p : c.participants()) {
    if (p.id() == m.participant_id()) return &p;
  }
  return nullptr;
}

// The speaker's role: its participant's, else the call channel's.
core::Role RoleOf(const core::Conversation& c, const core::Message& m) {
  if (const core::Participant* p = ParticipantOf(c, m); p != nullptr && p->role() != core::ROLE_UNSPECIFIED) {
    return p->role();
  }
  if (c.has_call_channels() && m.channel() != 0) {
    if (m.channel() == c.call_channels().agent_channel()) return core::HUMAN_AGENT;
    if (m.channel() == c.call_channels().customer_channel()) return core::END_USER;
  }
  return core::ROLE_UNSPECIFIED;
}

bool IsAgent(core::Role r) {
  return r == core::HUMAN_AGENT || r == core::AUTOMATED_AGENT || r == core::ANY_AGENT;
}

// Magnitude-weighted mean score and summed magnitude, as the analyzer
// aggregates a speaker's messages.
struct SentimentSum {
  double weighted = 0, magnitude = 0, plain = 0;
  int n = 0;
  void Add(const core::Sentiment& s) {
    weighted += static_cast<double>(s.score()) * s.magnitude();
    magnitude += s.magnitude();
    plain += s.score();
    ++n;
  }
  float Score() const {
    if (magnitude > 0) return static_cast<float>(weighted / magnitude);
    return n > 0 ? static_cast<float>(plain / n) : 0.f;
  }
};

}  // namespace

const exporter::Schema& ExportSchema() {
  static const Schema* schema = new Schema(BuildSchema());
  return *schema;
}

std::string ExportRow(const core::Conversation& c, const core::Analysis* latest,
                      const MatcherRevisions& revisions) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "conversationName", ConversationName(c));
  if (!c.data_source().audio_uri().empty()) Str(w, "audioFileUri", c.data_source().audio_uri());
  if (c.agent_ids_size() > 0) Str(w, "agentId", c.agent_ids(0));
  if (c.has_start_time_us()) Int(w, "startTimestampUtc", c.start_time_us() / 1'000'000);
  Int(w, "loadTimestampUtc", c.create_time_us() / 1'000'000);
  if (latest != nullptr) Int(w, "analysisTimestampUtc", latest->create_time_us() / 1'000'000);
  Int(w, "conversationUpdateTimestampUtc", c.update_time_us() / 1'000'000);
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMicros(c.create_time_us()), absl::UTCTimeZone());
  Int(w, "year", day.year());
  Int(w, "month", day.month());
  Int(w, "day", day.day());
  const int64_t duration_us = c.has_duration_us() ? c.duration_us() : 0;
  if (c.has_duration_us()) Int(w, "durationNanos", c.duration_us() * 1000);

  const core::AnalysisResult* r = latest != nullptr ? &latest->result() : nullptr;
  if (r != nullptr) {
    Int(w, "silenceNanos", r->silence_duration_us() * 1000);
    Num(w, "silencePercentage", r->silence_percentage());
  }

  // Speaking time per side, from the messages' audio offsets (calls only).
  int64_t agent_us = 0, client_us = 0;
  bool timed = false;
  for (const core::Message& m : c.messages()) {
    if (!m.has_audio_start_us() || !m.has_audio_end_us() || m.audio_end_us() <= m.audio_start_us()) continue;
    timed = true;
    core::Role role = RoleOf(c, m);
    if (IsAgent(role)) agent_us += m.audio_end_us() - m.audio_start_us();
    if (role == core::END_USER) client_us += m.audio_end_us() - m.audio_start_us();
  }
  if (timed && duration_us > 0) {
    Num(w, "agentSpeakingPercentage", static_cast<float>(100.0 * agent_us / duration_us));
    Num(w, "clientSpeakingPercentage", static_cast<float>(100.0 * client_us / duration_us));
  }

  // Per-message sentiment, by message index.
  std::vector<const core::Sentiment*> sentiment(c.messages_size(), nullptr);
  if (r != nullptr) {
    SentimentSum agent, client;
    for (const core::MessageSentiment& s : r->message_sentiments()) {
      if (s.message_index() < 0 || s.message_index() >= c.messages_size()) continue;
      sentiment[s.message_index()] = &s.sentiment();
      core::Role role = RoleOf(c, c.messages(s.message_index()));
      if (IsAgent(role)) agent.Add(s.sentiment());
      if (role == core::END_USER) client.Add(s.sentiment());
    }
    if (agent.n > 0) {
      Num(w, "agentSentimentScore", agent.Score());
      Num(w, "agentSentimentMagnitude", static_cast<float>(agent.magnitude));
    }
    if (client.n > 0) {
      Num(w, "clientSentimentScore", client.Score());
      Num(w, "clientSentimentMagnitude", static_cast<float>(client.magnitude));
    }
  }

  std::string transcript;
  for (const core::Message& m : c.messages()) {
    if (m.state() == core::MESSAGE_DELETED || m.text().empty()) continue;
    if (!transcript.empty()) transcript += ' ';
    transcript += m.text();
  }
  Str(w, "transcript", transcript);
  if (c.has_turn_count()) Int(w, "turnCount", c.turn_count());
  if (!c.language_code().empty()) Str(w, "languageCode", c.language_code());
  Str(w, "medium", MediumName(c.medium()));
  if (latest != nullptr) Str(w, "latestAnalysis", absl::StrCat(ConversationName(c), "/analyses/", latest->id()));
  if (r != nullptr && !r->summary().empty()) {
    w.Key("latestSummary");
    w.StartObject();
    Str(w, "text", r->summary());
    w.EndObject();
  }

  w.Key("issues");  // Parley has no issue models yet.
  w.StartArray();
  w.EndArray();

  w.Key("entities");
  w.StartArray();
  if (r != nullptr) {
    for (const core::Entity& e : r->entities()) {
      w.StartObject();
      Str(w, "name", e.display_name());
      Str(w, "type", EntityTypeName(e.type()));
      if (e.has_sentiment()) {
        Num(w, "sentimentScore", e.sentiment().score());
        Num(w, "sentimentMagnitude", e.sentiment().magnitude());
      }
      Num(w, "salience", e.salience());
      if (e.mentions_size() > 0) {
        int idx = e.mentions(0).message_index();
        if (idx >= 0 && idx < c.messages_size()) Int(w, "speakerTag", c.messages(idx).channel());
      }
      w.EndObject();
    }
  }
  w.EndArray();

  w.Key("labels");
  w.StartArray();
  std::map<std::string, std::string> labels(c.labels().begin(), c.labels().end());
  for (const auto& [k, v] : labels) {
    w.StartObject();
    Str(w, "key", k);
    Str(w, "value", v);
    w.EndObject();
  }
  w.EndArray();

  w.Key("words");
  w.StartArray();
  for (const core::Message& m : c.messages()) {
    if (m.state() == core::MESSAGE_DELETED) continue;
    for (const core::WordInfo& word : m.words()) {
      w.StartObject();
      Str(w, "word", word.word());
      if (!m.language_code().empty()) Str(w, "languageCode", m.language_code());
      Int(w, "speakerTag", m.channel());
      if (word.has_start_offset_us()) Int(w, "startOffsetNanos", word.start_offset_us() * 1000);
      if (word.has_end_offset_us()) Int(w, "endOffsetNanos", word.end_offset_us() * 1000);
      w.EndObject();
    }
  }
  w.EndArray();

  // Findings of the analysis per message.
  std::vector<std::vector<const core::IntentMatch*>> intents(c.messages_size());
  std::vector<std::vector<const core::PhraseMatch*>> phrases(c.messages_size());
  struct MatcherCount {
    std::string display_name;
    int64_t count = 0;
  };
  std::map<std::string, MatcherCount> matchers;  // by id, for a stable order
  if (r != nullptr) {
    for (const core::IntentMatch& i : r->intents()) {
      if (i.message_index() >= 0 && i.message_index() < c.messages_size()) intents[i.message_index()].push_back(&i);
    }
    for (const core::PhraseMatch& p : r->phrase_matches()) {
      if (p.message_index() >= 0 && p.message_index() < c.messages_size()) phrases[p.message_index()].push_back(&p);
      MatcherCount& mc = matchers[p.matcher_id()];
      mc.display_name = p.display_name();
      ++mc.count;
    }
  }
  auto revision = [&revisions](const std::string& id) -> const std::string* {
    auto it = revisions.find(id);
    return it == revisions.end() || it->second.empty() ? nullptr : &it->second;
  };

  w.Key("sentences");
  w.StartArray();
  for (int i = 0; i < c.messages_size(); ++i) {
    const core::Message& m = c.messages(i);
    if (m.state() == core::MESSAGE_DELETED) continue;
    w.StartObject();
    Str(w, "sentence", m.text());
    if (!m.language_code().empty()) Str(w, "languageCode", m.language_code());
    const core::Participant* p = ParticipantOf(c, m);
    if (p != nullptr) {
      const std::string& pid = !p->user_id().empty() ? p->user_id() : p->external_participant_name();
      if (!pid.empty()) Str(w, "participantId", pid);
      if (!p->obfuscated_external_user_id().empty()) {
        Str(w, "obfuscatedExternalUserId", p->obfuscated_external_user_id());
      }
    }
    if (const char* role = RoleName(RoleOf(c, m))) Str(w, "participantRole", role);
    Int(w, "speakerTag", m.channel());
    if (m.has_time_us()) Int(w, "createTimeNanos", m.time_us() * 1000);
    if (m.has_audio_start_us()) Int(w, "startOffsetNanos", m.audio_start_us() * 1000);
    if (m.has_audio_end_us()) Int(w, "endOffsetNanos", m.audio_end_us() * 1000);
    if (sentiment[i] != nullptr) {
      Num(w, "sentimentScore", sentiment[i]->score());
      Num(w, "sentimentMagnitude", sentiment[i]->magnitude());
    }
    w.Key("isCoveredBySmartReplyAllowlist");
    w.Bool(m.smart_reply_allowlist_covered());
    w.Key("intentMatchData");
    w.StartArray();
    for (const core::IntentMatch* im : intents[i]) {
      w.StartObject();
      Str(w, "intentId", im->intent_id());
      Str(w, "displayName", im->display_name());
      w.EndObject();
    }
    w.EndArray();
    w.Key("phraseMatchData");
    w.StartArray();
    for (const core::PhraseMatch* pm : phrases[i]) {
      w.StartObject();
      Str(w, "phraseMatcherId", pm->matcher_id());
      if (const std::string* rev = revision(pm->matcher_id())) Str(w, "revisionId", *rev);
      Str(w, "displayName", pm->display_name());
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  w.Key("phraseMatchers");
  w.StartArray();
  for (const auto& [id, mc] : matchers) {
    w.StartObject();
    Str(w, "phraseMatcherId", id);
    if (const std::string* rev = revision(id)) Str(w, "revisionId", *rev);
    Str(w, "displayName", mc.display_name);
    Int(w, "matchCount", mc.count);
    w.EndObject();
  }
  w.EndArray();

  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace parley::insights_v1
