// `parley transcribe`: speech recognition of recordings on the command line,
// with the server's engine (service::SpeechService). For each file it writes
// one line: "file<TAB>audio seconds<TAB>CPU seconds<TAB>words" (the words
// lower case, as recognised, channels interleaved by time), or with --json
// the transcript with per-word times, confidences and channels.
//
//   parley transcribe [--mono] [--json] [--asr-endpoint URL [--asr-timeout-ms MS]]
//                     [--asr-mode fast|accurate] [--asr-decoder-options "..."] FILE...
//
// Exit codes: 0 done, 1 a file could not be read or transcribed.
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/read_file.h"
#include "service/speech_service.h"

namespace parley::cli {
namespace {

struct TranscribeFlags {
  std::vector<std::string> files;
  service::SpeechConfig config;
  bool mono = false;
  bool json = false;
};

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

int RunTranscribe(const TranscribeFlags& flags) {
  auto speech = service::SpeechService::Create(flags.config);
  if (!speech.ok()) {
    std::cerr << "parley transcribe: " << speech.status().message() << "\n";
    return 1;
  }
  service::SpeechOptions options;
  options.separate_channels = !flags.mono;
  int code = 0;
  for (const std::string& file : flags.files) {
    // The recogniser refuses more than max_audio_bytes anyway: never hold more.
    auto bytes = core::ReadFile(file, static_cast<size_t>(flags.config.max_audio_bytes));
    if (!bytes.ok()) {
      std::cerr << "parley transcribe: " << bytes.status().message() << "\n";
      code = 1;
      continue;
    }
    double cpu = CpuSeconds();
    auto result = (*speech)->Transcribe(*bytes, options);
    cpu = CpuSeconds() - cpu;
    if (!result.ok()) {
      std::cerr << "parley transcribe: " << file << ": " << result.status().message() << "\n";
      code = 1;
      continue;
    }
    if (flags.json) {
      std::cout << "{\"file\": " << JsonString(file) << ", \"durationSeconds\": " << result->duration_us / 1e6
                << ", \"channels\": " << result->channels << ", \"engine\": " << JsonString(result->engine)
                << ", \"words\": [";
      for (size_t i = 0; i < result->words.size(); ++i) {
        const auto& w = result->words[i];
        std::cout << (i ? ", " : "") << "{\"word\": " << JsonString(w.text) << ", \"start\": " << w.start_us / 1e6
                  << ", \"end\": " << w.end_us / 1e6 << ", \"confidence\": " << w.confidence
                  << ", \"channel\": " << w.channel << "}";
      }
      std::cout << "]}\n";
    } else {
      std::cout << file << "\t" << result->duration_us / 1e6 << "\t" << cpu << "\t";
      for (size_t i = 0; i < result->words.size(); ++i) std::cout << (i ? " " : "") << result->words[i].text;
      std::cout << "\n";
    }
    std::cout.flush();
  }
  return code;
}

void AddTranscribe(CLI::App& app) {
  static TranscribeFlags flags;  // outlives the app's parse
  CLI::App* sub = app.add_subcommand("transcribe", "Transcribe recordings (WAV, FLAC, OGG, MP3) to words");
  sub->add_option("files", flags.files, "Recordings")->required();
  sub->add_flag("--mono", flags.mono, "Mix the channels into one before recognition");
  sub->add_flag("--json", flags.json, "Write JSON lines with word times, confidences and channels");
  sub->add_option("--asr-endpoint", flags.config.endpoint, "OpenAI-compatible speech-to-text server");
  sub->add_option("--asr-model", flags.config.endpoint_model, "Model name sent to --asr-endpoint");
  sub->add_option("--asr-timeout-ms", flags.config.endpoint_timeout_ms, "Timeout of one --asr-endpoint request");
  sub->add_option("--asr-model-dir", flags.config.model_dir, "Embedded recogniser's model directory");
  sub->add_option("--asr-mode", flags.config.asr_mode,
                  "Embedded recogniser: accurate, or fast (2x the speed, more word errors)")
      ->check(CLI::IsMember({"fast", "accurate"}))
      ->capture_default_str();
  sub->add_option("--asr-decoder-options", flags.config.decoder_options,
                  "Extra pocketsphinx decoder arguments over --asr-mode's, e.g. \"-topn 2\"");
  sub->callback([] {
    int code = RunTranscribe(flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

const bool kRegistered = RegisterCommand(&AddTranscribe);

}  // namespace
}  // namespace parley::cli
