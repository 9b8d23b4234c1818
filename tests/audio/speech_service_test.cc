// SpeechService over the embedded recogniser (Debian's pocketsphinx-en-us and
// pocketsphinx-testdata recordings) in both modes, and TranscriptFromSpeech: turns,
// speakers, roles, casing and punctuation, duration.
#include "service/speech_service.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "audio/read_file.h"
#include "gtest/gtest.h"

namespace parley::service {
namespace {

using parley::testing::ReadFile;

TEST(SpeechServiceTest, EmbeddedRecogniserGivesTimedWords) {
  auto speech = SpeechService::Create(SpeechConfig{});
  ASSERT_TRUE(speech.ok()) << speech.status();
  auto result = (*speech)->Transcribe(ReadFile("/usr/share/pocketsphinx/test/data/cards/003.wav"), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->engine, "pocketsphinx/accurate");
  EXPECT_EQ(result->channels, 1);
  ASSERT_EQ(result->words.size(), 3u);
  EXPECT_EQ(result->words[0].text, "seven");
  EXPECT_EQ(result->words[2].text, "clubs");
  int64_t previous_end = 0;
  for (const SpeechWord& w : result->words) {
    EXPECT_GE(w.start_us, previous_end);
    EXPECT_GT(w.end_us, w.start_us);
    EXPECT_LE(w.end_us, result->duration_us);
    EXPECT_GT(w.confidence, 0.0f);
    EXPECT_LE(w.confidence, 1.0f);
    EXPECT_EQ(w.channel, 1);
    previous_end = w.end_us;
  }
}

// Both modes of the embedded engine read the same card, with word times,
// whether the mode is the server's or asked for by one recording; an unknown
// mode asked for by a recording is INVALID_ARGUMENT.
TEST(SpeechServiceTest, FastAndAccurateModesBothRecognise) {
  std::string card = ReadFile("/usr/share/pocketsphinx/test/data/cards/005.wav");
  std::vector<std::string> expected = {"eight", "of", "spades", "four", "of", "clubs", "seven", "of", "hearts"};
  for (const char* server_mode : {"accurate", "fast"}) {
    SpeechConfig config;
    config.asr_mode = server_mode;
    auto speech = SpeechService::Create(config);
    ASSERT_TRUE(speech.ok()) << speech.status();
    for (const char* mode : {"", "fast", "accurate"}) {
      SCOPED_TRACE(absl::StrCat(server_mode, " server, recording mode \"", mode, "\""));
      SpeechOptions options;
      options.asr_mode = mode;
      auto result = (*speech)->Transcribe(card, options);
      ASSERT_TRUE(result.ok()) << result.status();
      std::vector<std::string> words;
      for (const SpeechWord& w : result->words) words.push_back(w.text);
      EXPECT_EQ(words, expected);
      EXPECT_EQ(result->engine, absl::StrCat("pocketsphinx/", *mode != '\0' ? mode : server_mode));
      ASSERT_FALSE(result->words.empty());
      EXPECT_GT(result->words.back().end_us, result->words.front().start_us);
    }
    SpeechOptions turbo;
    turbo.asr_mode = "turbo";
    auto refused = (*speech)->Transcribe(card, turbo);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("\"turbo\" (fast or accurate)"), std::string::npos)
        << refused.status();
  }
}

// `pcm` (16 kHz) as headerless 8 kHz samples, telephone band: a 63-tap
// windowed-sinc low-pass at 3.6 kHz, every second sample (as
// bench/asr/asr_quality.py makes its 8 kHz copies).
std::string TelephoneBand(const std::vector<int16_t>& pcm) {
  constexpr int kTaps = 63;
  constexpr double kPi = 3.14159265358979323846;
  double h[kTaps];
  for (int n = 0; n < kTaps; ++n) {
    double t = n - (kTaps - 1) / 2.0;
    double sinc = t == 0 ? 2 * 0.225 : std::sin(2 * kPi * 0.225 * t) / (kPi * t);
    h[n] = sinc * (0.54 - 0.46 * std::cos(2 * kPi * n / (kTaps - 1)));
  }
  std::string out;
  for (size_t i = 0; i < pcm.size(); i += 2) {
    double acc = 0;
    for (int n = 0; n < kTaps; ++n) {
      int64_t j = static_cast<int64_t>(i) + n - kTaps / 2;
      if (j >= 0 && j < static_cast<int64_t>(pcm.size())) acc += h[n] * pcm[j];
    }
    auto v = static_cast<int16_t>(std::clamp(std::lround(acc), -32768L, 32767L));
    out.append(reinterpret_cast<const char*>(&v), 2);  // little-endian host
  }
  return out;
}

// The modes are different decoders: on an 8 kHz copy of a card the fast
// mode's narrower search loses words that the accurate one finds.
TEST(SpeechServiceTest, FastModePrunesHarderThanAccurate) {
  auto card = audio::DecodeAudio(ReadFile("/usr/share/pocketsphinx/test/data/cards/001.wav"), {}, true);
  ASSERT_TRUE(card.ok()) << card.status();
  std::string telephone = TelephoneBand(card->channels[0]);
  auto speech = SpeechService::Create(SpeechConfig{});
  ASSERT_TRUE(speech.ok()) << speech.status();
  std::map<std::string, std::vector<std::string>> words;
  for (const char* mode : {"accurate", "fast"}) {
    SpeechOptions options;
    options.raw_format = audio::RawFormat{audio::RawEncoding::kLinear16, 8000};
    options.asr_mode = mode;
    auto result = (*speech)->Transcribe(telephone, options);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const SpeechWord& w : result->words) words[mode].push_back(w.text);
  }
  EXPECT_EQ(words["accurate"], (std::vector<std::string>{"ten", "of", "clubs"}));
  EXPECT_NE(words["fast"], words["accurate"]);
  EXPECT_FALSE(words["fast"].empty());
}

