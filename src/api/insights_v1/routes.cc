#include "api/insights_v1/routes.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/filter_fields.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/settings.h"
#include "api/insights_v1/transcript_file.h"
#include "api/protojson/field_selector.h"
#include "api/protojson/protojson.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/time_format.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.h"
#include "insights_v1/insights.pb.h"
#include "service/transcription_service.h"

namespace parley::insights_v1 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr std::string_view kConversations =
    "/v1/projects/{project}/locations/{location}/conversations";
constexpr std::string_view kConversation =
    "/v1/projects/{project}/locations/{location}/conversations/{conversation}";

// Create and update bind the body to the request's `conversation` field; an
// empty body is an empty conversation.
absl::Status ParseConversationBody(const Request& req, Conversation* out) {
  static const protojson::ParseOptions options = [] {
    protojson::ParseOptions o;
    o.root_path = "conversation";
    o.refuse_nul = true;
    return o;
  }();
  return protojson::Parse(IsEmptyBody(req.body) ? std::string_view("{}") : req.body, out, options);
}

absl::StatusOr<bool> ParseView(const Query& q, bool default_full) {
  const std::string* v = q.Get("view");
  if (v == nullptr) return default_full;
  std::string s = absl::AsciiStrToUpper(*v);
  if (s == "FULL" || s == "2") return true;
  if (s == "BASIC" || s == "1") return false;
  if (s == "CONVERSATION_VIEW_UNSPECIFIED" || s == "0") return default_full;
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid value at 'view' (type.googleapis.com/google.cloud.contactcenterinsights.v1.ConversationView), \"",
                   *v, "\""));
}

// An arena whose first block is on the stack: the messages of one request
// built on it take a handful of allocations instead of one per field and
// string, and are freed at once (bench/insights/create_path_bench.cc: parsing
// a create's body 8.6 -> 6.9 us, rendering its FULL view 7.1 -> 6.1 us).
class ScratchArena {
 public:
  ScratchArena() : arena_(Options(initial_, sizeof(initial_))) {}
  template <typename M>
  M* Create() {
    return google::protobuf::Arena::CreateMessage<M>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options(char* block, size_t size) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = size;
    return o;
  }
  alignas(8) char initial_[16 * 1024];
  google::protobuf::Arena arena_;
};

// Name of the stored FULL-view JSON of a conversation (enums as names).
constexpr std::string_view kFullView = "insights_v1/full";

// Whether a GET is answered with the stored FULL view: the whole
// conversation, enum names, no field mask.
bool ServedByStoredView(const Query& q, bool full) {
  return full && q.fields().empty() && !q.print().enums_as_ints;
}

std::string RenderFullView(const core::Conversation& c) {
  ScratchArena arena;
  Conversation* out = arena.Create<Conversation>();
  ToWire(c, /*full=*/true, out);
  return protojson::ToJson(*out);
}

class Handlers {
 public:
  Handlers(const Options& options, const Services& services)
      : options_(options), service_(services.conversations), analysis_(services.analysis),
        settings_(services.settings), transcription_(services.transcription) {}

  // Runs on a network thread up to the store write; the response is sent
  // once the group commit holding it is durable. A transcript file named by
  // gcsSource is read on the blocking pool instead: a slow disk or a file
  // that blocks must not hold a network thread (issue 9 #6); so is a
  // recording named by gcsSource.audioUri, which is transcribed there.
  void Create(const Request& req, const PathParams& p, http::Responder responder) {
    auto q = Query::Parse(req, {{"conversation_id", "conversationId"}});
    if (!q.ok()) return std::move(responder).Send(Error(q.status()));
    if (auto s = CheckParent(p); !s.ok()) return std::move(responder).Send(Error(s));
    if (auto s = CheckFields(*q, Conversation::default_instance()); !s.ok()) return std::move(responder).Send(Error(s));
    ScratchArena arena;
    Conversation* wire = arena.Create<Conversation>();
    if (auto s = ParseConversationBody(req, wire); !s.ok()) return std::move(responder).Send(Error(s));
    if (wire->data_source().gcs_source().transcript_uri().empty() &&
        wire->data_source().gcs_source().audio_uri().empty()) {
      return Store(std::move(*q), *wire, p.Get("project"), p.Get("location"), std::move(responder));
    }
    // (Copied off the arena, which ends with this call.)
    std::move(responder).ContinueBlocking(
        [this, q = std::move(*q), wire = Conversation(*wire), project = std::string(p.Get("project")),
         location = std::string(p.Get("location"))](http::Responder responder) mutable {
          SegmentEnds ends;
          if (auto s = LoadTranscriptFile(options_.blobs, &wire, &ends); !s.ok()) {
            return std::move(responder).Send(Error(s));
          }
          Store(std::move(q), wire, project, location, std::move(responder), ends);
        });
  }

