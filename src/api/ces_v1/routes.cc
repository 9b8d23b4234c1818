// CES v1 routes: apps (create, get, list, patch, delete — create and delete
// are long-running operations) and their conversations (get, list with
// filter and sources, delete, batchDelete as an operation), plus Parley's
// own `conversations:import`, and sessions (runSession), answered by the
// shared virtual agent and recorded as the session's conversation.
//
// Apps are core::App resources (kind "app", scope = the location); their
// conversations are core conversations of scope = the location with
// Conversation.app set, so Insights at the same location reads them.
//
// Operations: the work is done when the request is accepted; the operation
// (core::AppJob) records the outcome and the rendered response, and its
// runner replays the outcome. Operations are polled at
// /v1/projects/P/locations/L/operations/O, which Insights serves for every
// dialect; the AppJob carries its metadata and response JSON so that route
// renders them without knowing CES.
#include "api/ces_v1/routes.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/ces_v1/mapping.h"
#include "api/google/operation.h"
#include "api/google/request.h"
#include "api/google/timestamps.h"
#include "api/protojson/protojson.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/filter_tree.h"
#include "core/ids.h"
#include "core/operation_state.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/operation_service.h"
#include "service/resource_service.h"
#include "service/speech_service.h"
#include "service/virtual_agent_service.h"

namespace parley::ces_v1 {
namespace {

using google_api::CheckPathIds;
using google_api::Error;
using google_api::Json;
using google_api::ParseBody;
using google_api::PageCursor;
using google_api::ParsePageSize;
using google_api::Query;
using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr char kTypePrefix[] = "type.googleapis.com/google.cloud.ces.v1.";
constexpr char kEmptyAny[] = R"({"@type":"type.googleapis.com/google.protobuf.Empty"})";
constexpr std::string_view kAppKind = "app";
constexpr int kDefaultPageSize = 50;

// ResourceService ids are unique per (tenant, kind): an app is stored as
// "LOCATION/APP" so that each location has its own app ids.
std::string AppStoreId(std::string_view location, std::string_view app) {
  return absl::StrCat(Sv(location), "/", Sv(app));
}
constexpr int kMaxPageSize = 1000;

std::string LocationPrefix(const PathParams& p) {
  return absl::StrCat("projects/", Sv(p.Get("project")), "/locations/", Sv(p.Get("location")));
}

AppPlace PlaceOf(const PathParams& p) {
  return AppPlace{std::string(p.Get("project")), std::string(p.Get("location")), std::string(p.Get("app"))};
}

int PageSize(int requested) {
  if (requested <= 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

absl::Status ConversationNotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("Conversation \"", Sv(id), "\" not found"));
}

absl::StatusOr<Conversation::Source> ParseSource(std::string_view text, std::string_view param) {
  Conversation::Source s;
  if (!Conversation::Source_Parse(std::string(text), &s) || s == Conversation::SOURCE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(param), ": \"", Sv(text),
                                                   "\" is not a source (LIVE, SIMULATOR or EVAL)"));
  }
  return s;
}

// ---- AIP-160 filter over a conversation (CES list) ----

absl::Status FilterError(const core::FilterExpr& e, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("filter: ", Sv(why), " at position ", e.position));
}

absl::StatusOr<bool> CompareString(const core::FilterExpr& e, const std::string& have) {
  switch (e.op) {
    case core::CompareOp::kEq: return have == e.value;
    case core::CompareOp::kNe: return have != e.value;
    case core::CompareOp::kHas: return e.value == "*" ? !have.empty() : have == e.value;
    default: return FilterError(e, "only =, != and : compare names and enums");
  }
}