// An unknown mode, or a decoder option pocketsphinx does not know (over
// either mode), fails Create with a message that names it.
TEST(SpeechServiceTest, BadModeOrDecoderOptionIsAClearError) {
  struct Case {
    const char* mode;
    const char* options;
    const char* message;
  };
  for (const Case& c : {Case{"turbo", "", "\"turbo\" (fast or accurate)"},
                        Case{"fast", "-maxhmmpf 2000 -nosuchoption 1", "-nosuchoption"}}) {
    SpeechConfig config;
    config.asr_mode = c.mode;
    config.decoder_options = c.options;
    auto speech = SpeechService::Create(config);
    EXPECT_EQ(speech.status().code(), absl::StatusCode::kFailedPrecondition) << c.mode;
    EXPECT_NE(speech.status().message().find(c.message), std::string::npos) << speech.status();
  }
}

TEST(SpeechServiceTest, RefusesOtherLanguagesAndBadAudio) {
  auto speech = SpeechService::Create(SpeechConfig{});
  ASSERT_TRUE(speech.ok()) << speech.status();
  SpeechOptions french;
  french.language = "fr-FR";
  auto r = (*speech)->Transcribe(ReadFile("/usr/share/pocketsphinx/test/data/cards/003.wav"), french);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--asr-endpoint"), std::string::npos);
  EXPECT_EQ((*speech)->Transcribe("garbage", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SpeechServiceTest, MissingModelIsAClearError) {
  SpeechConfig config;
  config.model_dir = "/nonexistent";
  auto speech = SpeechService::Create(config);
  EXPECT_EQ(speech.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(speech.status().message().find("pocketsphinx-en-us"), std::string::npos);
}

std::vector<std::string> WordsTimesConfidences(const SpeechResult& r) {
  std::vector<std::string> out;
  for (const SpeechWord& w : r.words) {
    out.push_back(absl::StrCat(w.text, " ", w.start_us, "-", w.end_us, " ", w.confidence, " ", w.channel));
  }
  return out;
}

// A pooled decoder carries its live cepstral mean and noise estimate from one
// recording to the next; each recording starts again from the model's, so
// the same recording gives the same words, times and confidences whatever the
// decoder heard before, and the same as a fresh service's decoder.
TEST(SpeechServiceTest, SameRecordingSameResultWhateverCameBefore) {
  std::string card = ReadFile("/usr/share/pocketsphinx/test/data/cards/005.wav");
  std::string other =
      ReadFile("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav");
  SpeechConfig config;
  config.asr_mode = "fast";  // the cheaper decoder: the noise estimate is the front end's
  auto speech = SpeechService::Create(config);
  ASSERT_TRUE(speech.ok()) << speech.status();
  auto first = (*speech)->Transcribe(card, {});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->words.empty());
  ASSERT_TRUE((*speech)->Transcribe(other, {}).ok());
  auto again = (*speech)->Transcribe(card, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(WordsTimesConfidences(*again), WordsTimesConfidences(*first));

  auto fresh = SpeechService::Create(config);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  auto fresh_result = (*fresh)->Transcribe(card, {});
  ASSERT_TRUE(fresh_result.ok()) << fresh_result.status();
  EXPECT_EQ(WordsTimesConfidences(*fresh_result), WordsTimesConfidences(*first));
}

SpeechWord W(const char* text, double start, double end, int channel, float confidence = 0.5f) {
  return SpeechWord{text, static_cast<int64_t>(start * 1e6), static_cast<int64_t>(end * 1e6), confidence, channel};
}

TEST(TranscriptFromSpeechTest, OneMessagePerTurnWithRolesAndPunctuation) {
  SpeechResult result;
  result.channels = 2;
  result.duration_us = 12'000'000;
  result.words = {W("hello", 0.1, 0.4, 1, 1.0f),
                  W("how", 1.1, 1.3, 1, 0.0f),  // a 0.7 s pause: a new sentence, the same message
                  W("are", 1.3, 1.4, 1), W("you", 1.4, 1.6, 1),
                  W("i", 1.9, 2.0, 2), W("think", 2.0, 2.2, 2), W("i'm", 2.2, 2.4, 2), W("fine", 2.4, 2.6, 2),
                  W("thanks", 3.4, 3.8, 2),
                  W("good", 5.6, 5.9, 2)};  // a 1.8 s pause: a new message
  core::Conversation c;
  c.mutable_call_channels()->set_agent_channel(1);
  c.mutable_call_channels()->set_customer_channel(2);
  c.set_start_time_us(1'000'000'000);
  TranscriptFromSpeech(result, &c);
  EXPECT_EQ(c.duration_us(), 12'000'000);
  ASSERT_EQ(c.participants_size(), 2);
  EXPECT_EQ(c.participants(0).role(), core::HUMAN_AGENT);
  EXPECT_EQ(c.participants(0).channel(), 1);
  EXPECT_EQ(c.participants(1).role(), core::END_USER);
  ASSERT_EQ(c.messages_size(), 3);
  EXPECT_EQ(c.messages(0).text(), "Hello. How are you?");
  EXPECT_EQ(c.messages(0).participant_id(), c.participants(0).id());
  EXPECT_EQ(c.messages(0).channel(), 1);
  EXPECT_EQ(c.messages(0).audio_start_us(), 100'000);
  EXPECT_EQ(c.messages(0).audio_end_us(), 1'600'000);
  EXPECT_EQ(c.messages(0).time_us(), 1'000'100'000);
  EXPECT_FLOAT_EQ(c.messages(0).confidence(), 0.5f);
  ASSERT_EQ(c.messages(0).words_size(), 4);
  EXPECT_EQ(c.messages(0).words(1).word(), "how");
  EXPECT_EQ(c.messages(0).words(1).start_offset_us(), 1'100'000);
  EXPECT_EQ(c.messages(0).words(1).channel(), 1);
  EXPECT_EQ(c.messages(1).text(), "I think I'm fine. Thanks.");
  EXPECT_EQ(c.messages(1).participant_id(), c.participants(1).id());
  EXPECT_EQ(c.messages(2).text(), "Good.");
  EXPECT_EQ(c.messages(2).participant_id(), c.participants(1).id());
}

TEST(TranscriptFromSpeechTest, KeepsAnEnginesOwnPunctuationAndLeavesRolesUnsetWithoutChannels) {
  SpeechResult result;
  result.duration_us = 2'000'000;
  result.words = {W("Hello,", 0.1, 0.4, 1), W("world.", 0.5, 0.9, 1)};
  core::Conversation c;
  c.add_messages()->set_text("replaced");
  TranscriptFromSpeech(result, &c);
  ASSERT_EQ(c.messages_size(), 1);
  EXPECT_EQ(c.messages(0).text(), "Hello, world.");
  ASSERT_EQ(c.participants_size(), 1);
  EXPECT_EQ(c.participants(0).role(), core::ROLE_UNSPECIFIED);
  EXPECT_FALSE(c.messages(0).has_time_us());
}

}  // namespace
}  // namespace parley::service