  // The rest of Create, from the wire conversation (its transcript file read).
  void Store(Query q, const Conversation& wire, std::string_view project, std::string_view location,
             http::Responder responder, const SegmentEnds& ends = {}) {
    core::Conversation c;
    c.set_tenant(std::string(project));
    c.set_scope(std::string(location));  // an Insights location is a scope
    c.set_source(core::IMPORTED);
    c.set_lifecycle(core::COMPLETED);
    if (const std::string* id = q.Get("conversation_id")) c.set_id(*id);
    if (auto s = FromWire(wire, core::NowMicros(), &c); !s.ok()) return std::move(responder).Send(Error(s));
    ApplySegmentEnds(ends, &c);
    // Insights: "MEDIUM_UNSPECIFIED: if unspecified will default to PHONE_CALL".
    if (c.medium() == core::MEDIUM_UNSPECIFIED) c.set_medium(core::PHONE_CALL);
    // Settings.conversationTtl: "the default TTL for newly-created conversations".
    if (c.expire_time_us() == 0) {
      auto settings = settings_->Cached(c.tenant(), c.scope());
      if (!settings.ok()) return std::move(responder).Send(Error(settings.status()));
      if (const int64_t ttl = (*settings)->conversation_ttl_us(); ttl > 0) {
        c.set_expire_time_us(
            std::min(core::NowMicros(), google_api::kMaxTimestampMicros - ttl) + ttl);
      }
    }
    // Insights' own id rule, then the core's (in the service).
    if (!c.id().empty()) {
      if (auto s = CheckClientConversationId(c.id()); !s.ok()) return std::move(responder).Send(Error(s));
    }
    // Only reached with an audio URI on the blocking pool (Create), after
    // every check: create is synchronous in Insights, so the recording is
    // transcribed before the reply, off the network threads (ADR 0025).
    if (auto s = TranscribeAudio(c); !s.ok()) return std::move(responder).Send(Error(s));
    service_->CreateAsync(
        std::move(c), [q = std::move(q), responder = std::move(responder)](
                          absl::StatusOr<std::unique_ptr<service::ConversationService::Created>>
                              created) mutable {
          std::move(responder).Send([q = std::move(q), created = std::move(created)]() -> Response {
            if (!created.ok()) return Error(created.status());
            if (q.fields().empty() && !q.print().enums_as_ints) {
              // The stored FULL view is the response.
              for (auto& [name, body] : (*created)->views) {
                if (name != kFullView) continue;
                Response r;
                r.body = std::move(body);
                return r;
              }
            }
            Conversation out;
            ToWire((*created)->conversation, true, &out);
            return Json(out, q);
          });
        });
  }

