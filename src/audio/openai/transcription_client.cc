#include "audio/openai/transcription_client.h"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <memory>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/absl_compat.h"

namespace parley::audio {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() > (size_t{64} << 20)) return 0;  // a transcript is never this large
  out->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct MimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};

std::string FullUrl(std::string_view endpoint) {
  std::string url(absl::StripSuffix(Sv(endpoint), "/"));
  if (absl::EndsWith(url, "/audio/transcriptions")) return url;
  if (absl::EndsWith(url, "/v1")) return url + "/audio/transcriptions";
  return url + "/v1/audio/transcriptions";
}

// "en-US" -> "en": the API takes ISO-639-1.
std::string IsoLanguage(std::string_view language) {
  return std::string(language.substr(0, language.find('-')));
}

int64_t Micros(const rapidjson::Value& v) {
  return v.IsNumber() ? static_cast<int64_t>(v.GetDouble() * 1e6 + 0.5) : 0;
}

absl::StatusOr<Transcription> ParseVerboseJson(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InternalError("the speech endpoint's answer is not a JSON object");
  }
  Transcription out;
  if (doc.HasMember("duration") && doc["duration"].IsNumber()) out.duration_s = doc["duration"].GetDouble();
  auto add_words = [&](const rapidjson::Value& words) {
    for (const auto& w : words.GetArray()) {
      if (!w.IsObject() || !w.HasMember("word") || !w["word"].IsString()) continue;
      RecognizedWord rw;
      rw.text = std::string(absl::StripAsciiWhitespace(w["word"].GetString()));
      if (rw.text.empty()) continue;
      if (w.HasMember("start")) rw.start_us = Micros(w["start"]);
      if (w.HasMember("end")) rw.end_us = Micros(w["end"]);
      rw.confidence = 1;
      for (const char* key : {"probability", "confidence"}) {
        if (w.HasMember(key) && w[key].IsNumber()) rw.confidence = static_cast<float>(w[key].GetDouble());
      }
      out.words.push_back(std::move(rw));
    }
  };
  if (doc.HasMember("words") && doc["words"].IsArray()) {
    add_words(doc["words"]);
  } else if (doc.HasMember("segments") && doc["segments"].IsArray()) {
    // Servers without word timestamps: segment words, spread over the segment.
    for (const auto& s : doc["segments"].GetArray()) {
      if (!s.IsObject()) continue;
      if (s.HasMember("words") && s["words"].IsArray()) {
        add_words(s["words"]);
        continue;
      }
      if (!s.HasMember("text") || !s["text"].IsString()) continue;
      std::vector<std::string> tokens;
      for (absl::string_view t : absl::StrSplit(s["text"].GetString(), ' ', absl::SkipEmpty())) {
        tokens.emplace_back(t);
      }
      int64_t start = s.HasMember("start") ? Micros(s["start"]) : 0;
      int64_t end = s.HasMember("end") ? Micros(s["end"]) : start;
      for (size_t i = 0; i < tokens.size(); ++i) {
        RecognizedWord rw;
        rw.text = tokens[i];
        rw.start_us = start + (end - start) * int64_t(i) / int64_t(tokens.size());
        rw.end_us = start + (end - start) * int64_t(i + 1) / int64_t(tokens.size());
        rw.confidence = 1;
        out.words.push_back(std::move(rw));
      }
    }
  } else if (!doc.HasMember("text")) {
    return absl::InternalError("the speech endpoint's answer has neither words, segments nor text");
  }
  return out;
}

}  // namespace

TranscriptionClient::TranscriptionClient(TranscriptionClientOptions options)
    : options_(std::move(options)), url_(FullUrl(options_.endpoint)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::StatusOr<Transcription> TranscriptionClient::Transcribe(std::string_view audio_bytes,
                                                              std::string_view filename,
                                                              std::string_view language) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("libcurl could not start a request");
  CURL* c = curl.get();
  std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(c));
  auto add_field = [&](const char* name, const std::string& value) {
    curl_mimepart* part = curl_mime_addpart(mime.get());
    curl_mime_name(part, name);
    curl_mime_data(part, value.data(), value.size());
  };
  curl_mimepart* file = curl_mime_addpart(mime.get());
  curl_mime_name(file, "file");
  curl_mime_data(file, audio_bytes.data(), audio_bytes.size());
  curl_mime_filename(file, std::string(filename).c_str());
  add_field("model", options_.model);
  add_field("response_format", "verbose_json");
  add_field("timestamp_granularities[]", "word");
  add_field("timestamp_granularities[]", "segment");
  if (!language.empty()) add_field("language", IsoLanguage(language));

  std::string body;
  struct curl_slist* headers = nullptr;
  std::string auth;
  if (!options_.api_key.empty()) {
    auth = absl::StrCat("Authorization: Bearer ", options_.api_key);
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(options_.timeout_ms, 10'000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat("the speech endpoint ", url_, " did not answer within ",
                                                    options_.timeout_ms, " ms"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("the speech endpoint ", url_, " cannot be reached: ", curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    return absl::UnavailableError(absl::StrCat("the speech endpoint ", url_, " answered HTTP ", status, ": ",
                                               body.substr(0, 300)));
  }
  return ParseVerboseJson(body);
}

}  // namespace parley::audio