absl::StatusOr<bool> EvalCompare(const core::FilterExpr& e, const core::Conversation& c,
                                 const AppPlace& place) {
  if (e.field.size() != 1) return FilterError(e, "unknown field");
  const std::string field = google_api::SnakeCase(e.field[0]);
  if (field == "start_time" || field == "create_time") {
    auto t = core::ParseTimestampMicros(e.value);
    if (!t.ok()) return FilterError(e, absl::StrCat("\"", e.value, "\" is not an RFC 3339 timestamp"));
    const int64_t have = c.has_start_time_us() ? c.start_time_us() : c.create_time_us();
    switch (e.op) {
      case core::CompareOp::kEq: return have == *t;
      case core::CompareOp::kNe: return have != *t;
      case core::CompareOp::kLt: return have < *t;
      case core::CompareOp::kLe: return have <= *t;
      case core::CompareOp::kGt: return have > *t;
      case core::CompareOp::kGe: return have >= *t;
      default: return FilterError(e, "start_time takes =, !=, <, <=, >, >=");
    }
  }
  if (field == "source") {
    auto s = ParseSource(e.value, "filter source");
    if (!s.ok()) return FilterError(e, std::string(s.status().message()));
    return CompareString(e, Conversation::Source_Name(SourceFromCore(c.source())));
  }
  if (field == "input_types") {
    Conversation::InputType want;
    if (!Conversation::InputType_Parse(e.value, &want)) {
      return FilterError(e, absl::StrCat("\"", e.value, "\" is not an input type"));
    }
    if (e.op != core::CompareOp::kHas && e.op != core::CompareOp::kEq) {
      return FilterError(e, "input_types takes : or =");
    }
    for (int t : c.input_types()) {
      if (t == want) return true;
    }
    return false;
  }
  if (field == "entry_agent" || field == "deployment") {
    const bool agent = field == "entry_agent";
    const std::string& id = agent ? c.entry_agent() : c.deployment();
    const std::string name =
        id.empty() ? "" : absl::StrCat(place.prefix(), agent ? "/agents/" : "/deployments/", id);
    // Full names and bare ids both match.
    const bool named = absl::StrContains(e.value, "/");
    return CompareString(e, named ? name : id);
  }
  return FilterError(e, absl::StrCat("unknown field \"", e.field[0],
                                     "\" (start_time, source, input_types, entry_agent, deployment)"));
}

absl::StatusOr<bool> Eval(const core::FilterExpr& e, const core::Conversation& c, const AppPlace& place) {
  return core::EvalFilter(e, [&](const core::FilterExpr& leaf) { return EvalCompare(leaf, c, place); });
}

// Audio input, transcribed by Parley's speech engine (the blocking pool runs
// runSession); its words answer as a text input does and are recorded as
// the chunk's transcript.
absl::Status TranscribeAudio(const service::SpeechService* speech, const InputAudioConfig& config,
                             const SessionInput& in, int index, core::Chunk* out, std::string* text) {
  if (speech == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "inputs[", index, "].audio: this server runs without speech recognition (--no-asr); send text or dtmf"));
  }
  service::SpeechOptions options;
  options.separate_channels = false;
  // Headerless samples per config.inputAudioConfig (LINEAR16, MULAW, ALAW;
  // sampleRateHertz, default 16000); a WAV/FLAC/Ogg/MP3 file as it is.
  audio::RawFormat raw;
  if (config.audio_encoding() == MULAW) raw.encoding = audio::RawEncoding::kMulaw;
  if (config.audio_encoding() == ALAW) raw.encoding = audio::RawEncoding::kAlaw;
  if (config.sample_rate_hertz() > 0) raw.sample_rate = config.sample_rate_hertz();
  options.raw_format = raw;
  auto result = speech->Transcribe(in.audio(), options);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("inputs[", index, "].audio: ", result.status().message()));
  }
  for (const service::SpeechWord& w : result->words) {
    if (!text->empty()) *text += ' ';
    *text += w.text;
  }
  out->set_transcript(*text);
  return absl::OkStatus();
}