  // GET on a remote store (issue 16), holding no thread while it waits: a
  // FULL view the store keeps in memory is sent once the store's consistency
  // round trip is back (ADR 0033); anything else runs Get on the blocking pool.
  void GetRemote(const Request& req, const PathParams& p, http::Responder responder) {
    auto q = Query::Parse(req, {{"view", "view"}});
    bool stored_view = false;
    if (q.ok()) {
      auto full = ParseView(*q, /*default_full=*/true);
      stored_view = full.ok() && ServedByStoredView(*q, *full);
    }
    if (!stored_view) return GetBlocking(Request(req), PathParams(p), std::move(responder));
    struct Pending {
      http::Responder responder;
      Request req;
      PathParams params;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(responder), req, p});
    store::Store::CachedViewDone done = [this, pending](std::optional<std::string> body) mutable {
      if (body && !body->empty()) {
        Response r;
        r.body = std::move(*body);
        return std::move(pending->responder).Send(std::move(r));
      }
      GetBlocking(std::move(pending->req), std::move(pending->params), std::move(pending->responder));
    };
    if (service_->ReadCachedView(p.Get("project"), p.Get("location"), p.Get("conversation"), kFullView,
                                 done)) {
      return;
    }
    GetBlocking(std::move(pending->req), std::move(pending->params), std::move(pending->responder));
  }

  void GetBlocking(Request req, PathParams p, http::Responder responder) {
    std::move(responder).ContinueBlocking(
        [this, req = std::move(req), p = std::move(p)](http::Responder responder) {
          std::move(responder).Send(Get(req, p));
        });
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"view", "view"}});
    if (!q.ok()) return Error(q.status());
    auto full = ParseView(*q, /*default_full=*/true);
    if (!full.ok()) return Error(full.status());
    if (ServedByStoredView(*q, *full)) {
      // The whole conversation with enum names is stored pre-rendered.
      auto view = service_->ReadView(p.Get("project"), p.Get("location"), p.Get("conversation"),
                                     kFullView);
      if (!view.ok()) return Error(view.status());
      if (!view->empty()) {
        Response r;
        r.body = std::move(*view);
        return r;
      }
    }
    // The hottest read: both messages live on one arena.
    ScratchArena arena;
    auto* c = arena.Create<core::Conversation>();
    absl::Status s = service_->Read(p.Get("project"), p.Get("location"), p.Get("conversation"), c);
    if (!s.ok()) return Error(s);
    auto* out = arena.Create<Conversation>();
    ToWire(*c, *full, out);
    if (*full && !c->latest_analysis_id().empty()) {
      // The whole latest analysis, as Insights shows it.
      auto latest = analysis_->LatestAnalysis(*c);
      if (latest.ok()) {
        AnalysisToWire(*latest, *c, out->mutable_latest_analysis());
        ConversationSummarizationSuggestionData summary;
        if (SummaryToWire(*latest, *c, &summary)) *out->mutable_latest_summary() = std::move(summary);
      }
    }
    return Json(*out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"},
                                {"page_token", "pageToken"},
                                {"filter", "filter"},
                                {"order_by", "orderBy"},
                                {"view", "view"}});
    if (!q.ok()) return Error(q.status());
    if (auto s = CheckParent(p); !s.ok()) return Error(s);
    auto full = ParseView(*q, /*default_full=*/false);
    if (!full.ok()) return Error(full.status());
    core::ConversationQuery query;
    query.tenant = std::string(p.Get("project"));
    query.scope = std::string(p.Get("location"));
    if (p.Get("location") == "-") query.scope.clear();  // AIP-159: every location
    if (const std::string* size = q->Get("page_size")) {
      if (!absl::SimpleAtoi(*size, &query.page_size)) {
        return Error(absl::InvalidArgumentError(
            absl::StrCat("Invalid value at 'page_size' (TYPE_INT32), \"", *size, "\"")));
      }
    }
    std::string filter_text = q->Get("filter") ? *q->Get("filter") : "";
    if (!absl::StripAsciiWhitespace(filter_text).empty()) {
      auto expr = core::ParseFilter(filter_text);
      if (!expr.ok()) return Error(expr.status());
      auto condition = ConversationCondition(*expr);
      if (!condition.ok()) return Error(condition.status());
      query.condition = std::move(*condition);
    }
    std::string order_text = q->Get("order_by") ? *q->Get("order_by") : "";
    auto ordering = ParseOrderBy(order_text);
    if (!ordering.ok()) return Error(ordering.status());
    query.order_by = ordering->column;
    query.order = ordering->order;
    std::string fingerprint = absl::StrCat(filter_text, "\x1f", static_cast<int>(ordering->column),
                                           ordering->order == core::SortOrder::kAscending ? "a" : "d");
    // Items are rendered as the page is read, and the page ends before the
    // item that would take the response over --max-response-mb (issue 9 #8:
    // pageSize=10&view=FULL once answered 601 MB); the next page starts with
    // it. One item always fits: a conversation is at most --max-conversation-mb.
    ListConversationsResponse out;
    const size_t cap = options_.max_response_bytes;
    size_t total = 64;  // the envelope and the next page token
    auto take = [&](const core::Conversation& c) {
      Conversation* item = out.add_conversations();
      ToWire(c, *full, item);
      if (cap == 0) return true;
      // JSON is far under 32 bytes per byte of the binary form (names of
      // fields, escapes) plus a little per item; it is rendered to be measured
      // only when that bound does not fit.
      size_t bytes = 32 * item->ByteSizeLong() + 64;
      if (total + bytes > cap) bytes = protojson::ToJson(*item).size() + 1;
      if (total + bytes > cap && out.conversations_size() > 1) {
        out.mutable_conversations()->RemoveLast();
        return false;
      }
      total += bytes;
      return true;
    };
    auto page = service_->List(std::move(query), q->Get("page_token") ? *q->Get("page_token") : "",
                               fingerprint, take);
    if (!page.ok()) return Error(page.status());
    out.set_next_page_token(page->next_page_token);
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    if (auto s = CheckFields(*q, Conversation::default_instance()); !s.ok()) return Error(s);
    Conversation patch;
    if (auto s = ParseConversationBody(req, &patch); !s.ok()) return Error(s);
    // The name in the body, if any, must agree with the URL.
    if (auto s = CheckNameMatchesUrl(
            "conversation.name", patch.name(),
            ConversationName(p.Get("project"), p.Get("location"), p.Get("conversation")));
        !s.ok()) {
      return Error(s);
    }
    // "*" replaces every updatable field; medium is immutable, so it is only
    // checked when the body names one.
    std::vector<std::string> all = AllUpdatablePaths();
    if (patch.medium() != Conversation::MEDIUM_UNSPECIFIED) all.push_back("medium");
    const std::vector<std::string> paths = PatchPaths(*q, patch, all);
    int64_t now = core::NowMicros();
    auto updated = service_->Update(
        p.Get("project"), p.Get("location"), p.Get("conversation"),
        [&](core::Conversation& target) -> absl::Status {
          for (const std::string& path : paths) {
            if (auto s = ApplyUpdatePath(path, patch, now, &target); !s.ok()) return s;
          }
          // A transcript file named by a changed data source is read again.
          if (!patch.data_source().gcs_source().transcript_uri().empty() &&
              std::find(paths.begin(), paths.end(), "data_source") != paths.end()) {
            Conversation wire = patch;
            SegmentEnds ends;
            if (auto s = LoadTranscriptFile(options_.blobs, &wire, &ends); !s.ok()) return s;
            if (auto s = TranscriptFromWire(wire.transcript(), &target); !s.ok()) return s;
            ApplySegmentEnds(ends, &target);
            return absl::OkStatus();
          }
          return absl::OkStatus();
        });
    if (!updated.ok()) return Error(updated.status());
    Conversation out;
    ToWire(*updated, true, &out);
    return Json(out, *q);
  }

  Response Delete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"force", "force"}});
    if (!q.ok()) return Error(q.status());
    auto force = ParseBool(*q, "force");
    if (!force.ok()) return Error(force.status());
    absl::Status s = service_->Delete(p.Get("project"), p.Get("location"), p.Get("conversation"), *force);
    if (!s.ok()) return Error(s);
    Response r;
    r.body = "{}";
    return r;
  }

 private:
  Options options_;
  service::ConversationService* service_;
  service::AnalysisService* analysis_;
  service::SettingsService* settings_;
  // The recording `c` names, transcribed into its transcript (nothing to do
  // without one).
  absl::Status TranscribeAudio(core::Conversation& c) const {
    if (c.data_source().audio_uri().empty() || c.messages_size() > 0) return absl::OkStatus();
    if (transcription_ == nullptr) {
      return absl::FailedPreconditionError("dataSource.gcsSource.audioUri: this server transcribes no recordings");
    }
    return transcription_->TranscribeFromUri(options_.blobs, &c);
  }

  const service::TranscriptionService* transcription_;
};

}  // namespace

