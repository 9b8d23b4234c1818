#include "api/elevateai_v1/mapping.h"

#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "genai/local_engine.h"

namespace parley::elevateai_v1 {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

std::string Loose(std::string_view name) {
  std::string out;
  for (char ch : name) {
    if (ch == ' ' || ch == '_' || ch == '-') continue;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

absl::Status Bad(std::string_view what) { return absl::InvalidArgumentError(std::string(what)); }

bool Number(const Struct& o, std::string_view name, double* out) {
  const Value* v = Prop(o, name);
  if (v == nullptr) return false;
  if (v->kind_case() == Value::kNumberValue) {
    *out = v->number_value();
    return std::isfinite(*out);
  }
  return false;
}

Value Num(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value Text(std::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}

int64_t MsToUs(double ms) { return static_cast<int64_t>(std::llround(ms * 1000.0)); }
double UsToMs(int64_t us) { return static_cast<double>((us + 500) / 1000); }

// One participant side of a declared transcript: {"phraseSegments": [...]}.
absl::Status ParseSide(const Struct& side, std::string_view label, const std::string& participant,
                       int channel, core::Conversation* c) {
  const Value* segments = Prop(side, "phraseSegments");
  if (segments == nullptr) return absl::OkStatus();
  if (segments->kind_case() != Value::kListValue) {
    return Bad(absl::StrCat("transcript.", Sv(label), ".phraseSegments must be an array"));
  }
  for (const Value& seg : segments->list_value().values()) {
    if (seg.kind_case() != Value::kStructValue) {
      return Bad(absl::StrCat("transcript.", Sv(label), ".phraseSegments[] must be objects"));
    }
    const Struct& s = seg.struct_value();
    core::Message m;
    m.set_participant_id(participant);
    m.set_channel(channel);
    m.set_text(StrProp(s, "phrase"));
    if (m.text().empty()) m.set_text(StrProp(s, "text"));
    double start = 0, end = 0, score = 0;
    if (Number(s, "startTimeOffset", &start)) m.set_audio_start_us(MsToUs(start));
    if (Number(s, "endTimeOffset", &end)) m.set_audio_end_us(MsToUs(end));
    if (Number(s, "score", &score)) m.set_confidence(static_cast<float>(score));
    if (m.has_audio_start_us() && m.has_audio_end_us() && m.audio_end_us() < m.audio_start_us()) {
      return Bad(absl::StrCat("transcript.", Sv(label), ": endTimeOffset before startTimeOffset"));
    }
    if (m.text().empty()) return Bad(absl::StrCat("transcript.", Sv(label), ": a phrase segment has no phrase"));
    c->add_messages()->Swap(&m);
  }
  return absl::OkStatus();
}

core::Role RoleOf(std::string_view role) {
  std::string r = absl::AsciiStrToLower(Sv(role));
  if (r == "agent" || r == "representative" || r == "rep") return core::HUMAN_AGENT;
  if (r == "bot" || r == "virtualagent" || r == "virtual agent") return core::AUTOMATED_AGENT;
  return core::END_USER;
}

}  // namespace

const Value* Prop(const Struct& object, std::string_view name) {
  const std::string want = Loose(name);
  for (const auto& [key, value] : object.fields()) {
    if (Loose(key) == want) return &value;
  }
  return nullptr;
}

std::string StrProp(const Struct& object, std::string_view name) {
  const Value* v = Prop(object, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

bool IsParticipantOne(const core::Conversation& c, const core::Message& m) {
  if (m.channel() == 1) return true;
  if (m.channel() == 2) return false;
  return genai::IsAgentMessage(c, m);
}

absl::Status ParseDeclaration(const Struct& body, Declaration* d, core::Conversation* c) {
  for (const char* name : {"type", "languageTag", "vertical", "audioTranscriptionMode", "downloadUri",
                           "downloadUrl", "originalFilename", "externalIdentifier"}) {
    const Value* v = Prop(body, name);
    if (v != nullptr && v->kind_case() != Value::kStringValue && v->kind_case() != Value::kNullValue) {
      return Bad(absl::StrCat(name, " must be a string"));
    }
  }
  d->type = absl::AsciiStrToLower(Sv(StrProp(body, "type")));
  if (d->type.empty()) return Bad("type is required: \"audio\", \"transcript\" or \"chat\"");
  if (d->type != "audio" && d->type != "transcript" && d->type != "chat") {
    return Bad(absl::StrCat("type must be \"audio\", \"transcript\" or \"chat\", not \"", d->type, "\""));
  }
  d->language_tag = StrProp(body, "languageTag");
  if (d->language_tag.empty()) d->language_tag = "en-us";
  const std::string lang = absl::AsciiStrToLower(Sv(d->language_tag));
  if (lang != "en-us" && lang != "en" && lang != "es-419" && lang != "auto") {
    return Bad(absl::StrCat("languageTag \"", d->language_tag, "\" is not supported (en-us, en, es-419)"));
  }
  d->vertical = StrProp(body, "vertical");
  if (d->vertical.empty()) d->vertical = "default";
  d->transcription_mode = StrProp(body, "audioTranscriptionMode");
  if (!d->transcription_mode.empty() && AsrMode(d->transcription_mode).empty()) {
    return Bad("audioTranscriptionMode must be \"highAccuracy\" or \"highSpeed\"");
  }
  if (const Value* v = Prop(body, "includeAiResults"); v != nullptr && v->kind_case() != Value::kNullValue) {
    if (v->kind_case() != Value::kBoolValue) return Bad("includeAiResults must be a boolean");
    d->include_ai_results = v->bool_value();
  }
  d->download_uri = StrProp(body, "downloadUri");
  if (d->download_uri.empty()) d->download_uri = StrProp(body, "downloadUrl");
  d->original_filename = StrProp(body, "originalFilename");
  d->external_identifier = StrProp(body, "externalIdentifier");
  if (d->original_filename.size() > 256) return Bad("originalFilename is longer than 256 characters");
  if (d->external_identifier.size() > 256) return Bad("externalIdentifier is longer than 256 characters");

  c->set_language_code(d->language_tag);
  if (d->type == "chat") {
    c->set_medium(core::CHAT);
    const Value* chat = Prop(body, "chat");
    if (chat == nullptr || chat->kind_case() != Value::kStructValue) {
      return Bad("a chat interaction needs \"chat\": {\"participants\": [...], \"messages\": [...]}");
    }
    const Value* participants = Prop(chat->struct_value(), "participants");
    const Value* messages = Prop(chat->struct_value(), "messages");
    if (messages == nullptr || messages->kind_case() != Value::kListValue ||
        messages->list_value().values_size() == 0) {
      return Bad("chat.messages must be a non-empty array");
    }
    std::map<std::string, core::Role> roles;
    if (participants != nullptr) {
      if (participants->kind_case() != Value::kListValue) return Bad("chat.participants must be an array");
      for (const Value& p : participants->list_value().values()) {
        if (p.kind_case() != Value::kStructValue) return Bad("chat.participants[] must be objects");
        std::string id = StrProp(p.struct_value(), "participantId");
        if (id.empty()) return Bad("chat.participants[] needs a \"participant id\"");
        if (roles.count(id) != 0) return Bad(absl::StrCat("chat participant \"", id, "\" appears twice"));
        const std::string role = StrProp(p.struct_value(), "role");
        roles[id] = RoleOf(role);
        core::Participant* cp = c->add_participants();
        cp->set_id(absl::StrCat("p", c->participants_size()));
        cp->set_role(RoleOf(role));
        cp->set_role_name(role);
        cp->set_user_id(id);
        cp->set_display_name(StrProp(p.struct_value(), "name"));
      }
    }
    for (const Value& mv : messages->list_value().values()) {
      if (mv.kind_case() != Value::kStructValue) return Bad("chat.messages[] must be objects");
      const Struct& m = mv.struct_value();
      const std::string who = StrProp(m, "participantId");
      core::Message* cm = c->add_messages();
      std::string text = StrProp(m, "message");
      if (text.empty()) text = StrProp(m, "text");
      if (text.empty()) return Bad("chat.messages[] need a non-empty \"message\"");
      cm->set_text(text);
      for (const auto& p : c->participants()) {
        if (p.user_id() == who) cm->set_participant_id(p.id());
      }
      if (cm->participant_id().empty()) {
        return Bad(absl::StrCat("chat message from unknown participant \"", who, "\""));
      }
      if (std::string ts = StrProp(m, "timestamp"); !ts.empty()) {
        auto t = core::ParseTimestampMicros(ts);
        if (!t.ok()) return Bad(absl::StrCat("chat.messages[].timestamp \"", ts, "\" is not an RFC 3339 time"));
        cm->set_time_us(*t);
      }
    }
  } else if (d->type == "transcript") {
    c->set_medium(core::PHONE_CALL);
    const Value* t = Prop(body, "transcript");
    if (t == nullptr || t->kind_case() != Value::kStructValue) {
      return Bad("a transcript interaction needs \"transcript\": {\"participantOne\": {\"phraseSegments\": [...]}, ...}");
    }
    core::Participant* one = c->add_participants();
    one->set_id("participantOne");
    one->set_role(core::HUMAN_AGENT);
    one->set_channel(1);
    core::Participant* two = c->add_participants();
    two->set_id("participantTwo");
    two->set_role(core::END_USER);
    two->set_channel(2);
    for (auto [label, channel] : {std::pair<const char*, int>{"participantOne", 1}, {"participantTwo", 2}}) {
      const Value* side = Prop(t->struct_value(), label);
      if (side == nullptr) continue;
      if (side->kind_case() != Value::kStructValue) return Bad(absl::StrCat("transcript.", Sv(label), " must be an object"));
      if (absl::Status s = ParseSide(side->struct_value(), label, label, channel, c); !s.ok()) return s;
    }
    if (c->messages_size() == 0) return Bad("the transcript has no phrase segments");
    std::stable_sort(c->mutable_messages()->begin(), c->mutable_messages()->end(),
                     [](const core::Message& a, const core::Message& b) {
                       return a.audio_start_us() < b.audio_start_us();
                     });
    c->mutable_call_channels()->set_agent_channel(1);
    c->mutable_call_channels()->set_customer_channel(2);
  } else {
    c->set_medium(core::PHONE_CALL);
    if (Prop(body, "chat") != nullptr || Prop(body, "transcript") != nullptr) {
      return Bad("an audio interaction carries no chat or transcript: upload the file");
    }
  }
  return absl::OkStatus();
}

std::string AsrMode(std::string_view transcription_mode) {
  if (transcription_mode == "highSpeed") return "fast";
  if (transcription_mode == "highAccuracy") return "accurate";
  return "";
}

std::string StatusName(const core::Conversation& c) {
  switch (c.processing().state()) {
    case core::Processing::DECLARED:
      return "declared";
    case core::Processing::FILE_PENDING_UPLOAD:
      return "filePendingUpload";
    case core::Processing::FILE_UPLOADING:
      return "fileUploading";
    case core::Processing::UPLOADED:
      return "fileUploaded";
    case core::Processing::PROCESSING:
      return "processing";
    case core::Processing::FAILED:
      return "processingFailed";
    case core::Processing::UPLOAD_FAILED:
      return "fileUploadFailed";
    case core::Processing::DOWNLOAD_FAILED:
      return "fileDownloadFailed";
    default:
      return "processed";
  }
}

std::string Label(const core::Conversation& c, std::string_view key) {
  auto it = c.labels().find(absl::StrCat(kLabelPrefix, Sv(key)));
  return it == c.labels().end() ? "" : it->second;
}

Struct DeclaredParameters(const core::Conversation& c) {
  Struct out;
  auto& f = *out.mutable_fields();
  auto text_or_null = [&](const char* name, const std::string& value) {
    if (value.empty()) f[name].set_null_value(google::protobuf::NULL_VALUE);
    else f[name].set_string_value(value);
  };
  std::string type = Label(c, "type");
  if (type.empty()) {
    type = c.medium() == core::CHAT                   ? "chat"
           : !c.data_source().audio_uri().empty()     ? "audio"
                                                      : "transcript";
  }
  const std::string vertical = Label(c, "vertical");
  f["identifier"].set_string_value(c.id());
  f["type"].set_string_value(type);
  f["languageTag"].set_string_value(c.language_code().empty() ? "en-us" : c.language_code());
  f["vertical"].set_string_value(vertical.empty() ? "default" : vertical);
  text_or_null("audioTranscriptionMode", type == "audio" ? Label(c, "transcription_mode") : "");
  f["transcript"].set_null_value(google::protobuf::NULL_VALUE);
  f["chat"].set_null_value(google::protobuf::NULL_VALUE);
  text_or_null("downloadUri", type == "audio" ? c.data_source().audio_uri() : "");
  f["includeAiResults"].set_bool_value(Label(c, "include_ai_results") != "false");
  return out;
}

Struct StatusReply(const core::Conversation& c, std::string_view status) {
  Struct out;
  auto& f = *out.mutable_fields();
  auto time = [&](const char* name, int64_t us) {
    if (us > 0) f[name].set_string_value(core::FormatTimestampMicros(us));
    else f[name].set_null_value(google::protobuf::NULL_VALUE);
  };
  const core::Processing& p = c.processing();
  // Declared through ElevateAI: the declaration's time is the start time it
  // was given (before a downloadUri is fetched); otherwise the creation's.
  const bool created_whole = p.state() == core::Processing::STATE_UNSPECIFIED;
  const int64_t declared = created_whole && c.create_time_us() > 0 ? c.create_time_us() : c.start_time_us();
  f["identifier"].set_string_value(c.id());
  f["status"].set_string_value(std::string(status));
  time("declared", declared);
  time("uploaded", p.upload_time_us());
  time("downloaded", p.download_time_us());
  time("processed", created_whole ? declared : p.processed_time_us());
  if (p.error().empty()) f["errorMessage"].set_null_value(google::protobuf::NULL_VALUE);
  else f["errorMessage"].set_string_value(p.error());
  return out;
}

namespace {

// The segments of one side (or of all when `side` is 0).
Value Segments(const core::Conversation& c, int side, bool words) {
  Value out;
  ListValue* list = out.mutable_list_value();
  for (const core::Message& m : c.messages()) {
    const bool one = IsParticipantOne(c, m);
    if (side == 1 && !one) continue;
    if (side == 2 && one) continue;
    Struct s;
    auto& f = *s.mutable_fields();
    f["phrase"] = Text(m.text());
    f["startTimeOffset"] = Num(m.has_audio_start_us() ? UsToMs(m.audio_start_us()) : 0);
    f["endTimeOffset"] = Num(m.has_audio_end_us() ? UsToMs(m.audio_end_us()) : 0);
    f["score"] = Num(m.confidence() > 0 ? std::round(m.confidence() * 1000) / 1000 : 1);
    if (side == 0) f["participant"] = Text(one ? "participantOne" : "participantTwo");
    if (words) {
      ListValue* wl = f["words"].mutable_list_value();
      if (m.words_size() > 0) {
        for (const core::WordInfo& w : m.words()) {
          Struct ws;
          (*ws.mutable_fields())["phrase"] = Text(w.word());
          (*ws.mutable_fields())["startTimeOffset"] = Num(w.has_start_offset_us() ? UsToMs(w.start_offset_us()) : 0);
          (*ws.mutable_fields())["endTimeOffset"] = Num(w.has_end_offset_us() ? UsToMs(w.end_offset_us()) : 0);
          (*ws.mutable_fields())["score"] = Num(w.confidence() > 0 ? std::round(w.confidence() * 1000) / 1000 : 1);
          *wl->add_values()->mutable_struct_value() = std::move(ws);
        }
      } else {
        for (absl::string_view w : absl::StrSplit(Sv(m.text()), ' ', absl::SkipEmpty())) {
          Struct ws;
          (*ws.mutable_fields())["phrase"] = Text(std::string_view(w.data(), w.size()));
          *wl->add_values()->mutable_struct_value() = std::move(ws);
        }
      }
    }
    *list->add_values()->mutable_struct_value() = std::move(s);
  }
  return out;
}

Value Side(const core::Conversation& c, int side) {
  Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  Value segs = Segments(c, side, true);
  ListValue* phrases = f["phrases"].mutable_list_value();
  for (const Value& s : segs.list_value().values()) {
    *phrases->add_values() = s.struct_value().fields().at("phrase");
  }
  f["phraseSegments"] = std::move(segs);
  return v;
}

}  // namespace

Struct WordByWordTranscript(const core::Conversation& c) {
  Struct out;
  auto& f = *out.mutable_fields();
  f["participantOne"] = Side(c, 1);
  f["participantTwo"] = Side(c, 2);
  f["allParticipants"] = Side(c, 0);
  f["redactionSegments"].mutable_list_value();
  return out;
}

Struct PunctuatedTranscript(const core::Conversation& c) {
  Struct out;
  auto& f = *out.mutable_fields();
  f["sentenceSegments"] = Segments(c, 0, false);
  f["redactionSegments"].mutable_list_value();
  return out;
}

Struct CxAi(const core::Conversation& c, const core::AnalysisResult& a) {
  struct Acc {
    double score = 0, magnitude = 0;
    int messages = 0, empathy = 0, apology = 0, gratitude = 0, questions = 0, interruptions = 0;
    int64_t talk_us = 0;
  };
  Acc sides[3];
  for (const auto& ms : a.message_sentiments()) {
    if (ms.message_index() < 0 || ms.message_index() >= c.messages_size()) continue;
    const int side = IsParticipantOne(c, c.messages(ms.message_index())) ? 1 : 2;
    for (int s : {0, side}) {
      sides[s].score += ms.sentiment().score();
      sides[s].magnitude += ms.sentiment().magnitude();
    }
  }
  for (const core::Message& m : c.messages()) {
    const int side = IsParticipantOne(c, m) ? 1 : 2;
    const std::string lower = absl::AsciiStrToLower(Sv(m.text()));
    auto count = [&](std::initializer_list<std::string_view> needles) {
      for (std::string_view n : needles) {
        if (absl::StrContains(lower, Sv(n))) return 1;
      }
      return 0;
    };
    for (int s : {0, side}) {
      Acc& acc = sides[s];
      ++acc.messages;
      acc.empathy += count({"i understand", "i can imagine", "frustrat", "i hear you", "that must be"});
      acc.apology += count({"sorry", "apolog"});
      acc.gratitude += count({"thank", "appreciate"});
      acc.questions += count({"?"});
      if (m.has_audio_start_us() && m.has_audio_end_us()) acc.talk_us += m.audio_end_us() - m.audio_start_us();
    }
  }
  for (const auto& t : a.interruptions()) {
    if (t.start_message() < 0 || t.start_message() >= c.messages_size()) continue;
    const int side = IsParticipantOne(c, c.messages(t.start_message())) ? 1 : 2;
    ++sides[0].interruptions;
    ++sides[side].interruptions;
  }
  Struct out;
  const char* names[3] = {"allParticipants", "participantOne", "participantTwo"};
  for (int s = 0; s < 3; ++s) {
    const Acc& acc = sides[s];
    Struct p;
    auto& f = *p.mutable_fields();
    Struct sentiment;
    const double n = acc.messages > 0 ? acc.messages : 1;
    (*sentiment.mutable_fields())["score"] = Num(std::round(acc.score / n * 1000) / 1000);
    (*sentiment.mutable_fields())["magnitude"] = Num(std::round(acc.magnitude * 1000) / 1000);
    *f["sentiment"].mutable_struct_value() = std::move(sentiment);
    ListValue* behaviors = f["behaviors"].mutable_list_value();
    for (auto [name, count] : {std::pair<const char*, int>{"empathy", acc.empathy},
                               {"apology", acc.apology},
                               {"gratitude", acc.gratitude},
                               {"questions", acc.questions},
                               {"interruptions", acc.interruptions}}) {
      Struct b;
      (*b.mutable_fields())["name"] = Text(name);
      (*b.mutable_fields())["count"] = Num(count);
      *behaviors->add_values()->mutable_struct_value() = std::move(b);
    }
    f["messageCount"] = Num(acc.messages);
    f["talkTimeMs"] = Num(UsToMs(acc.talk_us));
    if (s == 1) f["role"] = Text("agent");
    if (s == 2) f["role"] = Text("customer");
    *(*out.mutable_fields())[names[s]].mutable_struct_value() = std::move(p);
  }
  return out;
}

}  // namespace parley::elevateai_v1