// The end user's message of a turn: a chunk per input, its text the text and
// DTMF inputs joined (or the event's name when there is neither, so an
// event can match an intent named by its phrases).
absl::Status InputsToMessage(const service::SpeechService* speech, const RunSessionRequest& body,
                             core::Message* said) {
  std::string text, event;
  auto join = [&text](const std::string& piece) {
    if (!text.empty()) text += ' ';
    text += piece;
  };
  for (int i = 0; i < body.inputs_size(); ++i) {
    const SessionInput& in = body.inputs(i);
    bool any = false;
    if (!in.text().empty()) {
      said->add_chunks()->set_text(in.text());
      join(in.text());
      any = true;
    }
    if (!in.dtmf().empty()) {
      if (in.dtmf().find_first_not_of("0123456789*#ABCDabcd") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("inputs[", i, "].dtmf: \"", in.dtmf(),
                                                       "\" holds a character that is not a DTMF digit"));
      }
      said->add_chunks()->set_text(in.dtmf());
      join(in.dtmf());
      any = true;
    }
    if (!in.audio().empty()) {
      std::string heard;
      if (auto st = TranscribeAudio(speech, body.config().input_audio_config(), in, i, said->add_chunks(), &heard);
          !st.ok()) {
        return st;
      }
      if (!heard.empty()) join(heard);
      any = true;
    }
    if (in.has_image()) {
      said->add_chunks()->mutable_image()->set_mime_type(in.image().mime_type());
      said->mutable_chunks()->rbegin()->mutable_image()->set_data(in.image().data());
      any = true;
    }
    if (in.has_blob()) {
      said->add_chunks()->mutable_blob()->set_mime_type(in.blob().mime_type());
      said->mutable_chunks()->rbegin()->mutable_blob()->set_data(in.blob().data());
      any = true;
    }
    if (in.has_event()) {
      if (in.event().event().empty()) {
        return absl::InvalidArgumentError(absl::StrCat("inputs[", i, "].event.event is required"));
      }
      google::protobuf::Struct payload;
      (*payload.mutable_fields())["event"].set_string_value(in.event().event());
      said->add_chunks()->set_payload_json(protojson::ToJson(payload));
      if (event.empty()) event = in.event().event();
      any = true;
    }
    if (in.has_variables()) {
      said->add_chunks()->set_updated_variables_json(protojson::ToJson(in.variables()));
      any = true;
    }
    if (!any) {
      return absl::InvalidArgumentError(
          absl::StrCat("inputs[", i, "]: one of text, dtmf, audio, image, blob, event, variables is required"));
    }
  }
  said->set_text(text.empty() ? event : text);
  return absl::OkStatus();
}

// ---- handlers ----

class Handlers {
 public:
  Handlers(const api::ServerConfig& config, const api::Services& services) : config_(config), s_(services) {}

  // ---- apps ----