void AddRoutes(const Options& options, const Services& services, http::Router* router) {
  // Every route checks the ids in its path before its handler runs (after
  // the guards already pushed, authentication): a malformed name is
  // INVALID_ARGUMENT, as Google answers, whatever the handler.
  router->PushGuard([](Method, std::string_view) -> http::Guard {
    return [](const Request&, const PathParams& p) -> std::optional<http::Response> {
      absl::Status s =
          google_api::CheckPathIds(p, {"conversation", "analysis", "operation", "matcher"});
      if (s.ok()) return std::nullopt;
      return Error(s);
    };
  });
  AddConversationRoutes(options, services, router);
  AddAnalysisRoutes(options, services, router);
  AddPhraseMatcherRoutes(services, router);
  AddSettingsRoutes(services, router);
  AddUploadRoutes(options, services, router);
  AddExportRoutes(options, services, router);
  AddStatsRoutes(services, router);
  router->PopGuard();
}

void AddConversationRoutes(const Options& options, const Services& services,
                           http::Router* router) {
  services.conversations->AddView(std::string(kFullView), RenderFullView);
  auto h = std::make_shared<Handlers>(options, services);
  router->AddAsync(Method::kPost, kConversations,
                   [h](const Request& r, const PathParams& p, http::Responder responder) {
                     h->Create(r, p, std::move(responder));
                   });
  router->Add(Method::kGet, kConversations,
              [h](const Request& r, const PathParams& p) { return h->List(r, p); },
              http::Dispatch::kBlocking);  // a filtered list can take a while (issue 9 #7)
  if (services.conversations->ReadsAreRemote()) {
    router->AddAsync(Method::kGet, kConversation,
                     [h](const Request& r, const PathParams& p, http::Responder responder) {
                       h->GetRemote(r, p, std::move(responder));
                     });
  } else {
    router->Add(Method::kGet, kConversation,
                [h](const Request& r, const PathParams& p) { return h->Get(r, p); });
  }
  router->Add(Method::kPatch, kConversation,
              [h](const Request& r, const PathParams& p) { return h->Patch(r, p); },
              http::Dispatch::kBlocking);
  router->Add(Method::kDelete, kConversation,
              [h](const Request& r, const PathParams& p) { return h->Delete(r, p); },
              http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
