#include "service/speech_service.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "audio/audio_decoder.h"
#include "audio/openai/transcription_client.h"
#include "audio/pocketsphinx/pocketsphinx_recognizer.h"
#include "core/absl_compat.h"

namespace parley::service {
namespace {

constexpr int64_t kTurnPauseUs = 1'500'000;     // a longer pause on one channel starts a new message
constexpr int64_t kSentencePauseUs = 600'000;   // a longer pause inside a message ends a sentence

void AddWords(const std::vector<audio::RecognizedWord>& words, int channel, SpeechResult* out) {
  for (const auto& w : words) {
    out->words.push_back(SpeechWord{w.text, w.start_us, w.end_us, w.confidence, channel});
  }
}

// Whether the engine already cased and punctuated its words (endpoints do).
bool IsPunctuated(const std::vector<const SpeechWord*>& words) {
  for (const SpeechWord* w : words) {
    for (char ch : w->text) {
      if (std::isupper(static_cast<unsigned char>(ch)) || ch == '.' || ch == ',' || ch == '?') return true;
    }
  }
  return false;
}

bool StartsQuestion(std::string_view word) {
  static constexpr std::string_view kStarters[] = {
      "what", "why", "how", "where", "when", "who", "which", "whose", "can", "could",
      "would", "will", "do", "does", "did", "is", "are", "was", "were", "should",
      "shall", "may", "have", "has", "am", "isn't", "aren't", "don't", "doesn't", "didn't"};
  for (auto s : kStarters) {
    if (word == s) return true;
  }
  return false;
}

// "i" and its contractions are always upper case.
std::string CaseWord(std::string_view word) {
  std::string w(word);
  if (w == "i" || absl::StartsWith(w, "i'")) w[0] = 'I';
  return w;
}

// Sentences split at pauses, first letter upper case, ended by "." or "?".
std::string PunctuatedText(const std::vector<const SpeechWord*>& words) {
  std::vector<std::string> parts;
  if (IsPunctuated(words)) {
    for (const SpeechWord* w : words) parts.push_back(w->text);
    return absl::StrJoin(parts, " ");
  }
  size_t sentence_start = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string w = CaseWord(words[i]->text);
    if (i == sentence_start && !w.empty()) w[0] = absl::ascii_toupper(w[0]);
    bool last = i + 1 == words.size() || words[i + 1]->start_us - words[i]->end_us >= kSentencePauseUs;
    if (last) {
      w += StartsQuestion(absl::AsciiStrToLower(words[sentence_start]->text)) ? "?" : ".";
      sentence_start = i + 1;
    }
    parts.push_back(std::move(w));
  }
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<std::unique_ptr<audio::PocketsphinxRecognizer>> MakeRecognizer(const SpeechConfig& config,
                                                                             const std::string& mode,
                                                                             bool preload) {
  audio::PocketsphinxOptions o;
  o.model_dir = config.model_dir;
  o.mode = mode;
  o.decoder_options = config.decoder_options;
  o.preload = preload;
  return audio::PocketsphinxRecognizer::Create(std::move(o));
}

}  // namespace

SpeechService::SpeechService(SpeechConfig config) : config_(std::move(config)) {}
SpeechService::~SpeechService() = default;

absl::StatusOr<std::unique_ptr<SpeechService>> SpeechService::Create(SpeechConfig config) {
  std::unique_ptr<SpeechService> s(new SpeechService(std::move(config)));
  if (!s->config_.endpoint.empty()) {
    audio::TranscriptionClientOptions o;
    o.endpoint = s->config_.endpoint;
    o.model = s->config_.endpoint_model;
    o.timeout_ms = s->config_.endpoint_timeout_ms;
    s->client_ = std::make_unique<audio::TranscriptionClient>(std::move(o));
    return s;
  }
  auto r = MakeRecognizer(s->config_, s->config_.asr_mode, s->config_.preload_model);
  if (!r.ok()) return r.status();
  s->recognizer_ = std::move(*r);
  return s;
}

absl::StatusOr<const audio::Recognizer*> SpeechService::RecognizerFor(const std::string& mode) const {
  if (mode.empty() || mode == config_.asr_mode) return recognizer_.get();
  if (audio::DecoderOptionsOfMode(mode) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown speech recognition mode \"", mode, "\" (fast or accurate)"));
  }
  std::lock_guard<std::mutex> lock(other_mode_mu_);
  if (other_mode_ == nullptr) {
    // Two modes only: the other one is `mode`. Its model loads on its first
    // recording, as the configured one's may.
    auto r = MakeRecognizer(config_, mode, /*preload=*/false);
    if (!r.ok()) return r.status();
    other_mode_ = std::move(*r);
  }
  return other_mode_.get();
}