  Response CreateApp(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"app_id", "appId"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckPathIds(p, {}); !st.ok()) return Error(st);
    App wire;
    if (auto st = ParseBody(req, "app", &wire); !st.ok()) return Error(st);
    if (wire.display_name().empty()) return Error(absl::InvalidArgumentError("app.display_name is required"));
    std::string id = q->Get("app_id") ? *q->Get("app_id") : "";
    if (id.empty()) {
      id = core::NewId();
    } else if (!core::IsValidClientId(id)) {
      return Error(absl::InvalidArgumentError(
          absl::StrCat("app_id \"", id, "\" must be 1-128 of [A-Za-z0-9_.~-], starting with a letter or digit")));
    }
    core::App app;
    app.set_id(id);
    if (auto st = ApplyApp(wire, {"display_name", "description", "global_instruction", "root_agent",
                                  "language_settings"}, &app);
        !st.ok()) {
      return Error(st);
    }
    const int64_t now = core::NowMicros();
    app.set_create_time_us(now);
    app.set_update_time_us(now);
    const std::string project(p.Get("project")), location(p.Get("location"));
    if (auto st = s_.resources->Create({project, kAppKind, location, AppStoreId(location, id)}, now, app); !st.ok()) {
      if (absl::IsAlreadyExists(st)) {
        return Error(absl::AlreadyExistsError(absl::StrCat("App \"", id, "\" already exists")));
      }
      return Error(st);
    }
    App out;
    AppToWire(app, LocationPrefix(p), &out);
    return StartOp(p, core::AppJob::CREATE_APP, id, {}, absl::OkStatus(),
                   google_api::AnyJson(out, kTypePrefix, q->print()), *q);
  }

  Response GetApp(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    auto app = LoadApp(p);
    if (!app.ok()) return Error(app.status());
    App out;
    AppToWire(*app, LocationPrefix(p), &out);
    return Json(out, *q);
  }

  Response ListApps(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"},
                                {"order_by", "orderBy"}});
    if (!q.ok()) return Error(q.status());
    if (q->Get("filter") && !absl::StripAsciiWhitespace(*q->Get("filter")).empty()) {
      return Error(absl::InvalidArgumentError("filter is not supported on apps"));
    }
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const int page_size = PageSize(*size);
    const std::string location(p.Get("location"));
    const std::string fingerprint = absl::StrCat("ces_v1/apps\x1f", location);
    // Store ids of the location start with "LOCATION/", which sorts after "LOCATION".
    std::string after = location;
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    if (*cursor) after = AppStoreId(location, (*cursor)->id);
    ListAppsResponse out;
    const std::string prefix = LocationPrefix(p);
    std::string last;
    auto scanned = s_.resources->Scan(
        p.Get("project"), kAppKind, location, after, page_size + 1,
        [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
          if (out.apps_size() == page_size) return false;
          core::App app;
          if (!app.ParseFromString(body)) return absl::InternalError("stored app does not parse");
          AppToWire(app, prefix, out.add_apps());
          last = app.id();
          return true;
        });
    if (!scanned.ok()) return Error(scanned.status());
    if (scanned->has_value()) {
      out.set_next_page_token(s_.conversations->tokens().Encode(core::ListCursor{0, last}, fingerprint));
    }
    return Json(out, *q);
  }

  Response PatchApp(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    App wire;
    if (auto st = ParseBody(req, "app", &wire); !st.ok()) return Error(st);
    const std::string prefix = LocationPrefix(p);
    if (auto st = google_api::CheckNameMatchesUrl("app.name", wire.name(),
                                                   absl::StrCat(prefix, "/apps/", Sv(p.Get("app"))));
        !st.ok()) {
      return Error(st);
    }
    const std::vector<std::string> all = {"display_name", "description", "global_instruction", "root_agent",
                                          "language_settings"};
    std::vector<std::string> paths;
    for (const std::string& path : google_api::PatchPaths(*q, wire, all)) {
      if (path == "name" || path == "create_time" || path == "update_time" || path == "etag") continue;
      if (std::find(all.begin(), all.end(), path) == all.end()) {
        return Error(absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" cannot be updated")));
      }
      paths.push_back(path);
    }
    const std::string project(p.Get("project")), location(p.Get("location")), id(p.Get("app"));
    core::App app;
    absl::Status st = s_.resources->Update(
        {project, kAppKind, location, AppStoreId(location, id)}, false, &app,
        [&](google::protobuf::Message& m, int64_t stored) -> absl::StatusOr<int64_t> {
          auto& a = static_cast<core::App&>(m);
          if (auto s = ApplyApp(wire, paths, &a); !s.ok()) return s;
          const int64_t now = std::max(core::NowMicros(), stored + 1);
          a.set_update_time_us(now);
          return now;
        });
    if (absl::IsNotFound(st)) return Error(AppNotFound(id));
    if (!st.ok()) return Error(st);
    App out;
    AppToWire(app, prefix, &out);
    return Json(out, *q);
  }

  Response DeleteApp(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"force", "force"}, {"etag", "etag"}});
    if (!q.ok()) return Error(q.status());
    auto force = google_api::ParseBool(*q, "force");
    if (!force.ok()) return Error(force.status());
    auto app = LoadApp(p);
    if (!app.ok()) return Error(app.status());
    if (q->Get("etag") && !q->Get("etag")->empty() && *q->Get("etag") != absl::StrCat(app->update_time_us())) {
      return Error(absl::AbortedError("etag does not match the app's current etag"));
    }
    std::vector<std::string> ids;
    auto st = s_.conversations->ForEach(AppQuery(p, *force ? 1000 : 1), [&](const core::Conversation& c) {
      ids.push_back(c.id());
      return *force;
    });
    if (!st.ok()) return Error(st);
    if (!ids.empty() && !*force) {
      return Error(absl::FailedPreconditionError(absl::StrCat(
          "App \"", app->id(), "\" has conversations: delete them first, or pass force=true")));
    }
    for (const std::string& id : ids) {
      auto d = s_.conversations->Delete(p.Get("project"), p.Get("location"), id, true);
      if (!d.ok() && !absl::IsNotFound(d)) return Error(d);
    }
    auto d = s_.resources->Delete({p.Get("project"), kAppKind, p.Get("location"), AppStoreId(p.Get("location"), app->id())});
    if (!d.ok()) return Error(d);
    return StartOp(p, core::AppJob::DELETE_APP, app->id(), ids, absl::OkStatus(), kEmptyAny, *q);
  }

  // ---- conversations ----

  Response GetConversation(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"source", "source"}, {"view", "view"}});
    if (!q.ok()) return Error(q.status());
    auto c = LoadConversation(p, q->Get("source"), false);
    if (!c.ok()) return Error(c.status());
    Conversation out;
    ConversationToWire(*c, PlaceOf(p), &out);
    return Json(out, *q);
  }

  Response DeleteConversation(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"source", "source"}});
    if (!q.ok()) return Error(q.status());
    // Google: "Indicate the source of the conversation. If not set, Source.Live will be applied."
    auto c = LoadConversation(p, q->Get("source"), true);
    if (!c.ok()) return Error(c.status());
    auto st = s_.conversations->Delete(p.Get("project"), p.Get("location"), c->id(), true);
    if (!st.ok()) return Error(st);
    Response r;
    r.body = "{}";
    return r;
  }

  Response ListConversations(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"},
                                {"source", "source"}, {"sources", "sources"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const int page_size = PageSize(*size);
    if (auto app = LoadApp(p); !app.ok()) return Error(app.status());
    const AppPlace place = PlaceOf(p);
    // Sources: `source` and `sources` together; neither: every source.
    std::set<int> sources;
    std::vector<std::string> source_texts;
    if (q->Get("source") && !q->Get("source")->empty()) source_texts.push_back(*q->Get("source"));
    // `sources` is repeated (sources=LIVE&sources=EVAL); commas also separate.
    for (const auto& [name, value] : req.query) {
      if (name != "sources") continue;
      for (absl::string_view s : absl::StrSplit(value, ',', absl::SkipEmpty())) source_texts.emplace_back(std::string(s));
    }
    for (const std::string& text : source_texts) {
      auto s = ParseSource(text, "sources");
      if (!s.ok()) return Error(s.status());
      sources.insert(SourceToCore(*s));
    }
    const std::string filter_text =
        q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    std::optional<core::FilterExpr> filter;
    if (!filter_text.empty()) {
      auto expr = core::ParseFilter(filter_text);
      if (!expr.ok()) return Error(expr.status());
      // Check the filter's fields and values once, on an empty conversation.
      core::Conversation probe;
      if (auto v = Eval(*expr, probe, place); !v.ok()) return Error(v.status());
      filter = std::move(*expr);
    }
    std::string fingerprint = absl::StrCat("ces_v1/conversations\x1f", place.app, "\x1f", filter_text);
    for (int s : sources) absl::StrAppend(&fingerprint, "\x1f", s);
    core::ConversationQuery query = AppQuery(p, std::min(page_size + 1, kMaxPageSize));
    if (!sources.empty()) {
      core::Condition any;
      any.kind = core::Condition::Kind::kOr;
      for (int s : sources) {
        core::Condition one;
        one.column = core::ConversationColumn::kSource;
        one.int_value = s;
        any.children.push_back(one);
      }
      if (any.children.size() == 1) any = any.children[0];
      core::Condition both;
      both.kind = core::Condition::Kind::kAnd;
      both.children = {*query.condition, any};
      query.condition = both;
    }
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    query.after = *std::move(cursor);
    ListConversationsResponse out;
    absl::Status eval_error;
    core::ListCursor last;
    bool more = false;
    auto st = s_.conversations->ForEach(query, [&](const core::Conversation& c) {
      if (filter.has_value()) {
        auto v = Eval(*filter, c, place);
        if (!v.ok()) {
          eval_error = v.status();
          return false;
        }
        if (!*v) return true;
      }
      if (out.conversations_size() == page_size) {
        more = true;
        return false;
      }
      ConversationToWire(c, place, out.add_conversations());
      last = core::ListCursor{c.create_time_us(), c.id()};
      return true;
    });
    if (!st.ok()) return Error(st);
    if (!eval_error.ok()) return Error(eval_error);
    if (more) out.set_next_page_token(s_.conversations->tokens().Encode(last, fingerprint));
    return Json(out, *q);
  }

  Response BatchDelete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    BatchDeleteConversationsRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const AppPlace place = PlaceOf(p);
    if (!body.parent().empty() && body.parent() != place.prefix()) {
      return Error(absl::InvalidArgumentError(
          absl::StrCat("parent \"", body.parent(), "\" does not match the URL's \"", place.prefix(), "\"")));
    }
    if (body.conversations().empty()) return Error(absl::InvalidArgumentError("conversations is required"));
    if (auto app = LoadApp(p); !app.ok()) return Error(app.status());
    // Every name must be a conversation of this app before anything is deleted.
    const std::string want = absl::StrCat(place.prefix(), "/conversations/");
    std::vector<std::string> ids;
    for (const std::string& name : body.conversations()) {
      if (!absl::StartsWith(name, want) || name.size() == want.size() ||
          name.find('/', want.size()) != std::string::npos) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("conversations: \"", name, "\" is not a conversation of ", place.prefix())));
      }
      const std::string id = name.substr(want.size());
      auto c = s_.conversations->Get(place.project, place.location, id);
      if (c.ok() && c->app() != place.app) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("conversations: \"", name, "\" is not a conversation of ", place.prefix())));
      }
      ids.push_back(id);
    }
    BatchDeleteConversationsResponse result;
    std::vector<std::string> deleted;
    for (const std::string& id : ids) {
      absl::Status st = s_.conversations->Delete(place.project, place.location, id, true);
      if (st.ok()) {
        deleted.push_back(id);
        result.add_deleted_conversations(absl::StrCat(want, id));
      } else {
        result.add_failed_conversations(absl::StrCat(want, id));
        result.add_error_messages(absl::IsNotFound(st) ? std::string(ConversationNotFound(id).message())
                                                       : std::string(st.message()));
      }
    }
    return StartOp(p, core::AppJob::DELETE_CONVERSATIONS, place.app, deleted, absl::OkStatus(),
                   google_api::AnyJson(result, kTypePrefix, q->print()), *q);
  }

  Response Import(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    ImportConversationsRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    if (body.conversations().empty()) return Error(absl::InvalidArgumentError("conversations is required"));
    if (auto app = LoadApp(p); !app.ok()) return Error(app.status());
    const AppPlace place = PlaceOf(p);
    const std::string want = absl::StrCat(place.prefix(), "/conversations/");
    // Map and check all first: an import stores all of them or none it can refuse up front.
    std::vector<core::Conversation> mapped;
    for (int i = 0; i < body.conversations_size(); ++i) {
      const Conversation& in = body.conversations(i);
      core::Conversation c;
      if (!in.name().empty()) {
        if (!absl::StartsWith(in.name(), want) || in.name().size() == want.size() ||
            in.name().find('/', want.size()) != std::string::npos) {
          return Error(absl::InvalidArgumentError(absl::StrCat("conversations[", i, "].name \"", in.name(),
                                                               "\" is not a conversation of ", place.prefix())));
        }
        c.set_id(in.name().substr(want.size()));
      }
      if (auto st = ConversationFromWire(in, place, &c); !st.ok()) {
        return Error(absl::InvalidArgumentError(absl::StrCat("conversations[", i, "]: ", st.message())));
      }
      if (auto st = s_.conversations->Validate(c); !st.ok()) {
        return Error(absl::InvalidArgumentError(absl::StrCat("conversations[", i, "]: ", st.message())));
      }
      mapped.push_back(std::move(c));
    }
    ImportConversationsResponse out;
    for (core::Conversation& c : mapped) {
      auto created = s_.conversations->Create(std::move(c));
      if (!created.ok()) return Error(created.status());
      ConversationToWire(*created, place, out.add_conversations());
    }
    return Json(out, *q);
  }

  // ---- sessions ----

  // One turn of a session with the app's agent: the shared local virtual
  // agent of the app's project and location (service::VirtualAgentService;
  // docs/dialect-mapping.md). The conversation whose id is the session id
  // records the turn: SIMULATOR without a deployment, LIVE with one.
  Response RunSession(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckPathIds(p, {"app", "session"}); !st.ok()) return Error(st);
    RunSessionRequest body;
    if (auto st = ParseBody(req, "", &body); !st.ok()) return Error(st);
    const AppPlace place = PlaceOf(p);
    const std::string session_id(p.Get("session"));
    const std::string session_name = absl::StrCat(place.prefix(), "/sessions/", session_id);
    const SessionConfig& config = body.config();
    if (!config.session().empty() && config.session() != session_name) {
      return Error(absl::InvalidArgumentError(absl::StrCat("config.session \"", config.session(),
                                                           "\" does not match the URL's \"", session_name, "\"")));
    }
    if (body.inputs().empty()) return Error(absl::InvalidArgumentError("inputs is required"));
    std::string entry_agent, deployment;
    if (auto st = ChildId("config.entry_agent", config.entry_agent(), place, "agents", &entry_agent); !st.ok()) {
      return Error(st);
    }
    if (auto st = ChildId("config.deployment", config.deployment(), place, "deployments", &deployment); !st.ok()) {
      return Error(st);
    }
    auto app = LoadApp(p);
    if (!app.ok()) return Error(app.status());
    // The app's one agent is its root agent (Parley keeps no other agents).
    const std::string root_agent(app->root_agent().substr(app->root_agent().rfind('/') + 1));
    if (!entry_agent.empty() && entry_agent != root_agent) {
      return Error(absl::NotFoundError(absl::StrCat("Agent \"", config.entry_agent(), "\" not found")));
    }
    if (entry_agent.empty()) entry_agent = root_agent;
    core::Message said;
    if (auto st = InputsToMessage(s_.speech, body, &said); !st.ok()) return Error(st);
    said.set_language_code(app->default_language_code());

    core::Conversation session;
    session.set_tenant(place.project);
    session.set_scope(place.location);
    session.set_id(session_id);
    session.set_app(place.app);
    session.set_source(deployment.empty() ? core::SIMULATOR : core::LIVE);
    session.set_entry_agent(entry_agent);
    session.set_deployment(deployment);
    session.set_language_code(app->default_language_code());
    service::ReplyOptions options;
    options.instruction = app->global_instruction();
    auto turn = s_.agent->RunSessionTurn(
        session, std::move(said), options, [&](const core::Conversation& c) -> absl::Status {
          if (c.app() != place.app) {
            return absl::InvalidArgumentError(absl::StrCat("session \"", session_name,
                                                           "\": its id names a conversation of another app"));
          }
          if (c.source() != core::LIVE && c.source() != core::SIMULATOR) {
            return absl::FailedPreconditionError(
                absl::StrCat("session \"", session_name, "\": conversation ", c.id(), " is not a session (source ",
                             Conversation::Source_Name(SourceFromCore(c.source())), ")"));
          }
          return absl::OkStatus();
        });
    if (!turn.ok()) return Error(turn.status());

    RunSessionResponse out;
    SessionOutput* o = out.add_outputs();
    const service::AgentReply& reply = turn->reply;
    if (!reply.text.empty()) o->set_text(reply.text);
    if (!reply.knowledge && reply.intent != nullptr) {
      for (const core::AgentIntent::Response& r : reply.intent->responses()) {
        if (r.has_payload_json()) {
          (void)protojson::Parse(r.payload_json(), o->mutable_payload());  // stored from a parsed Struct
          break;
        }
      }
    }
    if (reply.end_interaction || reply.live_agent_handoff) {
      google::protobuf::Value reason;
      reason.set_string_value(reply.live_agent_handoff ? "LIVE_AGENT_HANDOFF" : "END_INTERACTION");
      (*o->mutable_end_session()->mutable_metadata()->mutable_fields())["reason"] = reason;
    }
    o->set_turn_index(turn->turn_index);
    o->set_turn_completed(true);
    if (!config.exclude_diagnostic_info()) {
      SessionOutputDiagnosticInfo* d = o->mutable_diagnostic_info();
      for (const core::Message& m : turn->messages) MessageToWire(m, d->add_messages());
      SpanToWire(turn->root_span, d->mutable_root_span());
    }
    return Json(out, *q);
  }

 private:
  static absl::Status AppNotFound(std::string_view id) {
    return absl::NotFoundError(absl::StrCat("App \"", Sv(id), "\" not found"));
  }

  absl::StatusOr<core::App> LoadApp(const PathParams& p) {
    if (auto st = CheckPathIds(p, {"app"}); !st.ok()) return st;
    core::App app;
    auto got = s_.resources->Get({p.Get("project"), kAppKind, p.Get("location"), AppStoreId(p.Get("location"), p.Get("app"))}, &app);
    if (absl::IsNotFound(got.status())) return AppNotFound(p.Get("app"));
    if (!got.ok()) return got.status();
    return app;
  }

  // The conversations of the app, newest first.
  core::ConversationQuery AppQuery(const PathParams& p, int page_size) {
    core::ConversationQuery query;
    query.tenant = std::string(p.Get("project"));
    query.scope = std::string(p.Get("location"));
    core::Condition app;
    app.column = core::ConversationColumn::kApp;
    app.string_value = std::string(p.Get("app"));
    query.condition = app;
    query.page_size = page_size;
    query.now_us = core::NowMicros();
    return query;
  }

  // The conversation of the URL as CES sees it: in this app and, when
  // `source` is given (or `live_default`), of that source; NOT_FOUND otherwise.
  absl::StatusOr<core::Conversation> LoadConversation(const PathParams& p, const std::string* source,
                                                      bool live_default) {
    if (auto st = CheckPathIds(p, {"app", "conversation"}); !st.ok()) return st;
    std::optional<core::Source> want;
    if (source != nullptr && !source->empty()) {
      auto s = ParseSource(*source, "source");
      if (!s.ok()) return s.status();
      want = SourceToCore(*s);
    } else if (live_default) {
      want = core::LIVE;
    }
    if (auto app = LoadApp(p); !app.ok()) return app.status();
    auto c = s_.conversations->Get(p.Get("project"), p.Get("location"), p.Get("conversation"));
    if (absl::IsNotFound(c.status())) return ConversationNotFound(p.Get("conversation"));
    if (!c.ok()) return c.status();
    if (c->app() != p.Get("app") || (want.has_value() && c->source() != *want)) {
      return ConversationNotFound(p.Get("conversation"));
    }
    return c;
  }

  static absl::Status ApplyApp(const App& wire, const std::vector<std::string>& paths, core::App* app) {
    for (const std::string& path : paths) {
      if (path == "display_name") {
        if (wire.display_name().empty()) return absl::InvalidArgumentError("app.display_name is required");
        app->set_display_name(wire.display_name());
      } else if (path == "description") {
        app->set_description(wire.description());
      } else if (path == "global_instruction") {
        app->set_global_instruction(wire.global_instruction());
      } else if (path == "root_agent") {
        app->set_root_agent(wire.root_agent());
      } else if (path == "language_settings") {
        const LanguageSettings& l = wire.language_settings();
        app->set_default_language_code(l.default_language_code());
        *app->mutable_supported_language_codes() = l.supported_language_codes();
        app->set_enable_multilingual_support(l.enable_multilingual_support());
        app->set_fallback_action(l.fallback_action());
      }
    }
    return absl::OkStatus();
  }

  Response StartOp(const PathParams& p, core::AppJob::Kind kind, const std::string& app_id,
                   const std::vector<std::string>& ids, const absl::Status& outcome, std::string response_json,
                   const Query& q) {
    core::Operation op;
    op.set_tenant(std::string(p.Get("project")));
    op.set_location(std::string(p.Get("location")));
    core::AppJob* job = op.mutable_app();
    job->set_kind(kind);
    job->set_app_id(app_id);
    for (const std::string& id : ids) job->add_conversation_ids(id);
    job->set_name_prefix(LocationPrefix(p));
    service::OperationService::SetOutcome(outcome, job->mutable_outcome());
    job->set_response_json(std::move(response_json));
    OperationMetadata m;
    google_api::SetTimestamp(core::NowMicros(), m.mutable_create_time());
    job->set_metadata_json(google_api::AnyJson(m, kTypePrefix, q.print()));
    auto started = s_.operations->Start(std::move(op));
    if (!started.ok()) return Error(started.status());
    Response r;
    r.body = google_api::OperationJson(*started, absl::StrCat(LocationPrefix(p), "/operations/", started->id()),
                                       started->app().metadata_json(),
                                       core::IsFinished(*started) ? started->app().response_json() : "",
                                       q.print());
    return r;
  }

  api::ServerConfig config_;
  api::Services s_;
};

}  // namespace

void AddRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router) {
  // The outcome was decided when the request was accepted: replay it.
  services.operations->SetReplayRunner(
      core::Operation::kApp,
      [](const core::Operation& op) -> const core::OperationError& { return op.app().outcome(); });
  auto h = std::make_shared<Handlers>(config, services);
  auto bind = [h](Response (Handlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  using http::Dispatch;
  const std::string apps = "/v1/projects/{project}/locations/{location}/apps";
  const std::string app = apps + "/{app}";
  const std::string convs = app + "/conversations";
  router->Add(Method::kPost, apps, bind(&Handlers::CreateApp), Dispatch::kBlocking);
  router->Add(Method::kGet, apps, bind(&Handlers::ListApps), Dispatch::kBlocking);
  router->Add(Method::kGet, app, bind(&Handlers::GetApp), Dispatch::kBlocking);
  router->Add(Method::kPatch, app, bind(&Handlers::PatchApp), Dispatch::kBlocking);
  router->Add(Method::kDelete, app, bind(&Handlers::DeleteApp), Dispatch::kBlocking);
  router->Add(Method::kGet, convs, bind(&Handlers::ListConversations), Dispatch::kBlocking);
  router->Add(Method::kPost, convs + ":batchDelete", bind(&Handlers::BatchDelete), Dispatch::kBlocking);
  router->Add(Method::kPost, convs + ":import", bind(&Handlers::Import), Dispatch::kBlocking);
  router->Add(Method::kPost, app + "/sessions/{session}:runSession", bind(&Handlers::RunSession),
              Dispatch::kBlocking);
  router->Add(Method::kGet, convs + "/{conversation}", bind(&Handlers::GetConversation), Dispatch::kBlocking);
  router->Add(Method::kDelete, convs + "/{conversation}", bind(&Handlers::DeleteConversation),
              Dispatch::kBlocking);
}

}  // namespace parley::ces_v1