absl::StatusOr<SpeechResult> SpeechService::Transcribe(std::string_view audio_bytes,
                                                       const SpeechOptions& options) const {
  audio::DecodeLimits limits;
  limits.max_bytes = config_.max_audio_bytes;
  limits.max_duration_us = config_.max_duration_us;
  std::string wrapped;
  if (options.raw_format && !audio::HasContainerHeader(audio_bytes)) {
    wrapped = audio::WrapRawAudio(audio_bytes, *options.raw_format);
    audio_bytes = wrapped;
  }
  auto decoded = audio::DecodeAudio(audio_bytes, limits, !options.separate_channels);
  if (!decoded.ok()) return decoded.status();
  SpeechResult result;
  result.channels = static_cast<int>(decoded->channels.size());
  result.duration_us = decoded->duration_us;
  if (client_ != nullptr) {
    result.engine = client_->model();
    for (size_t c = 0; c < decoded->channels.size(); ++c) {
      // One channel: the recording as it came; several: each channel apart.
      std::string wav;
      if (decoded->channels.size() > 1) wav = audio::EncodeWav(decoded->channels[c]);
      auto t = client_->Transcribe(decoded->channels.size() > 1 ? std::string_view(wav) : audio_bytes,
                                   decoded->channels.size() > 1 ? "channel.wav" : "audio", options.language);
      if (!t.ok()) return t.status();
      AddWords(t->words, static_cast<int>(c) + 1, &result);
    }
  } else {
    if (!options.language.empty() && !absl::StartsWithIgnoreCase(options.language, "en")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the embedded speech recogniser knows English (en-US) only, not \"", options.language,
          "\"; run parley with --asr-endpoint for other languages"));
    }
    auto recognizer = RecognizerFor(options.asr_mode);
    if (!recognizer.ok()) return recognizer.status();
    result.engine = (*recognizer)->name();
    for (size_t c = 0; c < decoded->channels.size(); ++c) {
      auto words = (*recognizer)->Recognize(decoded->channels[c]);
      if (!words.ok()) return words.status();
      AddWords(*words, static_cast<int>(c) + 1, &result);
    }
  }
  std::stable_sort(result.words.begin(), result.words.end(),
                   [](const SpeechWord& a, const SpeechWord& b) { return a.start_us < b.start_us; });
  return result;
}

void TranscriptFromSpeech(const SpeechResult& result, core::Conversation* out) {
  out->clear_messages();
  out->clear_participants();
  out->set_duration_us(result.duration_us);
  std::map<int, std::string> participant_of_channel;
  auto participant = [&](int channel) {
    auto it = participant_of_channel.find(channel);
    if (it != participant_of_channel.end()) return it->second;
    core::Participant* p = out->add_participants();
    p->set_id(absl::StrCat("p", out->participants_size()));
    p->set_channel(channel);
    if (out->has_call_channels()) {
      if (channel == out->call_channels().agent_channel()) p->set_role(core::HUMAN_AGENT);
      else if (channel == out->call_channels().customer_channel()) p->set_role(core::END_USER);
    }
    return participant_of_channel.emplace(channel, p->id()).first->second;
  };
  std::vector<const SpeechWord*> turn;
  auto flush = [&] {
    if (turn.empty()) return;
    core::Message* m = out->add_messages();
    int channel = turn.front()->channel;
    m->set_participant_id(participant(channel));
    m->set_channel(channel);
    m->set_text(PunctuatedText(turn));
    m->set_audio_start_us(turn.front()->start_us);
    m->set_audio_end_us(turn.back()->end_us);
    if (out->has_start_time_us()) m->set_time_us(out->start_time_us() + turn.front()->start_us);
    if (!out->language_code().empty()) m->set_language_code(out->language_code());
    double confidence = 0;
    for (const SpeechWord* w : turn) {
      core::WordInfo* wi = m->add_words();
      wi->set_word(w->text);
      wi->set_start_offset_us(w->start_us);
      wi->set_end_offset_us(w->end_us);
      wi->set_confidence(w->confidence);
      wi->set_channel(w->channel);
      confidence += w->confidence;
    }
    m->set_confidence(static_cast<float>(confidence / turn.size()));
    turn.clear();
  };
  for (const SpeechWord& w : result.words) {
    if (!turn.empty() && (w.channel != turn.back()->channel || w.start_us - turn.back()->end_us >= kTurnPauseUs)) {
      flush();
    }
    turn.push_back(&w);
  }
  flush();
}

}  // namespace parley::service
